"""Placeholder until this page is built."""

import streamlit as st

from pages.components.setup import page_setup

page_setup("daten")
st.info("Diese Seite wird gerade gebaut.")
