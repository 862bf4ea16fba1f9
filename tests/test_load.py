"""The load runner and the multi-process setup, at a tiny size: they work and count right, never timings.

Each test starts real Streamlit processes on 127.0.0.1 (and nginx where installed) and stops them."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import cluster, load
from benchmarks import generate as gen
from benchmarks.sessions import Server

TINY = gen.Sizes(districts=8, stichtage=2, nationalities=6, bezirke=2)
REQUIRE_NGINX = os.environ.get("INTEGRATIONSMONITOR_REQUIRE_NGINX") == "1"


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("load") / "tiny.duckdb"
    gen.generate(path, TINY)
    return path


def test_memo_shares_finished_work_and_copies_tables(tmp_path):
    """Finished views are one object for every session; tables come out of the cache as copies."""
    import streamlit as st

    from charts.reads import SHARED
    from data.store import Store
    from pages.components.access import memo

    db = tmp_path / "memo.duckdb"
    gen.generate(db, gen.Sizes(districts=4, stichtage=1, nationalities=3, bezirke=1))
    store = Store(db)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        built = []
        first = memo(store, (SHARED, "view", 1), lambda: built.append(1) or {"figure": [1, 2]})
        again = memo(store, (SHARED, "view", 1), lambda: built.append(1) or {"figure": [1, 2]})
        assert first is again and built == [1]
        frame = memo(store, ("table", 1), lambda: pd.DataFrame({"a": [1]}))
        assert memo(store, ("table", 1), lambda: None) is not frame  # a copy per session
        assert memo(store, ("table", 1), lambda: None).equals(frame)
    finally:
        store.close()
        st.cache_data.clear()
        st.cache_resource.clear()


def test_load_runner_drives_every_page_through_the_websocket(tiny_db, tmp_path):
    with Server(tiny_db, tmp_path / "streamlit.log") as server:
        server.wait_healthy()
        for page in load.PAGES:
            result = load.load_page(
                server.url, page, 2, 1, server.cpu_seconds, think_s=(0.0, 0.1), deadline_s=120
            )
            assert result.errors == [], result.errors
            assert len(result.opens) == 2 and len(result.changes) == 2
            assert result.server_cpu > 0 and result.bytes_received > 0
            assert result.seen == [("direct", TINY.stichtage)] * 2


def test_load_runner_counts_a_missing_page_as_error(tiny_db, tmp_path):
    with Server(tiny_db, tmp_path / "streamlit.log") as server:
        server.wait_healthy()
        result = load.load_page(server.url, "gibt-es-nicht", 1, 1, server.cpu_seconds, deadline_s=60)
    assert result.opens == [] and len(result.errors) == 1


@pytest.mark.skipif(not cluster.nginx_available() and not REQUIRE_NGINX, reason="nginx not installed")
def test_two_processes_behind_nginx_see_one_import(tmp_path):
    """Pages load through nginx from both processes (sticky per browser cookie); a new database
    version written by an import is what both processes serve from the next session on."""
    db = tmp_path / "shared.duckdb"
    gen.generate(db, TINY)
    with cluster.Cluster(db, tmp_path / "cluster", processes=2) as proxy:
        before = load.load_page(
            proxy.url, "karte", 6, 1, proxy.cpu_seconds, think_s=(0.0, 0.1), deadline_s=120
        )
        assert before.errors == [], before.errors
        assert len({up for up, _ in before.seen}) == 2, before.seen  # both processes served sessions
        assert {n for _, n in before.seen} == {TINY.stichtage}
        gen.generate(db, gen.Sizes(districts=8, stichtage=3, nationalities=6, bezirke=2))  # the import
        after = load.load_page(
            proxy.url, "karte", 6, 1, proxy.cpu_seconds, think_s=(0.0, 0.1), deadline_s=120
        )
        assert after.errors == [], after.errors
        assert len({up for up, _ in after.seen}) == 2, after.seen
        assert {n for _, n in after.seen} == {3}  # the new Stichtag, in every process


def test_nginx_config_is_filled_in(tmp_path):
    text = cluster.nginx_config(tmp_path, 8080, [8501, 8502])
    assert not any(f"@{name}@" in text for name in ("PREFIX", "LISTEN", "SERVERS"))
    assert "server 127.0.0.1:8501;" in text and "server 127.0.0.1:8502;" in text
    assert "listen 127.0.0.1:8080;" in text and "proxy_set_header Upgrade $http_upgrade;" in text
    assert "hash $sticky consistent;" in text


def test_a_frozen_figure_writes_the_same_json_and_refuses_changes():
    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from charts.reads import FrozenFigure, freeze
    from charts.view import ChartView

    figure = go.Figure(go.Bar(x=np.arange(4), y=np.array([1.5, 2.0, 3.0, 4.0]), text=["a"] * 4))
    figure.update_layout(title="Anteil", meta={"excerpt": True})
    before = pio.to_json(figure, validate=False)
    view = freeze([ChartView("k", "Titel", figure, pd.DataFrame({"a": [1]}))])[0]
    assert view.figure is figure and isinstance(figure, FrozenFigure)
    assert pio.to_json(figure, validate=False) == before == pio.to_json(figure, validate=False)
    assert figure.to_dict() is figure.to_dict()  # worked out once
    with pytest.raises(TypeError):
        figure.update_layout(title="anders")
    copy = go.Figure(figure).update_layout(title="anders")  # what the beamer and the export do
    assert copy.layout.title.text == "anders" and figure.layout.title.text == "Anteil"
