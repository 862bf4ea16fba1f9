"""The warm-up of serve.py (issue 17) builds exactly what a first reader's Übersicht and Karte ask
for: after it, opening both builds no view and no map any more."""

from __future__ import annotations

import pytest

import charts.population_views as views
from pages.components.access import warm_up
from tests.apptest import figures, open_app


@pytest.fixture
def builds(monkeypatch):
    """Every view and map actually built (not taken from the shared cache), by kind."""
    built = []
    for name in ("_overview", "_share_map"):
        original = getattr(views, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            built.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(views, name, counting)
    return built


def test_after_the_warm_up_the_first_reader_builds_nothing(demo_db, monkeypatch, builds):
    monkeypatch.setenv("INTEGRATIONSMONITOR_DB", str(demo_db))
    assert warm_up() == [
        "Übersicht und Karte, Musterstadt, Stichtag 31.12.2024",
        "Schutz der Einzelangaben, Stichtag 31.12.2024",
    ]
    warmed = len(builds)
    assert warmed >= 2
    at = open_app(monkeypatch, demo_db, "pages/karte.py")  # the Übersicht first, then the Karte
    assert figures(at)
    assert builds[warmed:] == []


def test_after_the_warm_up_the_profile_does_not_protect_the_detail_again(demo_db, monkeypatch):
    """The joint protection of every district's age and nationality detail is the longest piece of
    work at Berlin size (charts.reads.detail_protection): the warm-up does it for the newest Stichtag."""
    import charts.reads as reads

    monkeypatch.setenv("INTEGRATIONSMONITOR_DB", str(demo_db))
    warm_up()
    calls = []
    original = reads.protect_detail
    monkeypatch.setattr(reads, "protect_detail", lambda *a, **k: calls.append(1) or original(*a, **k))
    at = open_app(monkeypatch, demo_db, "pages/profil.py", query={"stadtteile": "Altstadt"})
    assert figures(at)
    assert calls == []


def test_without_it_the_first_reader_builds_them(demo_db, monkeypatch, builds):
    at = open_app(monkeypatch, demo_db, "pages/karte.py")
    assert figures(at)
    assert "_overview" in builds and "_share_map" in builds


def test_a_database_without_municipalities_warms_nothing(tmp_path):
    from data.store import writing

    db = tmp_path / "leer.duckdb"
    with writing(db):  # the schema, no data
        pass
    assert warm_up(db) == []


LIFESPAN = """
import asyncio, sys, time
import serve

def slow():
    time.sleep(3)
    return []

def broken():
    raise RuntimeError("kaputt")

async def main():
    serve.WARM_UP_SECONDS = 0.3
    for warm in (slow, broken):
        serve._warm_up = warm
        started = time.perf_counter()
        async with serve.lifespan(None):
            print(f"served after {time.perf_counter() - started:.1f} s", file=sys.stderr)

asyncio.run(main())
"""


def test_the_warm_up_is_bounded_and_never_stops_the_server():
    """serve.py's lifespan (own process: importing serve builds the st.App)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", LIFESPAN],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "warm-up still running, serving anyway seconds=0.3" in done.stderr
    assert "warm-up failed error='RuntimeError: kaputt'" in done.stderr
    served = [float(x) for x in re.findall(r"served after ([\d.]+) s", done.stderr)]
    assert len(served) == 2 and max(served) < 2.0  # the 3-second warm-up was cut off after 0.3 s
