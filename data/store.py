"""The one module that talks to DuckDB.

Readers (the app, the indicator CLI) open the database file read-only and take a cursor per query,
because a DuckDB connection must not be shared across threads. Writers never touch the file readers
have open: `writing()` copies it, writes into the copy inside one transaction and, only when every
step succeeded, swaps the copy into place with an atomic rename. A failed import leaves the file as
it was, and a running app keeps answering from its open file until it notices the new one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

SCHEMA = Path(__file__).with_name("schema.sql")
DEFAULT_DB = Path(__file__).with_name("integrationsmonitor.duckdb")
ENV_DB = "INTEGRATIONSMONITOR_DB"
STADTTEIL = "Stadtteil"


def default_db_path() -> Path:
    """`$INTEGRATIONSMONITOR_DB`, else `data/integrationsmonitor.duckdb` in the repository."""
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def file_stamp(path: Path) -> tuple[int, int] | None:
    """Identity of the file on disk; changes when an import swaps a new file in."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


class Store:
    """Read access to one database file. Safe to share between threads: a cursor per query."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"Die Datenbank {self.path} existiert nicht.")
        self.stamp = file_stamp(self.path)
        # the real version file, not the link: DuckDB shares one instance per real path in a process
        self._con = duckdb.connect(str(self.path.resolve()), read_only=True)

    def is_current(self) -> bool:
        """False once an import has replaced the file: open a new Store then."""
        return file_stamp(self.path) == self.stamp

    def close(self) -> None:
        self._con.close()

    def query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        cur = self._con.cursor()
        try:
            return cur.execute(sql, list(params)).df()
        finally:
            cur.close()

    # --- named read queries -------------------------------------------------------------------

    def municipalities(self) -> pd.DataFrame:
        return self.query("SELECT name, ags, synthetic, source FROM municipalities ORDER BY name")

    def reference_dates(self, municipality: str) -> list[date]:
        frame = self.query(
            "SELECT DISTINCT reference_date FROM population WHERE municipality = ? ORDER BY 1", [municipality]
        )
        return [pd.Timestamp(d).date() for d in frame["reference_date"]]

    def levels(self, municipality: str) -> list[str]:
        frame = self.query(
            "SELECT DISTINCT level FROM districts WHERE municipality = ? ORDER BY level DESC", [municipality]
        )
        return frame["level"].tolist()

    def districts(self, municipality: str, level: str | None = STADTTEIL) -> pd.DataFrame:
        """district_id, district, level, parent_id, area_km2, has_geometry; sorted by name."""
        return self.query(
            """SELECT district_id, name AS district, level, parent_id, area_km2,
                      geometry IS NOT NULL AS has_geometry
               FROM districts WHERE municipality = ? AND (? IS NULL OR level = ?)
               ORDER BY name""",
            [municipality, level, level],
        )

    def boundaries(self, municipality: str, level: str = STADTTEIL) -> pd.DataFrame:
        """district_id, district, geometry (WKB, EPSG:4326) of the districts that have one."""
        return self.query(
            """SELECT district_id, name AS district, geometry FROM districts
               WHERE municipality = ? AND level = ? AND geometry IS NOT NULL ORDER BY name""",
            [municipality, level],
        )

    def population(
        self, municipality: str, reference_date: date | None = None, level: str = STADTTEIL
    ) -> pd.DataFrame:
        """Counts per district (one Stichtag, or all when `reference_date` is None).

        Districts of the level are summed up from their children where they have no counts of
        their own (Stadtbezirke from Stadtteile).
        """
        return self.query(
            """WITH own AS (
                   SELECT p.* FROM population p JOIN districts d USING (municipality, district_id)
                   WHERE p.municipality = $1 AND d.level = $2 AND ($3 IS NULL OR p.reference_date = $3)
               ), from_children AS (
                   SELECT p.municipality, p.reference_date, d.parent_id AS district_id,
                          sum(p.population) AS population, sum(p.foreigners) AS foreigners,
                          sum(p.migration_background) AS migration_background, sum(p.minors) AS minors,
                          sum(p.minors_migration_background) AS minors_migration_background
                   FROM population p JOIN districts d USING (municipality, district_id)
                   WHERE p.municipality = $1 AND d.parent_id IS NOT NULL
                     AND ($3 IS NULL OR p.reference_date = $3)
                     AND d.parent_id IN (SELECT district_id FROM districts
                                         WHERE municipality = $1 AND level = $2)
                   GROUP BY ALL
               ), counts AS (
                   SELECT reference_date, district_id, population, foreigners, migration_background,
                          minors, minors_migration_background FROM own
                   UNION ALL
                   SELECT reference_date, district_id, population, foreigners, migration_background,
                          minors, minors_migration_background FROM from_children c
                   WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.district_id = c.district_id
                                     AND o.reference_date = c.reference_date)
               )
               SELECT c.reference_date, c.district_id, d.name AS district, c.population, c.foreigners,
                      c.migration_background, c.minors, c.minors_migration_background
               FROM counts c JOIN districts d ON d.municipality = $1 AND d.district_id = c.district_id
               ORDER BY c.reference_date, d.name""",
            [municipality, level, reference_date],
        ).astype({c: "Int64" for c in _COUNT_COLUMNS})

    def published_totals(self, municipality: str) -> pd.DataFrame:
        """The municipality as its statistics office published it (a file's total row), per Stichtag:
        reference_date and the count columns; empty where no file had a total row."""
        return self.query(
            f"""SELECT reference_date, {", ".join(_COUNT_COLUMNS)} FROM population
               WHERE municipality = ? AND district_id = '' ORDER BY reference_date""",
            [municipality],
        ).astype({c: "Int64" for c in _COUNT_COLUMNS})

    def detail(
        self, municipality: str, reference_date: date | None = None, district_ids: list[str] | None = None
    ) -> pd.DataFrame:
        """Counts by nationality, age group, sex and migration status (empty where none were loaded)."""
        return self.query(
            """SELECT reference_date, district_id, nationality, age_group, sex, migration_status, persons
               FROM population_detail
               WHERE municipality = ? AND (? IS NULL OR reference_date = ?)
                 AND (? IS NULL OR list_contains(?, district_id))""",
            [municipality, reference_date, reference_date, district_ids, district_ids],
        )

    def table(self, table: str, municipality: str) -> pd.DataFrame:
        """A whole fact table of one municipality (allocations, quotas, facilities, occupancy)."""
        if table not in {"allocations", "quotas", "facilities", "occupancy"}:
            raise ValueError(f"unknown table {table!r}")
        return self.query(f"SELECT * EXCLUDE (import_id) FROM {table} WHERE municipality = ?", [municipality])

    def imports(self, limit: int = 50) -> pd.DataFrame:
        return self.query("SELECT * FROM imports ORDER BY import_id DESC LIMIT ?", [limit])

    def last_import(self, kind: str, municipality: str | None = None) -> pd.Series | None:
        """The newest import of a kind that has not been undone (the one `undo` may take back)."""
        frame = self.query(
            """SELECT * FROM imports WHERE kind = ? AND undone_at IS NULL AND (? IS NULL OR municipality = ?)
               ORDER BY import_id DESC LIMIT 1""",
            [kind, municipality, municipality],
        )
        return None if frame.empty else frame.iloc[0]

    def column_mapping(self, municipality: str, kind: str) -> dict[str, str]:
        """Header mappings chosen earlier for this municipality and kind of file: field → header."""
        frame = self.query(
            "SELECT field, header FROM column_mappings WHERE municipality = ? AND kind = ?",
            [municipality, kind],
        )
        return dict(zip(frame["field"], frame["header"], strict=True))


ARCHIVED = ("population", "population_detail", "allocations", "quotas", "occupancy", "districts")
_COUNT_COLUMNS = ["population", "foreigners", "migration_background", "minors", "minors_migration_background"]


def known_districts(db_path: str | Path, municipality: str) -> pd.DataFrame:
    """The districts of a municipality in the database file (all levels); empty if there is none."""
    if not Path(db_path).exists():
        return pd.DataFrame(
            columns=["district_id", "district", "level", "parent_id", "area_km2", "has_geometry"]
        )
    store = Store(db_path)
    try:
        return store.districts(municipality, None)
    finally:
        store.close()


# --- writing --------------------------------------------------------------------------------------


class Writer:
    """A write transaction on a private copy of the database; see `writing()`."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, params: list | tuple = ()) -> None:
        self.con.execute(sql, list(params))

    def fetch(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        return self.con.execute(sql, list(params)).df()

    def insert(self, table: str, frame: pd.DataFrame, import_id: int | None = None) -> int:
        """Append the rows of `frame` (columns named as in the table) to `table`."""
        if frame.empty:
            return 0
        frame = frame.copy()
        if import_id is not None:
            frame["import_id"] = import_id
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
        return len(frame)

    def replace(self, table: str, where: str, params: list, frame: pd.DataFrame, import_id: int) -> int:
        """Move the rows matching `where` to `<table>_archive` (for undo), then insert `frame`.

        Returns the number of rows replaced. `where` is SQL over the table's columns with `?`
        placeholders; values only ever come in through `params`.
        """
        if table not in ARCHIVED:
            raise ValueError(f"table {table!r} has no archive")
        replaced = self.con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchall()[0][0]
        if replaced:
            self.con.execute(
                f"INSERT INTO {table}_archive SELECT *, ? FROM {table} WHERE {where}", [import_id, *params]
            )
            self.con.execute(f"DELETE FROM {table} WHERE {where}", params)
        self.insert(table, frame, import_id)
        return replaced

    def undo(self, import_id: int) -> None:
        """Take an import back: its rows go, the rows it replaced return."""
        for table in ARCHIVED:
            cols = ", ".join(f'"{c}"' for c in self.fetch(f"SELECT * FROM {table} LIMIT 0").columns)
            self.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
            self.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table}_archive WHERE replaced_by = ?",
                [import_id],
            )
            self.execute(f"DELETE FROM {table}_archive WHERE replaced_by = ?", [import_id])
        self.execute("UPDATE imports SET undone_at = ? WHERE import_id = ?", [datetime.now(), import_id])

    def save_mapping(self, municipality: str, kind: str, mapping: dict[str, str]) -> None:
        """Remember the header a planner chose for each field, for the next file of this kind."""
        for field, header in mapping.items():
            self.execute(
                """INSERT INTO column_mappings VALUES (?, ?, ?, ?)
                   ON CONFLICT (municipality, kind, field) DO UPDATE SET header = excluded.header""",
                [municipality, kind, field, header],
            )

    def ensure_municipality(
        self, name: str, ags: str | None = None, synthetic: bool = False, source: str | None = None
    ) -> None:
        self.execute(
            """INSERT INTO municipalities (name, ags, synthetic, source) VALUES (?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET ags = coalesce(excluded.ags, municipalities.ags),
                   source = coalesce(excluded.source, municipalities.source)""",
            [name, ags, synthetic, source],
        )

    def upsert_districts(self, municipality: str, frame: pd.DataFrame) -> None:
        """Insert new districts, update the name/level/parent of known ones. Geometry stays."""
        frame = frame.copy()
        frame["municipality"] = municipality
        for col in ("level", "parent_id"):
            if col not in frame:
                frame[col] = STADTTEIL if col == "level" else None
        self.con.register("_districts", frame[["municipality", "district_id", "name", "level", "parent_id"]])
        try:
            self.con.execute(
                """INSERT INTO districts (municipality, district_id, name, level, parent_id)
                   SELECT municipality, district_id, name, level, parent_id FROM _districts
                   ON CONFLICT (municipality, district_id) DO UPDATE SET name = excluded.name,
                       level = excluded.level,
                       parent_id = coalesce(excluded.parent_id, districts.parent_id)"""
            )
        finally:
            self.con.unregister("_districts")

    def archive_districts(self, municipality: str, district_ids: list[str], import_id: int) -> None:
        """Keep the current rows of these districts, so `undo` can restore their old boundaries."""
        self.execute(
            """INSERT INTO districts_archive SELECT *, ? FROM districts
               WHERE municipality = ? AND list_contains(?, district_id)""",
            [import_id, municipality, district_ids],
        )

    def set_geometry(self, municipality: str, frame: pd.DataFrame, import_id: int | None = None) -> int:
        """frame: district_id, geometry (WKB bytes, EPSG:4326), area_km2."""
        n = 0
        for row in frame.itertuples(index=False):
            self.execute(
                """UPDATE districts SET geometry = ?, area_km2 = ?, import_id = ?
                   WHERE municipality = ? AND district_id = ?""",
                [row.geometry, row.area_km2, import_id, municipality, row.district_id],
            )
            n += 1
        return n

    def start_import(
        self, kind: str, municipality: str | None, file_name: str | None, sha256: str | None, user: str | None
    ) -> int:
        import_id = self.con.execute("SELECT nextval('import_ids')").fetchall()[0][0]
        self.execute(
            """INSERT INTO imports (import_id, kind, municipality, file_name, file_sha256, imported_at,
                                    imported_by, rows) VALUES (?, ?, ?, ?, ?, ?, ?, 0)""",
            [import_id, kind, municipality, file_name, sha256, datetime.now(), user or _current_user()],
        )
        return import_id

    def finish_import(self, import_id: int, rows: int, replaced: str = "") -> None:
        self.execute(
            "UPDATE imports SET rows = ?, replaced = ? WHERE import_id = ?", [rows, replaced, import_id]
        )


