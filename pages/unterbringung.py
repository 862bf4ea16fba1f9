"""Unterbringung: places, occupancy and Fehlbeleger per facility, free places and when they run out."""

import streamlit as st

from charts.formatting import fmt_date, fmt_int, fmt_pct
from charts.refugee_figures import METHOD_NOTE, projection_text
from charts.refugee_views import occupancy
from charts.sentences import markdown_safe, plural
from charts.tables import csv_bytes
from pages.components.setup import page_setup, say_missing, show_charts

page = page_setup("Unterbringung", needs=None)
f = page.filters
view = occupancy(page.source, f)
if view is None:
    where = f" in den gewählten {plural(f.level)}n" if f.districts else ""
    say_missing(page, f"Belegungszahlen{where}" + (" bis zum gewählten Stichtag" if f.reference_date else ""))
if f.reference_date is not None and view.when.date() != f.reference_date:
    st.caption(f"Stand der Belegung: {fmt_date(view.when)} (letzter Stichtag vor dem {f.date_text}).")

now = view.now
# on the beamer the key figures go below the chart: above it they push it off a 1024×768 screen
top = st.container()
show_charts(page, view.charts, key="unterbringung")
cols = (st.container() if f.presentation else top).columns(4)
cols[0].metric("Plätze", fmt_int(now["capacity"]))
cols[1].metric(
    "belegt", fmt_int(now["occupants"]), help=f"Belegungsquote {fmt_pct(now['occupancy_rate_pct'])}"
)
cols[2].metric("frei", fmt_int(now["free_places"]))
cols[3].metric(
    "Fehlbeleger", fmt_int(now["fehlbeleger"]), help=f"Anteil {fmt_pct(now['fehlbeleger_share_pct'])}"
)
if not f.presentation:
    if view.projection.status == "too_few":
        st.markdown(f"**Vorausschätzung:** {projection_text(view.projection)}")
        st.caption(METHOD_NOTE)
    for note in view.notes:
        st.caption(markdown_safe(note))
    st.download_button(
        "Tabelle herunterladen (CSV)",
        csv_bytes(view.history, view.notes),
        file_name=f"unterbringung_{f.municipality}.csv".replace(" ", "_"),
        mime="text/csv",
        key="occ_download",
    )
