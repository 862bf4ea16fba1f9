"""Zensus 2022 grid cells → Stadtteile: import, warnings, source line, difference table, undo.

The grid is built over the demo city's boundaries by `tests.zensus_grid`, which records for every
cell the Stadtteil its centre lies in (shapely, cell by cell): the hand computation the import's
spatial join is checked against.
"""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from charts.view import Filters, Source, stichtag_sources
from data.errors import DataImportError
from data.store import Store, link_target
from data.upload import problems_table
from data.zensus import ZENSUS_DATE, ZENSUS_SOURCE, import_zensus
from geo.grid import cell_id, parse_cell_ids
from tests.zensus_grid import build_cells, cells_1km, write_files

CITY = "Musterstadt"
REGISTER_DATE = date(2021, 12, 31)  # the demo's register Stichtag nearest to 15.05.2022


@pytest.fixture
def db(tmp_path: Path, demo_db: Path) -> Path:
    path = tmp_path / "z.duckdb"
    shutil.copyfile(demo_db.resolve(), path)
    return path


@pytest.fixture
def grid(db: Path, tmp_path: Path):
    store = Store(db)
    try:
        boundaries = store.boundaries(CITY)
    finally:
        store.close()
    cells = build_cells(boundaries)
    folder = tmp_path / "zensus"
    folder.mkdir()
    return cells, write_files(cells, folder)


def _read(db: Path, sql: str, params=()) -> pd.DataFrame:
    store = Store(db)
    try:
        return store.query(sql, params)
    finally:
        store.close()


def _zensus_counts(db: Path) -> pd.DataFrame:
    return _read(
        db, "SELECT * FROM population WHERE municipality = ? AND reference_date = ?", [CITY, ZENSUS_DATE]
    ).set_index("district_id")


def _expected(cells, foreigners_from: str) -> tuple[dict, dict]:
    """Persons and foreigners per Stadtteil by hand: centre in polygon; a secret share takes the share
    of the Stadtteil's other cells; shares as written in the file (one decimal)."""
    persons, known_f, known_p, secret_p = (defaultdict(float) for _ in range(4))
    for c in cells:
        if c.district is None or c.persons is None:
            continue
        persons[c.district] += c.persons
        if foreigners_from == "counts":
            known_f[c.district] += c.foreigners
            known_p[c.district] += c.persons
        elif c.share_secret is not None:
            secret_p[c.district] += c.persons
        else:
            share = round(100 * c.foreigners / c.persons, 1)
            known_f[c.district] += share * c.persons / 100
            known_p[c.district] += c.persons
    foreigners = {d: known_f[d] + secret_p[d] * known_f[d] / known_p[d] for d in persons}
    return persons, foreigners


def test_cell_id_is_read_as_destatis_writes_it():
    parsed = parse_cell_ids(
        pd.Series(["CRS3035RES100mN2689100E4337000", "CRS3035RES1000mN2689000E4337000", "x"])
    )
    assert parsed.iloc[0].tolist() == [100, 4337050, 2689150]
    assert parsed.iloc[1].tolist() == [1000, 4337500, 2689500]
    assert parsed.iloc[2].isna().all()
    assert cell_id(4337050, 2689150, 100) == "CRS3035RES100mN2689100E4337000"


def test_counts_per_stadtteil_match_the_hand_computation(db, grid):
    cells, files = grid
    report = import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], db, CITY)
    got = _zensus_counts(db)
    persons, foreigners = _expected(cells, "share")
    assert set(persons) == {"011", "012", "032", "033", "041"}  # three covered, two across a shared boundary
    for district, row in got.iterrows():
        assert row["population"] == round(persons.get(district, 0)), district
        assert row["foreigners"] == round(foreigners.get(district, 0)), district
    # inhabited cells outside the city are not counted anywhere
    outside = sum(c.persons for c in cells if c.district is None)
    assert outside > 0 and got["population"].sum() == sum(persons.values())
    assert report.reference_dates == [ZENSUS_DATE] and report.rows == 16


