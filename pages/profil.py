"""Stadtteilprofil: one Stadtteil against the municipality – indicators, time series, nationalities,
age pyramid and rank."""

import streamlit as st

from charts.population_views import profile
from charts.reads import indicator_table
from charts.sentences import bullet_list, markdown_safe
from charts.texts import NO_DATA
from pages.components.setup import data_grid, page_setup, show_charts

page = page_setup("Stadtteilprofil")
f = page.filters
table = indicator_table(page.source, f)
names = dict(zip(table["district_id"], table["district"], strict=True))
if not names:
    st.warning(NO_DATA)
    st.stop()
options = list(names)
# follow the sidebar: a new selection there opens its first Stadtteil here
wanted = next((d for d in f.districts if d in names), None)
if (
    st.session_state.get("_profile_selection") != f.districts
    or st.session_state.get("profile_district") not in names
):
    st.session_state["profile_district"] = wanted or options[0]
st.session_state["_profile_selection"] = list(f.districts)
district_id = page.controls.selectbox(f.level, options, format_func=names.get, key="profile_district")
view = profile(page.source, f, district_id, compact=page.compact)

if not f.presentation:  # the beamer shows the charts only
    st.subheader(view.place)
    st.markdown(bullet_list(view.sentences))
    if page.compact:  # a phone: the table scrolls within itself
        data_grid(view.table, hide_index=True, key="profile-table")
    else:
        st.table(view.table.set_index("Kennzahl"))
    for note in view.notes:
        st.caption(markdown_safe(note))
show_charts(page, view.charts, key="profil")
if not any(c.key in ("staatsangehoerigkeiten", "altersaufbau") for c in view.charts):
    st.info(
        "Für diese Kommune und diesen Stichtag liegen keine Zahlen nach Staatsangehörigkeit und Alter vor."
    )
