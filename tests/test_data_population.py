"""Population import: real municipal files in, the published figures back out; bad files change nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataImportError
from data.parsing import parse_count, parse_date, parse_percent
from data.population import import_population
from data.store import Store

FIXTURES = Path(__file__).parent / "data"
LUENEN = FIXTURES / "luenen_stadtteile_2020.csv"
STICHTAG = date(2020, 12, 31)


def _db_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(path: Path, municipality: str, when: date | None = None) -> pd.DataFrame:
    store = Store(path)
    try:
        return store.population(municipality, when)
    finally:
        store.close()


def test_luenen_csv_windows_1252_semicolon_gives_published_counts(db_path):
    report = import_population(LUENEN, db_path, "Lünen", STICHTAG)
    assert report.rows == 13  # the "Lünen" total row is checked, not stored
    counts = _counts(db_path, "Lünen", STICHTAG)
    assert len(counts) == 13
    assert counts["population"].sum() == 87815
    assert counts["foreigners"].sum() == 13259
    assert counts["migration_background"].sum() == 30179
    row = counts.set_index("district").loc["Geistviertel & Lippolthausen"]
    assert (row["population"], row["foreigners"], row["migration_background"]) == (5425, 816, 2497)
    assert "Lünen-Süd" in set(counts["district"])  # umlaut from cp1252 decoded


def test_reimport_replaces_snapshot_and_logs(db_path):
    import_population(LUENEN, db_path, "Lünen", STICHTAG)
    report = import_population(LUENEN, db_path, "Lünen", STICHTAG)
    assert "31.12.2020 (13 Zeilen)" in report.replaced
    assert len(_counts(db_path, "Lünen")) == 13
    store = Store(db_path)
    log = store.imports()
    store.close()
    assert list(log["kind"]) == ["population", "population"]
    assert set(log["file_name"]) == {LUENEN.name}
    assert log["file_sha256"].iloc[0] == hashlib.sha256(LUENEN.read_bytes()).hexdigest()


def test_utf8_comma_csv_with_key_and_stichtag_column(tmp_path, db_path):
    src = tmp_path / "stadtteile.csv"
    src.write_text(
        "Nr,Stadtteil,Stichtag,Einwohner*innen,Ausländer*innen\n"
        "001,Altstadt,31.12.2021,1000,100\n"
        "002,Neustadt,31.12.2021,500,250\n",
        encoding="utf-8",
    )
    import_population(src, db_path, "Testdorf")
    counts = _counts(db_path, "Testdorf", date(2021, 12, 31))
    assert list(counts["district_id"]) == ["001", "002"]  # leading zeros kept
    assert counts["migration_background"].isna().all()  # not in the file: unknown, not zero


def test_xlsx_is_read(tmp_path, db_path):
    src = tmp_path / "stadtteile.xlsx"
    pd.DataFrame(
        {"Stadtteil": ["A", "B", "Gesamt"], "EW": [1200, 800, 2000], "Ausländer": [100, 300, 400]}
    ).to_excel(src, index=False)
    import_population(src, db_path, "Testdorf", STICHTAG)
    assert _counts(db_path, "Testdorf")["population"].tolist() == [1200, 800]


def test_koeln_wide_file_all_years(koeln_dir, db_path):
    report = import_population(koeln_dir / "koeln_bevoelkerung_wide.csv", db_path, "Köln")
    assert [d.year for d in report.reference_dates] == list(range(2005, 2013))
    store = Store(db_path)
    try:
        stadtteile = store.population("Köln", date(2005, 12, 31))
        bezirke = store.population("Köln", date(2005, 12, 31), level="Stadtbezirk")
    finally:
        store.close()
    assert len(stadtteile) == 86 and len(bezirke) == 9
    assert stadtteile["population"].sum() == 1023101  # the Stadtteile add up to the city
    assert stadtteile["migration_background"].sum() / stadtteile["population"].sum() * 100 == pytest.approx(
        30.63, abs=0.005
    )
    assert stadtteile["foreigners"].sum() / stadtteile["population"].sum() * 100 == pytest.approx(
        17.17, abs=0.005
    )
    assert bezirke["population"].sum() == 1023101
    assert "Dellbrück" in set(stadtteile["district"])


BAD_FILES = {
    "negative": ("Stadtteil;Einwohner;Ausländer\nA;1.000;-3\n", 'Zeile 2, Spalte "Ausländer"', "negativ"),
    "not a number": (
        "Stadtteil;Einwohner;Ausländer\nA;1.000;viele\n",
        'Zeile 2, Spalte "Ausländer"',
        "keine Zahl",
    ),
    "decimal count": ("Stadtteil;Einwohner\nA;1000,5\n", 'Zeile 2, Spalte "Einwohner"', "keine ganze Zahl"),
    "missing header": ("Gebietsname;Einwohner\nA;1000\n", "Zeile 1", "Stadtteil"),
    "no population": ("Stadtteil;Ausländer\nA;10\n", "Zeile 1", "Einwohnerzahl"),
    "total mismatch": (
        "Stadtteil;Einwohner;Ausländer\nA;1.000;10\nB;500;5\nGesamt;1.600;15\n",
        'Zeile 4, Spalte "Einwohner"',
        "(1500) stimmt nicht",
    ),
    "share mismatch": (
        "Stadtteil;Einwohner;Ausländer;Anteil Ausländer\nA;1.000;100;12,0%\n",
        'Zeile 2, Spalte "Anteil Ausländer"',
        "passt nicht",
    ),
    "foreigners above population": (
        "Stadtteil;EW;Ausländer\nA;10;11\n",
        'Zeile 2, Spalte "Ausländer"',
        "Mehr",
    ),
    "mh below foreigners": (
        "Stadtteil;EW;Ausländer;MH\nA;100;30;20\n",
        'Zeile 2, Spalte "MH"',
        "Weniger Personen mit Migrationshintergrund",
    ),
    "duplicate": ("Stadtteil;EW\nA;10\nA;12\n", "Zeile 3", "mehrfach"),
    "empty": ("", "", "leer"),
    "bad date": ("Stadtteil;Stichtag;EW\nA;31.13.2020;10\n", 'Zeile 2, Spalte "Stichtag"', "kein Datum"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_change_nothing(case, tmp_path, db_path):
    import_population(LUENEN, db_path, "Lünen", STICHTAG)
    before = _db_digest(db_path)
    content, where, what = BAD_FILES[case]
    bad = tmp_path / "kaputt.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(DataImportError) as err:
        import_population(bad, db_path, "Lünen", STICHTAG)
    message = str(err.value)
    assert "kaputt.csv" in message and where in message and what in message
    assert "nichts geändert" in message
    assert _db_digest(db_path) == before
    assert not list(db_path.parent.glob("*.tmp"))


def test_failure_inside_write_transaction_leaves_database_unchanged(db_path, monkeypatch):
    import_population(LUENEN, db_path, "Lünen", STICHTAG)
    before = _db_digest(db_path)
    from data import store as store_module

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module.Writer, "finish_import", explode)
    with pytest.raises(RuntimeError):
        import_population(LUENEN, db_path, "Lünen", date(2021, 12, 31))
    assert _db_digest(db_path) == before
    assert len(_counts(db_path, "Lünen")) == 13


def test_reader_keeps_answering_while_import_swaps_file(db_path):
    import_population(LUENEN, db_path, "Lünen", STICHTAG)
    reader = Store(db_path)
    import_population(LUENEN, db_path, "Lünen", date(2021, 12, 31))
    assert not reader.is_current()
    assert len(reader.population("Lünen")) == 13  # the old file, still consistent
    reader.close()
    assert len(_counts(db_path, "Lünen")) == 26


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("6.417", 6417),
        ("6417", 6417),
        ("1 788 994", 1788994),
        ("87.815", 87815),
        ("6417.0", 6417),
        ("", None),
        (".", None),
        ("-", None),
        ("0", 0),
    ],
)
def test_parse_count(raw, value):
    assert parse_count(raw) == value


def test_parse_percent_and_date():
    assert parse_percent("8,4%") == pytest.approx(8.4)
    assert parse_percent("22,5 %") == pytest.approx(22.5)
    assert parse_date("31.12.2020") == date(2020, 12, 31)
    assert parse_date("2020-12-31") == date(2020, 12, 31)
    assert parse_date("2012") == date(2012, 12, 31)
