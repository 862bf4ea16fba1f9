"""Karte: one catalogue indicator per Stadtteil, classed, labelled, with hover in German."""

import streamlit as st

from charts.figures import is_diverging
from charts.population_views import share_map
from charts.sentences import plural
from charts.texts import DIVERGING_PALETTE, NO_DATA, PALETTES, SCHEMES
from indicators.catalogue import get, map_indicators
from pages.components.setup import page_setup, show_charts

page = page_setup("Karte")
f = page.filters

keys = map_indicators()
left, mid, right = page.controls.columns([3, 2, 2])
key = left.selectbox("Kennzahl", keys, format_func=lambda k: get(k).label, key="map_indicator")
scheme = mid.selectbox("Klassenbildung", list(SCHEMES), format_func=SCHEMES.get, key="map_scheme")
st.session_state.setdefault("map_classes", 5)  # defaults here, so a value from the URL wins
k = right.slider("Anzahl Klassen", 3, 7, key="map_classes")
diverging = is_diverging(get(key))
colours = DIVERGING_PALETTE if diverging else st.session_state.get("map_palette", "Blues")
colour_col, label_col = page.controls.columns([3, 2], vertical_alignment="bottom")
if not diverging:
    colour_col.selectbox("Farben", list(PALETTES), format_func=PALETTES.get, key="map_palette")
st.session_state.setdefault("map_labels", len(page.source.reads.districts(f.municipality, f.level)) <= 30)
labels = label_col.toggle(f"Namen der {plural(f.level)}", key="map_labels")

view = share_map(
    page.source, f, key, scheme=scheme, k=k, colours=colours, labels=labels, compact=page.compact
)
if view is None:
    st.warning(NO_DATA)
    st.stop()
if view.figure is None:  # no figures for this indicator: the sentence, not an empty grey map
    st.info(view.withheld, icon=":material/info:")
    st.stop()
show_charts(page, [view], key="karte")
