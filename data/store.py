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
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

import settings
from data.errors import DataImportError

SCHEMA = Path(__file__).with_name("schema.sql")
DEFAULT_DB = Path(__file__).with_name("integrationsmonitor.duckdb")
ENV_DB = settings.DB.name
STADTTEIL = "Stadtteil"


def default_db_path() -> Path:
    """`$INTEGRATIONSMONITOR_DB`, else `data/integrationsmonitor.duckdb` in the repository."""
    return settings.db_path()


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
        if self.path.is_symlink() and not self.path.exists():
            raise FileNotFoundError(
                f"Die Datenbank {self.path} verweist auf die Datei {os.readlink(self.path)}, die fehlt.\n"
                + restore_hint(self.path)
            )
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
                          sum(p.minors_migration_background) AS minors_migration_background,
                          sum(p.immigration_history) AS immigration_history
                   FROM population p JOIN districts d USING (municipality, district_id)
                   WHERE p.municipality = $1 AND d.parent_id IS NOT NULL
                     AND ($3 IS NULL OR p.reference_date = $3)
                     AND d.parent_id IN (SELECT district_id FROM districts
                                         WHERE municipality = $1 AND level = $2)
                   GROUP BY ALL
               ), counts AS (
                   SELECT reference_date, district_id, population, foreigners, migration_background,
                          minors, minors_migration_background, immigration_history FROM own
                   UNION ALL
                   SELECT reference_date, district_id, population, foreigners, migration_background,
                          minors, minors_migration_background, immigration_history FROM from_children c
                   WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.district_id = c.district_id
                                     AND o.reference_date = c.reference_date)
               )
               SELECT c.reference_date, c.district_id, d.name AS district, c.population, c.foreigners,
                      c.migration_background, c.minors, c.minors_migration_background, c.immigration_history
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

    # --- the levels above the municipalities (issue 19; see `data.regions`) ------------------------

    def has_regions(self) -> bool:
        """False for a database written before the regions existed (the schema grows on the next write;
        until then the app reads it as it is): the region reads answer empty."""
        if not hasattr(self, "_has_regions"):
            found = self.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'region_counts'")
            self._has_regions = bool(found["n"].iloc[0])
        return self._has_regions

    def regions(self, prefix: str = "") -> pd.DataFrame:
        """ags, name, level, synthetic, has_geometry of the regions whose AGS starts with `prefix`."""
        if not self.has_regions():
            return pd.DataFrame(columns=["ags", "name", "level", "synthetic", "has_geometry"])
        return self.query(
            """SELECT ags, name, level, synthetic, geometry IS NOT NULL AS has_geometry FROM regions
               WHERE starts_with(ags, ?) ORDER BY ags""",
            [prefix],
        )

    def region_boundaries(self, kreis: str) -> pd.DataFrame:
        """ags, name, geometry (WKB, EPSG:4326) of the Gemeinden of a Kreis (by its AGS) that have one."""
        if not self.has_regions():
            return pd.DataFrame(columns=["ags", "name", "geometry"])
        return self.query(
            """SELECT ags, name, geometry FROM regions
               WHERE level = 'Gemeinde' AND starts_with(ags, ?) AND geometry IS NOT NULL ORDER BY ags""",
            [kreis],
        )

    def municipality_ags(self, municipality: str) -> str | None:
        """The AGS of a municipality: its own, else that of the one Gemeinde of the same name."""
        if not self.has_regions():
            found = self.query("SELECT ags FROM municipalities WHERE name = ?", [municipality])
            return None if found.empty or pd.isna(found["ags"].iloc[0]) else str(found["ags"].iloc[0])
        found = self.query(f"SELECT ags FROM ({_LINKED}) WHERE name = ?", [municipality])
        return None if found.empty or pd.isna(found["ags"].iloc[0]) else str(found["ags"].iloc[0])

    def region_members(self, kreis: str) -> pd.DataFrame:
        """The Gemeinden of a Kreis: ags, name, municipality (its name among the store's municipalities,
        if it is one) and refugee_data (allocations or quota figures stored under either name)."""
        if not self.has_regions():
            return pd.DataFrame(columns=["ags", "name", "municipality", "refugee_data"])
        return self.query(
            f"""WITH r AS (SELECT ags, name FROM regions WHERE level = 'Gemeinde' AND starts_with(ags, $1)),
                    m AS (SELECT ags, name FROM ({_LINKED}) WHERE length(ags) = 8 AND starts_with(ags, $1))
               SELECT coalesce(r.ags, m.ags) AS ags, coalesce(r.name, m.name) AS name, m.name AS municipality,
                      EXISTS (SELECT 1 FROM allocations a WHERE a.municipality IN (r.name, m.name))
                      OR EXISTS (SELECT 1 FROM quotas q WHERE q.municipality IN (r.name, m.name)) AS refugee_data
               FROM r FULL JOIN m ON r.ags = m.ags ORDER BY 1""",
            [kreis],
        )

    def region_counts(self, kreis: str) -> pd.DataFrame:
        """Counts per Stichtag of the Kreis (by AGS), its Gemeinden and the regions above it: ags,
        reference_date, population, foreigners, migration_background, source, origin. `origin` is
        "published" (a statistics office's row), or for a municipality with Stadtteile in the store and
        no published row at that Stichtag "city_total" (the total row of its own file) or "districts"
        (the sum of its Stadtteile; a measure missing in one of them is missing in the sum)."""
        if not self.has_regions():
            return pd.DataFrame(columns=list(_REGION_COLUMNS))
        published = self.query(
            """SELECT ags, reference_date, population, foreigners, migration_background, source,
                      'published' AS origin
               FROM region_counts WHERE starts_with(ags, $1) OR starts_with($1, ags)""",
            [kreis],
        )
        own = self.query(
            f"""SELECT m.ags, p.reference_date, p.district_id = '' AS city_total, m.source,
                      sum(p.population) AS population,
                      CASE WHEN count(p.foreigners) = count(*) THEN sum(p.foreigners) END AS foreigners,
                      CASE WHEN count(p.migration_background) = count(*)
                           THEN sum(p.migration_background) END AS migration_background
               FROM population p JOIN ({_LINKED}) m ON m.name = p.municipality
               WHERE length(m.ags) = 8 AND starts_with(m.ags, $1)
                 AND (p.district_id = '' OR p.district_id IN (
                      SELECT district_id FROM districts d
                      WHERE d.municipality = p.municipality AND d.level = 'Stadtteil'))
               GROUP BY ALL""",
            [kreis],
        )
        own = own.sort_values("city_total", ascending=False).drop_duplicates(["ags", "reference_date"])
        own["origin"] = own.pop("city_total").map({True: "city_total", False: "districts"})
        known = set(zip(published["ags"], published["reference_date"], strict=True))
        fresh = [(a, d) not in known for a, d in zip(own["ags"], own["reference_date"], strict=True)]
        own = own.loc[pd.Series(fresh, index=own.index, dtype=bool)]
        frame = pd.concat([published, own[published.columns]], ignore_index=True)
        counts = ["population", "foreigners", "migration_background"]
        return frame.astype({c: "Int64" for c in counts}).sort_values(
            ["ags", "reference_date"], ignore_index=True
        )

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

    def import_contents(self, kind: str, sha256: str) -> dict | None:
        """What the newest not undone import of a file (by its SHA-256) stored: import_id,
        municipality, the Stichtage and the Gebietsebenen of its rows; None when there is none."""
        found = self.query(
            """SELECT import_id, municipality FROM imports
               WHERE kind = ? AND file_sha256 = ? AND undone_at IS NULL ORDER BY import_id DESC LIMIT 1""",
            [kind, sha256],
        )
        if found.empty:
            return None
        import_id = int(found["import_id"].iloc[0])
        dates = self.query(
            """SELECT DISTINCT reference_date FROM (
                   SELECT reference_date FROM population WHERE import_id = $1
                   UNION ALL SELECT reference_date FROM quotas WHERE import_id = $1
                   UNION ALL SELECT reference_date FROM occupancy WHERE import_id = $1
                   UNION ALL SELECT reference_date FROM custom_values WHERE import_id = $1)
               ORDER BY 1""",
            [import_id],
        )
        levels = self.query(
            """SELECT DISTINCT level FROM districts d WHERE import_id = $1 OR EXISTS (
                   SELECT 1 FROM population p WHERE p.import_id = $1
                     AND p.municipality = d.municipality AND p.district_id = d.district_id)
               ORDER BY 1 DESC""",
            [import_id],
        )
        return {
            "import_id": import_id,
            "municipality": found["municipality"].iloc[0],
            "dates": [pd.Timestamp(d).date() for d in dates["reference_date"]],
            "levels": levels["level"].tolist(),
        }

    def population_sources(self, municipality: str) -> pd.DataFrame:
        """reference_date, source, caveat of the Stichtage whose counts come from elsewhere than the
        municipality's register (the Zensus 2022), as long as their counts are still those of that import.
        Empty for a database written before the table existed (readers never change the schema)."""
        if (
            self.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'population_sources'")[
                "n"
            ].iloc[0]
            == 0
        ):
            return pd.DataFrame({"reference_date": [], "source": [], "caveat": []})
        frame = self.query(
            """SELECT s.reference_date, s.source, s.caveat FROM population_sources s
               WHERE s.municipality = ? AND EXISTS (
                   SELECT 1 FROM population p WHERE p.municipality = s.municipality
                     AND p.reference_date = s.reference_date AND p.import_id = s.import_id)
               ORDER BY 1""",
            [municipality],
        )
        frame["reference_date"] = [pd.Timestamp(d).date() for d in frame["reference_date"]]
        return frame

    def column_mapping(self, municipality: str, kind: str) -> dict[str, str]:
        """Header mappings chosen earlier for this municipality and kind of file: field → header."""
        frame = self.query(
            "SELECT field, header FROM column_mappings WHERE municipality = ? AND kind = ?",
            [municipality, kind],
        )
        return dict(zip(frame["field"], frame["header"], strict=True))

    def own_indicators(self, municipality: str) -> pd.DataFrame:
        """The municipality's own indicators (key, label, short_label, numerator_label, denominator,
        unit, source, caveat), in the order they were first loaded."""
        return self.query(
            """SELECT key, label, short_label, numerator_label, denominator, unit, source, caveat
               FROM custom_indicators WHERE municipality = ? ORDER BY import_id, key""",
            [municipality],
        )

    def own_values(
        self, municipality: str, reference_date: date | None = None, level: str | None = STADTTEIL
    ) -> pd.DataFrame:
        """reference_date, district_id, key, value (Int64) of the own indicators, for the districts of
        the level (all levels for None); an upper district without values of its own gets the sum of
        its children's (NA when one of them is not known)."""
        return self.query(
            """WITH own AS (
                   SELECT v.reference_date, v.district_id, v.key, v.value FROM custom_values v
                   JOIN districts d USING (municipality, district_id)
                   WHERE v.municipality = $1 AND ($2 IS NULL OR d.level = $2)
                     AND ($3 IS NULL OR v.reference_date = $3)
               ), from_children AS (
                   SELECT v.reference_date, d.parent_id AS district_id, v.key,
                          CASE WHEN bool_and(v.value IS NOT NULL) THEN sum(v.value) END AS value
                   FROM custom_values v JOIN districts d USING (municipality, district_id)
                   WHERE v.municipality = $1 AND d.parent_id IS NOT NULL
                     AND ($3 IS NULL OR v.reference_date = $3)
                     AND d.parent_id IN (SELECT district_id FROM districts
                                         WHERE municipality = $1 AND ($2 IS NULL OR level = $2))
                   GROUP BY ALL
               )
               SELECT * FROM own
               UNION ALL
               SELECT * FROM from_children c WHERE NOT EXISTS (
                   SELECT 1 FROM own o WHERE o.district_id = c.district_id AND o.key = c.key
                     AND o.reference_date = c.reference_date)
               ORDER BY 1, 3, 2""",
            [municipality, level, reference_date],
        ).astype({"value": "Int64"})


