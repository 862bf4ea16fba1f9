"""Zeitreihen / Vergleich: several Stadtteile over time, as shares or counts, optionally indexed."""

from datetime import date

import streamlit as st

from charts.definitions import SHARE_KEYS, note_for, offered_keys
from charts.formatting import fmt_date
from charts.population_views import COUNT_KEYS, time_series
from charts.reads import own_catalogue
from charts.texts import NO_DATA
from indicators.catalogue import PERCENT, PERSONS, get
from pages.components.setup import page_setup, show_charts
from pages.components.state import keep_option

page = page_setup("Zeitreihen / Vergleich")
f = page.filters
kind_col, key_col, index_col = page.controls.columns([2, 3, 3], vertical_alignment="bottom")
kind = kind_col.radio("Darstellung", ["Anteile", "Absolute Zahlen"], horizontal=True, key="series_kind")
own = own_catalogue(page.source, f)  # the municipality's own indicators: shares and counts
keys = [*offered_keys(page.source, f, SHARE_KEYS), *(i.key for i in own if i.unit == PERCENT)] \
    if kind == "Anteile" else \
    [*offered_keys(page.source, f, COUNT_KEYS), *(i.key for i in own if i.unit == PERSONS)]  # fmt: skip
keep_option(f"series_key_{kind}", keys)
key = key_col.selectbox("Kennzahl", keys, format_func=lambda k: get(k).label, key=f"series_key_{kind}")
if origin_note := note_for(page.source, f):
    page.controls.caption(origin_note)
dates = [d.isoformat() for d in f.dates if f.reference_date is None or d <= f.reference_date]
use_index = index_col.toggle(
    "Indexiert (Basis-Stichtag = 100)", key="series_indexed", disabled=len(dates) < 2
)
base = None
if use_index and len(dates) > 1:
    base = date.fromisoformat(
        page.controls.select_slider(
            "Basis-Stichtag",
            dates,
            value=dates[0],
            format_func=lambda d: fmt_date(date.fromisoformat(d)),
            key="series_base",
        )
    )

view = time_series(page.source, f, key, base=base, with_city=kind == "Anteile", compact=page.compact)
if view is None:
    st.warning(NO_DATA)
    st.stop()
show_charts(page, [view], key="zeitreihen")
