"""Figure builders for Zuweisungen and Unterbringung: frames in, `go.Figure` out, no Streamlit.

Every figure goes through `style()` (title, source line, German separators, beamer sizes); hover texts
are pre-formatted in German. `projection_text` words the capacity projection for people.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date
from plotly.colors import qualitative

from charts.figures import ACCENT, FONT, TEXT_COLOUR, figure_axis_title_room, style
from charts.formatting import LOCALE, fmt_date, fmt_int, fmt_number, fmt_pct
from indicators.allocations import TOTAL
from indicators.catalogue_refugees import PROJECTION_METHOD
from indicators.occupancy import Projection

OTHER_COLOUR = "#b0b4b9"
CAPACITY_COLOUR = "#b2182b"
MINORS_COLOUR = "#e08214"
COLOURS = qualitative.Safe


def month_text(value: object) -> str:
    """`März 2025`."""
    return format_date(pd.Timestamp(value).date(), format="MMMM yyyy", locale=LOCALE)


def _legend(presentation: bool, reversed_order: bool = False) -> dict:
    """Beside the plot (below it would collide with the source line); stacks read top-down."""
    return {
        "font": {"size": 18 if presentation else 12},
        "traceorder": "reversed" if reversed_order else "normal",
        "itemclick": "toggleothers",
    }


#: Date ticks without English month names: `03/2024` when zoomed in, `2024` for years.
DATE_TICKS = [
    {"dtickrange": [None, "M11"], "value": "%m/%Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]


def _label_positions(lon: np.ndarray, lat: np.ndarray, width: float, height: float) -> list[str]:
    """Above the marker, else below, right or left: the first place no label placed before (west to
    east) occupies nearby."""
    placed: list[tuple[float, float, str]] = []
    positions = ["top center"] * len(lon)
    for i in np.argsort(lon):
        for candidate in ("top center", "bottom center", "middle right", "middle left"):
            if not any(
                abs(lon[i] - x) < width and abs(lat[i] - y) < height and p == candidate for x, y, p in placed
            ):
                positions[i] = candidate
                break
        placed.append((lon[i], lat[i], positions[i]))
    return positions


# --- Zuweisungen --------------------------------------------------------------------------------------


def allocations_by_country(
    grouped: pd.DataFrame, *, title: str, source: str, other_label: str, presentation: bool = False
) -> go.Figure:
    """Stacked bars per period: the largest countries named, the rest grey (`group_countries` output)."""
    fig = go.Figure()
    countries = list(dict.fromkeys(grouped["country"]))
    for i, country in enumerate(countries):
        part = grouped[grouped["country"] == country]
        colour = OTHER_COLOUR if country == other_label else COLOURS[i % len(COLOURS)]
        hover = [
            f"<b>{country}</b>, {period}<br>{fmt_int(p)} Personen"
            + (f", davon {fmt_int(m)} Kinder" if pd.notna(m) else "")
            for period, p, m in zip(
                part["period"], part["allocated_persons"], part["allocated_minors"], strict=True
            )
        ]
        fig.add_trace(
            go.Bar(
                x=part["period"],
                y=part["allocated_persons"].astype(float),
                name=country,
                marker_color=colour,
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    style(fig, title, source, presentation)
    fig.update_layout(barmode="stack", legend=_legend(presentation, reversed_order=True), bargap=0.15)
    fig.update_xaxes(type="category", title_text=None)
    fig.update_yaxes(title_text="zugewiesene Personen", rangemode="tozero")
    return fig


def minors_chart(total: pd.DataFrame, *, title: str, source: str, presentation: bool = False) -> go.Figure:
    """Persons and the children among them per period (TOTAL rows of `allocation_table`)."""
    share = [fmt_pct(v) for v in total["allocated_minors_share_pct"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=total["period"],
            y=total["allocated_persons"].astype(float),
            name="Personen",
            marker_color=ACCENT,
            hovertemplate="%{x}: %{y:,.0f} Personen<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=total["period"],
            y=total["allocated_minors"].astype(float),
            name="davon Kinder (soweit bekannt)",
            marker_color=MINORS_COLOUR,
            text=share if len(total) <= 16 else None,
            textposition="outside",
            hovertext=[f"Anteil Kinder: {s}" for s in share],
            hovertemplate="%{x}: %{y:,.0f} Kinder<br>%{hovertext}<extra></extra>",
            cliponaxis=False,
        )
    )
    style(fig, title, source, presentation)
    fig.update_layout(barmode="group", legend=_legend(presentation), bargap=0.2)
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="Personen", rangemode="tozero")
    return fig


def quota_chart(quota: pd.DataFrame, *, title: str, source: str, presentation: bool = False) -> go.Figure:
    """Erfüllungsquote over time with the 100 % line; Soll and Ist in the hover (`fulfilment` output)."""
    hover = [
        f"{fmt_date(d)}<br>Erfüllungsquote: {fmt_pct(r)}<br>Soll: {fmt_int(s)} · Ist: {fmt_int(i)}"
        + (f"<br>noch {fmt_int(o)} Zuweisungen bis 100 %" if o else "")
        for d, r, s, i, o in zip(
            quota["reference_date"],
            quota["fulfilment_rate_pct"],
            quota["quota_target"],
            quota["quota_actual"],
            quota["quota_outstanding"],
            strict=True,
        )
    ]
    fig = go.Figure(
        go.Scatter(
            x=quota["reference_date"],
            y=quota["fulfilment_rate_pct"],
            mode="lines+markers" if len(quota) <= 24 else "lines",
            line={"color": ACCENT, "width": 3},
            name="Erfüllungsquote",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.add_hline(
        y=100,
        line_dash="dash",
        line_color=CAPACITY_COLOUR,
        annotation_text="100 % = Soll erfüllt",
        annotation_position="top left",
        annotation_font_color=CAPACITY_COLOUR,
    )
    style(fig, title, source, presentation)
    fig.update_layout(showlegend=False)
    fig.update_xaxes(tickformatstops=DATE_TICKS)
    fig.update_yaxes(title_text="Erfüllungsquote (%)", ticksuffix=" %")
    return fig


# --- Unterbringung -------------------------------------------------------------------------------------


def occupancy_over_time(
    table: pd.DataFrame, *, title: str, source: str, presentation: bool = False
) -> go.Figure:
    """Occupants per facility stacked over time, total capacity as a line (`occupancy_table` output)."""
    fig = go.Figure()
    facilities = table.loc[table["facility"] != TOTAL, "facility"].unique()
    for i, facility in enumerate(facilities):
        part = table[table["facility"] == facility]
        fig.add_trace(
            go.Scatter(
                x=part["reference_date"],
                y=part["occupants"].astype(float),
                name=facility,
                stackgroup="occupants",
                mode="lines" if len(part) > 1 else "markers",
                line={"width": 0.5, "color": COLOURS[i % len(COLOURS)]},
                hovertext=[
                    f"<b>{facility}</b>, {fmt_date(d)}<br>{fmt_int(o)} von {fmt_int(c)} Plätzen belegt ({fmt_pct(r)})"
                    for d, o, c, r in zip(
                        part["reference_date"],
                        part["occupants"],
                        part["capacity"],
                        part["occupancy_rate_pct"],
                        strict=True,
                    )
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    total = table[table["facility"] == TOTAL]
    fig.add_trace(
        go.Scatter(
            x=total["reference_date"],
            y=total["capacity"].astype(float),
            name="Plätze insgesamt",
            mode="lines" if len(total) > 1 else "markers",
            line={"color": CAPACITY_COLOUR, "width": 3, "dash": "dash", "shape": "hv"},
            marker={"symbol": "line-ew-open", "size": 30, "color": CAPACITY_COLOUR},
            hovertext=[
                f"{fmt_date(d)}: {fmt_int(c)} Plätze, {fmt_int(o)} belegt, {fmt_int(f)} frei"
                for d, c, o, f in zip(
                    total["reference_date"],
                    total["capacity"],
                    total["occupants"],
                    total["free_places"],
                    strict=True,
                )
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    style(fig, title, source, presentation)
    fig.update_layout(legend=_legend(presentation, reversed_order=True), hovermode="closest")
    fig.update_xaxes(tickformatstops=DATE_TICKS)
    fig.update_yaxes(title_text="Personen / Plätze", rangemode="tozero")
    return fig


def facility_bars(state: pd.DataFrame, *, title: str, source: str, presentation: bool = False) -> go.Figure:
    """Occupancy rate per facility at one Stichtag, with places, free places and Fehlbeleger in the hover."""
    rows = state.sort_values("occupancy_rate_pct")
    rows = pd.concat([rows[rows["facility"] == TOTAL], rows[rows["facility"] != TOTAL]])
    names = ["<b>Gesamt</b>" if f == TOTAL else f for f in rows["facility"]]
    hover = [
        f"<b>{'Gesamt' if f == TOTAL else f}</b><br>{fmt_int(o)} von {fmt_int(c)} Plätzen belegt<br>"
        f"frei: {fmt_int(fp)}<br>Fehlbeleger: {fmt_int(fb)} ({fmt_pct(fs)})"
        for f, o, c, fp, fb, fs in zip(
            rows["facility"],
            rows["occupants"],
            rows["capacity"],
            rows["free_places"],
            rows["fehlbeleger"],
            rows["fehlbeleger_share_pct"],
            strict=True,
        )
    ]
    colours = [CAPACITY_COLOUR if r > 100 else ACCENT for r in rows["occupancy_rate_pct"].fillna(0)]
    fig = go.Figure(
        go.Bar(
            x=rows["occupancy_rate_pct"],
            y=names,
            orientation="h",
            marker_color=colours,
            text=[
                f"{fmt_pct(r)} · {fmt_int(o)}/{fmt_int(c)}"
                for r, o, c in zip(
                    rows["occupancy_rate_pct"], rows["occupants"], rows["capacity"], strict=True
                )
            ],  # fmt: skip
            textposition="outside",
            cliponaxis=False,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.add_vline(x=100, line_dash="dash", line_color=CAPACITY_COLOUR)
    style(fig, title, source, presentation, height=max(380, 60 * len(rows) + 180))
    top = float(np.nanmax([110.0, *rows["occupancy_rate_pct"].astype(float)])) * 1.25
    fig.update_layout(showlegend=False, bargap=0.3)
    fig.update_xaxes(title_text="Belegungsquote (%)", range=[0, top], ticksuffix=" %")
    return figure_axis_title_room(fig, presentation)  # the source line below the axis title


def fehlbeleger_over_time(
    table: pd.DataFrame, *, title: str, source: str, presentation: bool = False
) -> go.Figure:
    """Fehlbeleger share of all facilities over time, with the counts in the hover."""
    total = table[(table["facility"] == TOTAL) & table["fehlbeleger"].notna()]
    hover = [
        f"{fmt_date(d)}: {fmt_int(f)} Fehlbeleger von {fmt_int(o)} Untergebrachten ({fmt_pct(s)})"
        for d, f, o, s in zip(
            total["reference_date"],
            total["fehlbeleger"],
            total["occupants"],
            total["fehlbeleger_share_pct"],
            strict=True,
        )
    ]
    fig = go.Figure(
        go.Scatter(
            x=total["reference_date"],
            y=total["fehlbeleger_share_pct"],
            mode="lines+markers" if len(total) <= 24 else "lines",
            line={"color": MINORS_COLOUR, "width": 3},
            marker={"size": 12 if len(total) == 1 else 6},
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    style(fig, title, source, presentation)
    fig.update_layout(showlegend=False)
    fig.update_xaxes(tickformatstops=DATE_TICKS)
    fig.update_yaxes(title_text="Anteil Fehlbeleger (%)", rangemode="tozero", ticksuffix=" %")
    return fig


def projection_chart(
    table: pd.DataFrame, projection: Projection, *, title: str, source: str, presentation: bool = False
) -> go.Figure:
    """The last three years of total occupants and capacity, and the projected line up to the capacity."""
    total = table[table["facility"] == TOTAL]
    total = total[total["reference_date"] > projection.last_date - pd.DateOffset(years=3)]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=total["reference_date"],
            y=total["occupants"].astype(float),
            name="Belegung",
            mode="lines+markers",
            line={"color": ACCENT, "width": 3},
            hovertemplate="%{x|%d.%m.%Y}: %{y:,.0f} Personen<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=total["reference_date"],
            y=total["capacity"].astype(float),
            name="Plätze",
            mode="lines",
            line={"color": CAPACITY_COLOUR, "width": 2, "dash": "dash", "shape": "hv"},
            hovertemplate="%{x|%d.%m.%Y}: %{y:,.0f} Plätze<extra></extra>",
        )
    )
    if projection.status == "ok":
        end = projection.latest or projection.full_date
        fig.add_vrect(
            x0=projection.earliest, x1=end, fillcolor=MINORS_COLOUR, opacity=0.12, line_width=0,
            annotation_text="Spanne", annotation_position="top left",
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=[projection.last_date, projection.full_date],
                y=[projection.occupants, projection.capacity],
                name="Fortschreibung des Trends",
                mode="lines+markers",
                line={"color": MINORS_COLOUR, "width": 3, "dash": "dot"},
                hovertemplate="%{x|%d.%m.%Y}: %{y:,.0f} Personen (geschätzt)<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[projection.last_date, end],
                y=[projection.capacity] * 2,
                mode="lines",
                line={"color": CAPACITY_COLOUR, "width": 2, "dash": "dash"},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    style(fig, title, source, presentation)
    fig.update_layout(legend=_legend(presentation))
    fig.update_xaxes(tickformatstops=DATE_TICKS)
    fig.update_yaxes(title_text="Personen / Plätze", rangemode="tozero")
    return fig


def projection_text(p: Projection) -> str:
    """The projection in one or two plain German sentences."""
    if p.status == "too_few":
        found = "ein Stichtag" if p.points == 1 else f"{p.points} Stichtage"
        return (
            f"Keine Vorausschätzung: In den letzten {p.window_months} Monaten liegt nur {found} vor"
            if p.points == 1
            else f"Keine Vorausschätzung: In den letzten {p.window_months} Monaten liegen nur {found} vor"
        ) + f"; nötig sind mindestens {p.min_points}."
    trend = f"im Mittel {fmt_number(p.per_month, 1, signed=True)} Personen je Monat"
    if p.status == "full":
        over = -p.free_places
        return (
            f"Die {fmt_int(p.capacity)} Plätze sind am {fmt_date(p.last_date)} bereits voll belegt"
            + (f" ({fmt_int(over)} Personen mehr als Plätze)." if over else ".")
            + f" Trend der letzten {p.window_months} Monate: {trend}."
        )
    if p.status == "not_increasing":
        return (
            f"Die Belegung nimmt nicht zu ({trend} in den letzten {p.window_months} Monaten); bei diesem "
            f"Trend reichen die {fmt_int(p.free_places)} freien Plätze. Keine Vorausschätzung."
        )
    if p.status == "far":
        return (
            f"Bei der Zunahme der letzten {p.window_months} Monate ({trend}) reichen die "
            f"{fmt_int(p.capacity)} Plätze länger als zehn Jahre; keine Vorausschätzung eines Datums."
        )
    latest = (
        month_text(p.latest) if p.latest is not None else "offen, weil die Zunahme auch nahe null sein kann"
    )
    return (
        f"Bei der Zunahme der letzten {p.window_months} Monate ({trend}) wären die {fmt_int(p.capacity)} "
        f"Plätze etwa im {month_text(p.full_date)} belegt (Spanne: {month_text(p.earliest)} bis {latest}). "
        f"Heute frei: {fmt_int(p.free_places)} Plätze."
    )


METHOD_NOTE = PROJECTION_METHOD


def facility_map(
    districts: gpd.GeoDataFrame,
    state: pd.DataFrame,
    *,
    title: str,
    source: str,
    presentation: bool = False,
) -> go.Figure:
    """Facilities as markers at the representative point of their Stadtteil over a plain outline.

    districts: district_id, district, geometry (EPSG:4326). state: facilities of one Stichtag with
    district_id, capacity, occupants, occupancy_rate_pct, fehlbeleger, fehlbeleger_share_pct.
    """
    shapes = districts.copy()
    shapes["geometry"] = shapes.geometry.orient_polygons(exterior_cw=True)
    geojson = json.loads(shapes[["district_id", "geometry"]].to_json(drop_id=True))
    fig = go.Figure(
        go.Choropleth(
            geojson=geojson,
            featureidkey="properties.district_id",
            locations=shapes["district_id"],
            z=np.zeros(len(shapes)),
            colorscale=[[0, "#f4f5f7"], [1, "#f4f5f7"]],
            showscale=False,
            marker={"line": {"color": "#8a9099", "width": 1}},
            text=shapes["district"],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    points = shapes.set_index("district_id").geometry.representative_point()
    located = state[state["district_id"].isin(points.index)].reset_index(drop=True)
    nth = located.groupby("district_id").cumcount().to_numpy()  # several facilities in one Stadtteil
    lon = points.loc[located["district_id"]].x.to_numpy() + 0.004 * nth
    lat = points.loc[located["district_id"]].y.to_numpy() - 0.002 * nth
    names = dict(zip(shapes["district_id"], shapes["district"], strict=True))
    minx, miny, maxx, maxy = shapes.total_bounds
    span = (maxx - minx, maxy - miny)  # label sizes relative to the map, which fills the figure
    hover = [
        f"<b>{r.facility}</b> ({names[r.district_id]})<br>{fmt_int(r.occupants)} von {fmt_int(r.capacity)} "
        f"Plätzen belegt ({fmt_pct(r.occupancy_rate_pct)})<br>Fehlbeleger: {fmt_int(r.fehlbeleger)} "
        f"({fmt_pct(r.fehlbeleger_share_pct)})"
        for r in located.itertuples()
    ]
    size = 14 + 26 * np.sqrt(located["capacity"].astype(float) / max(float(located["capacity"].max()), 1.0))
    fig.add_trace(
        go.Scattergeo(
            lon=lon,
            lat=lat,
            mode="markers+text",
            text=located["facility"],
            textposition=_label_positions(lon, lat, width=0.4 * span[0], height=0.12 * span[1]),
            textfont={"size": 16 if presentation else 11, "family": FONT, "color": TEXT_COLOUR},
            marker={
                "size": size * (1.3 if presentation else 1.0),
                "color": located["occupancy_rate_pct"].astype(float),
                "colorscale": "YlOrRd",
                "cmin": 50,
                "cmax": 110,
                "line": {"color": "white", "width": 1.5},
                "colorbar": {"title": {"text": "Belegung"}, "ticksuffix": " %", "len": 0.6},
            },
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=False,
        )
    )
    pad = 0.2 * span[0]  # room for labels beside the outline: fitbounds includes these points
    fig.add_trace(
        go.Scattergeo(
            lon=[minx - pad, maxx + pad],
            lat=[(miny + maxy) / 2] * 2,
            mode="markers",
            marker={"opacity": 0},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="white")
    style(fig, title, source, presentation, height=560 if presentation else 600)
    fig.update_layout(margin={"l": 0, "r": 0})
    return fig