# The municipalities with their AGS: their own, else that of the one Gemeinde region of the same name (a
# city loaded from its own files has no AGS; the GENESIS table of its Kreis names it).
_REGION_COLUMNS = (
    "ags",
    "reference_date",
    "population",
    "foreigners",
    "migration_background",
    "source",
    "origin",
)
_LINKED = """SELECT m.name, m.source, coalesce(m.ags, (SELECT CASE WHEN count(*) = 1 THEN any_value(r.ags) END
                 FROM regions r WHERE r.level = 'Gemeinde' AND r.name = m.name)) AS ags
             FROM municipalities m"""
ARCHIVED = ("population", "population_detail", "allocations", "quotas", "occupancy", "districts")
ARCHIVED += ("population_sources",)  # the source of a Stichtag from elsewhere (data/zensus.py)
ARCHIVED += ("regions", "region_counts")  # issue 19: the levels above the municipalities
ARCHIVED += ("custom_indicators", "custom_values")  # a city's own indicators (data/own_indicators.py)
_COUNT_COLUMNS = [
    "population",
    "foreigners",
    "migration_background",
    "minors",
    "minors_migration_background",
    "immigration_history",
]


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
                f"INSERT INTO {table}_archive BY NAME SELECT *, ? AS replaced_by FROM {table} WHERE {where}",
                [import_id, *params],
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
def writing(path: str | Path, restore_from: Path | None = None) -> Iterator[Writer]:
    """One all-or-nothing write: copy → write in a transaction → atomic switch to the new version.

    Every write produces a new version file beside the database (`<name>.v<time>`); `path` becomes a
    symbolic link to it, replaced atomically. Readers that have the old version open keep reading it
    (and DuckDB, which shares one instance per real file in a process, opens the new one fresh). Any
    exception inside the block discards the new version; the database is untouched. Writers are
    serialised by a lock file. A write refuses to start (StoreError) when the link is broken, so a lost
    version is never silently replaced by an empty database. `restore_from` copies a kept version
    instead of the current one (`python -m data restore`).

    Once the switch is done the write counts as done: a failure of the clean-up after it becomes a
    note (`take_notes()`), never an exception.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        source = restore_from or current_version(path)
        if source is not None:
            _settle_wal(path, source)
        new = path.with_name(f"{path.name}.v{time.time_ns()}")
        switched = False
        try:
            if source is not None:
                _copy(source, new)
            con = duckdb.connect(str(new))
            try:
                con.execute(SCHEMA.read_text(encoding="utf-8"))
                con.begin()
                try:
                    yield Writer(con)
                    _commit(con)
                except BaseException:
                    con.rollback()
                    raise
                _checkpoint(con)
            finally:
                con.close()
            if not _DRY_RUN.get():
                _switch(path, new)
                switched = True
                _after_switch(path, new)
        finally:
            if not switched:
                _delete_version(new)


# --- the steps of a write, each a function of its own (the fault tests make each one fail) --------


def _copy(source: Path, new: Path) -> None:
    shutil.copyfile(source, new)


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    con.commit()


def _checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CHECKPOINT")


def _switch(path: Path, new: Path) -> None:
    """Point the link `path` at `new` in one atomic rename."""
    link = path.with_name(path.name + ".link")
    link.unlink(missing_ok=True)
    link.symlink_to(new.name)
    os.replace(link, path)


def _after_switch(path: Path, new: Path) -> None:
    """Remember the new version as good, then prune; the data is saved already, so only notes."""
    try:
        _mark_good(path, new)
        _prune_versions(path)
    except Exception as err:  # the import is in place; say so, and what was left undone
        _note(
            f"Die Daten sind gespeichert (Version {new.name}), aber ältere Versionen wurden nicht "
            f"aufgeräumt ({type(err).__name__}: {err})."
        )


# --- versions, the link, and what a write may start from ---------------------------------------------


class StoreError(DataImportError):
    """The database is in no state to write to (a broken link, an unreadable log). Nothing was changed;
    `str()` is the German message, with the way out."""

    def __init__(self, db_path: str | Path, message: str):
        super().__init__(db_path, message)

    def render(self, limit: int = 50) -> str:
        return "\n".join(p.message for p in self.problems)


KEEP_VERSIONS = 3


def versions(path: str | Path) -> list[Path]:
    """The version files of the database `path`, newest first. Only `<name>.v<digits>` counts: a
    `.vorher`, `.bak` or `.wal` beside the database is somebody else's file and is left alone."""
    path = Path(path)
    pattern = re.compile(rf"{re.escape(path.name)}\.v(\d+)")
    found = [
        (int(m.group(1)), p) for p in path.parent.glob(f"{path.name}.v*") if (m := pattern.fullmatch(p.name))
    ]
    return [p for _, p in sorted(found, key=lambda item: item[0], reverse=True) if p.is_file()]


