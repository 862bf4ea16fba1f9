"""Integrationsmonitor: router and frame. Page config, the shared sidebar filters, navigation."""

import streamlit as st

from pages.components.access import get_store
from pages.components.setup import (
    document_title,
    frame_head,
    run_guarded,
    sidebar_footer,
    sidebar_navigation,
)
from pages.components.state import sidebar_filters
from settings import configure_logging

configure_logging()  # one line per event on stderr (INTEGRATIONSMONITOR_LOG_LEVEL / _LOG_FORMAT)

# the document title is set per page in frame() (here it would override every st.Page title)
st.set_page_config(page_icon="static/favicon.png", layout="wide")

# url_path must equal the file name: before st.navigation first runs, Streamlit resolves a deep link
# against the pages/ folder (see pages/components/setup.py: _run_router_first).
PAGES = {
    "Bevölkerung": [
        st.Page(
            "pages/uebersicht.py",
            title="Übersicht",
            icon=":material/dashboard:",
            url_path="uebersicht",
            default=True,
        ),
        st.Page("pages/karte.py", title="Karte", icon=":material/map:", url_path="karte"),
        st.Page(
            "pages/profil.py", title="Stadtteilprofil", icon=":material/location_city:", url_path="profil"
        ),
        st.Page(
            "pages/zeitreihen.py",
            title="Zeitreihen / Vergleich",
            icon=":material/show_chart:",
            url_path="zeitreihen",
        ),
        st.Page(
            "pages/kommunen.py", title="Kommunen im Vergleich", icon=":material/compare:", url_path="kommunen"
        ),
    ],
    "Flucht und Unterbringung": [
        st.Page(
            "pages/zuweisungen.py", title="Zuweisungen", icon=":material/group_add:", url_path="zuweisungen"
        ),
        st.Page(
            "pages/unterbringung.py",
            title="Unterbringung",
            icon=":material/home_work:",
            url_path="unterbringung",
        ),
    ],
    "Daten und Methodik": [
        st.Page("pages/daten.py", title="Daten", icon=":material/table:", url_path="daten"),
        st.Page("pages/methodik.py", title="Methodik", icon=":material/menu_book:", url_path="methodik"),
        st.Page(
            "pages/bericht.py", title="Sitzungsbericht", icon=":material/description:", url_path="bericht"
        ),
        st.Page(
            "pages/daten_laden.py", title="Daten laden", icon=":material/upload_file:", url_path="daten_laden"
        ),
    ],
}
# outside the talk and the groups: linked at the end of the sidebar, with Impressum and Datenschutz
ACCESSIBILITY = st.Page(
    "pages/barrierefreiheit.py",
    title="Barrierefreiheit",
    icon=":material/accessibility_new:",
    url_path="barrierefreiheit",
)


def frame() -> None:
    """Navigation, the sidebar filters, then the chosen page: a failure in any reaches readers in
    German. The navigation is our own links (see `sidebar_navigation`), so Streamlit's is hidden."""
    frame_head()
    nav = st.sidebar.container()
    st.session_state["filters"] = filters = sidebar_filters(get_store())
    page = st.navigation([p for group in PAGES.values() for p in group] + [ACCESSIBILITY], position="hidden")
    st.set_page_config(page_title=document_title(page.title, filters.municipality))
    if not filters.presentation:
        sidebar_navigation(nav, PAGES)
        sidebar_footer(st.sidebar, ACCESSIBILITY)
    st.session_state["next_page"] = next_page(page)
    page.run()


def next_page(page):
    """The page after this one in a talk (the Bevölkerung and Flucht pages), None after the last."""
    talk = [p for group in list(PAGES.values())[:2] for p in group]
    urls = [p.url_path for p in talk]
    return talk[urls.index(page.url_path) + 1] if page.url_path in urls[:-1] else None


run_guarded(frame)
