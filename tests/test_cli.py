"""The command lines as a statistics office scripts them: real processes, real files, exact output."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from data.store import Store
from geo.boundaries import bounds_of, from_wkb

REPO = Path(__file__).resolve().parents[1]
LUENEN = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"
HEADER = (
    "district_id,district,population,foreigners,foreigner_share_pct,migration_background,"
    "migration_background_share_pct"
)
# Lünen, seed 002: Stadtteil → (published Ausländeranteil, published MH-Anteil)
PUBLISHED = {
    "Alstedde": (8.4, 22.6),
    "Beckinghausen": (7.5, 22.0),
    "Brambauer": (22.5, 41.9),
    "Gahmen": (23.3, 47.2),
    "Geistviertel & Lippolthausen": (15.0, 46.0),
    "Horstmar": (7.5, 24.6),
    "Lünen-Mitte": (21.3, 41.0),
    "Lünen-Nord": (23.0, 43.8),
    "Lünen-Süd": (15.9, 32.2),
    "Niederaden": (2.3, 14.2),
    "Nordlünen": (4.8, 19.0),
    "Osterfeld": (12.8, 38.2),
    "Wethmar": (9.3, 28.2),
    "Lünen": (15.1, 34.4),
}


def run(*args: str, db: Path | None = None, env_db: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "INTEGRATIONSMONITOR_DB"}
    if env_db is not None:
        env["INTEGRATIONSMONITOR_DB"] = str(env_db)
    cmd = [sys.executable, "-m", *args, *(["--db", str(db)] if db else [])]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def import_luenen(db: Path) -> subprocess.CompletedProcess:
    """The Lünen table of seed 002, Stichtag 31.12.2020, through the command line."""
    return run(
        "data", "import", "population", str(LUENEN), "--date", "2020-12-31", "--municipality", "Lünen", db=db
    )


def parse(stdout: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(stdout)))


def test_luenen_published_shares_through_both_commands(db_path):
    done = import_luenen(db_path)
    assert done.returncode == 0, done.stderr
    assert "13 Zeilen" in done.stdout
    out = run("indicators", "shares", "--date", "2020-12-31", "--municipality", "Lünen", db=db_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == HEADER
    rows = parse(out.stdout)
    assert [r["district"] for r in rows] == list(PUBLISHED)  # sorted by name, municipality last
    assert rows[-1]["district_id"] == ""
    for row in rows:
        foreigners, mh = PUBLISHED[row["district"]]
        assert round(float(row["foreigner_share_pct"]), 1) == pytest.approx(foreigners, abs=0.051)
        assert round(float(row["migration_background_share_pct"]), 1) == pytest.approx(mh, abs=0.051)
    assert rows[-1]["population"] == "87815" and rows[-1]["foreigners"] == "13259"
    assert rows[-1]["migration_background"] == "30179"
    assert len(rows[2]["foreigner_share_pct"]) > 6  # unrounded: Brambauer 22.5486…


def test_db_defaults_to_environment_variable(tmp_path):
    env_db = tmp_path / "from_env.duckdb"
    done = run(
        "data",
        "import",
        "population",
        str(LUENEN),
        "--date",
        "2020-12-31",
        "--municipality",
        "Lünen",
        env_db=env_db,
    )
    assert done.returncode == 0, done.stderr
    assert env_db.exists()
    out = run("indicators", "shares", "--date", "2020-12-31", env_db=env_db)  # the only municipality
    assert out.returncode == 0 and parse(out.stdout)[-1]["district"] == "Lünen"


def test_refused_file_exit_code_message_and_nothing_written(tmp_path, db_path):
    import_luenen(db_path)
    before = db_path.read_bytes()
    bad = tmp_path / "stadtteile_q3.csv"
    bad.write_bytes(LUENEN.read_bytes().replace(b"4.344", b"-4.344"))
    done = run(
        "data",
        "import",
        "population",
        str(bad),
        "--date",
        "2021-12-31",
        "--municipality",
        "Lünen",
        db=db_path,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert 'Datei stadtteile_q3.csv, Zeile 4, Spalte "Ausländer:innen"' in done.stderr
    assert db_path.read_bytes() == before


def test_wrong_calls_are_usage_errors(db_path):
    assert run("indicators", "shares", db=db_path).returncode == 2  # --date is required
    assert run("data", "import", "population", "x.csv", "--date", "31.12.2020", db=db_path).returncode == 2
    missing = run("indicators", "shares", "--date", "2020-12-31", db=db_path)
    assert missing.returncode == 1 and "existiert nicht" in missing.stderr


def test_unknown_stichtag_names_the_available_ones(db_path):
    import_luenen(db_path)
    out = run("indicators", "shares", "--date", "2019-12-31", "--municipality", "Lünen", db=db_path)
    assert out.returncode == 1 and "2020-12-31" in out.stderr and "Traceback" not in out.stderr


def test_demo_command_builds_musterstadt(db_path):
    done = run("data", "demo", db=db_path)
    assert done.returncode == 0, done.stderr
    out = run("indicators", "shares", "--date", "2024-12-31", "--municipality", "Musterstadt", db=db_path)
    rows = parse(out.stdout)
    assert 12 <= len(rows) - 1 <= 20
    assert all(len(r["district_id"]) == 3 for r in rows[:-1])  # keys with leading zeros
    city = rows[-1]
    assert int(city["population"]) == sum(int(r["population"]) for r in rows[:-1])


def test_koeln_population_and_zipped_shapefile(koeln_dir, tmp_path, db_path):
    done = run(
        "data",
        "import",
        "population",
        str(koeln_dir / "koeln_bevoelkerung_wide.csv"),
        "--municipality",
        "Köln",
        db=db_path,
    )
    assert done.returncode == 0, done.stderr
    archive = tmp_path / "stadtteile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in koeln_dir.glob("raw/Stadtteil.*"):
            zf.write(part, f"Stadtteil/{part.name}")
    geo = run("data", "import", "boundaries", str(archive), "--municipality", "Köln", db=db_path)
    assert geo.returncode == 0, geo.stderr
    assert "86" in geo.stdout

    out = run("indicators", "shares", "--date", "2005-12-31", "--municipality", "Köln", db=db_path)
    rows = parse(out.stdout)
    city = rows[-1]
    assert len(rows) == 87 and city["district"] == "Köln"
    assert float(city["migration_background_share_pct"]) == pytest.approx(30.63, abs=0.005)
    assert float(city["foreigner_share_pct"]) == pytest.approx(17.17, abs=0.005)
    assert sum(int(r["population"]) for r in rows[:-1]) == int(city["population"]) == 1023101

    store = Store(db_path)
    try:
        shapes = from_wkb(store.boundaries("Köln"))
    finally:
        store.close()
    assert len(shapes) == 86 and shapes.geometry.is_valid.all()
    lon_min, lat_min, lon_max, lat_max = bounds_of(shapes)
    assert 6.77 <= lon_min and lon_max <= 7.17 and 50.83 <= lat_min and lat_max <= 51.09
    assert "Dellbrück" in set(shapes["district"])


def test_boundaries_report_unmatched_districts(koeln_dir, tmp_path, db_path):
    small = tmp_path / "zwei.csv"
    small.write_text("Nr;Stadtteil;EW\n101;Altstadt/Süd;1000\n999;Nirgendwo;10\n", encoding="utf-8")
    run(
        "data",
        "import",
        "population",
        str(small),
        "--date",
        "2012-12-31",
        "--municipality",
        "Köln",
        db=db_path,
    )
    geo = run(
        "data",
        "import",
        "boundaries",
        str(koeln_dir / "raw" / "Stadtteil.shp"),
        "--municipality",
        "Köln",
        db=db_path,
    )
    assert geo.returncode == 0, geo.stderr
    assert "999" in geo.stdout  # a district without a boundary is named
