"""The in-process measurements: import, shares, time series, pandas path, map payload, page reruns,
register import. Each returns plain numbers; the runner (`__main__`) repeats, summarises and reports."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.generate import MINOR_AGE_GROUPS, MUNICIPALITY, nationality_names
from data.demo import GERMANY
from data.store import ENV_DB, Store, writing
from indicators.shares import changes, shares

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def repeat(fn: Callable[[int], object], n: int, warmup: int = 1) -> list[float]:
    """Seconds of n calls fn(i) after `warmup` untimed calls (i counts on through the warm-up)."""
    for i in range(warmup):
        fn(i)
    return [timed(lambda i=i: fn(warmup + i))[0] for i in range(n)]


# --- shares and series: the app's path ----------------------------------------------------------------


def app_shares(store: Store, when: date) -> pd.DataFrame:
    """What the Karte and Übersicht compute for one Stichtag: the totals query, then `shares()`."""
    return shares(store.population(MUNICIPALITY, when))


def app_series(store: Store, district_id: str) -> pd.DataFrame:
    """The time series of one district as the profile page gets it: all totals, `changes()`, one row set."""
    series = changes(store.population(MUNICIPALITY))
    return series[series["district_id"] == district_id]


# --- the same with plain pandas on the detail --------------------------------------------------------


def pandas_shares(detail: pd.DataFrame, when: pd.Timestamp, names: dict[str, str]) -> pd.DataFrame:
    """Shares for one Stichtag from person counts in memory: filter, sum per district, `shares()`."""
    day = detail[detail["reference_date"] == when]
    persons = day["persons"]
    minors = day["age_group"].isin(MINOR_AGE_GROUPS)
    with_mh = day["migration_status"] == "mit"
    counts = (
        pd.DataFrame(
            {
                "district_id": day["district_id"],
                "population": persons,
                "foreigners": persons.where(day["nationality"] != GERMANY, 0),
                "migration_background": persons.where(with_mh, 0),
                "minors": persons.where(minors, 0),
                "minors_migration_background": persons.where(minors & with_mh, 0),
            }
        )
        .groupby("district_id", as_index=False, sort=False)
        .sum()
    )
    counts.insert(1, "district", counts["district_id"].map(names))
    return shares(counts)


# --- map payload -------------------------------------------------------------------------------------


def map_figure(store: Store, when: date, simplify_m: float | None = None, decimals: int | None = None):
    """The Karte's figure at the Stichtag (default indicator, quantiles, 5 classes, no labels as the page
    chooses for more than 30 districts). `simplify_m`/`decimals` are what-ifs for smaller payloads."""
    import shapely

    from charts.figures import district_map
    from charts.reads import indicator_values, screen_shapes
    from charts.texts import source_line
    from geo.boundaries import from_wkb, simplify_boundaries
    from indicators.catalogue import get, map_indicators

    key = map_indicators()[0]
    table = shares(store.population(MUNICIPALITY, when))
    shapes = screen_shapes(from_wkb(store.boundaries(MUNICIPALITY)))  # what the Karte page sends
    if simplify_m:
        shapes = simplify_boundaries(shapes, simplify_m)
    if decimals is not None:
        shapes = shapes.set_geometry(shapely.set_precision(shapes.geometry.values, 10.0**-decimals))
    indicator = get(key)
    return district_map(
        shapes,
        indicator_values(table, key),
        indicator,
        title=f"{indicator.label} nach Stadtteil, {MUNICIPALITY}",
        source=source_line(None, when.strftime("%d.%m.%Y")),
        labels=False,
    )


def payload(fig) -> dict[str, int]:
    """Bytes of the figure JSON (what Streamlit sends), gzipped, and its geometry and hover parts."""
    text = fig.to_json()
    spec = json.loads(text)
    geometry = sum(len(json.dumps(t.get("geojson", ""), separators=(",", ":"))) for t in spec["data"])
    hover = sum(len(json.dumps(t.get("text", ""), ensure_ascii=False)) for t in spec["data"])
    raw = text.encode("utf-8")
    return {"bytes": len(raw), "gzip": len(gzip.compress(raw, 6)), "geometry": geometry, "hover": hover}


# --- page reruns in AppTest ---------------------------------------------------------------------------


def page_reruns(db: Path, page: str, dates: list[date], n: int, exact: bool = False) -> dict:
    """Seconds of n reruns of `page` after changing the Stichtag (the first runs are not counted).

    Each rerun picks a Stichtag not shown before in this session (the query cache misses, as when a
    planner steps through the years), cycling when there are fewer Stichtage than reruns.
    Default: the public view every reader gets (small counts suppressed); `exact`: a signed-in
    editor with "Exakte Werte" switched on (no suppression). `cpu`: CPU seconds of this process per
    rerun, the steadier number on a shared machine (wall time waits for the other work on it).
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest, app_test

    class NavigationPagesManager(PagesManager):  # as in tests/test_pages_dashboard.py
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    app_test.PagesManager = NavigationPagesManager
    os.environ[ENV_DB] = str(db)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=900)
    if exact:
        from data.passwords import hash_password
        from pages.components.auth import SESSION_KEY, issue_token

        at.secrets["editors"] = {"benchmark": hash_password("nur-fuer-die-messung")}
        at.session_state[SESSION_KEY] = issue_token("benchmark", hours=1)
        at.session_state["exact_values"] = True
    first, _ = timed(lambda: at.run().switch_page(page).run())
    _check(at, page)
    order = [d for d in reversed(dates[:-1])] or dates  # the app opens on the last Stichtag
    seconds, cpu = [], []
    for i in range(n):
        at.selectbox(key="reference_date").set_value(order[i % len(order)].isoformat())
        started = time.process_time()  # every thread of this process: AppTest runs the script in its own
        seconds.append(timed(at.run)[0])
        cpu.append(time.process_time() - started)
        _check(at, page)
    charts = len(at.get("plotly_chart"))
    st.cache_data.clear()
    st.cache_resource.clear()
    return {"first": first, "seconds": seconds, "cpu": cpu, "charts": charts}


