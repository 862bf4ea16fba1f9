"""An import that fails at any step leaves the database as it was and says so; one that was saved says
that it was saved — also when a step after saving fails, and when the process is killed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import data.population
import data.store
from data.store import link_target, versions
from tests.store_cases import files_beside, import_year, stichtage

REPO = Path(__file__).resolve().parents[1]


class Boom(RuntimeError):
    pass


def boom(*args, **kwargs):
    raise Boom("Fehler zum Test")


@pytest.fixture
def db(tmp_path) -> Path:
    """Lünen at 31.12.2020, imported through the command line."""
    db = tmp_path / "im.duckdb"
    assert import_year(db, 2020).code == 0
    return db


# step → (module, attribute) that raises; every one of these runs before the switch to the new version
BEFORE_SWITCH = {
    "parse": (data.population, "read_table"),
    "copy": (data.store, "_copy"),
    "write": (data.store.Writer, "replace"),
    "commit": (data.store, "_commit"),
    "checkpoint": (data.store, "_checkpoint"),
    "swap": (data.store, "_switch"),
}


@pytest.mark.parametrize("step", list(BEFORE_SWITCH))
def test_failure_before_the_switch_changes_nothing(db, monkeypatch, step):
    before_files, before_link = files_beside(db), link_target(db)
    monkeypatch.setattr(*BEFORE_SWITCH[step], boom)
    done = import_year(db, 2021)
    assert done.code == 1 and done.out == ""
    assert done.err == "Unerwarteter Fehler (Boom): Fehler zum Test\nEs wurde nichts geändert.\n"
    assert stichtage(db) == {"2020-12-31": 13}
    assert link_target(db) == before_link and files_beside(db) == before_files  # no half version left
    monkeypatch.undo()
    assert import_year(db, 2021).code == 0 and stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13}


@pytest.mark.parametrize("step", ["_mark_good", "_prune_versions"])
def test_failure_after_the_switch_reports_success_with_a_note(db, monkeypatch, step):
    monkeypatch.setattr(data.store, step, boom)
    done = import_year(db, 2021)
    assert done.code == 0 and done.err == ""
    lines = done.out.splitlines()
    assert lines[0] == "luenen_stadtteile_2020.csv: 13 Zeilen importiert (Bevölkerung, Lünen)."
    assert lines[-1] == (
        f"Hinweis: Die Daten sind gespeichert (Version {link_target(db)}), aber ältere Versionen wurden "
        "nicht aufgeräumt (Boom: Fehler zum Test)."
    )
    assert "nichts geändert" not in done.out
    assert stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13}


def test_error_after_saving_is_not_called_nothing_changed(db, monkeypatch):
    """An unexpected error once the new version is in place (here: building the report)."""
    monkeypatch.setattr(data.population, "ImportReport", boom)
    done = import_year(db, 2021)
    assert done.code == 0
    assert done.err.startswith(f"Die Änderung ist gespeichert (Version {link_target(db)}), danach trat ")
    assert "nichts geändert" not in done.err
    assert stichtage(db) == {"2020-12-31": 13, "2021-12-31": 13}


KILL = """
import os, sys
import data.store
step = sys.argv[1]
original = getattr(data.store, step)
def die(*args, **kwargs):
    if step == "_switch":
        original(*args, **kwargs)  # killed right after the link moved
    os._exit(9)
setattr(data.store, step, die)
from data.__main__ import main
main(["import", "population", sys.argv[2], "--date", "2021-12-31", "--municipality", "Lünen",
      "--db", sys.argv[3]])
"""


@pytest.mark.parametrize(
    ("step", "saved"),
    [("_copy", False), ("_checkpoint", False), ("_switch", True), ("_prune_versions", True)],
)
def test_killed_process_leaves_old_or_new_and_the_next_import_works(db, step, saved):
    from tests.store_cases import LUENEN

    killed = subprocess.run(
        [sys.executable, "-c", KILL, step, str(LUENEN), str(db)], cwd=REPO, capture_output=True, timeout=120
    )
    assert killed.returncode == 9, killed.stderr
    expected = {"2020-12-31": 13, **({"2021-12-31": 13} if saved else {})}
    assert stichtage(db) == expected
    # the next import (a stray half version and its .wal may lie beside) succeeds and says so
    done = import_year(db, 2022)
    assert done.code == 0, done.err
    assert (
        done.out.startswith("luenen_stadtteile_2020.csv: 13 Zeilen importiert") and "Hinweis" not in done.out
    )
    assert stichtage(db) == {**expected, "2022-12-31": 13}
    for _ in range(3):  # later imports prune the killed one's leftovers, never a good version
        assert import_year(db, 2023).code == 0
    assert len(versions(db)) == 3 and not [f for f in files_beside(db) if f.endswith(".wal")]
