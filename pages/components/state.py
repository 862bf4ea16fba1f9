"""The shared filters: municipality, Stichtag, Stadtteile, level and presentation mode.

They live in keyed widgets in the sidebar (rendered by app.py on every run) and in the URL
(`st.query_params`), so a planner can send a link that opens exactly this view, and a reload or a
page switch keeps it. URL names are German, as people read them in the address bar.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from charts.formatting import fmt_date
from charts.view import Filters, stichtag_sources
from data.store import STADTTEIL, Store
from pages.components.access import load
from pages.components.auth import current_editor

# session-state key → URL parameter
PARAMS = {
    "municipality": "gemeinde",
    "reference_date": "stichtag",
    "districts": "stadtteile",
    "level": "ebene",
    "presentation": "praesentation",
}
# the view settings of the pages (widget key → URL parameter, type): a shared link opens the same
# map, classes, palette and display mode; the beamer link keeps them from page to page
VIEW_PARAMS = {
    "overview_indicator": ("kennzahl", str),
    "map_indicator": ("karte", str),
    "map_scheme": ("klassenbildung", str),
    "map_classes": ("klassen", int),
    "map_palette": ("farben", str),
    "map_labels": ("namen", bool),
    "map_mode": ("ansicht", str),
    "map_base": ("basis", str),
    "map_years": ("jahre", list),
    "series_kind": ("darstellung", str),
    "series_indexed": ("index", bool),
    "alloc_by": ("zeiteinheit", str),
}
TRUE = {"1", "true", "ja"}


def _from_url() -> None:
    """Seed the widget state from the URL once per session (first run, or a shared link)."""
    if st.session_state.get("_filters_seeded"):
        return
    qp = st.query_params
    for key, param in PARAMS.items():
        if param not in qp:
            continue
        if key == "districts":
            st.session_state[key] = [v for v in qp[param].split(",") if v]
        elif key == "presentation":
            st.session_state[key] = qp[param] in TRUE
        else:
            st.session_state[key] = qp[param]
    for key, (param, kind) in VIEW_PARAMS.items():
        if param in qp:
            text = qp[param]
            try:
                st.session_state[key] = (
                    text in TRUE
                    if kind is bool
                    else [v for v in text.split(",") if v]
                    if kind is list
                    else kind(text)
                )
            except ValueError:  # a mangled link: the page's default
                continue
    st.session_state["_filters_seeded"] = True


def _view_params() -> dict[str, str | None]:
    """The view settings as they stand in the session (None: not set on this page)."""
    wanted = {}
    for key, (param, kind) in VIEW_PARAMS.items():
        value = st.session_state.get(key)
        if kind is list:
            wanted[param] = ",".join(value or []) or None
        else:
            wanted[param] = None if value is None else ("1" if value else "0") if kind is bool else str(value)
    return wanted


def _to_url(filters: Filters) -> None:
    wanted = {
        "gemeinde": filters.municipality,
        "stichtag": filters.reference_date.isoformat() if filters.reference_date else None,
        "stadtteile": ",".join(filters.districts) or None,
        "ebene": filters.level if filters.level != STADTTEIL else None,
        "praesentation": "1" if filters.presentation else None,
        **_view_params(),
    }
    for param, value in wanted.items():
        if value is None:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != value:
            st.query_params[param] = value


def districts_from_points(points: list[dict], names: dict[str, str]) -> list[str]:
    """The district keys of clicked chart points (`names`: key → name of the level's districts). A map
    point carries its key as ``location``; a bar of a ranking its name as ``y``. In click order, once."""
    by_name = {name: key for key, name in names.items()}
    picked = []
    for point in points:
        location = point.get("location")
        key = location if location in names else by_name.get(point.get("y"))
        if key is not None and key not in picked:
            picked.append(key)
    return picked


def select_districts(ids: list[str]) -> None:
    """Make these districts the sidebar selection (from a callback: before the sidebar is drawn)."""
    st.session_state["districts"] = list(ids)


def select_from_chart(chart_key: str, names: dict[str, str]) -> None:
    """`on_select` of a map or ranking: the clicked districts become the selection; a cleared
    selection (double click beside the districts) clears it."""
    event = st.session_state.get(chart_key)
    points = event.selection.points if event is not None else []
    select_districts(districts_from_points(points, names))


def select_from_table(table_key: str, ids: list[str | None]) -> None:
    """`on_select` of the table beside the map: the chosen rows (`ids` by row, None for the
    municipality) become the selection."""
    event = st.session_state.get(table_key)
    rows = event.selection.rows if event is not None else []
    select_districts([ids[r] for r in rows if r < len(ids) and ids[r] is not None])


def step_reference_date(dates: list[str], delta: int) -> None:
    """`on_click` of the Karte's ◀ ▶: the sidebar Stichtag one Stichtag earlier or later."""
    now = st.session_state.get("reference_date")
    at = dates.index(now) if now in dates else len(dates) - 1
    st.session_state["reference_date"] = dates[min(max(at + delta, 0), len(dates) - 1)]


def take_reference_date(key: str) -> None:
    """`on_change` of the Karte's Stichtag slider: it sets the sidebar Stichtag."""
    st.session_state["reference_date"] = st.session_state[key]


def _valid(key: str, options: list, default):
    """Keep a widget value only if it is still an option (e.g. after switching municipality)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def keep_option(key: str, options: list) -> None:
    """Forget a widget's value that is no longer an option (another municipality offers other
    indicators, or a link names one this one lacks): the widget starts from its default."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def default_municipality(store: Store, municipalities: pd.DataFrame) -> str:
    """The first real municipality with population data; a demo city or one holding only refugee data
    only when nothing better exists (its population pages would be empty)."""
    names = municipalities["name"].tolist()
    real = set(municipalities.loc[~municipalities["synthetic"].astype(bool), "name"])
    with_population = [n for n in names if load(store, "reference_dates", n)]
    return next(iter([n for n in with_population if n in real] + with_population + names))


