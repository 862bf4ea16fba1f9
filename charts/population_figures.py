"""Figure builders of the dashboard pages: frames in, `go.Figure` out, no Streamlit.

Every builder ends in `figures.style` (title, source line, German separators, large type for the
beamer) and pre-formats its hover texts in German, so plotly never prints an English number.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from charts.figures import (
    ACCENT,
    TEXT_COLOUR,
    axis_title_room,
    bar_label_room,
    district_map,
    house_layout,
    merge,
    ranking_bar,
    ranking_parts,
)
from charts.formatting import fmt_date, fmt_indicator, fmt_int, fmt_number, fmt_pct
from indicators.catalogue import OTHER_LABEL, PERCENT, Indicator
from indicators.disclosure import SUPPRESSED
from indicators.nationalities import sort_age_groups

#: colour-blind safe line colours (Okabe–Ito without black/yellow); the municipality is black, dashed
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#7f7f7f", "#882255")
REFERENCE_COLOUR = "#1b1f23"
REFERENCE_COLOURS = (REFERENCE_COLOUR, "#5f6368")  # the municipality, then its Kreis and NRW
REFERENCE_DASHES = ("dash", "dot", "dashdot")
MUTED = "#b9c3cc"
WITH_MH, WITHOUT_MH = "#1f5f8b", "#9ecae1"
SEXES = {"m": "Männer", "w": "Frauen"}
STATUS = {"mit": "mit Migrationshintergrund", "ohne": "ohne Migrationshintergrund"}
MAX_DATE_TICKS = 8
PHONE_DATE_TICKS = 4  # "2010" … "2024" side by side on a 390 px screen; full dates take 3
RANK_NEIGHBOURS = 5  # a phone shows the chosen district and this many above and below it


def year_ends(dates: pd.Series | list) -> bool:
    """True when every Stichtag is a 31.12. (then a year names it unambiguously)."""
    stamps = pd.to_datetime(pd.Series(list(dates))).dropna()
    return bool(len(stamps)) and bool(((stamps.dt.month == 12) & (stamps.dt.day == 31)).all())


def date_ticks(dates: pd.Series | list, max_ticks: int = MAX_DATE_TICKS) -> tuple[list, list[str]]:
    """Tick positions at the Stichtage themselves (thinned to at most `max_ticks`, the latest kept),
    labelled "2020" when all are 31.12., else "30.06.2020"."""
    distinct = sorted(pd.to_datetime(pd.Series(list(dates))).dropna().unique())
    if not distinct:
        return [], []
    step = max(1, -(-len(distinct) // max_ticks))
    chosen = distinct[::-1][::step][::-1]
    if year_ends(distinct):
        return list(chosen), [str(pd.Timestamp(d).year) for d in chosen]
    return list(chosen), [fmt_date(d) for d in chosen]


def value_text(value: float, indicator: Indicator, index_base: str | None = None) -> str:
    """German text of one value: the indicator's unit, or an index number "104,3"."""
    if index_base is not None:
        return fmt_number(value, 1)
    return fmt_indicator(value, indicator)


