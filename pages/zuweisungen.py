"""Zuweisungen: allocations by period and country of origin, the children among them, and the quota."""

import streamlit as st

from charts.formatting import fmt_int, fmt_pct
from charts.refugee_views import allocations
from charts.sentences import markdown_safe
from charts.tables import csv_bytes
from pages.components.setup import data_grid, page_setup, say_missing, show_charts

page = page_setup("Zuweisungen", needs=None)
f = page.filters
left, right = page.controls.columns([2, 3])
units = {"year": "Jahre", "month": "Monate (letzte 3 Jahre)"}
by = left.radio("Zeiteinheit", list(units), format_func=units.get, horizontal=True, key="alloc_by")
n = right.slider("Herkunftsländer einzeln zeigen", 3, 10, 6, key="alloc_countries")
view = allocations(page.source, f, by, n)
if view is None:
    say_missing(page, "Zuweisungen bis zum gewählten Stichtag" if f.reference_date else "Zuweisungen")
if view.only_years:
    left.caption("Nur Jahreszahlen geladen; eine Aufteilung auf Monate ist nicht möglich.")

last = view.last
# on the beamer the key figures go below the chart: above it they push it off a 1024×768 screen
top = st.container()
show_charts(page, view.charts, key="zuweisungen")
cols = (st.container() if f.presentation else top).columns(4)
cols[0].metric(f"Zuweisungen {last['period']}", fmt_int(last["allocated_persons"]))
cols[1].metric("davon Kinder", fmt_int(last["allocated_minors"]))
cols[2].metric("Anteil Kinder", fmt_pct(last["allocated_minors_share_pct"]))
cols[3].metric("seit Beginn der Daten", fmt_int(last["allocated_persons_cumulative"]))

if not f.presentation:
    st.subheader(f"Zuweisungen {last['period']} nach Herkunftsland")
    data_grid(view.latest_view.text_table(), key="zuweisungen-tabelle", hide_index=True, width="stretch")
    st.caption("„–“: nicht bekannt. Kinder ohne Angabe zählen nicht als 0.")
    for note in view.notes:
        st.caption(markdown_safe(note))
    st.download_button(
        "Tabelle herunterladen (CSV)",
        csv_bytes(view.table, view.notes),
        file_name=f"zuweisungen_{f.municipality}_{view.by}.csv".replace(" ", "_"),
        mime="text/csv",
        key="alloc_download",
    )
