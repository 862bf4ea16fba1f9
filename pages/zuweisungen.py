"""Placeholder until this page is built."""

import streamlit as st

from pages.components.setup import page_setup

page_setup("zuweisungen")
st.info("Diese Seite wird gerade gebaut.")
