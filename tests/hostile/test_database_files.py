"""Red-team cases on the database folder: files made here, each with the exact expected outcome."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from data.bootstrap import ensure_database
from data.store import Store, StoreError, link_target, version_time, versions
from tests.store_cases import cli, files_beside, import_year, stichtage


@pytest.fixture
def db(tmp_path):
    """Lünen at 31.12.2020 and 31.12.2021: two imports, three versions kept after a third."""
    db = tmp_path / "im.duckdb"
    for year in (2020, 2021):
        assert import_year(db, year).code == 0
    return db


def refusal(db, missing: str) -> str:
    newest = versions(db)[0]
    return (
        f"Die Datenbank {db} verweist auf die Datei {missing}, die fehlt. Damit keine Daten verloren gehen, "
        "wird nichts geschrieben; es wurde nichts geändert.\n"
        f'Gesicherte Versionen zeigt „python -m data versions --db "{db}"“; die neueste '
        f"({version_time(newest):%d.%m.%Y %H:%M}) stellt "
        f'„python -m data restore {newest.name} --db "{db}"“ wieder her.\n'
    )


def test_dangling_link_refuses_every_write_and_restore_brings_the_data_back(db):
    gone = link_target(db)
    (db.parent / gone).unlink()  # the version the link points to is lost
    left = files_beside(db)
    for args in (["import", "population", "x.csv", "--date", "2022-12-31"], ["undo", "population"], ["demo"]):
        done = cli(*args, db=db)
        assert (done.code, done.out, done.err) == (1, "", refusal(db, gone)), args
    assert files_beside(db) == left  # no empty database was built, no old version was pruned
    with pytest.raises(StoreError):
        ensure_database(db)  # the app's first start does not build the demo city over it
    with pytest.raises(FileNotFoundError, match=f"verweist auf die Datei {gone}, die fehlt"):
        Store(db)

    newest = versions(db)[0].name
    done = cli("restore", newest, db=db)
    assert done.code == 0 and done.out.startswith(f"Die Version {newest} vom ")
    assert stichtage(db) == {"2020-12-31": 13}  # the newest kept version: before the 2021 import
    assert import_year(db, 2021).code == 0 and stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13}


def test_link_out_of_the_database_folder_is_refused(db, tmp_path):
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    (elsewhere / "fremd.duckdb").write_bytes((db.parent / link_target(db)).read_bytes())
    db.unlink()
    db.symlink_to(elsewhere / "fremd.duckdb")
    done = import_year(db, 2022)
    assert done.code == 1
    assert done.err.startswith(
        f"Die Datenbank {db} verweist auf {elsewhere / 'fremd.duckdb'}, also aus ihrem Ordner {db.parent} "
        "hinaus. Damit keine Daten verloren gehen, wird nichts geschrieben; es wurde nichts geändert.\n"
    )
    assert stichtage(elsewhere / "fremd.duckdb") == {"2020-12-31": 13, "2021-12-31": 13}


def test_missing_link_beside_kept_versions_is_refused(db):
    db.unlink()
    done = import_year(db, 2022)
    assert done.code == 1 and done.err.startswith(
        f"Die Datenbank {db} fehlt, daneben liegen aber gesicherte Versionen."
    )
    assert not db.exists() and len(versions(db)) == 2


@pytest.mark.parametrize("stray", ["im.duckdb.vorher", "im.duckdb.bak", "im.duckdb.v1700000000000000000.wal"])
def test_files_beside_the_database_are_left_alone(db, stray):
    (db.parent / stray).write_bytes(b"Sicherung von Hand")
    for year in (2022, 2023, 2024):  # enough imports for pruning to run over the folder
        done = import_year(db, year)
        assert (done.code, done.err) == (0, "")
        assert done.out == (
            f"luenen_stadtteile_2020.csv: 13 Zeilen importiert (Bevölkerung, Lünen).\nDatenbank: {db}\n"
        )
    undone = cli("undo", "population", db=db)
    assert undone.code == 0 and undone.out.startswith("Import Nr. 5 (Bevölkerung, Lünen")
    assert "2024-12-31" not in stichtage(db)
    assert (db.parent / stray).read_bytes() == b"Sicherung von Hand"


def test_committed_change_log_of_the_current_version_is_kept(db):
    """A process died after COMMIT and before CHECKPOINT on the current version: its .wal holds data."""
    current = db.parent / link_target(db)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
            "con.execute(\"INSERT INTO municipalities (name) VALUES ('Waltrop')\"); os._exit(0)",
            str(current),
        ],
        check=True,
    )
    assert (db.parent / (current.name + ".wal")).exists()
    assert import_year(db, 2022).code == 0
    con = duckdb.connect(str(db.resolve()), read_only=True)
    names = {n for (n,) in con.execute("SELECT name FROM municipalities").fetchall()}
    con.close()
    assert names == {"Lünen", "Waltrop"}  # the copy did not lose what was only in the log


def test_foreign_change_log_of_the_current_version_is_refused(db):
    current = link_target(db)
    (db.parent / (current + ".wal")).write_bytes(b"kein Protokoll" * 100)
    done = import_year(db, 2022)
    assert (done.code, done.out) == (1, "")
    assert done.err == (
        f"Neben der Datenbankversion {current} liegt die Datei {current}.wal, die DuckDB nicht als ihr "
        "Änderungsprotokoll erkennt. Es wurde nichts geändert. Verschieben Sie die Datei in einen anderen "
        "Ordner und versuchen Sie es erneut.\n"
    )
    assert link_target(db) == current


def test_pruning_keeps_good_versions_when_newer_ones_are_broken(db):
    good = {v.name for v in versions(db)}
    newest = int(versions(db)[0].name.rsplit(".v", 1)[1])
    for i in range(1, 5):  # broken versions "from the future": newer than any import to come
        (db.parent / f"im.duckdb.v{newest + 10**15 + i}").write_bytes(b"kaputt")
    assert import_year(db, 2022).code == 0
    assert good <= {v.name for v in versions(db)}  # all good ones survive beside the broken ones
    assert stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13, "2022-12-31": 13}


def test_versions_lists_and_restore_is_logged_and_undone_by_restoring_back(db):
    listed = cli("versions", db=db)
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == [
        "Version",
        "Zeitpunkt",
        "Größe",
        "(MB)",
        "aktuell",
        "Inhalt",
        "(Kommune",
        "Zeilen)",
    ]
    assert len(lines) == 3 and " ja " in lines[1] and lines[1].endswith("Lünen 26")
    assert lines[2].endswith("Lünen 13")
    before, older = link_target(db), versions(db)[1].name
    done = cli("restore", older, db=db)
    assert done.code == 0
    assert done.out.endswith(f"Rückgängig machen: python -m data restore {before}\n")
    assert stichtage(db) == {"2020-12-31": 13}
    log = Store(db)
    assert log.imports(1)[["kind", "file_name"]].iloc[0].tolist() == ["restore", older]
    log.close()
    assert cli("restore", before, db=db).code == 0
    assert stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13}
    unknown = cli("restore", "v1", db=db)
    assert (unknown.code, unknown.err) == (
        1,
        "Es gibt keine gesicherte Version „v1“. Es wurde nichts geändert. Die gesicherten Versionen zeigt "
        "„python -m data versions“.\n",
    )
    assert os.path.islink(db)


def test_versions_of_a_database_without_any(tmp_path):
    done = cli("versions", db=tmp_path / "leer.duckdb")
    assert (done.code, done.out) == (0, f"Keine gesicherten Versionen neben {tmp_path / 'leer.duckdb'}.\n")


def test_app_on_a_dangling_link_says_so_in_german_and_builds_nothing(db, monkeypatch):
    from tests.apptest import open_app

    gone = link_target(db)
    (db.parent / gone).unlink()
    left = files_beside(db)
    at = open_app(monkeypatch, db, "pages/uebersicht.py")
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Die Datenbank kann nicht geöffnet werden.")
    assert f"verweist auf die Datei {gone}, die fehlt" in error.value
    assert "python -m data restore" in error.value
    assert files_beside(db) == left
