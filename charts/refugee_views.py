"""The charts of the Zuweisungen and Unterbringung pages as descriptions (`ChartView`).

Allocations and occupancy are counts of a municipality's own lists; tables carry German headers from
the catalogue and raw numbers, so the downloads are files German Excel opens as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from charts.formatting import fmt_date, fmt_int, fmt_pct
from charts.protect import notes_for, public_allocations, public_occupancy
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
from charts.summaries import (
    allocations_summary,
    countries_summary,
    facilities_summary,
    facility_map_summary,
    fehlbeleger_summary,
    free_places_summary,
    occupancy_summary,
    quota_summary,
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


def _view(
    key: str, title: str, figure, frame: pd.DataFrame, hidden: pd.DataFrame, notes: list[str], source: str,
    f: Filters, summary: Callable[[pd.DataFrame, pd.DataFrame], list[str]],
) -> ChartView:  # fmt: skip
    """A view of `frame` (internal names) with the hidden cells of the same rows and columns, the
    footnote where any is hidden and the sentences `summary` makes of the view's own table."""
    mask = hidden.loc[frame.index, frame.columns]
    table, mask = _german(frame), german_headers(mask).reset_index(drop=True)
    return ChartView(key, title, figure, table, notes + notes_for(mask, f.threshold), source, mask,
                     summary=summary(table, mask))  # fmt: skip


def _residual_note(f: Filters, what: str) -> list[str]:
    return [
        f"{what} mit weniger als {f.threshold} Personen sind unter „{OTHER_LABEL}“ zusammengefasst "
        f"(dort mindestens {f.threshold} Personen)."
    ]


# --- Zuweisungen ----------------------------------------------------------------------------------


@dataclass
class Allocations:
    by: str  # "year" or "month"
    only_years: bool
    last: pd.Series  # the TOTAL row of the latest period
    latest: pd.DataFrame  # every country of the latest period (German headers, raw numbers; hidden empty)
    table: pd.DataFrame  # the whole allocation table (German headers, raw numbers; hidden empty)
    charts: list[ChartView] = field(default_factory=list)
    latest_hidden: pd.DataFrame | None = None  # True where a cell of `latest` is hidden from readers
    notes: list[str] = field(default_factory=list)  # for `latest` and `table`: the footnotes

    @property
    def latest_view(self) -> ChartView:
        """`latest` as a table to read: hidden cells `•` (`ChartView.text_table`)."""
        return ChartView(
            "zuweisungen-letzter-zeitraum", "", None, self.latest, self.notes, "", self.latest_hidden
        )


