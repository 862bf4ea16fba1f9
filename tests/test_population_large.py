"""Big population files: the column-wise import stores exactly what the file says.

The import checks rows as columns and the levels one Stichtag at a time (data.population_rows,
data.population_levels). These tests pin it to figures computed here independently of it: a
published CSV as benchmarks.reading writes it, read back with the csv module, and a table of many
Stichtage with Stadtbezirke and a total, which must store the same as its Stichtage imported one by
one as small files.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.reading import published_csv
from data.errors import DataImportError
from data.population import import_population
from data.store import Store


def _stored(db_path: Path, municipality: str, table: str = "population") -> list[tuple]:
    store = Store(db_path)
    try:
        columns = {
            "population": "reference_date, district_id, population, foreigners, migration_background",
            "districts": "district_id, name, level, parent_id",
        }[table]
        frame = store.query(
            f"SELECT {columns} FROM {table} WHERE municipality = ? ORDER BY ALL", [municipality]
        )
    finally:
        store.close()
    if "reference_date" in frame:
        frame["reference_date"] = frame["reference_date"].dt.date
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def _number(cell: str) -> int | None:
    """A count as the statistics offices write it: `-` is nothing (0), `.` and `x` are unknown."""
    text = cell.strip()
    if text == "-":
        return 0
    return None if text in (".", "x") else int(text.replace(" ", ""))


def test_published_csv_stores_every_generated_count(tmp_path, db_path):
    path = tmp_path / "veroeffentlicht.csv"
    published_csv(path, 2.0)
    with path.open(encoding="cp1252", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))
    body = [line for line in lines[4:] if len(line) == 6]  # title, blank line and header above; notes below
    expected = sorted(
        (
            date(int(stichtag[-4:]), 12, 31),
            key,
            _number(population),
            _number(foreigners),
            _number(migration),
        )
        for key, _, stichtag, population, foreigners, migration in body
    )
    assert len(expected) > 25_000  # a big file: ~1,200 Stadtteile on 25 Stichtage

    report = import_population(path, db_path, "Großstadt")

    assert report.rows == len(expected)
    assert _stored(db_path, "Großstadt") == expected
    assert any(row[3] is None for row in expected)  # the file has signs, stored as unknown


def _district_table(rng: np.random.Generator, years: range) -> list[list[str]]:
    """Gesamt, then per Stadtbezirk (key 1–9) its row and its Stadtteile (keys 101 …), per year."""
    rows = []
    for year in years:
        bezirke = []
        for b in range(1, 10):
            teile = []
            for t in range(1, int(rng.integers(3, 12)) + 1):
                population = int(rng.integers(500, 40_000))
                foreigners = int(population * rng.random() * 0.3)
                migration = foreigners + int((population - foreigners) * rng.random() * 0.3)
                teile.append([f"{b}{t:02d}", f"Stadtteil {b}-{t}", population, foreigners, migration])
            head = [sum(t[i] for t in teile) for i in (2, 3, 4)]
            bezirke.append([[str(b), f"Bezirk {b}", *head], *teile])
        total = [sum(bz[0][i] for bz in bezirke) for i in (2, 3, 4)]
        rows.append(["0", "Gesamt", *total, year])
        rows += [[*r, year] for bz in bezirke for r in bz]
    return [[str(c) for c in r] for r in rows]


def _write(path: Path, rows: list[list[str]]) -> Path:
    header = "Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund;Jahr\n"
    path.write_text(header + "".join(";".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_many_stichtage_in_one_file_store_what_they_store_one_by_one(tmp_path):
    rng = np.random.default_rng(12)
    years = range(2001, 2016)
    rows = _district_table(rng, years)
    whole, pieces = tmp_path / "whole.duckdb", tmp_path / "pieces.duckdb"

    report = import_population(_write(tmp_path / "alle.csv", rows), whole, "Großstadt")
    for year in years:
        part = [r for r in rows if r[-1] == str(year)]
        import_population(_write(tmp_path / f"{year}.csv", part), pieces, "Großstadt")

    stored = _stored(whole, "Großstadt")
    assert stored == _stored(pieces, "Großstadt")
    assert _stored(whole, "Großstadt", "districts") == _stored(pieces, "Großstadt", "districts")
    bezirke = {r[0] for r in _stored(whole, "Großstadt", "districts") if r[2] == "Stadtbezirk"}
    assert bezirke == {str(b) for b in range(1, 10)}  # the key structure found the upper level
    # every Stadtteil, every Stadtbezirk and the published total of every year, nothing twice
    assert len(stored) == len(rows)
    assert report.rows == len(rows) - len(years)
    totals = {r[0]: r[2] for r in stored if r[1] == ""}
    assert [totals[d] for d in sorted(totals)] == [int(r[2]) for r in rows if r[1] == "Gesamt"]


STORED = [(1, "Nord", 100, 40, 50), (2, "Süd", 200, 30, 90)]
NEW_POPULATION = [(2020, 1, "Nord", 30), (2020, 2, "Süd", 80), (2021, 1, "Nord", 45), (2021, 2, "Süd", 210)]


def _lines(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_reimport_without_a_measure_refuses_stored_counts_above_the_new_population(tmp_path, db_path):
    header = "Nr;Stadtteil;Stichtag;Einwohner"
    first = [f"{n};{name};31.12.{y};{p};{f};{m}" for y in (2020, 2021) for n, name, p, f, m in STORED]
    import_population(
        _lines(tmp_path / "erst.csv", f"{header};Ausländer;Migrationshintergrund", first), db_path, "K"
    )
    second = [f"{n};{name};31.12.{y};{p}" for y, n, name, p in NEW_POPULATION]
    with pytest.raises(DataImportError) as refused:
        import_population(_lines(tmp_path / "dann.csv", header, second), db_path, "K")
    assert [p.message for p in refused.value.problems] == [
        "Die gespeicherten Ausländer:innen (40) zum Stichtag 31.12.2020 übersteigen die neue Einwohnerzahl "
        "(30) von 1; bitte die Datei mit der Spalte „Ausländer:innen“ liefern.",
        "Die gespeicherten Personen mit Migrationshintergrund (50) zum Stichtag 31.12.2020 übersteigen die "
        "neue Einwohnerzahl (30) von 1; bitte die Datei mit der Spalte „Personen mit Migrationshintergrund“ "
        "liefern.",
        "Die gespeicherten Personen mit Migrationshintergrund (90) zum Stichtag 31.12.2020 übersteigen die "
        "neue Einwohnerzahl (80) von 2; bitte die Datei mit der Spalte „Personen mit Migrationshintergrund“ "
        "liefern.",
        "Die gespeicherten Personen mit Migrationshintergrund (50) zum Stichtag 31.12.2021 übersteigen die "
        "neue Einwohnerzahl (45) von 1; bitte die Datei mit der Spalte „Personen mit Migrationshintergrund“ "
        "liefern.",
    ]
