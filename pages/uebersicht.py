"""Übersicht: the municipality at a glance – key figures, map, highest and lowest Stadtteile, in words."""

import streamlit as st

from indicators.catalogue import get
from pages.components.charts import map_or_ranking
from pages.components.formatting import fmt_date
from pages.components.profile_views import KEY_SHARES, extremes, key_figures, segregation
from pages.components.sentences import (
    bullet_list,
    extremes_sentence,
    hidden_note,
    markdown_safe,
    overview_sentences,
    plural,
)
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import NO_DATA, NO_GEOMETRY_NOTE, source_line
from pages.components.views import boundaries, city_row, disclosure_notes, indicator_table, indicator_values

page = page_setup("Übersicht")
f = page.filters
key = page.controls.radio(
    "Kennzahl für Karte und Rangfolge",
    KEY_SHARES,
    format_func=lambda k: get(k).label,
    horizontal=True,
    key="overview_indicator",
)
indicator = get(key)

table = indicator_table(page.store, f)
city = city_row(page.store, f)
if table.empty or city is None:
    st.warning(NO_DATA)
    st.stop()
city = city.to_dict()
previous = f.previous_date
d_now, d_before = segregation(page.store, f)
d_change = d_now - d_before if d_before is not None else None

beamer = st.container()  # on the beamer the map comes first; otherwise after the key figures
for column, figure in zip(st.columns(4), key_figures(city, d_now, d_change, previous), strict=True):
    column.metric(**figure)
st.caption(
    f"Pfeile: Veränderung gegenüber dem Stichtag {fmt_date(previous)}."
    if previous
    else "Kein früherer Stichtag geladen: Veränderungen lassen sich noch nicht zeigen."
)
st.subheader("Auf einen Blick")
st.markdown(bullet_list(overview_sentences(f.municipality, city, previous, d_now)))

values = indicator_values(table, key)  # the public mask is by row position: take it before filtering
if f.districts:
    values = values[values["district_id"].isin(f.districts)]
shown = table[table["district_id"].isin(f.districts)] if f.districts else table
hidden_names = values.loc[values["hidden"].astype(bool), "district"].astype(str).tolist()
title = f"{indicator.label} nach {f.level}, {f.municipality}"
shapes = boundaries(page.store, f)
figure = map_or_ranking(
    shapes,
    values,
    indicator,
    title=title,
    source=source_line(f.source, f.date_text),
    reference=city.get(key),
    reference_label=f.municipality,
    presentation=f.presentation,
    compact=page.compact,
)
notes = [NO_GEOMETRY_NOTE] if shapes is None else []
notes.append(f"{indicator.label} = {indicator.formula}.")
if hidden_names and shapes is None:  # the map names them in its legend; the ranking leaves them out
    notes.append(hidden_note(hidden_names, f.level))
notes += disclosure_notes(table, f) if hidden_names else []
with beamer if f.presentation else st.container():
    show_charts(page, [Chart(title, figure, values, notes)], "uebersicht")

st.subheader("Höchste und niedrigste Werte")
ranked = extremes(shown, key)  # hidden values are missing in the public table: never ranked or named
if not ranked.empty:
    top, bottom = ranked.iloc[0], ranked.iloc[-1]
    highest, lowest = (top["Stadtteil"], top["value"]), (bottom["Stadtteil"], bottom["value"])
    st.markdown(markdown_safe(extremes_sentence(indicator.label, highest, lowest)))
    n = len(shown)
    scope = f"{n} ausgewählte {plural(f.level)}" if f.districts else f"alle {n} {plural(f.level)}"
    st.caption(f"{indicator.label}, {scope}; Rang 1 = höchster Wert.")
    if hidden_names:
        st.caption(hidden_note(hidden_names, f.level))
    st.dataframe(
        ranked.drop(columns="value").rename(columns={"Stadtteil": f.level}),
        column_config={"Rang": st.column_config.NumberColumn(width="small")},
        hide_index=True,
        width="content",
    )
if hidden_names:
    for note in disclosure_notes(table, f):
        st.caption(note)