def allocations(src: Source, f: Filters, by: str = "year", n: int = 6) -> Allocations | None:
    """Allocations by period and country, the children among them and the quota, up to the Stichtag.
    For readers countries of fewer than `threshold` persons are one group and small numbers of
    children hidden (`charts.protect.public_allocations`); the period totals are published."""
    rows = src.reads.table("allocations", f.municipality)
    rows = _until(rows, "period_start", f)
    if rows.empty:
        return None
    only_years = yearly_only(rows)
    by = "year" if only_years else by
    table = allocation_table(rows, by)
    if by == "month":
        table = table[table["period_start"] > table["period_start"].max() - pd.DateOffset(years=3)]
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    if f.public:
        table, hidden = public_allocations(table, f.threshold, TOTAL, OTHER_LABEL)
    residual = _residual_note(f, "Herkunftsländer") if (table["country"] == OTHER_LABEL).any() else []
    total = table[table["country"] == TOTAL]
    periods = f"Zeitraum {total['period'].iloc[0]} bis {total['period'].iloc[-1]}"
    source = source_line(f.source if f.synthetic else ALLOCATIONS_SOURCE, None) + f" · {periods}"
    last = total.iloc[-1]
    grouped, grouped_hidden = _by_country(table, hidden, n)
    title = f"Zuweisungen nach Herkunftsland, {f.municipality}"
    figure = allocations_by_country(grouped, title=title, source=source, other_label=OTHER_LABEL,
                                    presentation=f.presentation)  # fmt: skip
    note = f"Die {n} Herkunftsländer mit den meisten Zuweisungen einzeln, die übrigen als „{OTHER_LABEL}“."
    columns = ["period", "country", "allocated_persons", "allocated_minors"]
    charts = [_view("zuweisungen-laender", title, figure, grouped[columns], grouped_hidden, [note, *residual],
                    source, f, countries_summary)]  # fmt: skip
    title = f"Zugewiesene Personen und Kinder, {f.municipality}"
    figure = minors_chart(total, title=title, source=source, presentation=f.presentation)
    note = (
        "Kinder: Summe der bekannten Angaben; der Anteil bezieht sich auf die Personen, für die die "
        f"Kinderzahl bekannt ist ({fmt_int(last['minors_known_persons'])} von "
        f"{fmt_int(last['allocated_persons'])} Personen in {last['period']})."
    )
    columns = ["period", "allocated_persons", "allocated_minors", "minors_known_persons",
               "allocated_minors_share_pct"]  # fmt: skip
    charts.append(_view("zuweisungen-kinder", title, figure, total[columns], hidden, [note], source, f,
                        allocations_summary))  # fmt: skip
    quota = _quota_view(src, f)
    if quota is not None:
        charts.append(quota)
    latest = table[table["period"] == last["period"]][list(LATEST_HEADERS)]
    latest_hidden = hidden.loc[latest.index, list(LATEST_HEADERS)].rename(columns=LATEST_HEADERS)
    latest = latest.assign(country=latest["country"].replace({TOTAL: TOTAL_TEXT})).rename(
        columns=LATEST_HEADERS
    )
    notes = residual + notes_for(hidden, f.threshold)
    return Allocations(by, only_years, last, latest.reset_index(drop=True), _german(table), charts,
                       latest_hidden.reset_index(drop=True), notes)  # fmt: skip