def _check(at, page: str) -> None:
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    if not at.get("plotly_chart"):
        raise RuntimeError(f"{page}: no chart")


def public_view_once(store: Store, when: date, before: date) -> int:
    """`indicators.disclosure.public_view` on the Stadtteil table as `charts.reads.indicator_table` builds it;
    returns the number of hidden cells."""
    from indicators.disclosure import public_view

    counts, previous = store.population(MUNICIPALITY, when), store.population(MUNICIPALITY, before)
    table = shares(counts)
    changed = changes(pd.concat([previous, counts], ignore_index=True))
    changed = changed[changed["reference_date"] == counts["reference_date"].iloc[0]]
    extra = [c for c in changed.columns if c.endswith(("_change", "_change_pp"))]
    table = table.merge(changed[["district_id", *extra]], on="district_id", how="left")
    _, mask = public_view(table, 3, previous=previous)
    return int(mask.to_numpy().sum())


# --- person-level register extract -------------------------------------------------------------------


def register_extract(path: Path, rows: int, district_names: list[str], when: date, seed: int = 11) -> int:
    """A person-level CSV (Stadtteil, Staatsangehörigkeit, Geburtsjahr, Geschlecht, Migrationshintergrund)."""
    rng = np.random.default_rng(seed)
    nationalities = np.array(nationality_names(190)[1:], dtype=object)
    weights = 1.0 / np.arange(1, len(nationalities) + 1) ** 1.1
    foreign = rng.random(rows) < 0.24
    nationality = np.where(
        foreign, nationalities[rng.choice(len(nationalities), rows, p=weights / weights.sum())], "deutsch"
    )
    age = np.minimum(rng.gamma(2.2, 19.0, rows).astype(int), 105)
    frame = pd.DataFrame(
        {
            "Stadtteil": np.array(district_names, dtype=object)[rng.integers(0, len(district_names), rows)],
            "Staatsangehörigkeit": nationality,
            "Geburtsjahr": when.year - age,
            "Geschlecht": rng.choice(np.array(["m", "w", "d"], dtype=object), rows, p=[0.495, 0.5, 0.005]),
            "Migrationshintergrund": np.where(foreign | (rng.random(rows) < 0.14), "ja", "nein"),
        }
    )
    frame.to_csv(path, sep=";", index=False)
    return path.stat().st_size


def districts_only_db(path: Path, source: Store) -> None:
    """A database holding only Benchstadt's districts (the register import's target)."""
    frame = source.query("SELECT * EXCLUDE (import_id) FROM districts WHERE municipality = ?", [MUNICIPALITY])
    with writing(path) as w:
        w.ensure_municipality(MUNICIPALITY, synthetic=True)
        w.insert("districts", frame)


def import_register_once(extract: Path, db: Path, when: date) -> dict:
    from data.register import import_register

    seconds, report = timed(lambda: import_register(extract, db, MUNICIPALITY, when))
    return {"seconds": seconds, "cells": report.rows}