def time_series(
    frame: pd.DataFrame,
    indicator: Indicator,
    *,
    title: str,
    source: str,
    reference: str | tuple[str, ...] | None = None,
    index_base: str | None = None,
    presentation: bool = False,
    compact: bool = False,
) -> go.Figure:
    """Lines over the Stichtage, one per `district`; the `reference` line (the municipality) dashed.
    On a phone (`compact`) fewer date labels, so they do not overlap.

    frame: reference_date, district, value (and `raw`, the value before indexing, when indexed).
    index_base: the base Stichtag as text when the values are indexed (base = 100).
    """
    traces = []
    names = list(dict.fromkeys(frame["district"]))
    colours = iter(LINE_COLOURS * (len(names) // len(LINE_COLOURS) + 1))
    # several references (the municipality, its Kreis, NRW): dashed, dotted, dash-dotted
    references = (reference,) if isinstance(reference, str) else tuple(reference or ())
    for name in names:
        part = frame.loc[frame["district"] == name].sort_values("reference_date")
        is_reference = name in references
        hover = []
        for row in part.itertuples(index=False):
            lines = [f"<b>{name}</b>", fmt_date(row.reference_date)]
            if index_base is not None:
                lines.append(
                    f"{indicator.short_label}: {fmt_indicator(getattr(row, 'raw', None), indicator)}"
                )
                lines.append(f"Index ({index_base} = 100): {fmt_number(row.value, 1)}")
            else:
                lines.append(f"{indicator.short_label}: {fmt_indicator(row.value, indicator)}")
            hover.append("<br>".join(lines))
        traces.append(
            {
                "type": "scatter",
                "x": part["reference_date"],
                "y": part["value"],
                "name": name,
                "mode": "lines+markers",
                "line": {
                    "color": (
                        REFERENCE_COLOURS[references.index(name) % 2] if is_reference else next(colours)
                    ),
                    "width": 4 if is_reference else 2.5,
                    "dash": REFERENCE_DASHES[references.index(name) % 3] if is_reference else "solid",
                },
                "marker": {"size": 7 if len(part) > 1 else 12},
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    layout = house_layout(title, source, presentation, height=640 if presentation else 480)
    whole_years = year_ends(frame["reference_date"])
    ticks = (PHONE_DATE_TICKS if whole_years else PHONE_DATE_TICKS - 1) if compact else MAX_DATE_TICKS
    tickvals, ticktext = date_ticks(frame["reference_date"], ticks)
    axis_title = "Stichtag (jeweils 31.12.)" if whole_years else "Stichtag"
    merge(
        layout["xaxis"],
        {"tickvals": tickvals, "ticktext": ticktext, "title": {"text": axis_title}, "tickangle": 0},
    )
    axis_title_room(layout, source, presentation)
    if index_base is not None:
        merge(layout["yaxis"], {"title": {"text": f"Index ({index_base} = 100)"}, "tickformat": ",.0f"})
        layout["shapes"] = [  # what `fig.add_hline(y=100, …)` adds
            {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": 100, "y1": 100, "yref": "y",
             "line": {"color": "#8a8f94", "width": 1}}
        ]  # fmt: skip
    elif indicator.unit == PERCENT:
        merge(layout["yaxis"], {"title": {"text": f"{indicator.short_label} (%)"}, "ticksuffix": " %",
                                "rangemode": "tozero"})  # fmt: skip
    else:
        merge(
            layout["yaxis"],
            {"title": {"text": f"{indicator.short_label} ({indicator.unit})"}, "tickformat": ",d"},
        )
    merge(layout, {"hovermode": "closest", "legend": {"title": {"text": ""}}})
    return go.Figure(data=traces, layout=layout)


def nationality_bar(frame: pd.DataFrame, *, title: str, source: str, presentation: bool = False) -> go.Figure:
    """The largest nationalities as horizontal bars, the largest on top and "Übrige" grey at the end.

    frame: nationality, persons, share_pct (share of all foreigners), as from `largest_nationalities`;
    optionally ``hidden`` (public view, see `charts.protect.public_mix`): such a nationality keeps its
    row, labelled `•`, without a bar and without a number in the hover.
    """
    ordered = frame.iloc[::-1]  # plotly draws the first category at the bottom
    hidden = (
        ordered["hidden"].fillna(False).astype(bool).tolist()
        if "hidden" in ordered
        else [False] * len(ordered)
    )
    rows = zip(ordered["nationality"], ordered["persons"], ordered["share_pct"], hidden, strict=True)
    labels, hover, persons = [], [], []
    for n, p, s, secret in rows:
        if secret:
            labels.append(SUPPRESSED)
            hover.append(f"<b>{n}</b><br>{SUPPRESSED} gesperrt (kleine Fallzahl)")
            persons.append(0.0)
        else:
            labels.append(f"{fmt_int(p)} ({fmt_pct(s)})")
            hover.append(f"<b>{n}</b><br>{fmt_int(p)} Personen<br>{fmt_pct(s)} der Ausländer:innen")
            persons.append(float(p))
    colours = [MUTED if n == OTHER_LABEL else ACCENT for n in ordered["nationality"]]
    bar = {
        "type": "bar",
        "x": persons,
        "y": ordered["nationality"],
        "orientation": "h",
        "marker": {"color": colours},
        "text": labels,
        "textposition": "outside",
        "textfont": {
            "size": [(30 if presentation else 20) if h else (20 if presentation else 13) for h in hidden]
        },
        "cliponaxis": False,
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    layout = house_layout(title, source, presentation, height=max(380, 40 * len(frame) + 160))
    merge(layout, {"showlegend": False, "bargap": 0.25})
    top = pd.to_numeric(frame["persons"], errors="coerce").max() if len(frame) else None
    top = float(top) if top is not None and pd.notna(top) and top > 0 else 1.0
    merge(layout["xaxis"], {"title": {"text": "Personen"}, "tickformat": ",d", "range": [0, top * 1.3]})
    return go.Figure(data=[bar], layout=axis_title_room(layout, source, presentation))


def age_pyramid_chart(
    frame: pd.DataFrame, *, title: str, source: str, presentation: bool = False
) -> go.Figure:
    """Age pyramid: men to the left, women to the right, each bar stacked with / without MH.

    frame: age_group, sex ("m"/"w"), migration_status ("mit"/"ohne"), persons (from `age_pyramid`);
    optionally ``hidden`` (public view, see `charts.protect.public_pyramid`): such a bar is not drawn and
    its hover shows `•`. Other sexes cannot be placed left or right and are left out (the page says so).
    """
    ages = sort_age_groups(frame["age_group"].unique())
    if "hidden" not in frame:
        frame = frame.assign(hidden=False)
    traces = []
    for sex, side in (("m", -1), ("w", 1)):
        for status, colour in (("mit", WITH_MH), ("ohne", WITHOUT_MH)):
            part = frame.loc[(frame["sex"] == sex) & (frame["migration_status"] == status)]
            persons = (
                pd.to_numeric(part.groupby("age_group")["persons"].sum(min_count=1), errors="coerce")
                .reindex(ages)
                .astype(float)
                .fillna(0.0)
            )
            secret = part.groupby("age_group")["hidden"].any().reindex(ages, fill_value=False).astype(bool)
            persons = persons.mask(secret)
            traces.append(
                {
                    "type": "bar",
                    "y": [_age_label(a) for a in ages],
                    "x": [None if pd.isna(p) else side * p for p in persons],
                    "orientation": "h",
                    "name": STATUS[status],
                    "legendgroup": status,
                    "showlegend": sex == "m",
                    "marker": {"color": colour},
                    "hovertext": [
                        f"<b>{SEXES[sex]}, {_age_label(a)} Jahre</b><br>{STATUS[status]}: "
                        + (SUPPRESSED if hidden else fmt_int(p))
                        for a, p, hidden in zip(ages, persons, secret, strict=True)
                    ],
                    "hovertemplate": "%{hovertext}<extra></extra>",
                }
            )
    shown = frame.loc[frame["sex"].isin(list(SEXES)) & ~frame["hidden"].astype(bool)]
    totals = pd.to_numeric(shown.groupby(["sex", "age_group"])["persons"].sum(), errors="coerce")
    top = float(totals.max()) if len(totals) and pd.notna(totals.max()) and totals.max() > 0 else 1.0
    ticks = _symmetric_ticks(top)
    layout = house_layout(title, source, presentation, height=640 if presentation else 500)
    layout["margin"]["t"] += 16  # legend and Männer/Frauen between title and plot
    merge(layout, {
        "barmode": "relative",
        "bargap": 0.08,
        "legend": {"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1.0, "yanchor": "bottom"},
    })  # fmt: skip
    merge(layout["xaxis"], {
        "tickvals": ticks,
        "ticktext": [fmt_int(abs(t)) for t in ticks],
        "range": [-top * 1.1, top * 1.1],
        "title": {"text": "Personen"},
        "zeroline": True,
        "zerolinecolor": TEXT_COLOUR,
    })  # fmt: skip
    merge(layout["yaxis"], {"title": {"text": "Alter (Jahre)"}, "type": "category"})
    size = 20 if presentation else 13
    for text, x in (("◀ Männer", 0.0), ("Frauen ▶", 1.0)):
        layout["annotations"].append({
            "text": f"<b>{text}</b>",
            "xref": "paper",
            "yref": "paper",
            "x": x,
            "y": 1.0,
            "xanchor": "left" if x < 0.5 else "right",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": size},
        })  # fmt: skip
    return go.Figure(data=traces, layout=axis_title_room(layout, source, presentation))


def map_or_ranking(
    shapes: gpd.GeoDataFrame | None,
    values: pd.DataFrame,
    indicator: Indicator,
    *,
    title: str,
    source: str,
    reference: float | None = None,
    reference_label: str | None = None,
    presentation: bool = False,
    compact: bool = False,
    **map_options,
) -> go.Figure:
    """The district map, or the ranking bar where no boundaries are loaded.

    `map_options` go to `district_map` (scheme, k, colours, labels; names are shown up to 30 districts).
    """
    if shapes is None:
        return ranking_bar(
            values,
            indicator,
            title=title,
            source=source,
            reference=reference,
            reference_label=reference_label,
            presentation=presentation,
        )
    shapes = shapes[shapes["district_id"].isin(values["district_id"])]
    map_options.setdefault("labels", len(values) <= 30)
    return district_map(
        shapes,
        values,
        indicator,
        title=title,
        source=source,
        presentation=presentation,
        compact=compact,
        **map_options,
    )


def ranking_highlight(
    data: pd.DataFrame,
    indicator: Indicator,
    highlight: str,
    *,
    title: str,
    source: str,
    reference: float | None = None,
    reference_label: str | None = None,
    presentation: bool = False,
    compact: bool = False,
) -> go.Figure:
    """`figures.ranking_bar` with one district (by name) in the accent colour, the others muted. On a
    phone (`compact`) only its neighbours in the ranking: `layout.meta["excerpt"]` says so."""
    full = data
    if compact:
        data = rank_neighbours(data, highlight)
    traces, layout = ranking_parts(
        data,
        indicator,
        title=title,
        source=source,
        reference=reference,
        reference_label=reference_label,
        presentation=presentation,
    )
    bar = traces[0]
    bar["marker"]["color"] = [ACCENT if name == highlight else MUTED for name in bar["y"]]
    if len(data) < full["value"].notna().sum():
        layout["meta"] = {"excerpt": True}
    # the source line moves down once more, as it always has here (`ranking_parts` moved it already)
    return go.Figure(
        data=traces, layout=axis_title_room(bar_label_room(layout, data["value"]), source, presentation)
    )


def rank_neighbours(data: pd.DataFrame, highlight: str, n: int = RANK_NEIGHBOURS) -> pd.DataFrame:
    """The district named `highlight` and up to `n` districts ranked above and below it (all of them
    where its value is not shown)."""
    ranked = data.dropna(subset=["value"]).sort_values("value", ascending=False).reset_index(drop=True)
    at = ranked.index[ranked["district"] == highlight]
    if at.empty:
        return data
    return ranked.iloc[max(0, at[0] - n) : at[0] + n + 1]


def _age_label(label: str) -> str:
    return str(label).replace("-", "–")


def _symmetric_ticks(top: float) -> list[float]:
    """About three round ticks per side: ±step, ±2 step … and 0."""
    if top <= 0:
        return [0.0]
    raw = top / 3
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = int(top // step)
    positive = [step * i for i in range(1, count + 1)]
    return [-v for v in reversed(positive)] + [0.0] + positive