def test_foreigner_counts_from_the_staatsangehoerigkeit_table(db, grid):
    cells, files = grid
    import_zensus([files["Bevoelkerungszahl"], files["Staatsangehoerigkeit"]], db, CITY)
    got = _zensus_counts(db)
    persons, foreigners = _expected(cells, "counts")
    for district in persons:
        assert got.at[district, "foreigners"] == round(foreigners[district])


def test_warnings_name_the_method_and_its_error(db, grid):
    cells, files = grid
    report = import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], db, CITY)
    text = "\n".join(w.message for w in report.warnings)
    inside = [c for c in cells if c.district and c.persons is not None]
    near = [c for c in inside if c.near_boundary]
    assert near, "the grid has cells across a shared boundary"
    assert (
        f"{len(inside) + 1} Zellen mit {sum(c.persons for c in inside):,} Personen liegen in den".replace(
            ",", "."
        )
        in text
    )
    assert (
        f"{len(near)} davon ({sum(c.persons for c in near)} Personen) liegen mit dem Mittelpunkt weniger"
        in text
    )
    far = cells[-1]  # 40 km away: another municipality's cell, left out before the join
    around = [c for c in cells if c.district is None and c is not far]
    assert (
        len(around) >= 2
        and f"{len(around)} bewohnte Zellen ({sum(c.persons for c in around)} Personen)" in text
    )
    assert f"{far.persons + sum(c.persons for c in around)} Personen" not in text
    assert "1 Zelle in den Stadtteilen hat keine Einwohnerzahl" in text
    secret = [c for c in cells if c.share_secret is not None]
    assert (
        f"2 Zellen mit {sum(c.persons for c in secret)} Personen haben keinen Wert für Ausländer:innen"
        in text
    )
    assert "Cell-Key-Methode" in text
    assert "„KLAMMERN“" in text and any(w.column == "werterlaeuternde_Zeichen" for w in report.warnings)
    # the same account is the Stichtag's caveat, and in the import log
    caveat = _read(db, "SELECT caveat FROM population_sources")["caveat"].iloc[0]
    assert "Mittelpunkt" in caveat and "Cell-Key-Methode" in caveat and f"{len(near)} davon" in caveat
    assert (
        "Cell-Key-Methode"
        in _read(db, "SELECT warnings FROM imports WHERE kind = 'zensus'")["warnings"].iloc[0]
    )


@pytest.fixture
def imported(db, grid):
    """The demo city with the grid imported: its store, and filters as the sidebar makes them."""
    _, files = grid
    import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], db, CITY)
    store = Store(db)
    dates = store.reference_dates(CITY)
    sources = stichtag_sources(store.population_sources(CITY))
    yield store, Filters(CITY, dates[-1], dates, source="Demo", stichtag_sources=sources)
    store.close()


def test_source_line_of_the_zensus_stichtag_and_of_the_series(imported):
    from charts.population_views import share_map
    from indicators.catalogue import map_indicators

    store, f = imported
    assert ZENSUS_DATE in f.dates

    def source_of(when: date) -> str:
        g = dataclasses.replace(f, reference_date=when)
        return share_map(
            Source(store), g, map_indicators()[0], scheme="quantiles", k=5, colours="Blues"
        ).source

    assert source_of(ZENSUS_DATE) == f"Quelle: {ZENSUS_SOURCE} · Stichtag 15.05.2022"
    assert source_of(REGISTER_DATE) == "Quelle: Demo · Stichtag 31.12.2021"
    assert f.other_sources(f.dates) == f" · 15.05.2022: {ZENSUS_SOURCE}"
    assert f.other_sources([REGISTER_DATE]) == ""


