"""A workbook with one table per sheet and a GeoPackage with several layers: the upload page asks which."""

from __future__ import annotations

import io
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from data.passwords import hash_password
from data.store import Store
from data.upload import parts, run_import
from pages.components.auth import SESSION_KEY, issue_token
from tests.apptest import open_app

ROWS = {"Altstadt": (1200, 150, 300), "Neustadt": (800, 90, 210), "Hafen": (500, 60, 120)}


def _workbook() -> bytes:
    """Two sheets named by their Stichtag, as offices save one year per sheet, and a notes sheet."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        for year, grow in (("2020", 0), ("2021", 10)):
            frame = pd.DataFrame(
                [(n, p + grow, f, m) for n, (p, f, m) in ROWS.items()],
                columns=["Stadtteil", "Einwohner", "Ausländer", "Migrationshintergrund"],
            )
            frame.to_excel(book, sheet_name=year, index=False)
        pd.DataFrame({"Hinweis": ["Quelle: Melderegister"]}).to_excel(
            book, sheet_name="Hinweise", index=False
        )
    return buffer.getvalue()


def _geopackage(tmp_path) -> bytes:
    """Stadtteile and Stadtbezirke as two layers of areas near Lünen, and a layer of points."""
    path = tmp_path / "grenzen.gpkg"
    teile = gpd.GeoDataFrame(
        {"STT_NR": ["1", "2", "3"], "STT_NAME": list(ROWS)},
        geometry=[box(7.50 + i * 0.01, 51.60, 7.51 + i * 0.01, 51.61) for i in range(3)],
        crs=4326,
    )
    teile.to_file(path, layer="stadtteile", driver="GPKG")
    teile.dissolve().assign(STT_NR="9", STT_NAME="Mitte").to_file(path, layer="bezirke", driver="GPKG")
    teile.set_geometry(teile.centroid).to_file(path, layer="punkte", driver="GPKG")
    return path.read_bytes()


def test_a_workbook_with_a_table_per_sheet_offers_its_sheets_and_imports_the_chosen(db_path):
    payload = _workbook()
    assert parts("population", "einwohner.xlsx", payload) == ["2020", "2021"]
    report = run_import("population", "einwohner.xlsx", payload, db_path, "Beispielstadt", part="2021")
    assert report.reference_dates == [date(2021, 12, 31)]
    store = Store(db_path)
    try:
        assert store.population("Beispielstadt", date(2021, 12, 31))["population"].sum() == 2530
    finally:
        store.close()


def test_a_geopackage_with_two_layers_of_areas_offers_them(tmp_path, db_path):
    payload = _geopackage(tmp_path)
    assert parts("boundaries", "grenzen.gpkg", payload) == ["stadtteile", "bezirke"]
    assert parts("boundaries", "grenzen.geojson", b"{}") == []


@pytest.mark.parametrize("kind", ["population"])
def test_the_page_asks_for_the_sheet(monkeypatch, db_path, kind):
    editor = {
        "secrets": {"editors": {"planung": hash_password("geheim-genug-123", iterations=1_000)}},
        "state": {SESSION_KEY: issue_token("planung", hours=1)},
    }
    from data.bootstrap import install_demo

    install_demo(db_path)
    at = open_app(monkeypatch, db_path, "pages/daten_laden.py", **editor)
    at.selectbox(key="upload_kind").set_value(kind).run()
    at.toggle(key="upload_new_municipality").set_value(True).run()
    at.text_input(key="upload_municipality").set_value("Beispielstadt").run()
    at.get("file_uploader")[0].set_value(("einwohner.xlsx", _workbook(), "application/vnd.ms-excel")).run()
    assert not at.exception, [e.value for e in at.exception]
    (choice,) = [s for s in at.selectbox if s.label == "Tabellenblatt"]
    assert choice.options == ["2020", "2021"]
    choice.set_value("2021").run()
    assert any("Stichtag 31.12.2021" in s.value for s in at.success), [s.value for s in at.success]