def sidebar_filters(store: Store) -> Filters:
    """Render the shared filters in the sidebar and return them; keeps the URL in step."""
    _from_url()
    for key in VIEW_PARAMS:  # a page's setting outlives the page (Streamlit drops unrendered widgets)
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    municipalities = load(store, "municipalities")
    names = municipalities["name"].tolist()
    if not names:
        st.error("Die Datenbank enthält noch keine Kommune. Bitte Daten importieren (siehe README).")
        st.stop()
    _valid("municipality", names, default_municipality(store, municipalities))
    sb = st.sidebar
    municipality = sb.selectbox("Kommune", names, key="municipality")
    meta = municipalities.set_index("name").loc[municipality]

    dates = load(store, "reference_dates", municipality)
    iso = [d.isoformat() for d in dates]
    _valid("reference_date", iso, iso[-1] if iso else None)
    if iso:
        chosen = sb.selectbox(
            "Stichtag", iso, key="reference_date", format_func=lambda d: fmt_date(date.fromisoformat(d))
        )
    else:  # only refugee data: no Stichtag of the population to choose
        chosen = None
        sb.caption(f"Stichtag: für {municipality} sind keine Einwohnerzahlen geladen.")

    levels = load(store, "levels", municipality) or [STADTTEIL]
    _valid("level", levels, STADTTEIL if STADTTEIL in levels else levels[0])
    level = sb.radio("Gebietsebene", levels, key="level", horizontal=True) if len(levels) > 1 else levels[0]

    districts = load(store, "districts", municipality, level)
    names_by_id = dict(zip(districts["district_id"], districts["district"], strict=True))
    st.session_state["districts"] = [d for d in st.session_state.get("districts", []) if d in names_by_id]
    selected = sb.multiselect(
        f"{level} auswählen",
        list(names_by_id),
        key="districts",
        format_func=names_by_id.get,
        placeholder="alle",
        help="Leer lassen für alle. Die Auswahl gilt auf allen Seiten.",
    )
    presentation = sb.toggle(
        "Präsentationsmodus",
        key="presentation",
        help="Große Schrift, eine Grafik je Bildschirm, ohne Seitenleiste – für den Beamer.",
    )
    exact = current_editor() is not None and sb.toggle(
        "Exakte Werte (nur intern)",
        key="exact_values",
        help="Zeigt auch Fallzahlen unter der Sperrgrenze. Nicht für Veröffentlichung, Präsentation oder Export.",
    )
    filters = Filters(
        municipality=municipality,
        reference_date=date.fromisoformat(chosen) if chosen else None,
        dates=dates,
        level=level,
        districts=list(selected),
        presentation=bool(presentation),
        public=bool(presentation) or not exact,
        synthetic=bool(meta["synthetic"]),
        source=meta["source"] if isinstance(meta["source"], str) else None,
        stichtag_sources=stichtag_sources(load(store, "population_sources", municipality)),
    )
    _to_url(filters)
    return filters
