"""The Zensus 2022 Stichtag in the app: its source under the tables, its caveat and the difference to
the register on the Methodik page, the upload taking several files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from data.passwords import hash_password
from data.store import Store
from data.zensus import ZENSUS_SOURCE, import_zensus
from tests.apptest import open_app
from tests.zensus_grid import build_cells, write_files

CITY = "Musterstadt"


@pytest.fixture(scope="module")
def zensus_db(tmp_path_factory, demo_db: Path) -> Path:
    folder = tmp_path_factory.mktemp("zensus")
    path = folder / "z.duckdb"
    shutil.copyfile(demo_db.resolve(), path)
    store = Store(path)
    cells = build_cells(store.boundaries(CITY))
    store.close()
    files = write_files(cells, folder)
    import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], path, CITY)
    return path


def _text(at) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "subheader") for e in at.get(kind))


def test_methodik_shows_the_caveat_and_the_difference_table(monkeypatch, zensus_db):
    at = open_app(monkeypatch, zensus_db, "pages/methodik.py")
    text = _text(at)
    assert "Zensus 2022 aus Gitterzellen" in text
    assert f"Stichtag 15.05.2022: {ZENSUS_SOURCE}" in text
    assert "Zuordnung nach dem Mittelpunkt der Zelle" in text  # the caveat of this import, with its numbers
    table = next(d.value for d in at.dataframe if "Differenz Einwohner:innen" in d.value.columns)
    store = Store(zensus_db)
    register = store.population(CITY, date(2021, 12, 31)).set_index("district")
    store.close()
    row = table.set_index("Stadtteil").loc["Nordviertel"]
    assert row["Einwohner:innen Zensus 15.05.2022"] == "0"
    population = f"{register.at['Nordviertel', 'population']:,}".replace(",", ".")
    assert row["Einwohner:innen Melderegister 31.12.2021"] == population
    assert row["Differenz Einwohner:innen"] == f"−{population}"
    assert any("Differenz = Zensus − Melderegister" in c.value for c in at.caption)
    imports = at.dataframe[-1].value
    assert imports["Art"].iloc[0] == "Zensus 2022 (Gitterzellen)"


def test_daten_names_the_zensus_as_the_source_of_its_stichtag(monkeypatch, zensus_db):
    at = open_app(monkeypatch, zensus_db, "pages/daten.py", query={"stichtag": "2022-05-15"})
    assert any(f"Quelle: {ZENSUS_SOURCE} · Stichtag 15.05.2022" in c.value for c in at.caption)
    at = open_app(monkeypatch, zensus_db, "pages/daten.py", query={"stichtag": "2021-12-31"})
    captions = [c.value for c in at.caption]
    assert not any("Zensus" in c for c in captions) and any("Stichtag 31.12.2021" in c for c in captions)


def test_upload_of_zensus_takes_several_files(monkeypatch, zensus_db):
    secrets = {"editors": {"planung": hash_password("geheim-genug-123", iterations=1_000)}}
    at = open_app(monkeypatch, zensus_db, "pages/daten_laden.py", secrets=secrets)
    at.text_input(key="sign_in_name").set_value("planung")
    at.text_input(key="sign_in_password").set_value("geheim-genug-123")
    at.button[0].click().run()
    at.selectbox(key="upload_kind").set_value("zensus").run()
    assert not at.exception
    uploader = at.get("file_uploader")[0].proto
    assert uploader.multiple_files and {"csv", "zip"} <= {t.lstrip(".") for t in uploader.type}
