"""Karte: one catalogue indicator per Stadtteil, classed, labelled, with hover in German."""

import streamlit as st

from indicators.catalogue import get, map_indicators
from pages.components.access import memo
from pages.components.charts import map_or_ranking
from pages.components.figures import is_diverging
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import (
    DIVERGING_PALETTE,
    NO_DATA,
    NO_GEOMETRY_NOTE,
    PALETTES,
    SCHEMES,
    source_line,
)
from pages.components.views import boundaries, city_row, disclosure_notes, indicator_table, indicator_values

page = page_setup("Karte")
f = page.filters

keys = map_indicators()
left, mid, right = page.controls.columns([3, 2, 2])
key = left.selectbox("Kennzahl", keys, format_func=lambda k: get(k).label, key="map_indicator")
scheme = mid.selectbox("Klassenbildung", list(SCHEMES), format_func=SCHEMES.get, key="map_scheme")
k = right.slider("Anzahl Klassen", 3, 7, 5, key="map_classes")
indicator = get(key)
diverging = is_diverging(indicator)
colours = DIVERGING_PALETTE if diverging else st.session_state.get("map_palette", "Blues")
colour_col, label_col = page.controls.columns([3, 2], vertical_alignment="bottom")
if not diverging:
    colour_col.selectbox("Farben", list(PALETTES), format_func=PALETTES.get, key="map_palette")

table = indicator_table(page.store, f)
labels = label_col.toggle("Namen der Stadtteile", value=len(table) <= 30, key="map_labels")
if table.empty:
    st.warning(NO_DATA)
    st.stop()
values = indicator_values(table, key)
if f.districts:
    values = values[values["district_id"].isin(f.districts)]
title = f"{indicator.label} nach {f.level}, {f.municipality}"
source = source_line(f.source, f.date_text)
shapes = boundaries(page.store, f)
notes = [f"{indicator.label} = {indicator.formula}."]
city = city_row(page.store, f) if shapes is None else None
figure = memo(
    page.store,
    ("karte", repr(f), key, scheme, k, colours, labels, page.compact),
    lambda: map_or_ranking(
        shapes,
        values,
        indicator,
        title=title,
        source=source,
        presentation=f.presentation,
        compact=page.compact,
        reference=city.get(key) if city is not None else None,
        reference_label=f.municipality,
        scheme=scheme,
        k=k,
        colours=colours,
        labels=labels,
    ),
)
if shapes is None:
    notes.insert(0, NO_GEOMETRY_NOTE)
notes += disclosure_notes(table, f)
show_charts(page, [Chart(title, figure, values, notes)], key="karte")
