"""Download buttons under a chart: the table behind it (CSV for German Excel, XLSX) and its image
(PNG and SVG, for the beamer and for print, A4).

Everything comes from the chart's `ChartView`, so a file holds exactly what the page shows. Images are
rendered only when a button is clicked (deferred `data` callable), so showing a page costs nothing.
"""

from __future__ import annotations

import logging

import streamlit as st

from charts.export import FORMATS, SIZES, file_name, render, slug
from charts.tables import csv_bytes, excel_bytes
from charts.view import ChartView
from settings import event

log = logging.getLogger("integrationsmonitor.events")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart_downloads(view: ChartView, key: str, images: bool = True) -> None:
    """The table as CSV and XLSX; with `images`, PNG/SVG × Beamer/A4 with title, source, Stichtag and
    notes baked in (images only in the public view: exports are always public)."""
    buttons = [(size, fmt) for size in SIZES.values() for fmt in FORMATS] if images else []
    has_table = not view.table.empty
    columns = st.columns(len(buttons) + 2 * has_table)
    stem = slug(view.title)
    if has_table:
        columns[0].download_button(
            "CSV", data=lambda: csv_bytes(view.table, view.notes), file_name=f"{stem}.csv",
            mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/table:",
            help="Die Zahlen der Grafik als Tabelle (Excel, deutsch)", width="stretch",
        )  # fmt: skip
        columns[1].download_button(
            "Excel", data=lambda: excel_bytes({"Daten": view.table}, view.notes, [view.title, view.source]),
            file_name=f"{stem}.xlsx",
            mime=XLSX, key=f"{key}-xlsx", on_click="ignore", icon=":material/table:",
            help="Die Zahlen der Grafik als Excel-Datei, mit Titel, Quelle und Stichtag", width="stretch",
        )  # fmt: skip
    for column, (size, fmt) in zip(columns[2 * has_table :], buttons, strict=True):
        column.download_button(
            f"{fmt.upper()} · {size.label.split(' (')[0]}",
            data=lambda size=size, fmt=fmt: _exported(
                render(view.figure, fmt, size, view.notes), view, fmt, size
            ),
            file_name=file_name(view.title, size, fmt),
            mime=FORMATS[fmt],
            key=f"{key}-{size.key}-{fmt}",
            on_click="ignore",
            icon=":material/download:",
            help=f"{size.label}, mit Titel, Quelle, Stichtag und Fußnoten",
            width="stretch",
        )


def _exported(image: bytes, view: ChartView, fmt: str, size) -> bytes:
    """The rendered image, after one log line that it was made (a reader's export: no user)."""
    event(log, logging.INFO, "export created", chart=view.title, format=fmt, size=size.key, bytes=len(image))
    return image
