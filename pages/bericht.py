"""Sitzungsbericht: the key charts, a table per chart and the methodology as PowerPoint or PDF."""

import logging

import streamlit as st

from charts.report import build_report, write
from charts.sentences import markdown_safe
from indicators.disclosure import default_threshold
from indicators.report import SelectionError
from pages.components.setup import page_setup
from settings import event

MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}

page = page_setup("Sitzungsbericht")
f = page.filters
st.markdown(
    "Ein Bericht für die Vorlage: Karten bzw. Rangfolgen der Anteile, Zeitverlauf, Staatsangehörigkeiten, "
    "je Grafik eine Tabelle und die Hinweise zur Methodik. Es gelten der Stichtag und die Auswahl der "
    "Stadtteile in der Seitenleiste. Kleine Fallzahlen sind stets gesperrt (•)."
)
fmt = page.controls.radio(
    "Format", list(MIME), format_func={"pptx": "PowerPoint (PPTX)", "pdf": "PDF (A4 quer)"}.get,
    horizontal=True, key="report_format",
)  # fmt: skip
if f.reference_date is None:
    st.warning("Für diese Kommune sind keine Bevölkerungszahlen geladen.")
    st.stop()
wanted = (f.municipality, f.reference_date, tuple(f.districts), fmt)
if st.button("Bericht erzeugen", type="primary", icon=":material/description:", key="report_build"):
    with st.spinner("Grafiken werden gezeichnet …"):
        try:
            report = build_report(
                page.store, f.municipality, f.reference_date, f.districts, level=f.level, source=page.source
            )
        except (SelectionError, ValueError) as err:
            st.error(str(err))
            st.stop()
        built_file = write(report, fmt)
        event(
            logging.getLogger("integrationsmonitor.events"), logging.INFO, "report created",
            municipality=f.municipality, date=f.reference_date, districts=len(f.districts), format=fmt,
            bytes=len(built_file),
        )  # fmt: skip
        st.session_state["report_file"] = (wanted, built_file, report.subtitle, report.withheld)
built = st.session_state.get("report_file")
if built and built[0] == wanted:
    stamp = f.reference_date.isoformat()
    st.success(f"Bericht fertig: {built[2]}. Fallzahlen unter {default_threshold()} sind gesperrt.")
    for reason in built[3]:
        st.caption(markdown_safe(reason))
    st.download_button(
        f"{fmt.upper()} herunterladen",
        data=built[1],
        file_name=f"sitzungsbericht_{f.municipality}_{stamp}.{fmt}".replace(" ", "_"),
        mime=MIME[fmt],
        key="report_download",
        on_click="ignore",
        icon=":material/download:",
    )
