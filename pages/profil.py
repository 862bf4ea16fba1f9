"""Stadtteilprofil: one Stadtteil against the municipality – indicators, time series, nationalities,
age pyramid and rank."""

import pandas as pd
import streamlit as st

from indicators.catalogue import TOTAL_LABEL, get
from indicators.disclosure import SUPPRESSED
from pages.components.charts import age_pyramid_chart, nationality_bar, ranking_highlight, time_series
from pages.components.formatting import fmt_int
from pages.components.profile_views import (
    KEY_SHARES,
    city_series,
    detail,
    hidden_keys,
    line_frame,
    nationality_mix,
    notes_for,
    profile_table,
    public_mix,
    public_pyramid,
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
hidden = hidden_keys(table, district_id) if f.public else set()  # suppressed for this Stadtteil
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
    if lines["hidden"].any():
        notes.append("Lücken in der Linie: Werte wegen kleiner Fallzahlen nicht ausgewiesen.")
    charts.append(Chart(title, figure, lines, notes + notes_for(lines["hidden"], f.threshold)))

details = detail(page.store, f, district_id=district_id)
mix = nationality_mix(details, district_id)
withheld = []  # detail charts left out, because their sums would give away a hidden count
if not mix.empty:
    title = f"Häufigste Staatsangehörigkeiten in {place}, {f.municipality}"
    if f.public and "foreigners" in hidden:
        withheld.append("die Staatsangehörigkeiten")
    else:
        shown_mix = public_mix(mix, f.threshold) if f.public else mix
        figure = nationality_bar(shown_mix, title=title, source=source, presentation=f.presentation)
        notes = notes_for(shown_mix.get("hidden", False), f.threshold)
        charts.append(Chart(title, figure, shown_mix, notes))
    ages = pyramid(details, district_id)
    title = f"Altersaufbau nach Migrationshintergrund in {place}, {f.municipality}"
    if f.public and {"population", "migration_background"} & hidden:
        withheld.append("den Altersaufbau")
    else:
        shown_ages = public_pyramid(ages, f.threshold) if f.public else ages
        figure = age_pyramid_chart(shown_ages, title=title, source=source, presentation=f.presentation)
        notes = [
            "Die Altersgruppen sind unterschiedlich breit: längere Balken können an mehr Jahrgängen liegen."
        ]
        if (~ages["sex"].isin(["m", "w"]) & (ages["persons"] > 0)).any():
            notes.append(
                "Personen mit dem Geschlechtseintrag „divers“ oder ohne Angabe sind hier nicht abgebildet."
            )
        if shown_ages.get("hidden", pd.Series(False)).any():
            notes.append("Fehlende Balken: Fallzahl zu klein, Wert nicht ausgewiesen.")
        charts.append(
            Chart(title, figure, shown_ages, notes + notes_for(shown_ages.get("hidden", False), f.threshold))
        )

for key in KEY_SHARES:
    indicator = get(key)
    rank = row[key.removesuffix("_pct") + "_rank"]
    values = indicator_values(table, key)
    ranked = int(values["value"].notna().sum())
    title = f"{indicator.label}: Rang von {place} unter den {len(table)} {f.level}en, {f.municipality}"
    figure = ranking_highlight(
        values,
        indicator,
        place,
        title=title,
        source=source,
        reference=city.get(key),
        reference_label=f.municipality,
        presentation=f.presentation,
    )
    if key in hidden:
        notes = [f"Der Wert von {place} wird wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."]
    else:
        notes = [f"{place} steht auf Rang {fmt_int(rank)} von {ranked}."]
    if values["hidden"].any():
        names = ", ".join(values.loc[values["hidden"].astype(bool), "district"].astype(str))
        notes += [f"Ohne Balken ({SUPPRESSED}): {names}.", *notes_for(True, f.threshold)]
    charts.append(Chart(title, figure, None, notes))

if not f.presentation:  # the beamer shows the charts only
    st.subheader(place)
    st.markdown(bullet_list(profile_sentences(place, row.to_dict(), f.municipality, city.to_dict(), hidden)))
    profile = profile_table(table, city, district_id, place, hidden).rename(
        columns={TOTAL_LABEL: f.municipality}
    )
    known = profile[
        profile[["district_value", "city_value"]].notna().any(axis=1) | profile["key"].isin(hidden)
    ]
    st.table(known[["Kennzahl", place, f.municipality]].set_index("Kennzahl"))
    for note in notes_for(bool(hidden), f.threshold):
        st.caption(note)
    if withheld:
        st.caption(
            f"Für {place} werden {' und '.join(withheld)} nicht gezeigt: Die Zahl der Ausländer:innen "
            f"bzw. Einwohner:innen ist hier nicht ausgewiesen ({SUPPRESSED}) und ließe sich sonst "
            "aus der Summe der Balken ablesen."
        )
show_charts(page, charts, key="profil")
if mix.empty:
    st.info(
        "Für diese Kommune und diesen Stichtag liegen keine Zahlen nach Staatsangehörigkeit und Alter vor."
    )
