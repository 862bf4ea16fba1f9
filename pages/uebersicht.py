"""Übersicht: the municipality at a glance – key figures, map, highest and lowest Stadtteile, in words."""

import streamlit as st

from indicators.catalogue import get
from pages.components.figures import district_map, ranking_bar
from pages.components.formatting import fmt_indicator, fmt_int, fmt_number
from pages.components.profile_views import KEY_SHARES, extremes, segregation
from pages.components.sentences import (
    extremes_sentence,
    foreigner_sentence,
    metric_delta,
    migration_sentence,
    plural,
    population_sentence,
    segregation_sentence,
)
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import NO_DATA, NO_GEOMETRY_NOTE, source_line
from pages.components.views import boundaries, city_row, indicator_table, indicator_values

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
previous = f.previous_date
d_now, d_before = segregation(page.store, f)
d_change = d_now - d_before if d_before is not None else None

population, foreigners, mh, dissimilarity = st.columns(4)
population.metric(
    "Einwohner:innen",
    fmt_int(city["population"]),
    **metric_delta(
        city.get("population_change"),
        fmt_indicator(city.get("population_change"), "population_change"),
        previous,
    ),
)
for column, share in zip((foreigners, mh), KEY_SHARES, strict=True):
    change = city.get(share.removesuffix("_pct") + "_change_pp")
    column.metric(
        get(share).label,
        fmt_indicator(city.get(share), share),
        help=get(share).formula,
        **metric_delta(change, fmt_indicator(change, "foreigner_share_change_pp"), previous),
    )
dissimilarity.metric(
    "Segregationsindex",
    fmt_number(d_now, 1),
    help=f"{get('dissimilarity').label}: 0 = gleich verteilt, 100 = vollständig getrennt.",
    **metric_delta(d_change, fmt_number(d_change, 1, signed=True), previous),
)
if previous is None:
    st.caption("Kein früherer Stichtag geladen: Veränderungen lassen sich noch nicht zeigen.")

shown = table[table["district_id"].isin(f.districts)] if f.districts else table
values = indicator_values(shown, key)
title = f"{indicator.label} nach {f.level}, {f.municipality}"
source = source_line(f.source, f.date_text)
shapes = boundaries(page.store, f)
notes = [f"{indicator.label} = {indicator.formula}."]
if shapes is None:
    figure = ranking_bar(
        values,
        indicator,
        title=title,
        source=source,
        presentation=f.presentation,
        reference=city.get(key),
        reference_label=f.municipality,
    )
    notes.insert(0, NO_GEOMETRY_NOTE)
else:
    if f.districts:
        shapes = shapes[shapes["district_id"].isin(f.districts)]
    figure = district_map(
        shapes,
        values,
        indicator,
        title=title,
        source=source,
        labels=len(values) <= 30,
        presentation=f.presentation,
    )

chart_column, text_column = st.columns([3, 2], gap="large")
with chart_column:
    show_charts(page, [Chart(title, figure, values, notes)], key="uebersicht")
with text_column:
    st.subheader("Auf einen Blick")
    sentences = [
        population_sentence(f.municipality, city["population"], city.get("population_change"), previous),
        foreigner_sentence(f.municipality, city.get("foreigner_share_pct")),
        migration_sentence(f.municipality, city.get("migration_background_share_pct")),
        segregation_sentence(d_now),
    ]
    st.markdown("\n".join(f"- {s}" for s in sentences))
    scope = (
        f"{len(shown)} ausgewählte {plural(f.level)}"
        if f.districts
        else f"alle {len(shown)} {plural(f.level)}"
    )
    st.subheader("Höchste und niedrigste Werte")
    st.caption(f"{indicator.label}, {scope}")
    ranked = extremes(shown, key)
    if not ranked.empty:
        top, bottom = ranked.iloc[0], ranked.iloc[-1]
        st.markdown(
            extremes_sentence(
                indicator.label, (top["Stadtteil"], top["value"]), (bottom["Stadtteil"], bottom["value"])
            )
        )
        st.dataframe(
            ranked.drop(columns="value").rename(columns={"Stadtteil": f.level}),
            column_config={"Rang": st.column_config.NumberColumn(width="small")},
            hide_index=True,
            width="stretch",
        )
