"""Karte: one catalogue indicator per Stadtteil — as a map that selects what a reader clicks, as maps
of several Stichtage side by side, or as the change against a base Stichtag; the full table beside it."""

from datetime import date

import streamlit as st

from charts.atlas_views import atlas_table, change_view, default_years, year_keys, years_view
from charts.definitions import note_for, offered_keys
from charts.figures import is_diverging
from charts.formatting import fmt_date
from charts.population_views import share_map
from charts.reads import own_catalogue
from charts.sentences import plural
from charts.texts import DIVERGING_PALETTE, NO_DATA, PALETTES, SCHEMES
from indicators.catalogue import get, map_indicators
from pages.components.atlas import atlas_chart, full_table
from pages.components.setup import page_setup, show_charts
from pages.components.state import keep_option, step_reference_date, take_reference_date

MAP, YEARS, CHANGE = "Karte", "Jahre nebeneinander", "Veränderung"

page = page_setup("Karte")
f = page.filters

keys = offered_keys(page.source, f, map_indicators(own_catalogue(page.source, f)))
keep_option("map_indicator", keys)
left, mid, right = page.controls.columns([3, 2, 2])
key = left.selectbox("Kennzahl", keys, format_func=lambda k: get(k).label, key="map_indicator")
if origin_note := note_for(page.source, f):
    page.controls.caption(origin_note)
scheme = mid.selectbox("Klassenbildung", list(SCHEMES), format_func=SCHEMES.get, key="map_scheme")
st.session_state.setdefault("map_classes", 5)  # defaults here, so a value from the URL wins
k = right.slider("Anzahl Klassen", 3, 7, key="map_classes")
with_years = key in year_keys(page.source, f) and len(f.dates) > 1
if st.session_state.get("map_mode") not in (MAP, YEARS, CHANGE) or not with_years:
    st.session_state["map_mode"] = MAP
mode_col, colour_col, label_col = page.controls.columns([4, 2, 2], vertical_alignment="bottom")
modes = [MAP, YEARS, CHANGE] if with_years else [MAP]
mode = mode_col.segmented_control("Ansicht", modes, key="map_mode", required=True) or MAP
if not with_years:
    mode_col.caption("Jahre nebeneinander und Veränderungen gibt es für die Anteile, ab zwei Stichtagen.")
diverging = is_diverging(get(key))
colours = DIVERGING_PALETTE if diverging else st.session_state.get("map_palette", "Blues")
if not diverging and mode != CHANGE:
    colour_col.selectbox("Farben", list(PALETTES), format_func=PALETTES.get, key="map_palette")
districts = page.source.reads.districts(f.municipality, f.level)
names = dict(zip(districts["district_id"], districts["district"], strict=True))
st.session_state.setdefault("map_labels", len(names) <= 30)
labels = label_col.toggle(f"Namen der {plural(f.level)}", key="map_labels") if mode == MAP else False
earlier = [d for d in f.dates if f.reference_date and d < f.reference_date]
base = None
if mode == YEARS:
    iso = [d.isoformat() for d in f.dates]
    wanted = st.session_state.get("map_years") or []
    if not wanted or not set(wanted) <= set(iso) or len(wanted) > 6:  # a mangled link: the default
        st.session_state["map_years"] = [d.isoformat() for d in default_years(f.dates, f.reference_date)]
    chosen = page.controls.multiselect("Stichtage", iso, key="map_years", max_selections=6,
                                       format_func=lambda d: fmt_date(date.fromisoformat(d)))  # fmt: skip
elif mode == CHANGE and earlier:
    if st.session_state.get("map_base") not in [d.isoformat() for d in earlier]:
        st.session_state["map_base"] = earlier[0].isoformat()
    page.controls.selectbox("Basisstichtag", [d.isoformat() for d in earlier], key="map_base",
                            format_func=lambda d: fmt_date(date.fromisoformat(d)))  # fmt: skip
    base = date.fromisoformat(st.session_state["map_base"])

if mode == MAP and len(f.dates) > 1 and not f.presentation:  # step the map through the Stichtage
    iso = [d.isoformat() for d in f.dates]
    st.session_state["map_step"] = f.reference_date.isoformat()
    back, slider, forward = page.controls.columns([1, 5, 1], vertical_alignment="bottom")
    back.button("◀ früher", key="map_back", help="Einen Stichtag früher", on_click=step_reference_date, args=(iso, -1),
                disabled=iso[0] == st.session_state["map_step"], width="stretch")  # fmt: skip
    slider.select_slider("Stichtag der Karte", iso, key="map_step", on_change=take_reference_date, args=("map_step",),
                         format_func=lambda d: fmt_date(date.fromisoformat(d)))  # fmt: skip
    forward.button("später ▶", key="map_forward", help="Einen Stichtag später", on_click=step_reference_date,
                   args=(iso, 1), disabled=iso[-1] == st.session_state["map_step"], width="stretch")  # fmt: skip

if mode == YEARS:
    view = years_view(page.source, f, key, [date.fromisoformat(d) for d in chosen], scheme=scheme, k=k,
                      colours=colours, compact=page.compact)  # fmt: skip
elif mode == CHANGE:
    view = change_view(page.source, f, key, base, scheme=scheme, k=k, compact=page.compact) if base else None
else:
    view = share_map(
        page.source, f, key, scheme=scheme, k=k, colours=colours, labels=labels, compact=page.compact
    )
if view is None:
    st.warning(
        NO_DATA
        if mode != CHANGE
        else "Vor dem gewählten Stichtag liegt kein Stichtag: wählen Sie einen späteren."
    )
    st.stop()
if view.figure is None:  # no figures for this indicator: the sentence, not an empty grey map
    st.info(view.withheld, icon=":material/info:")
    st.stop()
if f.presentation:
    show_charts(page, [view], key="karte")
    st.stop()
beside = not page.compact and mode != YEARS  # wide screen: the table beside the map; phone: below it
map_col, table_col = st.columns([3, 2]) if beside else (st.container(), st.container())
below = st.container()  # the chart's own table and downloads, at the page's width
with map_col:
    choice = (mode, key, scheme, k, colours, labels, base, page.compact)
    atlas_chart(page, view, key=f"karte-{mode}", below=below, names=names if mode == MAP else None,
                beside=choice if beside else None)  # fmt: skip
table = atlas_table(page.source, f, key, base)
if table is not None:
    with table_col:
        st.subheader(f"Alle {plural(f.level)}: {get(key).label}")
        full_table(page, table, key="karte")
