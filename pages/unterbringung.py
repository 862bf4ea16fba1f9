"""Unterbringung: places, occupancy and Fehlbeleger per facility, free places and when they run out."""

import streamlit as st

from geo.boundaries import from_wkb
from indicators.catalogue_refugees import OCCUPANCY_SOURCE
from indicators.occupancy import TOTAL, latest_date, occupancy_table, project_capacity
from pages.components.access import load
from pages.components.formatting import fmt_date, fmt_int, fmt_pct
from pages.components.refugee_figures import (
    METHOD_NOTE,
    facility_bars,
    facility_map,
    fehlbeleger_over_time,
    occupancy_over_time,
    projection_chart,
    projection_text,
)
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import source_line

page = page_setup("Unterbringung")
f = page.filters
rows = load(page.store, "table", "occupancy", f.municipality)
facilities = load(page.store, "table", "facilities", f.municipality)
if f.districts:  # a facility counts for the selected district, or for the Stadtbezirk it lies in
    districts = load(page.store, "districts", f.municipality, None)
    parents = dict(zip(districts["district_id"], districts["parent_id"], strict=True))
    chosen = facilities[
        facilities["district_id"].isin(f.districts) | facilities["district_id"].map(parents).isin(f.districts)
    ]
    rows = rows[rows["facility"].isin(chosen["facility"])]
table = occupancy_table(rows)
when = latest_date(table, f.reference_date) if not table.empty else None
if when is None:
    where = " in den gewählten Stadtteilen" if f.districts else ""
    st.info(
        f"Für {f.municipality}{where} liegen bis zum gewählten Stichtag keine Belegungszahlen vor. Sie "
        "lassen sich mit `python -m data import occupancy DATEI --municipality NAME` laden."
    )
    st.stop()

history = table[table["reference_date"] <= when]
state = history[history["reference_date"] == when]
now = state[state["facility"] == TOTAL].iloc[0]
source = source_line(f.source if f.synthetic else OCCUPANCY_SOURCE, fmt_date(when))
if f.reference_date is not None and when.date() != f.reference_date:
    st.caption(f"Stand der Belegung: {fmt_date(when)} (letzter Stichtag vor dem {f.date_text}).")

cols = st.columns(4)
cols[0].metric("Plätze", fmt_int(now["capacity"]))
cols[1].metric(
    "belegt", fmt_int(now["occupants"]), help=f"Belegungsquote {fmt_pct(now['occupancy_rate_pct'])}"
)
cols[2].metric("frei", fmt_int(now["free_places"]))
cols[3].metric(
    "Fehlbeleger", fmt_int(now["fehlbeleger"]), help=f"Anteil {fmt_pct(now['fehlbeleger_share_pct'])}"
)

projection = project_capacity(history)
place = f"{f.municipality}" + (" (ausgewählte Stadtteile)" if f.districts else "")
titles = {
    "time": f"Belegung der Unterkünfte und Plätze, {place}",
    "bars": f"Belegungsquote je Unterkunft am {fmt_date(when)}, {place}",
    "fehl": f"Anteil der Fehlbeleger an den Untergebrachten, {place}",
    "proj": f"Freie Plätze: Vorausschätzung, {place}",
    "map": f"Unterkünfte nach Stadtteil, {place}",
}
kw = {"source": source, "presentation": f.presentation}
charts = [
    Chart(titles["time"], occupancy_over_time(history, title=titles["time"], **kw), history),
    Chart(titles["bars"], facility_bars(state, title=titles["bars"], **kw), state,
          ["Rot: mehr Personen als Plätze (Verdichtung)."]),
]  # fmt: skip
if history["fehlbeleger"].notna().any():
    charts.append(Chart(titles["fehl"], fehlbeleger_over_time(history, title=titles["fehl"], **kw), history))
if projection.status != "too_few":
    figure = projection_chart(history, projection, title=titles["proj"], **kw)
    charts.append(Chart(titles["proj"], figure, None, [projection_text(projection), METHOD_NOTE]))

located = facilities.dropna(subset=["district_id"])
shapes = load(page.store, "boundaries", f.municipality, "Stadtteil")
if not located.empty and not shapes.empty:
    on_map = state.merge(located[["facility", "district_id"]], on="facility")
    charts.append(
        Chart(titles["map"], facility_map(from_wkb(shapes), on_map, title=titles["map"], **kw), on_map,
              ["Die Punkte stehen in der Mitte des Stadtteils, nicht an der Adresse der Unterkunft."])
    )  # fmt: skip

show_charts(page, charts, key="unterbringung")
if not f.presentation:
    if projection.status == "too_few":
        st.markdown(f"**Vorausschätzung:** {projection_text(projection)}")
        st.caption(METHOD_NOTE)
    st.download_button(
        "Tabelle herunterladen (CSV)",
        history.to_csv(index=False).encode("utf-8"),
        file_name=f"unterbringung_{f.municipality}.csv",
        mime="text/csv",
        key="occ_download",
    )