def test_difference_table_against_the_nearest_register_stichtag(imported):
    from charts.zensus_views import zensus_comparison

    store, f = imported
    table = zensus_comparison(Source(store), dataclasses.replace(f, public=False), ZENSUS_DATE)
    register = store.population(CITY, REGISTER_DATE).set_index("district")
    zensus = store.population(CITY, ZENSUS_DATE).set_index("district")
    assert table.title.startswith("Zensus 15.05.2022 und Melderegister 31.12.2021")
    row = table.table.set_index("Stadtteil").loc["Altstadt"]
    assert row["Einwohner:innen Zensus 15.05.2022"] == zensus.at["Altstadt", "population"]
    assert row["Einwohner:innen Melderegister 31.12.2021"] == register.at["Altstadt", "population"]
    diff = zensus.at["Altstadt", "foreigners"] - register.at["Altstadt", "foreigners"]
    assert row["Differenz Ausländer:innen"] == diff
    assert row["Differenz Ausländer:innen (%)"] == pytest.approx(
        diff / register.at["Altstadt", "foreigners"] * 100
    )
    city = table.table.iloc[-1]
    assert city["Stadtteil"] == CITY
    assert city["Einwohner:innen Zensus 15.05.2022"] == zensus["population"].sum()
    # in the public view a difference is hidden wherever either of its counts is
    strict = zensus_comparison(Source(store), dataclasses.replace(f, public=True, threshold=100), ZENSUS_DATE)
    for label in ("Einwohner:innen", "Ausländer:innen"):
        either = (
            strict.hidden[f"{label} Zensus 15.05.2022"] | strict.hidden[f"{label} Melderegister 31.12.2021"]
        )
        assert either.any() or label == "Einwohner:innen"  # small foreigner counts are hidden
        assert (strict.hidden[f"Differenz {label}"] == either).all()
        assert strict.table.loc[either, f"Differenz {label}"].isna().all()
        assert (strict.display.loc[either, f"Differenz {label}"] == "•").all()
    assert any("•" in n for n in strict.notes)


def test_register_data_stays_intact(db, grid):
    _, files = grid
    sql = "SELECT * EXCLUDE (import_id) FROM population WHERE municipality = ? AND reference_date <> ? ORDER BY ALL"
    before = _read(db, sql, [CITY, ZENSUS_DATE])
    detail = _read(db, "SELECT count(*) AS n, sum(persons) AS p FROM population_detail")
    import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], db, CITY)
    pd.testing.assert_frame_equal(_read(db, sql, [CITY, ZENSUS_DATE]), before)
    pd.testing.assert_frame_equal(
        _read(db, "SELECT count(*) AS n, sum(persons) AS p FROM population_detail"), detail
    )


def test_register_counts_of_the_zensus_day_are_not_replaced(db, grid, tmp_path):
    from data.population import import_population

    _, files = grid
    store = Store(db)
    names = store.districts(CITY)["district"].tolist()
    store.close()
    own = tmp_path / "melderegister_15_05_2022.csv"
    own.write_text(
        "Stadtteil;Einwohner;Ausländer\n" + "".join(f"{n};1000;100\n" for n in names), encoding="utf-8"
    )
    import_population(own, db, CITY, ZENSUS_DATE)
    before = link_target(db)
    with pytest.raises(DataImportError) as err:
        import_zensus([files["Bevoelkerungszahl"]], db, CITY)
    assert "schon Einwohnerzahlen zum Stichtag 15.05.2022 aus einer anderen Quelle" in str(err.value)
    assert "melderegister_15_05_2022.csv" in str(err.value)
    assert link_target(db) == before
    assert (_zensus_counts(db)["population"] == 1000).all()


def test_a_later_register_import_of_the_day_drops_the_zensus_source(db, grid, tmp_path):
    from data.population import import_population

    _, files = grid
    import_zensus([files["Bevoelkerungszahl"]], db, CITY)
    store = Store(db)
    names = store.districts(CITY)["district"].tolist()
    assert len(store.population_sources(CITY)) == 1
    store.close()
    own = tmp_path / "register.csv"
    own.write_text("Stadtteil;Einwohner\n" + "".join(f"{n};1000\n" for n in names), encoding="utf-8")
    import_population(own, db, CITY, ZENSUS_DATE)
    store = Store(db)
    try:
        assert store.population_sources(CITY).empty  # the charts of the day no longer name the Zensus
    finally:
        store.close()


def test_reimport_and_undo(db, grid):
    from data.audit import undo_last

    cells, files = grid
    import_zensus([files["Bevoelkerungszahl"]], db, CITY)
    first = _zensus_counts(db)["population"]
    assert _zensus_counts(db)["foreigners"].isna().all()  # persons only: foreigners not known
    report = import_zensus([files["Bevoelkerungszahl"], files["Anteil"]], db, CITY)
    assert "Zensus 2022, Stichtag 15.05.2022 (16 Zeilen)" in report.replaced
    assert _zensus_counts(db)["foreigners"].notna().all()
    undo_last(db, "zensus", CITY)
    pd.testing.assert_series_equal(_zensus_counts(db)["population"], first)
    assert _zensus_counts(db)["foreigners"].isna().all()
    undo_last(db, "zensus", CITY)
    assert _zensus_counts(db).empty
    assert _read(db, "SELECT * FROM population_sources").empty


