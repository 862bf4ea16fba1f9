"""Shared fixtures: where the real data lives, and fresh databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from hypothesis import settings
from streamlit.testing.v1 import app_test

from tests.apptest import NavigationPagesManager

# Property tests check behaviour, not speed (speed is measured in benchmarks/): on a loaded two-core CI
# machine a single example may take longer than hypothesis's default 200 ms deadline.
settings.register_profile("integrationsmonitor", deadline=None)
settings.load_profile("integrationsmonitor")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KOELN = SHARED / "data" / "koeln"


@pytest.fixture(scope="session")
def koeln_dir() -> Path:
    """The Köln open data in ../shared/data/koeln; tests using it skip where it is absent."""
    if not (KOELN / "koeln_bevoelkerung_wide.csv").exists():
        pytest.skip("../shared/data/koeln is not available on this machine")
    return KOELN


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a database file that does not exist yet."""
    return tmp_path / "test.duckdb"


@pytest.fixture(autouse=True)
def fresh_streamlit(monkeypatch):
    """Streamlit caches outlive an AppTest; every test starts without them, and through the router."""
    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo city, built once per test run. Tests must not write to it (use install_demo on a tmp path)."""
    from data.bootstrap import install_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    install_demo(path)
    return path
