"""Running it as a city service: settings in one place, logs one line per event, the readiness check,
OIDC editors by group, the publisher on the report (deploy/ itself: tests/test_deploy.py)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

import settings
from data.__main__ import main as data_cli
from data.bootstrap import install_demo
from pages.components.auth import oidc_editor

REPO = Path(__file__).resolve().parents[1]
LUENEN = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"


# --- settings -------------------------------------------------------------------------------------


def test_every_setting_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Einstellungen", 1)[1].split("\n\n#", 1)[0]
    for env in settings.ENVIRONMENT:
        assert f"`{env.name}`" in table, env.name
    for section in settings.SECRETS:
        assert f"`[{section}]`" in table, section


def test_no_module_but_settings_reads_the_apps_environment():
    readers = []
    for path in REPO.glob("*/**/*.py"):
        if path.parts[len(REPO.parts)] in {"tests", "benchmarks"}:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"(os\.environ|getenv)[^\n]*INTEGRATIONSMONITOR_|st\.secrets", text):
            readers.append(path.relative_to(REPO).as_posix())
    assert readers == []


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.DB.name, raising=False)
    assert settings.db_path() == REPO / "data" / "integrationsmonitor.duckdb"
    monkeypatch.setenv(settings.DB.name, str(tmp_path / "x.duckdb"))
    monkeypatch.setenv(settings.THRESHOLD.name, "5")
    assert settings.db_path() == tmp_path / "x.duckdb" and settings.threshold() == 5
    monkeypatch.setenv(settings.THRESHOLD.name, "0")
    with pytest.raises(ValueError):
        settings.threshold()
    assert settings.max_upload_mb() == 50 or os.environ.get(settings.MAX_UPLOAD.name)


# --- logging --------------------------------------------------------------------------------------


def _log_to(stream: io.StringIO, monkeypatch, fmt: str) -> logging.Logger:
    monkeypatch.setenv(settings.LOG_FORMAT.name, fmt)
    monkeypatch.setenv(settings.LOG_LEVEL.name, "INFO")
    settings.configure_logging(stream)
    return logging.getLogger("integrationsmonitor.test")


def test_text_log_is_one_line_per_event_even_with_a_traceback(monkeypatch):
    stream = io.StringIO()
    log = _log_to(stream, monkeypatch, "text")
    settings.event(log, logging.INFO, "editor signed in", user="planung", client="10.0.0.9")
    log.debug("not at INFO")
    try:
        raise ValueError("kaputt\nzweite Zeile")
    except ValueError:
        log.exception("Seite fehlgeschlagen")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        "INFO integrationsmonitor.test editor signed in user='planung' client='10.0.0.9'"
    )
    assert "Traceback" in lines[1] and "ValueError: kaputt | zweite Zeile" in lines[1]


def test_json_log_has_the_fields_and_the_traceback(monkeypatch):
    stream = io.StringIO()
    log = _log_to(stream, monkeypatch, "json")
    settings.event(log, logging.WARNING, "failed sign-in", user="x", known=False)
    try:
        raise ZeroDivisionError("durch null")
    except ZeroDivisionError:
        log.exception("Seite fehlgeschlagen")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "failed sign-in" and first["user"] == "x" and first["known"] is False
    assert first["level"] == "WARNING" and first["logger"] == "integrationsmonitor.test"
    assert "ZeroDivisionError" in second["traceback"]


def test_a_wrong_log_setting_is_refused(monkeypatch):
    monkeypatch.setenv(settings.LOG_FORMAT.name, "xml")
    with pytest.raises(ValueError):
        settings.configure_logging(io.StringIO())


def test_imports_and_undo_are_logged_with_user_file_hash_and_rows(tmp_path, caplog):
    from data.audit import undo_last
    from data.upload import confirm_import, log_undo

    db = tmp_path / "im.duckdb"
    install_demo(db)
    payload = LUENEN.read_bytes()
    caplog.set_level(logging.INFO, "integrationsmonitor.events")
    confirm_import("population", LUENEN.name, payload, db, "Lünen", date(2020, 12, 31), None, "planung")
    with pytest.raises(Exception, match="nicht importiert"):
        confirm_import("population", "leer.csv", b"a;b\n", db, "Lünen", date(2020, 12, 31), None, "planung")
    undo_last(db, "population", "Lünen")
    log_undo("planung", "population", "Lünen")
    records = [(r.getMessage(), getattr(r, "fields", {})) for r in caplog.records]
    messages = [m for m, _ in records]
    assert messages == [
        "import started",
        "import finished",
        "import started",
        "import refused",
        "import undone",
    ]
    started, finished = records[0][1], records[1][1]
    assert started["user"] == "planung" and started["file"] == LUENEN.name
    assert started["sha256"] == hashlib.sha256(payload).hexdigest()
    assert finished["rows"] > 0 and "warnings" in finished
    assert all("password" not in str(f) for _, f in records)


# --- readiness ------------------------------------------------------------------------------------


def test_check_answers_0_for_a_good_database_and_1_for_a_broken_one(demo_db, tmp_path, capsys):
    assert data_cli(["check", "--db", str(demo_db)]) == 0
    assert "Datenbank bereit" in capsys.readouterr().out
    assert data_cli(["check", "--db", str(tmp_path / "fehlt.duckdb")]) == 1
    assert "Datenbank nicht bereit" in capsys.readouterr().err
    broken = tmp_path / "kaputt.duckdb"
    broken.write_bytes(b"kein DuckDB")
    assert data_cli(["check", "--db", str(broken)]) == 1
    link = tmp_path / "link.duckdb"
    link.symlink_to(tmp_path / "weg.duckdb.v1")
    assert data_cli(["check", "--db", str(link)]) == 1
    assert not (tmp_path / "weg.duckdb.v1").exists(), "a check never builds anything"


# --- OIDC -----------------------------------------------------------------------------------------


def test_oidc_editors_by_address_or_group_claim():
    groups = {"list": ["/integrationsmonitor-redaktion"]}
    keycloak = {"email": "a@stadt.de", "groups": ["/integrationsmonitor-redaktion", "/alle"]}
    assert oidc_editor(keycloak, [], groups) == "a@stadt.de"
    assert oidc_editor({"email": "b@stadt.de", "groups": ["/alle"]}, [], groups) is None
    assert oidc_editor({"email": "b@stadt.de"}, ["b@stadt.de"], {}) == "b@stadt.de"
    adfs = {"upn": "c@stadt.de", "preferred_username": "c", "role": "Integrationsmonitor-Redaktion"}
    assert oidc_editor(adfs, [], {"claim": "role", "list": ["Integrationsmonitor-Redaktion"]}) == "c"
    assert oidc_editor({"groups": ["integrationsmonitor-redaktion"]}, [], groups) is None  # nobody named


def test_the_report_title_page_names_the_publisher_and_shows_the_logo(monkeypatch, tmp_path):
    from charts.report import Report, to_pdf, to_pptx

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    monkeypatch.setenv(settings.ORGANISATION.name, "Stadt Lünen · Integrationsrat")
    monkeypatch.setenv(settings.LOGO.name, str(REPO / "static" / "favicon.png"))
    report = Report("Lünen", date(2020, 12, 31), [], 3, [], [("Quelle", "Stadt Lünen")])
    pdf = tmp_path / "bericht.pdf"
    pdf.write_bytes(to_pdf(report))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Stadt Lünen · Integrationsrat" in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.splitlines()) > 2, "the logo is on the title page"
    from pptx import Presentation

    deck = Presentation(io.BytesIO(to_pptx(report)))
    title = deck.slides[0]
    assert any(s.shape_type == 13 for s in title.shapes)  # a picture: the logo
    assert "Stadt Lünen · Integrationsrat" in "\n".join(
        s.text_frame.text for s in title.shapes if s.has_text_frame
    )