def test_one_kilometre_grid(db, tmp_path):
    store = Store(db)
    boundaries = store.boundaries(CITY)
    store.close()
    cells = cells_1km(boundaries)
    files = write_files(cells, tmp_path, res=1000)
    report = import_zensus([files["Bevoelkerungszahl"]], db, CITY)
    got = _zensus_counts(db)["population"]
    expected = defaultdict(int)
    for c in cells:
        if c.district:
            expected[c.district] += c.persons
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert any("1 km-Gitter" in w.message and "(500 m)" in w.message for w in report.warnings)


def test_finer_grid_wins_and_coarser_file_is_named(db, grid, tmp_path):
    cells, files = grid
    coarse = write_files(cells_1km(Store(db).boundaries(CITY)), tmp_path, res=1000)
    report = import_zensus([files["Bevoelkerungszahl"], coarse["Anteil"]], db, CITY)
    skipped = [w for w in report.warnings if "Nicht verwendet" in w.message]
    assert [w.describe("x") for w in skipped] == [
        "Datei Zensus2022_Anteil_Auslaender_1km-Gitter.csv: Nicht verwendet: Gitterweite 1 km; verwendet wird "
        "das feinere Gitter (100 m) der übrigen Dateien."
    ]


def test_broken_files_are_refused_with_file_row_and_column(db, grid, tmp_path):
    cells, files = grid
    lines = files["Anteil"].read_text(encoding="utf-8").splitlines()
    inside = next(i for i, line in enumerate(lines[1:], start=1) if line.split(";")[3] not in ("", "–"))
    parts = lines[inside].split(";")
    lines[inside] = ";".join([*parts[:3], "12,3,4", *parts[4:]])
    lines[inside + 1] = "CRS3035RES100mNxxE1;1;2;5,0;"
    lines.append(lines[inside + 2])  # the same cell twice
    parts = lines[inside + 3].split(";")
    lines[inside + 3] = ";".join([parts[0], str(int(parts[1]) + 100), *parts[2:]])  # centre of another cell
    broken = tmp_path / "Zensus2022_Anteil_Auslaender_100m-Gitter.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = link_target(db)
    with pytest.raises(DataImportError) as err:
        import_zensus([files["Bevoelkerungszahl"], broken], db, CITY)
    text = str(err.value)
    assert (
        f'Datei {broken.name}, Zeile {inside + 1}, Spalte "AnteilAuslaender": "12,3,4" ist kein Prozentwert'
        in text
    )
    assert (
        f'Zeile {inside + 2}, Spalte "GITTER_ID_100m": "CRS3035RES100mNxxE1" ist keine Gitterzellen-Kennung'
        in text
    )
    assert f"Zeile {len(lines)}" in text and "steht schon weiter oben" in text
    assert f'Zeile {inside + 4}, Spalte "x_mp_100m": Der Mittelpunkt' in text
    assert link_target(db) == before and _zensus_counts(db).empty
    table = problems_table(err.value)  # the upload page: which file each finding is about
    assert table.columns.tolist() == ["Datei", "Zeile", "Spalte", "Meldung"]
    assert set(table["Datei"]) == {broken.name}


def test_refused_without_boundaries_or_without_persons(db, grid, tmp_path):
    _, files = grid
    with pytest.raises(DataImportError, match="keine Stadtteilgrenzen geladen"):
        import_zensus([files["Bevoelkerungszahl"]], db, "Kamp-Lintfort")
    with pytest.raises(DataImportError, match="Keine Datei mit der Einwohnerzahl je Zelle"):
        import_zensus([files["Anteil"]], db, CITY)
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataImportError, match="Datei leer.csv: Die Datei ist keine lesbare CSV-Tabelle"):
        import_zensus([files["Bevoelkerungszahl"], empty], db, CITY)


