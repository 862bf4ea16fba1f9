"""A newcomer's first start: no database yet, the app builds the demo city by itself."""

from __future__ import annotations

from data.store import Store
from tests.apptest import figures, open_app


def test_first_start_without_database_builds_the_demo(tmp_path, monkeypatch):
    db = tmp_path / "neu" / "integrationsmonitor.duckdb"
    assert not db.exists()
    at = open_app(monkeypatch, db)
    assert db.exists()
    store = Store(db)
    assert store.municipalities()["name"].tolist() == ["Musterstadt"]
    store.close()
    assert figures(at), "the default page shows a chart"
    assert any("Musterstadt" in i.value and "synthetisch" in i.value for i in at.info)
