"""The atlas modes of the Karte as descriptions: years side by side, the change map against a base
Stichtag, and the full table beside the map. No Streamlit.

Everything comes from the public view (`reads.indicator_table`, `reads.series`, their
``attrs["suppressed"]`` read through `protect.hidden_cells`): a hidden share is never coloured,
labelled, ranked or put in a table; a change is hidden where either of its shares is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from charts.atlas_figures import classed_maps
from charts.figures import class_breaks, lowest_bound, neutral_value
from charts.formatting import fmt_date, fmt_indicator
from charts.population_views import _district_table, _source
from charts.protect import hidden_cells, notes_for
from charts.reads import boundaries, city_row, city_series, indicator_table, indicator_values, series, shared
from charts.sentences import plural
from charts.texts import DIVERGING_PALETTE, source_line
from charts.view import ChartView, Filters, Source, _cell_text
from indicators.catalogue import CATALOGUE, PERCENT, POINTS, Indicator, get
from indicators.disclosure import SUPPRESSED

RANK = "Rang"
NO_SHAPES = "Für diese Gebietsebene sind keine Grenzen geladen: Karten lassen sich nicht zeichnen."


def year_keys(src: Source, f: Filters) -> set[str]:
    """The indicators known at every Stichtag (the shares): those have years and changes."""
    frame = series(src, f)
    return {k for k in frame.columns if k in CATALOGUE and get(k).on_map and get(k).unit == PERCENT}


def default_years(dates: list[date], upto: date | None = None) -> list[date]:
    """First, middle and last Stichtag up to `upto` (fewer where fewer exist)."""
    shown = [d for d in dates if upto is None or d <= upto]
    picked = {shown[0], shown[len(shown) // 2], shown[-1]} if shown else set()
    return sorted(picked)


def change_indicator(key: str) -> Indicator:
    """The change of a share in Pp. (the catalogue's own where it has one; the label says against what)."""
    share = get(key)
    own = CATALOGUE.get(key.removesuffix("_pct") + "_change_pp")
    base = own or Indicator(
        key + "_change", f"Veränderung {share.label}", f"Veränd. {share.short_label}", POINTS, "",
        share.numerator, share.denominator, share.source, share.caveat, decimals=1, signed=True, on_map=True,
    )  # fmt: skip
    return replace(base, formula=f"{share.label} am Stichtag − {share.label} am Basisstichtag")


def _at(src: Source, f: Filters, key: str, when: date) -> pd.DataFrame:
    """district_id, district, value, hidden of one share at one Stichtag, from the public series; at
    the chosen Stichtag also hidden wherever the map's own table hides it (one decision, not two)."""
    frame = series(src, f)
    if frame.empty or key not in frame:
        return pd.DataFrame(columns=["district_id", "district", "value", "hidden"])
    hidden = hidden_cells(frame)[key]  # by row position: before the rows are filtered
    rows = (frame["reference_date"] == pd.Timestamp(when)).to_numpy()
    out = frame.loc[rows, ["district_id", "district"]].copy()
    out["hidden"] = hidden[rows].to_numpy(dtype=bool)
    if when == f.reference_date and f.public:
        on_map = indicator_values(indicator_table(src, f), key).set_index("district_id")["hidden"]
        out["hidden"] |= out["district_id"].map(on_map).astype("boolean").fillna(False).to_numpy(dtype=bool)
    out["value"] = pd.to_numeric(frame.loc[rows, key], errors="coerce").astype(float).mask(out["hidden"])
    return out.reset_index(drop=True)


def _city_value(src: Source, f: Filters, key: str, when: date) -> float:
    city = city_series(src, f)
    if city.empty or key not in city:
        return float("nan")
    rows = city[city["reference_date"] == pd.Timestamp(when)]
    return float(rows[key].iloc[0]) if len(rows) else float("nan")


# --- years side by side ---------------------------------------------------------------------------


def years_view(
    src: Source, f: Filters, key: str, dates: list[date], *, scheme: str = "quantiles", k: int = 5,
    colours: str = "Blues", compact: bool = False,
) -> ChartView | None:  # fmt: skip
    """Small multiples: one map per chosen Stichtag, all in the same classes. None without data."""
    dates = sorted(set(dates))
    return shared(src, ("atlas_years", repr(f), key, tuple(dates), scheme, k, colours, compact),
                  lambda: _years_view(src, f, key, dates, scheme, k, colours, compact))  # fmt: skip


def _years_view(
    src: Source, f: Filters, key: str, dates: list[date], scheme: str, k: int, colours: str, compact: bool
) -> ChartView | None:
    indicator = get(key)
    frames = [_at(src, f, key, d) for d in dates]
    if not dates or all(fr.empty for fr in frames):
        return None
    title = f"{indicator.label} nach {f.level}, {f.municipality}: {len(dates)} Stichtage"
    source = f"{source_line(f.source, None)} · Stichtage {', '.join(fmt_date(d) for d in dates)}{f.other_sources(dates)}"
    shapes = boundaries(src, f)
    if shapes is None:
        return ChartView(f"karte-jahre-{key}", title, None, pd.DataFrame(), [], source, withheld=NO_SHAPES)
    values = pd.concat([fr["value"] for fr in frames], ignore_index=True).dropna()
    neutral = neutral_value(indicator)
    breaks = class_breaks(values, scheme, k, neutral)
    lowest = lowest_bound(values, breaks, neutral) if len(breaks) else float("nan")
    figure = classed_maps(
        shapes, [(fmt_date(d), fr) for d, fr in zip(dates, frames, strict=True)], indicator, breaks, lowest,
        title=title, source=source, colours=DIVERGING_PALETTE if neutral is not None else colours,
        presentation=f.presentation, compact=compact,
    )  # fmt: skip
    unit = f" ({indicator.unit})"
    columns = {d: f"{indicator.label} {fmt_date(d)}{unit}" for d in dates}
    data, hidden = _wide(
        src, f, frames, [columns[d] for d in dates], [_city_value(src, f, key, d) for d in dates]
    )
    notes = [
        "Alle Karten haben dieselben Klassen: Gleiche Farbe heißt gleicher Wertebereich, in jedem Jahr.",
        f"{indicator.label} = {indicator.formula}.",
        *notes_for(hidden, f.threshold),
    ]
    summary = _years_summary(data, hidden, list(columns.values()), dates, indicator, f)
    return ChartView(f"karte-jahre-{key}", title, figure, data, notes, source, hidden, summary=summary)


def _wide(
    src: Source, f: Filters, frames: list[pd.DataFrame], headers: list[str], city: list[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """District, key, one column per frame (hidden cells empty), the municipality last; with its mask."""
    districts = src.reads.districts(f.municipality, f.level)[["district", "district_id"]]
    data = districts.rename(columns={"district": f.level, "district_id": "Schlüssel"}).reset_index(drop=True)
    hidden = pd.DataFrame(False, index=data.index, columns=data.columns)
    for header, frame in zip(headers, frames, strict=True):
        by_id = frame.set_index("district_id")
        data[header] = data["Schlüssel"].map(by_id["value"]).astype(float)
        hidden[header] = data["Schlüssel"].map(by_id["hidden"]).fillna(False).astype(bool)
        data[header] = data[header].mask(hidden[header])
    city_row_ = pd.DataFrame([[f.municipality, None, *city]], columns=data.columns)
    data = pd.concat([data, city_row_], ignore_index=True)
    hidden = pd.concat([hidden, pd.DataFrame(False, index=[0], columns=hidden.columns)], ignore_index=True)
    return data, hidden


def _years_summary(
    data: pd.DataFrame, hidden: pd.DataFrame, columns: list[str], dates: list[date], indicator: Indicator,
    f: Filters,
) -> list[str]:  # fmt: skip
    city = data.iloc[-1]
    parts = [
        f"{fmt_indicator(city[c], indicator)} am {fmt_date(d)}" for c, d in zip(columns, dates, strict=True)
    ]
    sentences = [f"{indicator.label} in {f.municipality}: " + ", ".join(parts) + "."]
    if len(columns) > 1:
        first, last = columns[0], columns[-1]
        rows = data.iloc[:-1]
        known = ~(hidden.iloc[:-1][first] | hidden.iloc[:-1][last])
        delta = (rows[last] - rows[first]).where(known).astype(float).dropna()
        if not delta.empty:
            up = delta.idxmax()
            sentences.append(
                f"Am stärksten gestiegen ist der Wert zwischen dem {fmt_date(dates[0])} und dem "
                f"{fmt_date(dates[-1])} in {rows.loc[up].iloc[0]} "
                f"({fmt_indicator(delta[up], change_indicator(indicator.key))})."
            )
    if hidden.to_numpy().any():
        sentences.append(f"Nicht ausgewiesene Werte ({SUPPRESSED}) sind grau und ohne Zahl.")
    return sentences


# --- change map -----------------------------------------------------------------------------------


def change_frame(src: Source, f: Filters, key: str, base: date) -> pd.DataFrame:
    """district_id, district, the share at `base` and at the chosen Stichtag with their hidden flags,
    value = the change in Pp., hidden where either share is hidden."""
    then, now = _at(src, f, key, base), _at(src, f, key, f.reference_date)
    both = now.merge(then, on=["district_id", "district"], how="left", suffixes=("_now", "_base"))
    both = both.rename(columns={"value_now": "share_now", "value_base": "share_base"})
    both["hidden_base"] = both["hidden_base"].astype("boolean").fillna(False).astype(bool)
    both["hidden"] = both["hidden_now"] | both["hidden_base"]
    both["value"] = (both["share_now"] - both["share_base"]).mask(both["hidden"])
    return both[["district_id", "district", "share_base", "hidden_base", "share_now", "hidden_now", "value",
                 "hidden"]]  # fmt: skip


def change_view(
    src: Source, f: Filters, key: str, base: date, *, scheme: str = "quantiles", k: int = 5,
    compact: bool = False,
) -> ChartView | None:  # fmt: skip
    """The change of a share between `base` and the chosen Stichtag in Pp., in classes symmetric
    around 0. None without data or with a base that is not earlier than the chosen Stichtag."""
    return shared(src, ("atlas_change", repr(f), key, base, scheme, k, compact),
                  lambda: _change_view(src, f, key, base, scheme, k, compact))  # fmt: skip


def _change_view(
    src: Source, f: Filters, key: str, base: date, scheme: str, k: int, compact: bool
) -> ChartView | None:
    share, indicator = get(key), change_indicator(key)
    if f.reference_date is None or base >= f.reference_date:  # a change against a later or the same day
        return None
    frame = change_frame(src, f, key, base)
    if frame.empty:
        return None
    span = f"{fmt_date(base)} bis {f.date_text}"
    title = f"{share.label}: Veränderung seit {fmt_date(base)} (Pp.)"
    source = _source(f)
    shapes = boundaries(src, f)
    if shapes is None:
        return ChartView(
            f"karte-veraenderung-{key}", title, None, pd.DataFrame(), [], source, withheld=NO_SHAPES
        )
    breaks = class_breaks(frame["value"], scheme, k, 0.0)
    lowest = lowest_bound(frame["value"], breaks, 0.0) if len(breaks) else float("nan")
    figure = classed_maps(
        shapes, [("", frame)], indicator, breaks, lowest, title=title, source=source,
        colours=DIVERGING_PALETTE, presentation=f.presentation, compact=compact,
    )  # fmt: skip
    headers = [f"{share.label} {fmt_date(base)} (%)", f"{share.label} {f.date_text} (%)",
               f"Veränderung {share.label} (Pp.)"]  # fmt: skip
    city = [_city_value(src, f, key, d) for d in (base, f.reference_date)]
    parts = [
        frame.assign(value=frame["share_base"], hidden=frame["hidden_base"]),
        frame.assign(value=frame["share_now"], hidden=frame["hidden_now"]),
        frame,
    ]
    data, hidden = _wide(src, f, parts, headers, [*city, city[1] - city[0]])
    notes = [
        f"Veränderung = {share.label} am {f.date_text} − {share.label} am {fmt_date(base)}, in "
        "Prozentpunkten (Pp.). Die Klassen liegen symmetrisch um 0.",
        f"Leer ({SUPPRESSED}): Der Anteil ist an einem der beiden Stichtage nicht ausgewiesen.",
        *notes_for(hidden, f.threshold),
    ]
    summary = _change_summary(frame, indicator, data.iloc[-1][headers[2]], span, f)
    return ChartView(f"karte-veraenderung-{key}", title, figure, data, notes, source, hidden, summary=summary)


def _change_summary(
    frame: pd.DataFrame, indicator: Indicator, city: float, span: str, f: Filters
) -> list[str]:
    known = frame.dropna(subset=["value"])
    sentences = [f"{indicator.label} {span} in {f.municipality}: {fmt_indicator(city, indicator)}"]
    if len(known) > 1:
        top, bottom = known.loc[known["value"].idxmax()], known.loc[known["value"].idxmin()]
        low = "am stärksten gesunken" if bottom["value"] < 0 else "am wenigsten gestiegen"
        sentences.append(
            f"Am stärksten gestiegen in {top['district']} ({fmt_indicator(top['value'], indicator)}), "
            f"{low} in {bottom['district']} ({fmt_indicator(bottom['value'], indicator)})."
        )
        rose = int((known["value"] > 0).sum())
        sentences.append(f"Gestiegen: {rose} der {len(known)} {plural(f.level)} mit Angabe.")
    return sentences


# --- the full table beside the map ----------------------------------------------------------------


@dataclass
class AtlasTable:
    """Every district with the indicator, its counts, rank and change, the municipality last.

    data: German headers, raw numbers, hidden cells empty; hidden: same shape; ids: the district key
    per row (None for the municipality); value: the indicator's column; change: its change column or
    None where the indicator has no time series or no earlier Stichtag exists."""

    data: pd.DataFrame
    hidden: pd.DataFrame
    ids: list[str | None]
    value: str
    change: str | None
    notes: list[str]

    @staticmethod
    def cell_text(column: str, value: object) -> str:
        """One cell as German text, as in every table under a chart."""
        return _cell_text(column, value)

    def districts(self, query: str = "") -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """The district rows (name or key containing `query`, any case), without the municipality and
        without columns that hold neither a value nor a hidden cell; with their mask and keys."""
        rows = np.array([i is not None for i in self.ids])
        wanted = query.strip().casefold()
        if wanted:
            found = (
                self.data.iloc[:, :2]
                .astype(str)
                .apply(lambda c: c.str.casefold().str.contains(wanted, regex=False))
            )
            rows &= found.any(axis=1).to_numpy()
        data, hidden = self.data[rows].reset_index(drop=True), self.hidden[rows].reset_index(drop=True)
        everywhere = self.data[[i is not None for i in self.ids]]
        keep = [c for c in data.columns if everywhere[c].notna().any() or self.hidden[c].any()]
        # as many decimals as the cell shows: the grid's screen-reader table reads the raw number
        data = data[keep].copy()
        for column in data.columns[2:]:
            data[column] = pd.to_numeric(data[column], errors="coerce").astype(float).round(_decimals(column))
        return data, hidden[keep], [i for i, r in zip(self.ids, rows, strict=True) if r]

    def city_line(self) -> str | None:
        """The municipality's row in words: "Köln insgesamt: Ausländeranteil 19,1 %, Veränderung …"."""
        rows = [n for n, i in enumerate(self.ids) if i is None]
        if not rows:
            return None
        row = self.data.iloc[rows[0]]
        parts = [f"{c.removesuffix(' (%)').removesuffix(' (Pp.)')} {self.cell_text(c, row[c])}"
                 for c in (self.value, self.change) if c is not None and pd.notna(row[c])]  # fmt: skip
        return f"{row.iloc[0]} insgesamt: " + ", ".join(parts) if parts else None

    def text(self) -> pd.DataFrame:
        """German text, hidden cells `•` (the map's text alternative)."""
        view = ChartView("tabelle", "", None, self.data, hidden=self.hidden)
        return view.text_table()


def _decimals(header: str) -> int:
    """The decimals a column shows at most as text (`ChartView.text_table`): quotients 2, else 1."""
    return 2 if "Quotient" in header else 1


def atlas_table(src: Source, f: Filters, key: str, base: date | None = None) -> AtlasTable | None:
    """The full table of one indicator at the chosen Stichtag; the change against `base` (else the
    previous Stichtag). Built once per database version and choice, for every session."""
    return shared(src, ("atlas_table", repr(f), key, base), lambda: _atlas_table(src, f, key, base))


def _atlas_table(src: Source, f: Filters, key: str, base: date | None) -> AtlasTable | None:
    table = indicator_table(src, f)
    if table.empty:
        return None
    city = city_row(src, f)
    values = indicator_values(table, key)
    data, hidden = _district_table(table, city, values["district_id"], key, f.level)
    value = data.columns[-1]
    n = len(values)
    shown = pd.to_numeric(data[value], errors="coerce").astype(float).mask(hidden[value])
    rank = shown.iloc[:n].rank(ascending=False, method="min")
    data.insert(len(data.columns), RANK, pd.concat([rank, pd.Series([np.nan] * (len(data) - n))],
                                                    ignore_index=True))  # fmt: skip
    hidden[RANK] = hidden[value]
    base = base or f.previous_date
    change = None
    if base is not None and key in year_keys(src, f) and f.reference_date is not None:
        moved = change_frame(src, f, key, base).set_index("district_id")
        change = f"Veränderung seit {fmt_date(base)} (Pp.)"
        ids = data["Schlüssel"].iloc[:n]
        data[change] = pd.concat([ids.map(moved["value"]), pd.Series([np.nan] * (len(data) - n))],
                                 ignore_index=True).astype(float)  # fmt: skip
        hidden[change] = pd.concat([ids.map(moved["hidden"]).fillna(False), pd.Series([False] * (len(data) - n))],
                                   ignore_index=True).astype(bool)  # fmt: skip
        if city is not None:
            data.loc[n:, change] = _city_value(src, f, key, f.reference_date) - _city_value(src, f, key, base)
        data[change] = data[change].mask(hidden[change])
    ids_ = [*data["Schlüssel"].iloc[:n].astype(str), *[None] * (len(data) - n)]
    notes = [f"Rang 1 = höchster Wert; nicht ausgewiesene Werte ({SUPPRESSED}) erhalten keinen Rang."]
    notes += notes_for(hidden, f.threshold)
    return AtlasTable(data, hidden, ids_, value, change, notes)