def test_minors_from_the_age_table_and_a_file_of_another_place(db, grid, tmp_path):
    cells, files = grid
    lines = [
        "GITTER_ID_100m;x_mp_100m;y_mp_100m;Insgesamt_Bevoelkerung;Unter18;a18bis29;a30bis49;a50bis64;a65undaelter"
    ]
    minors = defaultdict(int)
    for c in cells:
        if c.persons:
            young = c.persons // 5
            minors[c.district] += young
            lines.append(f"{c.id()};{int(c.x)};{int(c.y)};{c.persons};{young};0;0;0;{c.persons - young}")
    ages = tmp_path / "Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv"
    ages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_zensus([files["Bevoelkerungszahl"], ages], db, CITY)
    got = _zensus_counts(db)
    for district in ("011", "032", "041"):
        assert got.at[district, "minors"] == minors[district]
    assert any("a18bis29" in w.message and w.row == 1 for w in report.warnings)  # columns not used, named
    elsewhere = tmp_path / "Zensus2022_Bevoelkerungszahl_100m-Gitter_Bayern.csv"
    elsewhere.write_text(
        "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner\nCRS3035RES100mN2689100E4337000;4337050;2689150;12\n"
    )
    with pytest.raises(DataImportError, match="Keine Zelle der Datei liegt im Gebiet der Stadtteilgrenzen"):
        import_zensus([elsewhere], db, CITY)


def test_cli_takes_the_destatis_zip_and_a_csv(db, grid, tmp_path, capsys):
    from data.__main__ import main

    cells, files = grid
    archive = tmp_path / "Zensus2022_Bevoelkerungszahl.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(files["Bevoelkerungszahl"], files["Bevoelkerungszahl"].name)
        z.writestr("Datensatzbeschreibung.xlsx", b"not a table")
        z.writestr(
            "Zensus2022_Bevoelkerungszahl_1km-Gitter.csv", "GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner\n"
        )
    code = main(
        ["import", "zensus", str(archive), str(files["Anteil"]), "--municipality", CITY, "--db", str(db)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "16 Zeilen importiert (Zensus 2022, Musterstadt)" in out
    persons, _ = _expected(cells, "share")
    assert _zensus_counts(db)["population"].sum() == sum(persons.values())
    assert main(["undo", "zensus", "--municipality", CITY, "--db", str(db)]) == 0
    assert _zensus_counts(db).empty


def test_upload_bundles_several_files(db, grid):
    from data.upload import preview, run_import
    from data.zensus import bundle

    cells, files = grid

    @dataclasses.dataclass
    class Upload:
        path: Path

        @property
        def name(self) -> str:
            return self.path.name

        def getvalue(self) -> bytes:
            return self.path.read_bytes()

    upload = bundle([Upload(files["Bevoelkerungszahl"]), Upload(files["Anteil"])])
    table, summary = preview("zensus", upload.name, upload.getvalue())
    assert table["Merkmale"].tolist() == ["Einwohner", "AnteilAuslaender"]
    assert summary.startswith("2 Dateien")
    checked = run_import("zensus", upload.name, upload.getvalue(), db, CITY, check_only=True)
    assert checked.rows == 16 and _zensus_counts(db).empty  # a check writes nothing
    run_import("zensus", upload.name, upload.getvalue(), db, CITY)
    persons, _ = _expected(cells, "share")
    assert _zensus_counts(db)["population"].sum() == sum(persons.values())
    # a warning about one of the files names that file, not the bundle
    assert any(
        w.describe(upload.name).startswith(f"Datei {files['Anteil'].name}, ") for w in checked.warnings
    )


def test_zip_bomb_and_old_database(db, tmp_path):
    import duckdb

    bomb = tmp_path / "Zensus2022_Bevoelkerungszahl.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Zensus2022_Bevoelkerungszahl_100m-Gitter.csv", "0" * 20 * 1024**2)
    with pytest.raises(DataImportError, match="Vielfaches seiner Größe"):
        import_zensus([bomb], db, CITY)
    # a database written before the table existed: readers (who never change the schema) see no sources
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE population_sources")
    con.close()
    store = Store(db)
    try:
        assert store.population_sources(CITY).empty
    finally:
        store.close()
