"""Bring your own data: header mappings, Excel title rows, unknown Stadtteile, undo, hostile input."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.audit import undo_last
from data.errors import DataImportError
from data.parsing import normalise_header, parse_count, read_table
from data.population import KNOWN_HEADERS, import_population, parse_population
from data.store import Store

LUENEN = Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv"
STICHTAG = date(2020, 12, 31)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _population(db: Path, municipality: str) -> pd.DataFrame:
    store = Store(db)
    try:
        return store.population(municipality)
    finally:
        store.close()


def test_mapping_names_unusual_headers(tmp_path, db_path):
    src = tmp_path / "export.csv"
    src.write_text(
        "Gebiet;Bevölkerung;Ausländerinnen und Ausländer (Anzahl)\nNord;1.200;300\nSüd;800;40\n",
        encoding="cp1252",
    )
    with pytest.raises(DataImportError, match="Ausländerinnen und Ausländer \\(Anzahl\\)|Einwohnerzahl"):
        import_population(src, db_path, "Teststadt", STICHTAG, mapping={"population": "Einwohner gesamt"})
    import_population(
        src,
        db_path,
        "Teststadt",
        STICHTAG,
        mapping={"population": "Bevölkerung", "foreigners": "Ausländerinnen und Ausländer (Anzahl)"},
    )
    counts = _population(db_path, "Teststadt")
    assert counts["foreigners"].tolist() == [300, 40]


def test_excel_with_title_rows_and_two_row_header(tmp_path, db_path):
    # the group header sits above "Anzahl | Anteil"; the row above that is the real header row
    title = [["Bevölkerung nach Stadtteilen, Stichtag 31.12.2020", None, None, None], [None] * 4]
    sheet = pd.DataFrame(
        [
            *title,
            ["", "", "Ausländer:innen", ""],
            ["Stadtteil", "Einwohner", "Anzahl", "Anteil"],
            ["Nord", 1000, 100, "10,0%"],
            ["Süd", 500, 25, "5,0 %"],
            ["Gesamt", 1500, 125, None],
        ]
    )
    src = tmp_path / "bevoelkerung.xlsx"
    sheet.to_excel(src, index=False, header=False)
    frame = read_table(src, known=KNOWN_HEADERS)
    assert list(frame.columns)[:4] == ["Stadtteil", "Einwohner", "Ausländer:innen", "Anteil Ausländer:innen"]
    assert list(frame.index) == [5, 6, 7]  # spreadsheet row numbers
    import_population(src, db_path, "Teststadt", STICHTAG)
    assert _population(db_path, "Teststadt")["foreigners"].tolist() == [100, 25]

    sheet.iloc[5, 3] = "9,0 %"  # a published share that does not fit is reported at its cell
    sheet.to_excel(src, index=False, header=False)
    with pytest.raises(DataImportError, match='Zeile 6, Spalte "Anteil Ausländer:innen"'):
        import_population(src, db_path, "Teststadt", STICHTAG)


def test_unknown_stadtteil_is_refused_once_boundaries_exist(koeln_dir, tmp_path, db_path):
    from data.boundaries import import_boundaries

    import_boundaries(koeln_dir / "raw" / "Stadtteil.shp", db_path, "Köln")
    before = _digest(db_path)
    src = tmp_path / "koeln.csv"
    src.write_text("Stadtteil;Einwohner\nAltstadt/Süd;1000\nDelbrück;500\n", encoding="utf-8")
    with pytest.raises(DataImportError) as err:
        import_population(src, db_path, "Köln", STICHTAG)
    assert 'Zeile 3, Spalte "Stadtteil"' in str(err.value) and "Meinten Sie „Dellbrück“" in str(err.value)
    assert _digest(db_path) == before
    # without a key column, names are matched to the keys the boundaries brought
    src.write_text("Stadtteil;Einwohner\nAltstadt/Süd;1000\nDellbrück;500\n", encoding="utf-8")
    import_population(src, db_path, "Köln", STICHTAG)
    assert set(_population(db_path, "Köln")["district_id"]) == {"101", "905"}


def test_undo_restores_the_replaced_snapshot(tmp_path, db_path):
    import_population(LUENEN, db_path, "Lünen", STICHTAG)
    corrected = tmp_path / "korrigiert.csv"
    corrected.write_bytes(
        LUENEN.read_bytes()
        .replace(b"Alstedde;6.417;538;8,4%", b"Alstedde;6.417;540;8,4%")
        .replace(b"13.259", b"13.261")
    )
    import_population(corrected, db_path, "Lünen", STICHTAG)
    assert _population(db_path, "Lünen").set_index("district").loc["Alstedde", "foreigners"] == 540
    message = undo_last(db_path, "population", "Lünen")
    assert "korrigiert.csv" in message
    restored = _population(db_path, "Lünen").set_index("district")
    assert restored.loc["Alstedde", "foreigners"] == 538 and len(restored) == 13
    log = Store(db_path).imports()
    assert log["undone_at"].notna().tolist() == [True, False]
    undo_last(db_path, "population", "Lünen")  # the first import can be undone too
    assert _population(db_path, "Lünen").empty
    with pytest.raises(DataImportError, match="keinen Import"):
        undo_last(db_path, "population", "Lünen")


def test_undo_boundaries_brings_back_old_geometry(koeln_dir, db_path):
    from data.boundaries import import_boundaries

    import_population(koeln_dir / "koeln_bevoelkerung_wide.csv", db_path, "Köln")
    assert Store(db_path).boundaries("Köln").empty
    import_boundaries(koeln_dir / "raw" / "Stadtteil.shp", db_path, "Köln")
    assert len(Store(db_path).boundaries("Köln")) == 86
    undo_last(db_path, "boundaries")
    store = Store(db_path)
    assert store.boundaries("Köln").empty and len(store.districts("Köln")) == 86


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=400))
def test_random_bytes_never_give_a_traceback(tmp_path, payload):
    src = tmp_path / "zufall.csv"
    try:
        frame = read_table(src, payload, known=KNOWN_HEADERS)
        parse_population(frame, "Teststadt", STICHTAG)
    except DataImportError as err:
        assert "zufall.csv" in str(err)


@given(n=st.integers(min_value=0, max_value=10**8))  # above: no plausible count (parsing.MAX_COUNT)
def test_parse_count_reads_every_german_spelling(n):
    dotted = f"{n:,}".replace(",", ".")
    spaced = f"{n:,}".replace(",", " ")
    assert parse_count(str(n)) == parse_count(dotted) == parse_count(spaced) == n


@given(text=st.text(max_size=30))
def test_header_normalisation_is_stable(text):
    once = normalise_header(text)
    assert normalise_header(once) == once and once.isascii()


@pytest.mark.parametrize(
    "spelling", ["Einwohner:innen", "Einwohner*innen", "EINWOHNER", " EW ", "Einwohner_innen"]
)
def test_population_header_spellings(spelling):
    assert normalise_header(spelling) in KNOWN_HEADERS


@pytest.fixture(scope="module")
def shared_demo(tmp_path_factory) -> Path:
    from data.bootstrap import install_demo

    db = tmp_path_factory.mktemp("fuzz") / "demo.duckdb"
    install_demo(db)
    return db


@pytest.mark.parametrize(
    "kind", ["population", "register", "allocations", "quota", "occupancy", "boundaries"]
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_random_upload_of_any_kind_is_refused_cleanly(shared_demo, kind, payload):
    from data.upload import run_import

    before = _digest(shared_demo)
    name = "zufall.geojson" if kind == "boundaries" else "zufall.csv"
    try:
        run_import(kind, name, payload, shared_demo, "Musterstadt", STICHTAG, check_only=True)
    except DataImportError as err:
        assert "zufall" in str(err)
    assert _digest(shared_demo) == before
