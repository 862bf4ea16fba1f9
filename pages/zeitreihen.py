"""Zeitreihen / Vergleich: several Stadtteile over time, as shares or counts, optionally indexed."""

from datetime import date

import pandas as pd
import streamlit as st

from indicators.catalogue import get
from indicators.disclosure import SUPPRESSED
from pages.components.charts import time_series
from pages.components.formatting import fmt_date
from pages.components.profile_views import (
    KEY_SHARES,
    city_series,
    indexed,
    largest,
    line_frame,
    notes_for,
    series,
)
from pages.components.sentences import plural
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import NO_DATA, source_line
from pages.components.views import indicator_table

COUNT_KEYS = ("population", "foreigners", "migration_background")

page = page_setup("Zeitreihen / Vergleich")
f = page.filters
table = indicator_table(page.store, f)
if table.empty:
    st.warning(NO_DATA)
    st.stop()
district_ids = f.districts or largest(table, 5)

kind_col, key_col, index_col = page.controls.columns([2, 3, 3], vertical_alignment="bottom")
kind = kind_col.radio("Darstellung", ["Anteile", "Absolute Zahlen"], horizontal=True, key="series_kind")
keys = KEY_SHARES if kind == "Anteile" else COUNT_KEYS
key = key_col.selectbox("Kennzahl", keys, format_func=lambda k: get(k).label, key=f"series_key_{kind}")
shown_dates = [d for d in f.dates if f.reference_date is None or d <= f.reference_date]
dates = [d.isoformat() for d in shown_dates]
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

indicator = get(key)
# in the public view `series` protects every Stichtag on its own (hidden values missing, `hidden` set)
lines = line_frame(series(page.store, f), city_series(page.store, f), key, district_ids, f.municipality)
lines = lines[lines["reference_date"] <= pd.Timestamp(shown_dates[-1])]
with_city = kind == "Anteile" or base is not None
if not with_city:
    lines = lines[lines["district"] != f.municipality]
base_text = fmt_date(base) if base is not None else None
if base is not None:
    lines = indexed(lines, base)

chosen = "ausgewählte" if f.districts else f"die {len(district_ids)} größten"
title = f"{indicator.label}, {chosen} {plural(f.level)} – {f.municipality}"
if base_text:
    title += f" (Index {base_text} = 100)"
notes = [f"Gestrichelt: {f.municipality} insgesamt."] if with_city else []
if not with_city:
    notes.append("Die Gesamtstadt ist bei absoluten Zahlen ausgeblendet; indexiert wird sie mit angezeigt.")
if not f.districts:
    notes.append(
        f"Ohne Auswahl in der Seitenleiste zeigt die Grafik die {len(district_ids)} größten {plural(f.level)}."
    )
if len(shown_dates) < 2:
    notes.append(
        "Bis zum gewählten Stichtag liegt nur ein Stichtag vor: Eine Zeitreihe entsteht mit weiteren Stichtagen."
    )
elif shown_dates[-1] < f.dates[-1]:
    notes.append(f"Die Zeitreihe endet am gewählten Stichtag {f.date_text}.")
if lines["hidden"].any():
    gaps = lines.loc[lines["hidden"], "district"].astype(str).unique()
    notes.append(f"Lücken ({SUPPRESSED}) wegen kleiner Fallzahlen: {', '.join(gaps)}.")
    if base is not None:
        notes.append("Ist der Wert am Basis-Stichtag nicht ausgewiesen, entfällt die ganze Linie.")
    notes += notes_for(True, f.threshold)
figure = time_series(
    lines,
    indicator,
    title=title,
    source=f"{source_line(f.source, None)} · Stichtage {fmt_date(shown_dates[0])} bis {fmt_date(shown_dates[-1])}",
    reference=f.municipality if with_city else None,
    index_base=base_text,
    presentation=f.presentation,
)
show_charts(page, [Chart(title, figure, lines, notes)], key="zeitreihen")
