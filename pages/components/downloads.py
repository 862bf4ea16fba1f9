"""Download buttons under a chart: PNG and SVG, for the beamer and for print (A4).

The images are rendered only when a button is clicked (deferred `data` callable), so showing a page
costs nothing. Call it from `setup.show_charts` for every chart; the chart's figure must have been
built from public data (see `indicators.disclosure`), because exports always are public.
"""

from __future__ import annotations

import streamlit as st

from pages.components.export import FORMATS, SIZES, file_name, render
from pages.components.setup import Chart


def chart_downloads(chart: Chart, key: str) -> None:
    """Four buttons in a row: PNG/SVG × Beamer/A4, with title, source, Stichtag and notes baked in."""
    columns = st.columns(len(SIZES) * len(FORMATS))
    buttons = [(size, fmt) for size in SIZES.values() for fmt in FORMATS]
    for column, (size, fmt) in zip(columns, buttons, strict=True):
        column.download_button(
            f"{fmt.upper()} · {size.label.split(' (')[0]}",
            data=lambda size=size, fmt=fmt: render(chart.figure, fmt, size, chart.notes),
            file_name=file_name(chart.title, size, fmt),
            mime=FORMATS[fmt],
            key=f"{key}-{size.key}-{fmt}",
            on_click="ignore",
            icon=":material/download:",
            help=f"{size.label}, mit Titel, Quelle, Stichtag und Fußnoten",
            width="stretch",
        )
