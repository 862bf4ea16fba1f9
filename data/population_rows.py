"""The data rows of a population table, read a column at a time.

`read_rows` turns the table (strings, index = spreadsheet row numbers) into one record per data row
— a DataFrame in the table's order — and lists every problem of a single row, in the order a reader
goes through the file: row by row, and within a row from the name to the dates, counts and shares.
Text is worked on once per distinct value (a long table repeats each name on every Stichtag), counts
with `parsing.parse_counts`; only the cells that are wrong are looked at one by one, for the message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.errors import Problem
from data.parsing import (
    normalise_header,
    normalise_name,
    parse_count,
    parse_counts,
    parse_date,
    parse_percent,
)
from data.population_levels import Distinct, names_an_upper_level, per_value, significant, split_number

NOTE_STARTS = ("©", "_", "*", "quelle", "stand", "hinweis", "anmerkung", "fußnote", "fussnote")
SHARE_TOLERANCE_PP = 0.1
GEMEINDE = "Gemeinde"


@dataclass
class Columns:
    """The table's columns for each part of a record (None: the table has none)."""

    name: str
    key: str | None
    level: str | None
    date: str | None
    year: str | None
    counts: dict[str, str]
    shares: dict[str, str]  # count field → "Anteil …" column


@dataclass(frozen=True)
class Levels:
    """Normalised level and name spellings that decide a row's level (see data.population)."""

    total_names: frozenset[str]
    total_levels: frozenset[str]
    upper_levels: frozenset[str]
    bottom_levels: frozenset[str]


def _stripped(column: pd.Series) -> np.ndarray:
    return per_value(column, lambda v: str(v).strip())


class _Findings:
    """Problems of single rows, sorted at the end by (row position, step within the row)."""

    def __init__(self, row_no: np.ndarray) -> None:
        self.row_no = row_no
        self.found: list[tuple[int, int, Problem]] = []

    def add(
        self, mask: np.ndarray, step: int, message: Callable[[int], str], column: str | None, **kw
    ) -> None:
        for pos in np.flatnonzero(mask).tolist():
            self.found.append((pos, step, Problem(message(pos), int(self.row_no[pos]), column, **kw)))

    def sorted(self) -> list[Problem]:
        return [p for _, _, p in sorted(self.found, key=lambda f: (f[0], f[1]))]


@functools.lru_cache(maxsize=4_096)
def _date_or_error(text: str) -> tuple[date | None, str | None]:
    try:
        return parse_date(text), None
    except ValueError as err:
        return None, str(err)


def _count_or_error(raw: object) -> tuple[int | None, str | None]:
    try:
        return parse_count(raw), None
    except ValueError as err:
        return None, str(err)


def _percent_or_error(raw: object) -> tuple[float | None, str | None]:
    try:
        return parse_percent(raw), None
    except ValueError as err:
        return None, str(err)


