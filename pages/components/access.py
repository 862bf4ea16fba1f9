"""The app's door to the data layer: one read-only Store per database file, cached query results.

An import swaps a new database file into place; the next rerun notices (the file's stamp changed),
opens the new file and reads fresh results, while sessions in the middle of a rerun finish on the old.
"""

from __future__ import annotations

import gc
from pathlib import Path

import streamlit as st

from charts.reads import SHARED
from charts.view import Source
from data.bootstrap import ensure_database
from data.errors import DataImportError
from data.store import Store, default_db_path, file_stamp


@st.cache_resource(max_entries=4, show_spinner=False)
def _open_store(path: str, stamp: tuple[int, int] | None) -> Store:
    gc.unfreeze()  # a new database version: the old version's shared views may be collected again (`_shared`)
    return Store(path)


def get_store(path: Path | None = None) -> Store:
    """The store of the configured database; builds the demo city on the very first start."""
    path = path or default_db_path()
    try:
        if not path.exists():
            with st.spinner("Erster Start: Die synthetische Demostadt „Musterstadt“ wird erzeugt …"):
                ensure_database(path)
        return _open_store(str(path), file_stamp(path))
    except (DataImportError, FileNotFoundError) as err:  # a broken database link: never a demo over it
        st.error(f"Die Datenbank kann nicht geöffnet werden. {err}", icon=":material/database:")
        st.stop()


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(_store: Store, key: tuple, method: str, args: tuple):
    return getattr(_store, method)(*args)


def load(store: Store, method: str, *args):
    """`store.<method>(*args)`, cached per database file and arguments."""
    return _cached(store, (str(store.path), store.stamp), method, args)


@st.cache_data(max_entries=512, show_spinner=False)
def _memo(key: tuple, _build):
    return _build()


@st.cache_resource(max_entries=256, show_spinner=False)
def _shared(key: tuple, _build):
    value = _build()
    # Streamlit collects garbage after every script run (`runner.postScriptGC`, a full gc.collect(2));
    # traversing every shared figure and the imported libraries again and again took half the server's
    # CPU under load. What is alive after a collection lives long: the collector leaves it alone from
    # here on, until the next database version (`_open_store`). A shared entry evicted before that
    # stays in memory until then: Plotly figures hold reference cycles.
    gc.collect()
    gc.freeze()
    return value


def memo(store: Store, key: tuple, build):
    """`build()`, cached per database version and `key` — which must name everything the result
    depends on. Tables are copied out of the cache (`st.cache_data`: a session may change its copy);
    finished work (`charts.reads.SHARED` keys: views, figures, screen boundaries) is shared by every
    session as it is, because building, pickling and unpickling a Plotly figure costs more than the
    query behind it — a Stichtag another session already looked at costs nothing."""
    cache = _shared if key and key[0] == SHARED else _memo
    return cache((str(store.path), store.stamp, *key), build)


class CachedReads:
    """The store's read methods, each result cached per database version (see `load`)."""

    def __init__(self, store: Store):
        self.store = store

    def __getattr__(self, method: str):
        if method.startswith("_") or not callable(getattr(self.store, method, None)):
            raise AttributeError(method)
        return lambda *args: load(self.store, method, *args)


def data_source(store: Store | None = None) -> Source:
    """What the view functions in `charts` read from: cached reads and a memo per database version."""
    store = store or get_store()
    return Source(CachedReads(store), memo=lambda key, build: memo(store, key, build))


def keep_uploads_in_memory(limit_mb: int) -> None:
    """Streamlit's web server (Starlette) spools every upload over 1 MB to a temporary file on disk
    before the page sees it. A person-level register extract must never touch the disk, so uploads
    up to the upload limit (`server.maxUploadSize`, refused above it) stay in memory."""
    from starlette.formparsers import MultiPartParser

    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, (limit_mb + 1) * 1024 * 1024)


def warm_up(path: Path | None = None) -> list[str]:
    """What the first reader after a server start would otherwise wait for (issue 17): the libraries
    the pages import, the store, and the default views of the newest Stichtag — the Übersicht and the
    Karte as a reader opens them on a desktop — in the shared caches. serve.py calls it before the
    port serves anybody. Returns what it built (nothing for an empty database)."""
    import pages.components.setup  # noqa: F401 - plotly, the frame and everything a page imports
    from charts.population_views import overview, share_map
    from charts.reads import detail_protection
    from charts.texts import SCHEMES
    from charts.view import Filters, stichtag_sources
    from data.store import STADTTEIL
    from indicators.catalogue import map_indicators
    from pages.components.state import default_municipality

    path = path or default_db_path()
    if not path.exists():
        ensure_database(path)
    store = _open_store(str(path), file_stamp(path))
    municipalities = load(store, "municipalities")
    if municipalities.empty:
        return []
    name = default_municipality(store, municipalities)
    dates = load(store, "reference_dates", name)
    if not dates:
        return []
    levels = load(store, "levels", name) or [STADTTEIL]
    meta = municipalities.set_index("name").loc[name]
    # the filters exactly as `state.sidebar_filters` makes them for a first visit: the cache keys match
    f = Filters(
        municipality=name,
        reference_date=dates[-1],
        dates=dates,
        level=STADTTEIL if STADTTEIL in levels else levels[0],
        synthetic=bool(meta["synthetic"]),
        source=meta["source"] if isinstance(meta["source"], str) else None,
        stichtag_sources=stichtag_sources(load(store, "population_sources", name)),
    )
    source = data_source(store)
    overview(source, f, "foreigner_share_pct")  # the Übersicht's first Kennzahl
    labels = len(source.reads.districts(f.municipality, f.level)) <= 30  # the Karte's default
    share_map(source, f, map_indicators()[0], scheme=next(iter(SCHEMES)), k=5, colours="Blues", labels=labels)
    built = [f"Übersicht und Karte, {name}, Stichtag {f.date_text}"]
    # the protection of the detail (age, nationality) of every district, which the Stadtteilprofil and
    # the Daten page need: at Berlin size the longest piece of work a first reader would wait for
    detail_protection(source, f)
    built.append(f"Schutz der Einzelangaben, Stichtag {f.date_text}")
    return built