def _current_user() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "unbekannt")


_DRY_RUN: ContextVar[bool] = ContextVar("dry_run", default=False)


@contextmanager
def dry_run() -> Iterator[None]:
    """Inside this block every import runs completely — checks, writes — on a copy that is then thrown
    away: the upload page's "Prüfen" before the planner confirms."""
    token = _DRY_RUN.set(True)
    try:
        yield
    finally:
        _DRY_RUN.reset(token)


@contextmanager
def writing(path: str | Path) -> Iterator[Writer]:
    """One all-or-nothing write: copy → write in a transaction → atomic switch to the new version.

    Every write produces a new version file beside the database (`<name>.v<time>`); `path` becomes a
    symbolic link to it, replaced atomically. Readers that have the old version open keep reading it
    (and DuckDB, which shares one instance per real file in a process, opens the new one fresh). Any
    exception inside the block discards the new version; the database is untouched. Writers are
    serialised by a lock file; the newest KEEP_VERSIONS versions stay as backups.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        new = path.with_name(f"{path.name}.v{time.time_ns()}")
        switched = False
        try:
            if path.exists():
                shutil.copyfile(path, new)
            con = duckdb.connect(str(new))
            try:
                con.execute(SCHEMA.read_text(encoding="utf-8"))
                con.begin()
                try:
                    yield Writer(con)
                    con.commit()
                except BaseException:
                    con.rollback()
                    raise
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if not _DRY_RUN.get():
                link = path.with_name(path.name + ".link")
                link.unlink(missing_ok=True)
                link.symlink_to(new.name)
                os.replace(link, path)
                switched = True
                _prune_versions(path)
        finally:
            new.with_name(new.name + ".wal").unlink(missing_ok=True)
            if not switched:
                new.unlink(missing_ok=True)


KEEP_VERSIONS = 3


def _prune_versions(path: Path) -> None:
    """Delete all but the newest versions (readers that still have one open keep reading it)."""
    current = path.resolve().name
    versions = sorted(path.parent.glob(f"{path.name}.v*"), key=lambda p: int(p.name.rsplit(".v", 1)[1]))
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != current:
            old.unlink(missing_ok=True)
