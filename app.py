"""Integrationsmonitor: router and frame. Page config, the shared sidebar filters, navigation."""

import streamlit as st

from pages.components.access import get_store
from pages.components.state import sidebar_filters
from pages.components.texts import APP_TITLE

st.set_page_config(page_title=APP_TITLE, page_icon="static/favicon.png", layout="wide")

st.session_state["filters"] = filters = sidebar_filters(get_store())

PAGES = [
    st.Page("pages/karte.py", title="Karte", icon=":material/map:", url_path="karte", default=True),
]
st.navigation(PAGES, position="hidden" if filters.presentation else "sidebar").run()
