"""Stadtteilprofil: one Stadtteil against the municipality – indicators, time series, nationalities,
age pyramid and rank."""

import streamlit as st

from indicators.catalogue import TOTAL_LABEL, get
from pages.components.charts import age_pyramid_chart, nationality_bar, ranking_highlight, time_series
from pages.components.formatting import fmt_int
from pages.components.profile_views import (
    KEY_SHARES,
    city_series,
    detail,
    line_frame,
    nationality_mix,
    profile_table,
    pyramid,
    series,
)
from pages.components.sentences import bullet_list, profile_sentences
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import NO_DATA, source_line
from pages.components.views import city_row, indicator_table, indicator_values

page = page_setup("Stadtteilprofil")
f = page.filters
table = indicator_table(page.store, f)
city = city_row(page.store, f)
if table.empty:
    st.warning(NO_DATA)
    st.stop()
names = dict(zip(table["district_id"], table["district"], strict=True))
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
place = names[district_id]
row = table.loc[table["district_id"] == district_id].iloc[0]
source = source_line(f.source, f.date_text)

charts = []
district_series, city_lines = series(page.store, f), city_series(page.store, f)
for key in KEY_SHARES:
    indicator = get(key)
    title = f"{indicator.label}: {place} und {f.municipality}"
    lines = line_frame(district_series, city_lines, key, [district_id], f.municipality)
    figure = time_series(
        lines, indicator, title=title, source=source, reference=f.municipality, presentation=f.presentation
    )
    notes = (
        [] if len(f.dates) > 1 else ["Nur ein Stichtag geladen: die Zeitreihe beginnt mit weiteren Importen."]
    )
    charts.append(Chart(title, figure, lines, notes))

details = detail(page.store, f)
mix = nationality_mix(details, district_id)
if not mix.empty:
    title = f"Häufigste Staatsangehörigkeiten in {place}, {f.municipality}"
    charts.append(
        Chart(title, nationality_bar(mix, title=title, source=source, presentation=f.presentation), mix)
    )
    ages = pyramid(details, district_id)
    title = f"Altersaufbau nach Migrationshintergrund in {place}, {f.municipality}"
    figure = age_pyramid_chart(ages, title=title, source=source, presentation=f.presentation)
    notes = ["Die Altersgruppen sind unterschiedlich breit: längere Balken können an mehr Jahrgängen liegen."]
    if (~ages["sex"].isin(["m", "w"]) & (ages["persons"] > 0)).any():
        notes.append(
            "Personen mit dem Geschlechtseintrag „divers“ oder ohne Angabe sind hier nicht abgebildet."
        )
    charts.append(Chart(title, figure, ages, notes))

for key in KEY_SHARES:
    indicator = get(key)
    rank = row[key.removesuffix("_pct") + "_rank"]
    title = f"{indicator.label}: Rang von {place} unter den {len(table)} {f.level}en, {f.municipality}"
    figure = ranking_highlight(
        indicator_values(table, key),
        indicator,
        place,
        title=title,
        source=source,
        reference=city.get(key),
        reference_label=f.municipality,
        presentation=f.presentation,
    )
    charts.append(Chart(title, figure, None, [f"{place} steht auf Rang {fmt_int(rank)} von {len(table)}."]))

if not f.presentation:  # the beamer shows the charts only
    st.subheader(place)
    st.markdown(bullet_list(profile_sentences(place, row.to_dict(), f.municipality, city.to_dict())))
    profile = profile_table(table, city, district_id, place).rename(columns={TOTAL_LABEL: f.municipality})
    known = profile[profile[["district_value", "city_value"]].notna().any(axis=1)]
    st.table(known[["Kennzahl", place, f.municipality]].set_index("Kennzahl"))
show_charts(page, charts, key="profil")
if mix.empty:
    st.info(
        "Für diese Kommune und diesen Stichtag liegen keine Zahlen nach Staatsangehörigkeit und Alter vor."
    )