def version_time(version: Path) -> datetime:
    return datetime.fromtimestamp(int(version.name.rsplit(".v", 1)[1]) / 1e9)


def _wal(file: Path) -> Path:
    return file.with_name(file.name + ".wal")


def restore_hint(path: Path) -> str:
    """How to get a kept version back, in German, with the exact commands."""
    db = "" if path == default_db_path() else f' --db "{path}"'
    kept = [v for v in versions(path) if version_is_good(v)]
    if not kept:
        return (
            "Es gibt keine gesicherte Version daneben. Legen Sie eine Sicherung (z. B. aus dem Backup) "
            f"als {path} zurück, oder löschen Sie {path}, um mit einer leeren Datenbank zu beginnen."
        )
    return (
        f"Gesicherte Versionen zeigt „python -m data versions{db}“; die neueste "
        f"({version_time(kept[0]):%d.%m.%Y %H:%M}) stellt „python -m data restore {kept[0].name}{db}“ wieder her."
    )


def link_target(path: str | Path) -> str | None:
    """The version name the database link points to now (None for no link): compared before and after
    a write, it tells whether the write was saved."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def current_version(path: str | Path) -> Path | None:
    """The file the database link points to (or the plain database file); None when there is no
    database yet. Raises StoreError when the link is broken or leads out of the database folder."""
    path = Path(path)
    refuse = "Damit keine Daten verloren gehen, wird nichts geschrieben; es wurde nichts geändert."
    if path.is_symlink():
        target = Path(os.readlink(path))
        full = target if target.is_absolute() else path.parent / target
        if full.parent.resolve() != path.parent.resolve():
            raise StoreError(
                path,
                f"Die Datenbank {path} verweist auf {full}, also aus ihrem Ordner {path.parent} hinaus. "
                f"{refuse}\n{restore_hint(path)}",
            )
        if not full.is_file():
            raise StoreError(
                path,
                f"Die Datenbank {path} verweist auf die Datei {full.name}, die fehlt. {refuse}\n"
                f"{restore_hint(path)}",
            )
        return full
    if path.exists():
        return path
    if versions(path):
        raise StoreError(
            path,
            f"Die Datenbank {path} fehlt, daneben liegen aber gesicherte Versionen. {refuse}\n"
            f"{restore_hint(path)}",
        )
    return None


def _settle_wal(path: Path, source: Path) -> None:
    """A change log (`.wal`) left beside the version a write copies holds committed data the copy
    would lose: play it into the file first, or refuse."""
    wal = _wal(source)
    if not wal.exists():
        return
    try:
        con = duckdb.connect(str(source))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except duckdb.Error as err:
        raise StoreError(
            path,
            f"Neben der Datenbankversion {source.name} liegt das Änderungsprotokoll {wal.name}, das nicht "
            f"eingespielt werden kann ({err}). Es wurde nichts geändert. Schließen Sie alle Programme, die "
            "die Datenbank geöffnet haben (auch die App), und versuchen Sie es erneut.",
        ) from err
    if wal.exists():
        raise StoreError(
            path,
            f"Neben der Datenbankversion {source.name} liegt die Datei {wal.name}, die DuckDB nicht als "
            "ihr Änderungsprotokoll erkennt. Es wurde nichts geändert. Verschieben Sie die Datei in einen "
            "anderen Ordner und versuchen Sie es erneut.",
        )


def version_is_good(version: Path) -> bool:
    """A complete version: no change log left beside it, and DuckDB opens it and reads the import log."""
    if _wal(version).exists() or not version.is_file():
        return False
    try:
        con = duckdb.connect(str(version), read_only=True)
        try:
            con.execute("SELECT count(*) FROM imports").fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return False
    return True


def _good_marker(path: Path) -> Path:
    return path.with_name(path.name + ".good")


def _mark_good(path: Path, version: Path) -> None:
    """Record the newest version that was written completely and switched to (pruning keeps it)."""
    marker = _good_marker(path)
    temporary = marker.with_name(marker.name + ".tmp")
    temporary.write_text(version.name + "\n", encoding="utf-8")
    os.replace(temporary, marker)


def last_good(path: Path) -> str | None:
    try:
        return _good_marker(path).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _delete_version(version: Path) -> None:
    _wal(version).unlink(missing_ok=True)
    version.unlink(missing_ok=True)


def _prune_versions(path: Path) -> None:
    """Delete old versions once KEEP_VERSIONS newer ones are known to be good. The current version and
    the last one recorded as good are never deleted; readers that have one open keep reading it."""
    current = current_version(path)
    protected = {current.name if current else None, last_good(path)}
    good = 0
    for version in versions(path):
        if good >= KEEP_VERSIONS and version.name not in protected:
            _delete_version(version)
        elif version_is_good(version):
            good += 1


# --- notes: what a write that succeeded wants the caller to say besides -----------------------------

_NOTES: ContextVar[tuple[str, ...]] = ContextVar("store_notes", default=())


def _note(text: str) -> None:
    _NOTES.set((*_NOTES.get(), text))


def take_notes() -> list[str]:
    """Warnings of the writes since the last call (e.g. old versions not pruned), and forget them."""
    notes = list(_NOTES.get())
    _NOTES.set(())
    return notes
