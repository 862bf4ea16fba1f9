"""Barrierefreiheit: the Erklärung zur Barrierefreiheit (BITV 2.0 § 7), completed from secrets.toml."""

import streamlit as st

from charts.statement import statement
from pages.components.setup import ensure_router, legal_links

ensure_router()
st.title("Erklärung zur Barrierefreiheit")
st.markdown(statement(legal_links()))
