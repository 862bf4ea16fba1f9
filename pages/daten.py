"""Daten: the tables behind the charts, filtered like the charts, to read and to download."""

import streamlit as st

from charts.data_views import data_tables, table_view
from charts.formatting import fmt_date
from charts.tables import csv_bytes, excel_bytes
from charts.texts import NO_DATA, source_line
from data.errors import rows_text
from indicators.disclosure import SUPPRESSED
from pages.components.setup import data_grid, page_setup

page = page_setup("Daten")
f = page.filters
tables = data_tables(page.source, f)  # in the public view: hidden cells missing, marked
if not tables:
    st.warning(NO_DATA)
    st.stop()
search = page.controls.text_input(
    "Textfilter",
    key="data_filter",
    placeholder=f"z. B. Namen eines {f.level}s oder einer Staatsangehörigkeit",
)
slug = f"{f.municipality}_{f.reference_date.isoformat() if f.reference_date else ''}".replace(" ", "_")
excel_sheets, excel_notes = {}, []
for data, tab in zip(tables, st.tabs([t.name for t in tables]), strict=True):
    view = table_view(data, search, f)
    excel_sheets[view.name] = view.download
    excel_notes = excel_notes or view.notes
    with tab:
        if view.display.empty:
            st.info(
                "Keine Zahlen nach Staatsangehörigkeit geladen."
                if view.name == "Staatsangehörigkeiten" and data.frame.empty
                else "Keine Zeilen für diesen Filter."
            )
            continue
        rows = len(view.display)
        st.caption(f"{rows_text(rows)} · {source_line(f.source_at(f.reference_date), f.date_text)}")
        data_grid(view.display, hide_index=True, width="stretch", key=f"data-{view.name}")
        for note in view.notes:
            st.caption(note)
        st.download_button(
            "CSV herunterladen (Excel, deutsch)",
            csv_bytes(view.download, view.notes),
            file_name=f"{slug}_{view.name.split()[0].lower()}.csv",
            mime="text/csv",
            key=f"csv-{view.name}",
            icon=":material/download:",
        )
st.download_button(
    "Alle Tabellen als Excel-Datei (.xlsx)",
    excel_bytes(excel_sheets, excel_notes),
    file_name=f"{slug}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
    icon=":material/table:",
)
st.caption(
    "Die Downloads enthalten die ungerundeten Zahlen; Anteile in Prozent, Veränderungen in Prozentpunkten. "
    f"Stichtag der Auswahl: {fmt_date(f.reference_date)}."
    + (
        f" Nicht ausgewiesene Werte ({SUPPRESSED}) bleiben in den Dateien leer; die Fußnote steht am Ende "
        "der CSV-Datei bzw. im Blatt „Hinweise“."
        if excel_notes
        else ""
    )
)