def _by_country(table: pd.DataFrame, hidden: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`group_countries` of the (public) table — the n largest countries named, the residual among the
    rest in "Übrige" — and its hidden cells: a named country's children as
    hidden as in the table; the children of "Übrige" hidden in a period where any country's are (the
    bars would give them away)."""
    countries = table[(table["country"] != TOTAL) & (table["country"] != OTHER_LABEL)]
    largest = (
        countries.groupby("country")["allocated_persons"].sum().sort_values(ascending=False, kind="stable")
    )
    named = list(largest.index[:n]) if len(largest) > n + 1 else list(largest.index)
    relabelled = table.assign(
        country=table["country"].where(table["country"].isin([*named, TOTAL]), OTHER_LABEL)
    )
    grouped = group_countries(relabelled, n=len(named) + 1, other_label=OTHER_LABEL)
    flags = hidden.assign(period=table["period"], country=table["country"])
    by_row = flags.set_index(["period", "country"])["allocated_minors"]
    by_period = flags.groupby("period")["allocated_minors"].any()
    minors = [
        bool(by_period.get(p, False)) if c == OTHER_LABEL else bool(by_row.get((p, c), False))
        for p, c in zip(grouped["period"], grouped["country"], strict=True)
    ]
    grouped["allocated_minors"] = (
        grouped["allocated_minors"].astype("Int64").mask(pd.Series(minors, index=grouped.index))
    )
    mask = pd.DataFrame(False, index=grouped.index, columns=grouped.columns).assign(allocated_minors=minors)
    return grouped, mask


def _until(frame: pd.DataFrame, column: str, f: Filters) -> pd.DataFrame:
    """The rows dated (by `column`) up to the chosen Stichtag; all of them without one."""
    if f.reference_date is None:
        return frame
    return frame[pd.to_datetime(frame[column]) <= pd.Timestamp(f.reference_date)]


def _quota_view(src: Source, f: Filters) -> ChartView | None:
    quotas = src.reads.table("quotas", f.municipality)
    quotas = _until(quotas, "reference_date", f)
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
    table = _german(quota)
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    return ChartView("zuweisungen-quote", title, figure, table, [note], source, hidden,
                     summary=quota_summary(table, hidden))  # fmt: skip


# --- Unterbringung --------------------------------------------------------------------------------


@dataclass
class Occupancy:
    when: pd.Timestamp  # the Stichtag of the occupancy figures (the last on or before the chosen one)
    now: pd.Series  # the TOTAL row at `when`
    projection: Projection
    history: (
        pd.DataFrame
    )  # every facility and Stichtag up to `when` (German headers, raw numbers; hidden empty)
    charts: list[ChartView] = field(default_factory=list)
    history_hidden: pd.DataFrame | None = None  # True where a cell of `history` is hidden from readers
    notes: list[str] = field(default_factory=list)  # for `history`: the footnote where anything is hidden


def occupancy(src: Source, f: Filters) -> Occupancy | None:
    """Places, occupancy and Fehlbeleger per facility, free places and when they run out; for a
    selection only the facilities in the chosen districts (or in the Stadtbezirk chosen). For readers
    a facility's small numbers of occupants or Fehlbeleger are hidden (`public_occupancy`); the totals
    of the municipality (or the selection) are published."""
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
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    if f.public:
        table, hidden = public_occupancy(table, f.threshold, TOTAL)
    history = table[table["reference_date"] <= when]
    state = history[history["reference_date"] == when]
    projection = project_capacity(history)
    source = source_line(f.source if f.synthetic else OCCUPANCY_SOURCE, fmt_date(when))
    place = f"{f.municipality}" + (" (ausgewählte Stadtteile)" if f.districts else "")
    kw = {"source": source, "presentation": f.presentation}
    title = f"Belegung der Unterkünfte und Plätze, {place}"
    totals = history[history["facility"] == TOTAL]
    columns = ["reference_date", "capacity", "occupants", "occupancy_rate_pct", "free_places"]
    charts = [_view("belegung", title, occupancy_over_time(history, title=title, **kw), totals[columns], hidden,
                    [], source, f, occupancy_summary)]  # fmt: skip
    title = f"Belegungsquote je Unterkunft am {fmt_date(when)}, {place}"
    columns = ["facility", "capacity", "occupants", "occupancy_rate_pct", "free_places"]
    charts.append(_view("belegung-unterkuenfte", title, facility_bars(state, title=title, **kw), state[columns],
                        hidden, ["Rot: mehr Personen als Plätze (Verdichtung)."], source, f, facilities_summary))  # fmt: skip
    if history["fehlbeleger"].notna().any():
        title = f"Anteil der Fehlbeleger an den Untergebrachten, {place}"
        columns = ["reference_date", "occupants", "fehlbeleger", "fehlbeleger_share_pct"]
        charts.append(_view("fehlbeleger", title, fehlbeleger_over_time(history, title=title, **kw),
                            totals[columns], hidden, [], source, f, fehlbeleger_summary))  # fmt: skip
    if projection.status != "too_few":
        title = f"Freie Plätze: Vorausschätzung, {place}"
        figure = projection_chart(history, projection, title=title, **kw)
        columns = ["reference_date", "capacity", "occupants", "free_places"]
        charts.append(_view("vorausschaetzung", title, figure, totals[columns], hidden,
                            [projection_text(projection), METHOD_NOTE], source, f, free_places_summary))  # fmt: skip
    located = facilities.dropna(subset=["district_id"])
    shapes = src.reads.boundaries(f.municipality, "Stadtteil")
    if not located.empty and not shapes.empty:
        title = f"Unterkünfte nach Stadtteil, {place}"
        on_map = (
            state.reset_index().merge(located[["facility", "district_id"]], on="facility").set_index("index")
        )
        columns = ["facility", "district_id", "capacity", "occupants", "occupancy_rate_pct"]
        mask = hidden.assign(district_id=False)
        charts.append(_view(
            "unterkuenfte-karte", title, facility_map(from_wkb(shapes), on_map, title=title, **kw), on_map[columns],
            mask, ["Die Punkte stehen in der Mitte des Stadtteils, nicht an der Adresse der Unterkunft."], source, f,
            facility_map_summary,
        ))  # fmt: skip
    history_hidden = german_headers(hidden.loc[history.index]).reset_index(drop=True)
    return Occupancy(when, state[state["facility"] == TOTAL].iloc[0], projection, _german(history), charts,
                     history_hidden, notes_for(history_hidden, f.threshold))  # fmt: skip
