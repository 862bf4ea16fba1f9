"""Daten: the tables behind the charts, filtered like the charts, to read and to download."""

import pandas as pd
import streamlit as st

from pages.components.formatting import fmt_date
from pages.components.profile_views import (
    city_series,
    csv_bytes,
    detail,
    excel_bytes,
    formatted,
    german_headers,
    nationality_table,
    series,
    text_filter,
    tidy,
)
from pages.components.setup import page_setup
from pages.components.texts import NO_DATA, source_line
from pages.components.views import city_row, indicator_table

page = page_setup("Daten")
f = page.filters
table = indicator_table(page.store, f)
if table.empty:
    st.warning(NO_DATA)
    st.stop()
search = page.controls.text_input(
    "Textfilter", key="data_filter", placeholder="z. B. Namen eines Stadtteils oder einer Staatsangehörigkeit"
)
names = dict(zip(table["district_id"], table["district"], strict=True))
chosen = f.districts or list(names)

city = city_row(page.store, f)
stichtag = table[table["district_id"].isin(chosen)]
if city is not None:
    stichtag = pd.concat([stichtag, city.to_frame().T[[c for c in stichtag.columns if c in city]]])
stichtag = stichtag.assign(reference_date=pd.Timestamp(f.reference_date))
over_time = series(page.store, f)
over_time = pd.concat([over_time[over_time["district_id"].isin(chosen)], city_series(page.store, f)])
over_time = over_time[over_time["reference_date"] <= pd.Timestamp(f.reference_date)]
nations = nationality_table(detail(page.store, f), names)
nations = nations[nations["district_id"].isin(chosen)]

tables = {
    f"Kennzahlen {f.date_text}": (stichtag, ["district"]),
    "Zeitreihen": (over_time, ["district"]),
    "Staatsangehörigkeiten": (nations, ["district", "nationality"]),
}
slug = f"{f.municipality}_{f.reference_date.isoformat() if f.reference_date else ''}".replace(" ", "_")
excel_sheets = {}
for (name, (frame, columns)), tab in zip(tables.items(), st.tabs(list(tables)), strict=True):
    frame = tidy(text_filter(frame, search, columns))
    raw = german_headers(frame, f.level)
    excel_sheets[name] = raw
    with tab:
        if frame.empty:
            st.info(
                "Keine Zahlen nach Staatsangehörigkeit geladen."
                if name == "Staatsangehörigkeiten" and nations.empty
                else "Keine Zeilen für diesen Filter."
            )
            continue
        st.caption(f"{len(frame)} Zeilen · {source_line(f.source, f.date_text)}")
        st.dataframe(
            german_headers(formatted(frame), f.level), hide_index=True, width="stretch", key=f"data-{name}"
        )
        st.download_button(
            "CSV herunterladen (Excel, deutsch)",
            csv_bytes(raw),
            file_name=f"{slug}_{name.split()[0].lower()}.csv",
            mime="text/csv",
            key=f"csv-{name}",
            icon=":material/download:",
        )
st.download_button(
    "Alle Tabellen als Excel-Datei (.xlsx)",
    excel_bytes(excel_sheets),
    file_name=f"{slug}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
    icon=":material/table:",
)
st.caption(
    "Die Downloads enthalten die ungerundeten Zahlen; Anteile in Prozent, Veränderungen in Prozentpunkten. "
    f"Stichtag der Auswahl: {fmt_date(f.reference_date)}."
)
