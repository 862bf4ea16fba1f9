"""Helpers for the store's fault and red-team tests: a small real database and the CLI in-process."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data.__main__ import main

LUENEN = Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv"


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli(*args: str | Path, db: Path) -> Run:
    """`python -m data ARGS --db DB`, run in this process; exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*map(str, args), "--db", str(db)])
    return Run(code, out.getvalue(), err.getvalue())


def import_year(db: Path, year: int) -> Run:
    """The Lünen table of seed 002 under the Stichtag 31.12.`year`."""
    return cli("import", "population", LUENEN, "--date", f"{year}-12-31", "--municipality", "Lünen", db=db)


def stichtage(db: Path) -> dict[str, int]:
    """What the database holds: Stichtag (ISO) → number of district rows (not the published total), read from the real file."""
    target = db.resolve()
    con = duckdb.connect(str(target), read_only=True)
    try:
        rows = con.execute(
            "SELECT reference_date, count(*) FROM population WHERE district_id <> '' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return {d.isoformat(): n for d, n in rows}


def files_beside(db: Path) -> set[str]:
    """The names in the database folder, without the lock file (it stays by design)."""
    return {p.name for p in db.parent.iterdir()} - {db.name + ".lock"}
