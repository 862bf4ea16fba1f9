"""The charts of the Zuweisungen and Unterbringung pages as descriptions (`ChartView`).

Allocations and occupancy are counts of a municipality's own lists; tables carry German headers from
the catalogue and raw numbers, so the downloads are files German Excel opens as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from charts.formatting import fmt_date, fmt_int, fmt_pct
from charts.refugee_figures import (
    METHOD_NOTE,
    allocations_by_country,
    facility_bars,
    facility_map,
    fehlbeleger_over_time,
    minors_chart,
    occupancy_over_time,
    projection_chart,
    projection_text,
    quota_chart,
)
from charts.tables import german_headers
from charts.texts import source_line
from charts.view import ChartView, Filters, Source
from geo.boundaries import from_wkb
from indicators.allocations import TOTAL, allocation_table, fulfilment, group_countries, yearly_only
from indicators.catalogue import OTHER_LABEL
from indicators.catalogue_refugees import ALLOCATIONS_SOURCE, OCCUPANCY_SOURCE, QUOTA_SOURCE
from indicators.occupancy import Projection, latest_date, occupancy_table, project_capacity

TOTAL_TEXT = "Gesamt"
#: the table of the latest period under the charts: short headers, as the council papers print them
LATEST_HEADERS = {
    "country": "Herkunftsland",
    "allocated_persons": "Personen",
    "allocated_minors": "davon Kinder",
    "allocated_minors_share_pct": "Anteil Kinder (%)",
    "allocated_persons_change": "Veränderung zum Vorjahreszeitraum",
}


def _german(frame: pd.DataFrame) -> pd.DataFrame:
    """German headers, the TOTAL marker as "Gesamt"."""
    out = frame.copy()
    for column in ("country", "facility"):
        if column in out:
            out[column] = out[column].replace({TOTAL: TOTAL_TEXT})
    return german_headers(out).reset_index(drop=True)


# --- Zuweisungen ----------------------------------------------------------------------------------


@dataclass
class Allocations:
    by: str  # "year" or "month"
    only_years: bool
    last: pd.Series  # the TOTAL row of the latest period
    latest: pd.DataFrame  # every country of the latest period (German headers, raw numbers)
    table: pd.DataFrame  # the whole allocation table (German headers, raw numbers)
    charts: list[ChartView] = field(default_factory=list)


def allocations(src: Source, f: Filters, by: str = "year", n: int = 6) -> Allocations | None:
    """Allocations by period and country, the children among them and the quota, up to the Stichtag."""
    rows = src.reads.table("allocations", f.municipality)
    if f.reference_date is not None:
        rows = rows[pd.to_datetime(rows["period_start"]) <= pd.Timestamp(f.reference_date)]
    if rows.empty:
        return None
    only_years = yearly_only(rows)
    by = "year" if only_years else by
    table = allocation_table(rows, by)
    if by == "month":
        table = table[table["period_start"] > table["period_start"].max() - pd.DateOffset(years=3)]
    total = table[table["country"] == TOTAL]
    periods = f"Zeitraum {total['period'].iloc[0]} bis {total['period'].iloc[-1]}"
    source = source_line(f.source if f.synthetic else ALLOCATIONS_SOURCE, None) + f" · {periods}"
    last = total.iloc[-1]
    grouped = group_countries(table, n=n, other_label=OTHER_LABEL)
    title = f"Zuweisungen nach Herkunftsland, {f.municipality}"
    figure = allocations_by_country(grouped, title=title, source=source, other_label=OTHER_LABEL,
                                    presentation=f.presentation)  # fmt: skip
    note = f"Die {n} Herkunftsländer mit den meisten Zuweisungen einzeln, die übrigen als „{OTHER_LABEL}“."
    columns = ["period", "country", "allocated_persons", "allocated_minors"]
    charts = [ChartView("zuweisungen-laender", title, figure, _german(grouped[columns]), [note], source)]
    title = f"Zugewiesene Personen und Kinder, {f.municipality}"
    figure = minors_chart(total, title=title, source=source, presentation=f.presentation)
    note = (
        "Kinder: Summe der bekannten Angaben; der Anteil bezieht sich auf die Personen, für die die "
        f"Kinderzahl bekannt ist ({fmt_int(last['minors_known_persons'])} von "
        f"{fmt_int(last['allocated_persons'])} Personen in {last['period']})."
    )
    columns = ["period", "allocated_persons", "allocated_minors", "minors_known_persons",
               "allocated_minors_share_pct"]  # fmt: skip
    charts.append(ChartView("zuweisungen-kinder", title, figure, _german(total[columns]), [note], source))
    quota = _quota_view(src, f)
    if quota is not None:
        charts.append(quota)
    latest = table[table["period"] == last["period"]][list(LATEST_HEADERS)]
    latest = latest.assign(country=latest["country"].replace({TOTAL: TOTAL_TEXT})).rename(columns=LATEST_HEADERS)
    return Allocations(by, only_years, last, latest.reset_index(drop=True), _german(table), charts)


def _quota_view(src: Source, f: Filters) -> ChartView | None:
    quotas = src.reads.table("quotas", f.municipality)
    if f.reference_date is not None:
        quotas = quotas[pd.to_datetime(quotas["reference_date"]) <= pd.Timestamp(f.reference_date)]
    if quotas.empty:
        return None
    quota = fulfilment(quotas)
    now = quota.iloc[-1]
    source = source_line(f.source if f.synthetic else QUOTA_SOURCE, fmt_date(now["reference_date"]))
    title = f"Erfüllungsquote der Aufnahmeverpflichtung, {f.municipality}"
    note = (
        f"Am {fmt_date(now['reference_date'])}: Soll {fmt_int(now['quota_target'])}, Ist "
        f"{fmt_int(now['quota_actual'])}, Erfüllungsquote {fmt_pct(now['fulfilment_rate_pct'])}"
        + (
            f"; bis 100 % sind noch {fmt_int(now['quota_outstanding'])} Zuweisungen zu erwarten."
            if now["quota_outstanding"]
            else "; das Soll ist erfüllt."
        )
    )
    figure = quota_chart(quota, title=title, source=source, presentation=f.presentation)
    return ChartView("zuweisungen-quote", title, figure, _german(quota), [note], source)


# --- Unterbringung --------------------------------------------------------------------------------


@dataclass
class Occupancy:
    when: pd.Timestamp  # the Stichtag of the occupancy figures (the last on or before the chosen one)
    now: pd.Series  # the TOTAL row at `when`
    projection: Projection
    history: pd.DataFrame  # every facility and Stichtag up to `when` (German headers, raw numbers)
    charts: list[ChartView] = field(default_factory=list)


def occupancy(src: Source, f: Filters) -> Occupancy | None:
    """Places, occupancy and Fehlbeleger per facility, free places and when they run out; for a
    selection only the facilities in the chosen districts (or in the Stadtbezirk chosen)."""
    rows = src.reads.table("occupancy", f.municipality)
    facilities = src.reads.table("facilities", f.municipality)
    if f.districts:
        districts = src.reads.districts(f.municipality, None)
        parents = dict(zip(districts["district_id"], districts["parent_id"], strict=True))
        inside = facilities["district_id"].isin(f.districts) | facilities["district_id"].map(parents).isin(
            f.districts
        )
        rows = rows[rows["facility"].isin(facilities.loc[inside, "facility"])]
    table = occupancy_table(rows)
    when = latest_date(table, f.reference_date) if not table.empty else None
    if when is None:
        return None
    history = table[table["reference_date"] <= when]
    state = history[history["reference_date"] == when]
    projection = project_capacity(history)
    source = source_line(f.source if f.synthetic else OCCUPANCY_SOURCE, fmt_date(when))
    place = f"{f.municipality}" + (" (ausgewählte Stadtteile)" if f.districts else "")
    kw = {"source": source, "presentation": f.presentation}
    title = f"Belegung der Unterkünfte und Plätze, {place}"
    totals = history[history["facility"] == TOTAL]
    columns = ["reference_date", "capacity", "occupants", "occupancy_rate_pct", "free_places"]
    charts = [ChartView("belegung", title, occupancy_over_time(history, title=title, **kw),
                        _german(totals[columns]), [], source)]  # fmt: skip
    title = f"Belegungsquote je Unterkunft am {fmt_date(when)}, {place}"
    columns = ["facility", "capacity", "occupants", "occupancy_rate_pct", "free_places"]
    charts.append(ChartView("belegung-unterkuenfte", title, facility_bars(state, title=title, **kw),
                            _german(state[columns]), ["Rot: mehr Personen als Plätze (Verdichtung)."], source))  # fmt: skip
    if history["fehlbeleger"].notna().any():
        title = f"Anteil der Fehlbeleger an den Untergebrachten, {place}"
        columns = ["reference_date", "occupants", "fehlbeleger", "fehlbeleger_share_pct"]
        charts.append(ChartView("fehlbeleger", title, fehlbeleger_over_time(history, title=title, **kw),
                                _german(totals[columns]), [], source))  # fmt: skip
    if projection.status != "too_few":
        title = f"Freie Plätze: Vorausschätzung, {place}"
        figure = projection_chart(history, projection, title=title, **kw)
        columns = ["reference_date", "capacity", "occupants", "free_places"]
        charts.append(ChartView("vorausschaetzung", title, figure, _german(totals[columns]),
                                [projection_text(projection), METHOD_NOTE], source))  # fmt: skip
    located = facilities.dropna(subset=["district_id"])
    shapes = src.reads.boundaries(f.municipality, "Stadtteil")
    if not located.empty and not shapes.empty:
        title = f"Unterkünfte nach Stadtteil, {place}"
        on_map = state.merge(located[["facility", "district_id"]], on="facility")
        columns = ["facility", "district_id", "capacity", "occupants", "occupancy_rate_pct"]
        charts.append(ChartView(
            "unterkuenfte-karte", title, facility_map(from_wkb(shapes), on_map, title=title, **kw),
            _german(on_map[columns]), ["Die Punkte stehen in der Mitte des Stadtteils, nicht an der Adresse der Unterkunft."],
            source,
        ))  # fmt: skip
    return Occupancy(when, state[state["facility"] == TOTAL].iloc[0], projection, _german(history), charts)
