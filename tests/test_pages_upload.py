"""Daten laden: only signed-in editors see the upload; a check never writes; the import does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.errors import DataImportError
from data.passwords import hash_password, verify_password
from data.store import Store
from data.upload import preview, problems_table, run_import
from tests.apptest import open_app

LUENEN = Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv"
HASH = hash_password("geheim-genug-123", iterations=1_000)  # few iterations: a test, not a deployment


@pytest.fixture
def demo_db(tmp_path):
    """A demo database of this test's own: these tests import into it."""
    from data.bootstrap import install_demo

    db = tmp_path / "demo.duckdb"
    install_demo(db)
    return db


def _app(monkeypatch, db: Path, secrets: dict | None = None) -> AppTest:
    return open_app(monkeypatch, db, "pages/daten_laden.py", secrets=secrets)


def test_readers_see_no_upload_and_a_setup_hint(demo_db, monkeypatch):
    at = _app(monkeypatch, demo_db)
    assert not at.exception
    assert any("hash-password" in w.value for w in at.warning)
    assert not at.get("file_uploader")


def test_editor_signs_in_with_password(demo_db, monkeypatch):
    at = _app(monkeypatch, demo_db, {"editors": {"planung": HASH}})
    at.text_input(key="sign_in_name").set_value("planung")
    at.text_input(key="sign_in_password").set_value("falsch")
    at.button[0].click().run()
    assert any("falsch" in e.value for e in at.error)
    at.text_input(key="sign_in_password").set_value("geheim-genug-123")
    at.button[0].click().run()
    assert not at.exception
    assert any("Angemeldet als **planung**" in c.value for c in at.caption)
    assert at.get("file_uploader")


def test_password_hashes():
    assert verify_password("geheim-genug-123", HASH)
    assert not verify_password("geheim-genug-124", HASH)
    assert not verify_password("x", "kaputt")
    assert hash_password("a") != hash_password("a")  # salted


def test_check_only_writes_nothing_then_import_writes(demo_db):
    payload = LUENEN.read_bytes()
    before = demo_db.read_bytes()
    table, summary = preview("population", LUENEN.name, payload)
    assert summary.startswith("14 Zeilen") and "Brambauer" in set(table["Stadtteil"])
    checked = run_import(
        "population", LUENEN.name, payload, demo_db, "Lünen", date(2020, 12, 31), check_only=True
    )
    assert checked.rows == 13 and demo_db.read_bytes() == before
    run_import("population", LUENEN.name, payload, demo_db, "Lünen", date(2020, 12, 31), user="planung")
    store = Store(demo_db)
    assert store.population("Lünen")["population"].sum() == 87815
    assert store.imports()["imported_by"].iloc[0] == "planung"
    store.close()


def test_refused_upload_lists_every_problem(demo_db):
    bad = LUENEN.read_bytes().replace(b"4.344", b"-4.344").replace(b"19.265", b"viele")
    with pytest.raises(DataImportError) as err:
        run_import("population", "q3.csv", bad, demo_db, "Lünen", date(2020, 12, 31), check_only=True)
    table = problems_table(err.value)
    row4 = table[table["Zeile"] == 4]
    assert {"Einwohner:innen", "Ausländer:innen"} <= set(row4["Spalte"])
    assert len(table) == len(err.value.problems), "every finding, also the sums they break (row 15)"


def test_register_preview_hides_persons(tmp_path):
    payload = "Stadtteil;Staatsangehörigkeit;Geburtsjahr;Geschlecht\nAltstadt;deutsch;1980;w\n".encode()
    table, summary = preview("register", "auszug.csv", payload)
    assert list(table.columns) == ["Spalte"] and summary.startswith("1 Person;")
