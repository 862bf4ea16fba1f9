"""Small numbers on the pages: readers see `•`, an editor may ask for exact values, presentations never."""

from __future__ import annotations

from datetime import date

import pytest

from data.passwords import hash_password
from data.population import import_population
from pages.components.auth import SESSION_KEY, issue_token
from tests.apptest import figures, open_app

HASH = hash_password("geheim-genug-123", iterations=1_000)


@pytest.fixture
def small_town(tmp_path):
    src = tmp_path / "dorf.csv"
    src.write_text(
        "Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n"
        "01;Oberdorf;1.250;140;310\n02;Unterdorf;980;96;201\n03;Mühlenweiler;60;2;9\n",
        encoding="utf-8",
    )
    db = tmp_path / "dorf.duckdb"
    import_population(src, db, "Kleinstadt", date(2023, 12, 31))
    return db


def _hover(at) -> str:
    return " ".join(
        str(t.get("text", "")) + str(t.get("hovertext", "")) for f in figures(at) for t in f["data"]
    )


def test_reader_sees_suppressed_cells(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, "pages/karte.py")
    hover = _hover(at)
    assert "Mühlenweiler" not in hover or "Ausländer:innen: 2<" not in hover
    assert "Ausländeranteil: 3,3 %" not in hover  # 2 of 60 would give it away
    assert any(c.value.startswith("• = ") and "Geheimhaltung" in c.value for c in at.caption)
    assert "exact_values" not in [t.key for t in at.toggle]  # readers have no way to exact values


def test_editor_may_switch_to_exact_values_but_presentation_stays_public(small_town, monkeypatch):
    at = open_app(
        monkeypatch,
        small_town,
        secrets={"editors": {"planung": HASH}},
        state={SESSION_KEY: issue_token("planung", hours=1), "exact_values": True},
    )
    at.switch_page("pages/karte.py").run()
    assert "Ausländeranteil: 3,3 %" in _hover(at)
    assert any("nur in der öffentlichen Ansicht" in c.value for c in at.caption)
    at.toggle(key="presentation").set_value(True).run()
    assert "Ausländeranteil: 3,3 %" not in _hover(at)
