"""Helpers for driving the app in `streamlit.testing.v1.AppTest` (imported by the page tests)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


class NavigationPagesManager(PagesManager):
    """AppTest re-detects the `pages/` folder before every run and would then run a page without
    app.py (Streamlit's legacy page folder). A real server switches that off with the first
    `st.navigation` call; do the same here, so every run goes through the router."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def open_app(
    monkeypatch,
    db: Path,
    page: str | None = None,
    query: dict | None = None,
    state: dict | None = None,
    secrets: dict | None = None,
) -> AppTest:
    """The app on database `db`, optionally with URL parameters, session state, secrets, then a page."""
    monkeypatch.setenv("INTEGRATIONSMONITOR_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    """The plotly figures on the page, as JSON."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def numbers(array) -> np.ndarray:
    """A plotly 7 array: a list, or {"dtype", "bdata"} base64."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).astype(float)
    return np.asarray(array, dtype=float)


def editor(name: str = "planung") -> dict:
    """`open_app` keyword arguments for a signed-in editor: a configured account and its signed token
    (a bare name in the session grants nothing)."""
    from data.passwords import hash_password
    from pages.components.auth import SESSION_KEY, issue_token

    return {
        "secrets": {"editors": {name: hash_password("geheim-genug-123", iterations=1_000)}},
        "state": {SESSION_KEY: issue_token(name, hours=1)},
    }
