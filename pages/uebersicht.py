"""Übersicht: the municipality at a glance – key figures, map, highest and lowest Stadtteile, in words."""

import streamlit as st

from charts.definitions import SHARE_KEYS, note_for, offered_keys
from charts.population_views import overview
from charts.reads import own_catalogue
from charts.sentences import bullet_list, markdown_safe
from charts.texts import NO_DATA
from indicators.catalogue import get
from pages.components.setup import data_grid, page_setup, show_charts

page = page_setup("Übersicht")
f = page.filters
own = [i.key for i in own_catalogue(page.source, f) if i.on_map]  # the municipality's own indicators
key = page.controls.radio(
    "Kennzahl für Karte und Rangfolge",
    [*offered_keys(page.source, f, SHARE_KEYS), *own],
    format_func=lambda k: get(k).label,
    horizontal=True,
    key="overview_indicator",
)
if origin_note := note_for(page.source, f):
    page.controls.caption(origin_note)
view = overview(page.source, f, key, compact=page.compact)
if view is None:
    st.warning(NO_DATA)
    st.stop()

beamer = st.container()  # on the beamer the map comes first; otherwise after the key figures
for column, figure in zip(st.columns(4), view.key_figures, strict=True):
    column.metric(**figure)
st.caption(view.change_note)
st.subheader("Auf einen Blick")
st.markdown(bullet_list(view.sentences))
with beamer if f.presentation else st.container():
    show_charts(page, [view.map], "uebersicht")

st.subheader("Höchste und niedrigste Werte")
if not view.extremes.empty:
    st.markdown(markdown_safe(view.extremes_sentence))
    st.caption(view.extremes_scope)
    if view.hidden_note:
        st.caption(markdown_safe(view.hidden_note))
    data_grid(
        view.extremes.drop(columns="value").rename(columns={"Stadtteil": f.level}),
        key="uebersicht-extreme",
        column_config={"Rang": st.column_config.NumberColumn(width="small")},
        hide_index=True,
        width="content",
    )
for note in view.footnotes:
    st.caption(markdown_safe(note))
