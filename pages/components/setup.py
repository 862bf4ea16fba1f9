"""What every page starts with (`page_setup`) and how every chart is shown (`show_charts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from data.store import Store
from pages.components.access import get_store
from pages.components.state import Filters
from pages.components.texts import SYNTHETIC_NOTE

# plotly.js fetches its world base map from here instead of a CDN (see static/README.md)
PLOTLY_CONFIG = {
    "topojsonURL": "app/static/",
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], footer { display: none !important; }
.block-container { padding-top: 1rem !important; max-width: 100% !important; }
</style>
"""


@dataclass
class Page:
    store: Store
    filters: Filters
    controls: DeltaGenerator  # where a page puts its own widgets: folded away in presentation mode
    compact: bool = False  # a phone: charts lay out their legends for a narrow screen


@dataclass
class Chart:
    """One chart of a page: its figure and the table behind it."""

    title: str
    figure: go.Figure
    table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def page_setup(title: str) -> Page:
    """Heading, demo notice and the shared filters (rendered in the sidebar by app.py)."""
    if "filters" not in st.session_state:
        _run_router_first()
    filters: Filters = st.session_state["filters"]
    if filters.presentation:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        controls = st.expander("Einstellungen dieser Seite", expanded=False)
    else:
        st.title(title)
        st.caption(f"{filters.municipality} · Stichtag {filters.date_text}")
        if filters.synthetic:
            st.info(SYNTHETIC_NOTE, icon=":material/science:")
        controls = st.container()
    return Page(store=get_store(), filters=filters, controls=controls, compact=_on_phone())


def _on_phone() -> bool:
    """A narrow screen, told by the browser's user agent (the server cannot see the window width)."""
    agent = st.context.headers.get("User-Agent", "") if st.context.headers else ""
    return any(mark in agent for mark in ("Mobi", "iPhone", "Android"))


def _run_router_first() -> None:
    """A deep link (`/karte`) right after server start runs the page without app.py.

    Streamlit treats a folder named `pages/` as a legacy page folder until `st.navigation` has run
    once in the server process. Switch that off and rerun, so app.py (router, sidebar) runs first.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if st.session_state.get("_router_retry"):
        st.error("Die Seite kann nur über die App geöffnet werden: streamlit run app.py")
        st.stop()
    st.session_state["_router_retry"] = True
    PagesManager.uses_pages_directory = False
    st.rerun()


def _leave_presentation() -> None:
    st.session_state["presentation"] = False


def _step(pos_key: str, delta: int) -> None:
    st.session_state[pos_key] = st.session_state.get(pos_key, 0) + delta


def show_charts(page: Page, charts: list[Chart], key: str) -> None:
    """All charts one below the other; in presentation mode one per screen with buttons to step."""
    if not charts:
        return
    if not page.filters.presentation:
        from pages.components.downloads import chart_downloads  # it builds on Chart, defined here

        for chart in charts:
            st.plotly_chart(chart.figure, config=PLOTLY_CONFIG, key=f"{key}-{chart.title}")
            for note in chart.notes:
                st.caption(note)
            if page.filters.public:  # exports are always the public view
                chart_downloads(chart, key=f"{key}-{chart.title}")
            else:
                st.caption(
                    "Bilder zum Herunterladen gibt es nur in der öffentlichen Ansicht (exakte Werte aus)."
                )
        return
    pos_key = f"{key}-slide"
    index = min(st.session_state.get(pos_key, 0), len(charts) - 1)
    st.session_state[pos_key] = index
    back, info, forward, leave = st.columns([2, 3, 2, 3], vertical_alignment="center")
    back.button(
        "◀ Zurück",
        key=f"{pos_key}-back",
        disabled=index == 0,
        width="stretch",
        on_click=_step,
        args=(pos_key, -1),
    )
    forward.button(
        "Weiter ▶",
        key=f"{pos_key}-next",
        disabled=index >= len(charts) - 1,
        width="stretch",
        on_click=_step,
        args=(pos_key, 1),
    )
    info.markdown(f"**Grafik {index + 1} von {len(charts)}**")
    leave.button(
        "Präsentation beenden", key=f"{pos_key}-leave", on_click=_leave_presentation, width="stretch"
    )
    chart = charts[index]
    st.plotly_chart(chart.figure, config=PLOTLY_CONFIG, key=f"{key}-presented")
    for note in chart.notes:
        st.caption(note)
