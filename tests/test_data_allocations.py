"""Allocation, quota and occupancy imports: the Kamp-Lintfort figures in, refused files change nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.allocations import import_allocations, parse_period
from data.errors import DataImportError
from data.occupancy import import_occupancy
from data.quota import import_quota
from data.store import Store

FIXTURES = Path(__file__).parent / "data"
ZUWEISUNGEN = FIXTURES / "kamp_lintfort_zuweisungen_2021_2022.csv"
UNTERBRINGUNG = FIXTURES / "kamp_lintfort_unterbringung.csv"
KL = "Kamp-Lintfort"


def _table(path: Path, table: str, municipality: str = KL) -> pd.DataFrame:
    store = Store(path)
    try:
        return store.table(table, municipality)
    finally:
        store.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022", (date(2022, 1, 1), "year")),
        ("2022-03", (date(2022, 3, 1), "month")),
        ("03/2022", (date(2022, 3, 1), "month")),
        ("3/2022", (date(2022, 3, 1), "month")),
        ("März 2022", (date(2022, 3, 1), "month")),
        ("15.03.2022", (date(2022, 3, 15), "day")),
        ("2022-03-15", (date(2022, 3, 15), "day")),
        ("", None),
    ],
)
def test_periods(raw, expected):
    assert parse_period(raw) == expected


@pytest.mark.parametrize("raw", ["13/2022", "Frühling 2022", "2022-13", "abc"])
def test_bad_periods(raw):
    with pytest.raises(ValueError):
        parse_period(raw)


def test_kamp_lintfort_allocations_windows_1252(db_path):
    report = import_allocations(ZUWEISUNGEN, db_path, KL)
    assert report.rows == 21  # 11 countries 2021, 10 in 2022; GESAMT rows checked, not stored
    rows = _table(db_path, "allocations")
    rows["year"] = pd.to_datetime(rows["period_start"]).dt.year
    by_year = rows.groupby("year")["persons"].sum().to_dict()
    assert by_year == {2021: 61, 2022: 445}
    assert rows.groupby("year")["minors"].sum().to_dict() == {2021: 27, 2022: 155}
    ukraine = rows[(rows["country"] == "Ukraine")].iloc[0]
    assert (ukraine["persons"], ukraine["minors"]) == (388, 135)
    assert set(rows["period_type"]) == {"year"}
    # blanks in "davon Kinder" stay unknown, they do not become 0
    assert rows.set_index(["year", "country"]).loc[(2021, "Ägypten"), "minors"] is pd.NA or pd.isna(
        rows.set_index(["year", "country"]).loc[(2021, "Ägypten"), "minors"]
    )
    assert rows["minors"].isna().sum() == 6


def test_reimport_replaces_the_periods_of_the_file(db_path, tmp_path):
    import_allocations(ZUWEISUNGEN, db_path, KL)
    report = import_allocations(ZUWEISUNGEN, db_path, KL)
    assert "2021 (11 Zeilen)" in report.replaced and "2022 (10 Zeilen)" in report.replaced
    assert len(_table(db_path, "allocations")) == 21
    only_2023 = _write(tmp_path, "z.csv", "Zeitraum,Herkunftsland,Personen\n2023,Syrien,5\n")
    import_allocations(only_2023, db_path, KL)
    assert len(_table(db_path, "allocations")) == 22  # 2021 and 2022 untouched


def test_months_replace_a_stored_year_only_when_complete(db_path, tmp_path):
    import_allocations(
        _write(tmp_path, "y.csv", "Zeitraum;Herkunftsland;Personen\n2023;Syrien;12\n"), db_path, KL
    )
    before = _digest(db_path)
    march = _write(tmp_path, "m.csv", "Zeitraum;Herkunftsland;Personen\n03/2023;Syrien;2\n")
    with pytest.raises(DataImportError, match="nur einen Teil"):
        import_allocations(march, db_path, KL)
    assert _digest(db_path) == before
    year = "\n".join(f"2023-{m:02d};Syrien;1" for m in range(1, 13))
    report = import_allocations(
        _write(tmp_path, "all.csv", "Zeitraum;Herkunftsland;Personen\n" + year), db_path, KL
    )
    assert "2023 (1 Zeile)" in report.replaced
    rows = _table(db_path, "allocations")
    assert set(rows["period_type"]) == {"month"} and rows["persons"].sum() == 12


@pytest.mark.parametrize(
    ("text", "message", "row", "column"),
    [
        ("Zeitraum;Land;Personen;davon Kinder\n2022;Syrien;3;4\n", "Mehr Kinder", 2, "davon Kinder"),
        ("Zeitraum;Land;Personen\n2022;Syrien;drei\n", "keine Zahl", 2, "Personen"),
        ("Zeitraum;Land;Personen\n2022;Syrien;-3\n", "negativ", 2, "Personen"),
        ("Zeitraum;Land;Personen\nirgendwann;Syrien;3\n", "kein Zeitraum", 2, "Zeitraum"),
        ("Zeitraum;Land;Personen\n2022;;3\n", "Herkunftsland fehlt", 2, "Land"),
        ("Zeitraum;Land;Personen\n2022;Syrien;3\n2022;Syrien;4\n", "mehrfach", 2, "Land"),
        ("Zeitraum;Land;Personen\n2022;Syrien;3\n2022;Gesamt;4\n", "Summe der Länder (3)", 3, "Personen"),
        ("Zeitraum;Land;Personen\n2022;Syrien;3\n2022-03;Irak;1\n", "doppelt gezählt", 3, "Zeitraum"),
        ("Jahr;Anzahl\n2022;3\n", 'Keine Spalte "Herkunftsland"', 1, None),
    ],
)
def test_malformed_allocations_are_refused_and_nothing_changes(db_path, tmp_path, text, message, row, column):
    import_allocations(ZUWEISUNGEN, db_path, KL)
    before = _digest(db_path)
    with pytest.raises(DataImportError) as err:
        import_allocations(_write(tmp_path, "bad.csv", text), db_path, KL)
    problem = next(p for p in err.value.problems if message in p.message)
    assert (problem.row, problem.column) == (row, column)
    assert "bad.csv" in str(err.value) and "nichts geändert" in str(err.value)
    assert _digest(db_path) == before


def test_kamp_lintfort_occupancy_flags_verdichtung(db_path):
    report = import_occupancy(UNTERBRINGUNG, db_path, KL)
    assert report.rows == 3
    assert any("Verdichtung" in w.message and w.row == 2 for w in report.warnings)
    rows = _table(db_path, "occupancy")
    assert rows["occupants"].sum() == 314 and rows["fehlbeleger"].sum() == 121
    assert set(pd.to_datetime(rows["reference_date"])) == {pd.Timestamp("2022-10-31")}
    facilities = _table(db_path, "facilities")
    assert "Zentralunterkunft Friedrichstraße" in set(facilities["facility"])
    assert facilities["district_id"].isna().all()
    again = import_occupancy(UNTERBRINGUNG, db_path, KL)
    assert "31.10.2022 (3 Unterkünfte)" in again.replaced
    assert len(_table(db_path, "occupancy")) == 3


def test_occupancy_stadtteil_by_name_or_key(tmp_path):
    from data.bootstrap import install_demo

    db = tmp_path / "demo.duckdb"
    install_demo(db)
    src = _write(
        tmp_path,
        "u.csv",
        "Stichtag,Unterkunft,Plätze,Belegt,Fehlbeleger,Stadtteil\n"
        "2025-01-31,Neue Unterkunft,40,10,,Altstadt\n2025-01-31,Zweite Unterkunft,20,5,1,042\n",
    )
    import_occupancy(src, db, "Musterstadt")
    facilities = _table(db, "facilities", "Musterstadt").set_index("facility")["district_id"]
    assert facilities["Neue Unterkunft"] == "011" and facilities["Zweite Unterkunft"] == "042"
    assert facilities["Zentralunterkunft Hafenstraße"] == "013"  # the demo's facilities stay
    rows = _table(db, "occupancy", "Musterstadt")
    assert pd.isna(rows.set_index("facility").loc["Neue Unterkunft", "fehlbeleger"])


@pytest.mark.parametrize(
    ("text", "message", "row", "column"),
    [
        (
            "Stichtag;Unterkunft;Plätze;Belegt;Fehlbeleger\n31.10.2022;A;10;8;9\n",
            "Mehr Fehlbeleger",
            2,
            "Fehlbeleger",
        ),
        (
            "Stichtag;Unterkunft;Plätze;Belegt;Stadtteil\n31.10.2022;A;10;8;Atlantis\n",
            "Atlantis",
            2,
            "Stadtteil",
        ),
        ("Stichtag;Unterkunft;Plätze;Belegt\n31.13.2022;A;10;8\n", "kein Datum", 2, "Stichtag"),
        ("Stichtag;Unterkunft;Plätze;Belegt\n31.10.2022;A;;8\n", "Plätze fehlt", 2, "Plätze"),
        (
            "Stichtag;Unterkunft;Plätze;Belegt\n31.10.2022;A;10;8\n31.10.2022;A;10;8\n",
            "mehrfach",
            2,
            "Unterkunft",
        ),
        (
            "Stichtag;Unterkunft;Plätze;Belegt\n31.10.2022;A;10;8\n31.10.2022;Gesamt;10;9\n",
            "Gesamtzeile",
            3,
            "Belegt",
        ),
    ],
)
def test_malformed_occupancy_is_refused_and_nothing_changes(db_path, tmp_path, text, message, row, column):
    import_occupancy(UNTERBRINGUNG, db_path, KL)
    before = _digest(db_path)
    with pytest.raises(DataImportError) as err:
        import_occupancy(_write(tmp_path, "bad.csv", text), db_path, KL)
    problem = next(p for p in err.value.problems if message in p.message)
    assert (problem.row, problem.column) == (row, column)
    assert _digest(db_path) == before


def test_quota_file_with_many_municipalities(db_path, tmp_path):
    import_allocations(ZUWEISUNGEN, db_path, KL)
    src = _write(
        tmp_path,
        "quote.csv",
        "Stichtag;Kommune;Aufnahmeverpflichtung;Ist;Erfüllungsquote\n"
        "31.12.2022;Stadt Kamp-Lintfort;520;498;95,77\n31.12.2022;Moers;1.200;1.250;104,2 %\n",
    )
    report = import_quota(src, db_path)
    assert report.rows == 2
    assert _table(db_path, "quotas")[["quota_target", "quota_actual"]].values.tolist() == [[520, 498]]
    assert len(_table(db_path, "quotas", "Moers")) == 1
    assert "Kamp-Lintfort (1 Stichtage)" in import_quota(src, db_path).replaced


@pytest.mark.parametrize(
    ("rate", "ok"), [("95,77", True), ("96", True), ("95,8", True), ("95,7", False), ("97", False)]
)
def test_published_fulfilment_rate_is_checked_to_its_decimals(db_path, tmp_path, rate, ok):
    src = _write(
        tmp_path, "q.csv", f"Stichtag;Kommune;Soll;Ist;Erfüllungsquote\n31.12.2022;A;520;498;{rate}\n"
    )
    if ok:
        import_quota(src, db_path)
    else:
        with pytest.raises(DataImportError, match="Erfüllungsquote"):
            import_quota(src, db_path)
        assert not db_path.exists()


def test_quota_missing_municipality_is_refused(db_path, tmp_path):
    src = _write(tmp_path, "q.csv", "Stichtag;Kommune;Soll;Ist\n31.12.2022;;520;498\n")
    with pytest.raises(DataImportError) as err:
        import_quota(src, db_path)
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "Kommune")
