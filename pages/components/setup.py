"""What every page starts with (`page_setup`) and how every chart is shown (`show_charts`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NoReturn

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from charts.sentences import markdown_safe
from charts.texts import PAGE_FAILED, SYNTHETIC_NOTE, level_title, missing_text
from charts.view import ChartView, Filters, Source
from data.store import Store
from pages.components.access import data_source, get_store
from pages.components.auth import current_editor
from pages.components.downloads import chart_downloads

log = logging.getLogger("integrationsmonitor")
POPULATION = "Einwohnerzahlen"

# plotly.js fetches its world base map from here instead of a CDN (see static/README.md). Charts are
# shown with theme=None: Streamlit's theme would grey the axis text (3.7:1 on white); without it the
# screen shows the figure as built, as the PNG/SVG exports and the Sitzungsbericht do.
PLOTLY_CONFIG = {
    "topojsonURL": "app/static/",
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

BEAMER_HEIGHT = 580  # 768 px minus the step buttons, the page margin and one note

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
    source: Source  # what the view functions in `charts` read from (cached per database version)
    filters: Filters
    controls: DeltaGenerator  # where a page puts its own widgets: folded away in presentation mode
    compact: bool = False  # a phone: charts lay out their legends for a narrow screen


def page_setup(title: str, needs: str | None = POPULATION) -> Page:
    """Heading, demo notice and the shared filters (rendered in the sidebar by app.py). A page that
    `needs` population figures says so and stops for a municipality without them."""
    if "filters" not in st.session_state:
        _run_router_first()
    filters: Filters = st.session_state["filters"]
    if filters.presentation:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        controls = st.expander("Einstellungen dieser Seite", expanded=False)
    else:
        st.title(level_title(title, filters.level))
        st.caption(
            markdown_safe(
                " · ".join(
                    [filters.municipality] + [f"Stichtag {filters.date_text}"] * bool(filters.date_text)
                )
            )
        )
        if filters.synthetic:
            st.info(SYNTHETIC_NOTE, icon=":material/science:")
        controls = st.container()
    store = get_store()
    page = Page(
        store=store, source=data_source(store), filters=filters, controls=controls, compact=_on_phone()
    )
    if needs == POPULATION and not filters.dates:
        say_missing(page, POPULATION)
    return page


def say_missing(page: Page, what: str) -> NoReturn:
    """Readers read in German what is not loaded for the chosen municipality; editors also get the way
    to load it. Stops the page."""
    st.info(missing_text(page.filters.municipality, what), icon=":material/info:")
    if current_editor() is not None:
        st.page_link("pages/daten_laden.py", label="Daten laden", icon=":material/upload_file:")
    st.stop()


def run_guarded(run: Callable[[], object]) -> None:
    """Run a page; whatever goes wrong is logged with its traceback and the reader reads German."""
    try:
        run()
    except Exception:  # st.stop and st.rerun are no Exception: they pass
        log.exception("Seite fehlgeschlagen")
        st.error(PAGE_FAILED, icon=":material/error:")


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


def fit_to_screen(figure: go.Figure) -> go.Figure:
    """The presented chart no taller than a 1024×768 beamer shows below the step buttons (the server
    cannot see the screen: this is the smallest one a council room has); a tall ranking is squeezed."""
    return go.Figure(figure).update_layout(height=min(figure.layout.height or BEAMER_HEIGHT, BEAMER_HEIGHT))


def _next_page_button(where: DeltaGenerator, pos_key: str) -> bool:
    """ "Nächste Seite ▶" to the next page of the talk, with every setting in the URL; False on the last
    page (no button)."""
    following = st.session_state.get("next_page")
    if following is None:
        return False
    if where.button("Nächste Seite ▶", key=f"{pos_key}-page", type="primary", width="stretch"):
        st.switch_page(following, query_params=st.query_params.to_dict())
    return True


def _leave_presentation() -> None:
    st.session_state["presentation"] = False


def _step(pos_key: str, delta: int) -> None:
    st.session_state[pos_key] = st.session_state.get(pos_key, 0) + delta


def show_charts(page: Page, views: list[ChartView | None], key: str) -> None:
    """All charts one below the other, each with its notes, the table behind it and its downloads;
    in presentation mode one per screen with buttons to step. A chart withheld from readers is
    replaced by the sentence that says why (and left out of the presentation)."""
    views = [v for v in views if v is not None]
    if not page.filters.presentation:
        for view in views:
            if not view.shown:
                st.caption(markdown_safe(view.withheld))
                continue
            st.plotly_chart(view.figure, config=PLOTLY_CONFIG, theme=None, key=f"{key}-{view.title}")
            for note in view.notes:
                st.caption(markdown_safe(note))
            if (view.figure.layout.meta or {}).get("excerpt"):  # the chart shows a part: all of it here
                st.dataframe(view.text_table(), hide_index=True, height=320, key=f"{key}-{view.key}-table")
            chart_downloads(view, key=f"{key}-{view.key}", images=page.filters.public)
            if not page.filters.public:
                st.caption(
                    "Bilder zum Herunterladen gibt es nur in der öffentlichen Ansicht (exakte Werte aus)."
                )
        return
    views = [v for v in views if v.shown]
    if not views:
        _next_page_button(st, f"{key}-slide")
        return
    pos_key = f"{key}-slide"
    index = min(st.session_state.get(pos_key, 0), len(views) - 1)
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
    if index < len(views) - 1 or not _next_page_button(forward, pos_key):
        forward.button(
            "Weiter ▶",
            key=f"{pos_key}-next",
            disabled=index >= len(views) - 1,
            width="stretch",
            on_click=_step,
            args=(pos_key, 1),
        )
    info.markdown(f"**Grafik {index + 1} von {len(views)}**")
    leave.button(
        "Präsentation beenden", key=f"{pos_key}-leave", on_click=_leave_presentation, width="stretch"
    )
    view = replace(views[index], figure=fit_to_screen(views[index].figure))
    st.plotly_chart(view.figure, config=PLOTLY_CONFIG, theme=None, key=f"{key}-presented")
    for note in view.notes:
        st.caption(markdown_safe(note))