def _pairs(
    values: np.ndarray | pd.Series, fn: Callable, where: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The two parts of `fn` (a value and an error) per value, None outside `where`."""
    n = len(values)
    first, second = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    if where is not None and not where.any():
        return first, second
    distinct = Distinct(values if where is None else values[where])
    both = [fn(u) for u in distinct.uniques]
    at = slice(None) if where is None else where
    for out, part in ((first, 0), (second, 1)):
        column = np.empty(len(both), dtype=object)
        column[:] = [b[part] for b in both]
        out[at] = column[distinct.codes]
    return first, second


def read_rows(
    frame: pd.DataFrame, cols: Columns, levels: Levels, reference_date: date | None, level: str
) -> tuple[pd.DataFrame, list[Problem], dict[str, int]]:
    """Records of the rows that can be stored (columns: row, name, raw_name, key, hint,
    from_key_column, reference_date and the count fields), the problems of single rows, and the
    unknown level spellings with the first row of each. Notes under the table are skipped."""
    n = len(frame)
    row_no = frame.index.to_numpy()
    found = _Findings(row_no)
    raw_name = _stripped(frame[cols.name])
    key = _stripped(frame[cols.key]) if cols.key else np.full(n, "", dtype=object)
    distinct_raw = Distinct(raw_name)
    note_name = distinct_raw.test(lambda s: not s or s.lower().startswith(NOTE_STARTS))
    note = (key == "") & note_name  # and no counts: looked at only where the rest says note
    for col in cols.counts.values():
        note[note] = [not str(v).strip() for v in frame[col][note].tolist()]

    def note_text(pos: int) -> str:
        text = next((t for v in frame.iloc[pos].tolist() if (t := str(v).strip())), "")
        return f"Zeile ohne Gebiet und Zahlen übersprungen („{text[:60]}“)."

    found.add(note, 0, note_text, None, severity="warning")

    # a number before the name is the key (`03 Nord`), if the key column is empty or agrees
    number, rest = (
        distinct_raw.map(lambda s: split_number(s)[0]),
        distinct_raw.map(lambda s: split_number(s)[1]),
    )
    has_number = number != None  # noqa: E711 (element-wise)
    agrees = has_number & (key == "")
    if has_number.any():
        sig = per_value(key, significant)
        agrees |= has_number & (per_value(np.where(has_number, number, "0"), significant) == sig)
    key = np.where(agrees & (key == ""), number, key)
    name = np.where(agrees, rest, raw_name)
    if level == GEMEINDE:  # AGS whose leading zero a spreadsheet dropped
        key = per_value(key, lambda k: "0" + k if k.isdigit() and len(k) in (1, 4, 7) else k)
    from_key_column = (key != "") if cols.key else np.zeros(n, bool)

    stated_levels = Distinct(frame[cols.level]) if cols.level else None

    def by_level(words: frozenset[str] | set[str]) -> np.ndarray:
        """Rows whose level column names one of `words` (normalised)."""
        if stated_levels is None:
            return np.zeros(n, bool)
        return stated_levels.test(lambda v: normalise_header(v) in words)

    distinct_names = Distinct(name)
    is_total = (
        by_level(levels.total_levels)
        | distinct_names.test(lambda s: normalise_name(s) in levels.total_names)
        | Distinct(key).test(lambda k: bool(k) and set(k) == {"0"})
    )
    gemeinde = by_level({normalise_header(GEMEINDE)}) if level == GEMEINDE else np.zeros(n, bool)
    stated = ~by_level({""}) if stated_levels is not None else np.zeros(n, bool)
    conditions = [
        gemeinde,
        is_total,
        by_level(levels.upper_levels),
        by_level(levels.bottom_levels),
        stated,
        distinct_names.test(names_an_upper_level),
    ]
    hint = np.select(conditions, ["bottom", "total", "upper", "bottom", None, "upper"], None).astype(object)
    unknown_levels: dict[str, int] = {}
    if cols.level:
        unknown = stated & ~np.logical_or.reduce(conditions[:4]) & ~note
        texts = _stripped(frame[cols.level])
        for pos in np.flatnonzero(unknown).tolist():
            unknown_levels.setdefault(texts[pos], int(row_no[pos]))

    nameless = ~note & (name == "") & (hint != "total")
    found.add(nameless, 1, lambda _: "Der Name des Stadtteils fehlt.", cols.name)
    active = ~note & ~nameless

    stichtag = np.full(n, reference_date, dtype=object)
    for step, col in ((2, cols.date), (3, cols.year)):
        if not col:
            continue
        text = _stripped(frame[col])
        given = active & (text != "")
        value, error = _pairs(text, _date_or_error, given)
        failed = given & (error != None)  # noqa: E711
        stichtag = np.where(given & ~failed, value, stichtag)
        found.add(failed, step, lambda pos, e=error: e[pos], col)
    no_date = active & (stichtag == None)  # noqa: E711
    found.add(
        no_date,
        4,
        lambda _: (
            'Der Stichtag fehlt: bitte --date angeben oder eine Spalte "Stichtag" in die Datei aufnehmen.'
        ),
        cols.date or cols.year,
    )

    counts: dict[str, pd.Series] = {}
    bad = np.zeros(n, bool)
    for i, (fld, col) in enumerate(cols.counts.items()):
        number_of = parse_counts(frame[col], col)[0]
        missing = number_of.isna().to_numpy() & active
        value, error = _pairs(frame[col], _count_or_error, missing)
        failed = missing & (error != None)  # noqa: E711
        found.add(failed, 10 + i, lambda pos, e=error: e[pos], col)
        bad |= failed
        counts[fld] = number_of.mask(missing & ~failed, pd.array(value, dtype="Int64")).mask(failed)
    population = counts["population"]
    no_population = active & population.isna().to_numpy() & ~bad
    found.add(no_population, 20, lambda _: "Die Einwohnerzahl fehlt.", cols.counts["population"])
    _check_counts(found, active, counts, cols)
    _check_shares(found, active, frame, counts, cols)

    keep = active & (stichtag != None) & ~population.isna().to_numpy()  # noqa: E711
    records = pd.DataFrame(
        {
            "row": row_no[keep].astype(int),
            # object columns, not Arrow strings: the level logic reads them as NumPy arrays
            "name": pd.Series(name[keep], dtype=object),
            "raw_name": pd.Series(raw_name[keep], dtype=object),
            "key": pd.Series(key[keep], dtype=object),
            "hint": pd.Series(hint[keep], dtype=object),
            "from_key_column": from_key_column[keep],
            "reference_date": pd.Series(stichtag[keep], dtype=object),
            **{fld: values[keep].reset_index(drop=True) for fld, values in counts.items()},
        }
    )
    return records, found.sorted(), unknown_levels


def _check_counts(found: _Findings, active: np.ndarray, counts: dict[str, pd.Series], cols: Columns) -> None:
    """Foreigners and persons with a migration background within the population, foreigners within
    the persons with a migration background; persons with an Einwanderungsgeschichte within the
    population (not compared with foreigners: a foreigner born here has none)."""
    empty = pd.Series(pd.NA, index=counts["population"].index, dtype="Int64")
    pop, fo, mh, eg = (
        counts.get(f, empty)
        for f in ("population", "foreigners", "migration_background", "immigration_history")
    )
    checks = (
        (
            fo > pop,
            "foreigners",
            lambda p: f"Mehr Ausländer:innen ({fo.iloc[p]}) als Einwohner:innen ({pop.iloc[p]}).",
        ),
        (
            mh > pop,
            "migration_background",
            lambda p: (
                f"Mehr Personen mit Migrationshintergrund ({mh.iloc[p]}) als Einwohner:innen ({pop.iloc[p]})."
            ),
        ),
        (
            mh < fo,
            "migration_background",
            lambda p: (
                f"Weniger Personen mit Migrationshintergrund ({mh.iloc[p]}) als Ausländer:innen ({fo.iloc[p]}); "
                "Ausländer:innen zählen immer mit."
            ),
        ),
        (
            eg > pop,
            "immigration_history",
            lambda p: (
                f"Mehr Personen mit Einwanderungsgeschichte ({eg.iloc[p]}) als Einwohner:innen ({pop.iloc[p]})."
            ),
        ),
    )
    for step, (mask, fld, message) in enumerate(checks, start=21):
        hits = mask.fillna(False).to_numpy(dtype=bool) & active
        if hits.any():
            found.add(hits, step, message, cols.counts[fld])


def _check_shares(
    found: _Findings, active: np.ndarray, frame: pd.DataFrame, counts: dict[str, pd.Series], cols: Columns
) -> None:
    """Published `Anteil …` columns against the counts (± SHARE_TOLERANCE_PP)."""
    pop = counts["population"]
    for i, (fld, col) in enumerate(cols.shares.items()):
        published, error = _pairs(frame[col], _percent_or_error)
        failed = active & (error != None)  # noqa: E711
        found.add(failed, 30 + i, lambda pos, e=error: e[pos], col)
        value = counts.get(fld)
        if value is None:  # a share without its count: read and checked, never stored (see data.population)
            continue
        given = pd.Series(published, index=pop.index).astype("Float64")
        computed = value / pop.where(pop != 0) * 100
        off = ((computed - given).abs() > SHARE_TOLERANCE_PP + 1e-9).fillna(False).to_numpy(dtype=bool)

        def message(pos: int, given: pd.Series = given, value: pd.Series = value) -> str:
            share, count, total = float(given.iloc[pos]), int(value.iloc[pos]), int(pop.iloc[pos])
            return (
                f"Der angegebene Anteil {share:.1f} % passt nicht zu den Zahlen ({count} von {total} = "
                f"{count / total * 100:.1f} %).".replace(".", ",")
            )

        found.add(active & ~failed & off, 30 + i, message, col)
