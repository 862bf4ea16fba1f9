"""Red-team cases on "Daten laden", driven through AppTest: files made here, exact expected outcome."""

from __future__ import annotations

import asyncio
import tempfile
import tomllib
from datetime import date
from pathlib import Path

import pytest
from starlette.requests import Request

import data.store
from data.parsing import MAX_FILE_BYTES
from data.store import Store
from pages.components.access import keep_uploads_in_memory
from tests.apptest import editor, open_app
from tests.store_cases import LUENEN

REPO = Path(__file__).resolve().parents[2]
REGISTER = "Stadtteil;Staatsangehörigkeit;Geburtsjahr;Geschlecht\n" + "Altstadt;deutsch;1980;w\n" * 3


@pytest.fixture
def demo_db(tmp_path):
    from data.bootstrap import install_demo

    db = tmp_path / "demo.duckdb"
    install_demo(db)
    return db


def upload(monkeypatch, db, kind, name, payload, when=None, municipality="Lünen"):
    """An editor on the page: kind, a new municipality, the Stichtag typed in, the file; up to the check."""
    at = open_app(monkeypatch, db, "pages/daten_laden.py", **editor())
    at.selectbox(key="upload_kind").set_value(kind).run()
    at.toggle(key="upload_new_municipality").set_value(True).run()
    at.text_input(key="upload_municipality").set_value(municipality).run()
    if when:
        at.date_input(key="upload_date").set_value(when).run()
    at.get("file_uploader")[0].set_value((name, payload, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_stichtag_typed_in_is_the_one_stored_and_named(demo_db, monkeypatch):
    at = upload(monkeypatch, demo_db, "population", "luenen.csv", LUENEN.read_bytes(), date(2013, 12, 31))
    assert at.date_input(key="upload_date").proto.min == "1950-01-01"
    assert [s.value for s in at.success] == [
        "Datei geprüft: 13 Zeilen lassen sich importieren (Lünen, Stichtag 31.12.2013)."
    ]
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Importiert aus luenen.csv (Bevölkerung): Lünen, Stichtag 31.12.2013, Ebene Stadtteil, 13 Zeilen."
    ]
    store = Store(demo_db)
    assert store.reference_dates("Lünen") == [date(2013, 12, 31)]
    store.close()


def test_one_row_is_one_zeile(demo_db, monkeypatch):
    one = b"Stadtteil;Einwohner\nAltstadt;1.000\n"
    at = upload(monkeypatch, demo_db, "population", "eins.csv", one, date(1990, 12, 31), "Testdorf")
    assert [s.value for s in at.success] == [
        "Datei geprüft: 1 Zeile lässt sich importieren (Testdorf, Stichtag 31.12.1990)."
    ]
    at.button(key="upload_confirm").click().run()
    assert [s.value for s in at.success] == [
        "Importiert aus eins.csv (Bevölkerung): Testdorf, Stichtag 31.12.1990, Ebene Stadtteil, 1 Zeile."
    ]


def test_register_upload_never_touches_the_temp_folder(demo_db, monkeypatch, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    at = upload(monkeypatch, demo_db, "register", "melderegister.csv", REGISTER.encode(), date(2024, 12, 31))
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        "Importiert aus melderegister.csv (Melderegister (aggregiert)): Lünen, Stichtag 31.12.2024, "
    )
    assert list(spool.iterdir()) == []


def test_the_web_server_keeps_a_large_upload_in_memory(monkeypatch, tmp_path):
    """Streamlit's server parses uploads with Starlette, which spools over 1 MB to a temporary file."""
    rolled = []
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: rolled.append(a) or pytest.fail("spooled"))
    keep_uploads_in_memory(50)
    payload = (REGISTER * 60_000).encode()  # about 5 MB of person-level rows
    body = (
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="melderegister.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + payload + b"\r\n--xx--\r\n"
    )

    async def parse():
        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {
            "type": "http",
            "method": "POST",
            "headers": [(b"content-type", b"multipart/form-data; boundary=xx")],
        }
        form = await Request(scope, receive).form()
        return await form["file"].read()

    assert asyncio.run(parse()) == payload and rolled == []


def test_one_upload_limit_said_in_german(demo_db, monkeypatch):
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
    at = open_app(monkeypatch, demo_db, "pages/daten_laden.py", **editor())
    assert at.get("file_uploader")[0].help == "Höchstens 50 MB je Datei."
    assert any(c.value.startswith("Höchstens 50 MB je Datei.") for c in at.caption)


def test_a_failed_clean_up_after_saving_is_success_with_a_warning(demo_db, monkeypatch):
    def fail(path):
        raise ValueError("invalid literal for int() with base 10: 'orher'")

    monkeypatch.setattr(data.store, "_prune_versions", fail)
    at = upload(monkeypatch, demo_db, "population", "luenen.csv", LUENEN.read_bytes(), date(2020, 12, 31))
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        "Importiert aus luenen.csv (Bevölkerung): Lünen, Stichtag 31.12.2020"
    )
    assert [w.value for w in at.warning] == [
        f"Die Daten sind gespeichert (Version {data.store.link_target(demo_db)}), aber ältere Versionen "
        "wurden nicht aufgeräumt (ValueError: invalid literal for int() with base 10: 'orher')."
    ]
