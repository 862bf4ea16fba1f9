"""Area levels and names in population tables as cities publish them.

A published table may mix the city total, Stadtbezirke and their Stadtteile, and write names a
little differently from the boundaries (`03 Nord - West`, `u.` for `und`, `ß`/`ss`). `find_levels`
works on the records of `data.population_rows.read_rows` (columns `row`, `name`, `key`, `hint`
(None, "total", "upper" or "bottom") and the count fields), one Stichtag at a time, and decides in
this order: a level column or a name like "Stadtbezirk Mitte" (already in `hint`), the key structure
(Köln: `1`–`9` or `001`–`009` above `101`–`909`), the districts the database knows, and the table's
order (`by_order`: a row whose counts equal the sum of the rows below or above it; it reads the
rows of one Stichtag as dicts, only when the other signs leave the levels open).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import Problem
from data.parsing import normalise_name

UPPER_WORDS = ("stadtbezirk", "ortsbezirk", "bezirk")
_NUMBER_PREFIX = re.compile(r"^\s*(\d{1,8})(?:\s*[.:)]\s*|\s+[-–]\s+|\s+)(?=\D)(.+)$")
_SPACES = re.compile(r"\s+")
_AROUND_DASH = re.compile(r"\s*([-/])\s*")
_AND = re.compile(r"(?<![^\W\d_])u\.\s*|\s+[&+]\s+|(?<![^\W\d_])u(?![^\W\d_])", re.IGNORECASE)


class Distinct:
    """The distinct values of a column, factorised once: `map(fn)` computes `fn` once per value
    (a long table repeats each name and key on every Stichtag)."""

    def __init__(self, values: np.ndarray | pd.Series) -> None:
        # a Series is factorised as it is (an Arrow string column without a Python object per cell)
        data = values if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
        self.codes, self.uniques = pd.factorize(data, use_na_sentinel=False)

    def map(self, fn: Callable[[object], object]) -> np.ndarray:
        """`fn` of every value, as an object array in the column's order."""
        out = np.empty(len(self.uniques), dtype=object)
        out[:] = [fn(u) for u in self.uniques]
        return out[self.codes]

    def test(self, fn: Callable[[object], bool]) -> np.ndarray:
        """`fn` of every value, as a boolean array."""
        return np.fromiter((bool(fn(u)) for u in self.uniques), dtype=bool, count=len(self.uniques))[
            self.codes
        ]


def per_value(values: np.ndarray | pd.Series, fn: Callable[[object], object]) -> np.ndarray:
    """`fn` of every value, computed once per distinct value (an object array in the same order)."""
    return Distinct(values).map(fn)


def match_key(name: str) -> str:
    """The name as names are compared: `Nord - West`, `nord-west`, `Nord u. West`, `Nord & West` alike."""
    return _match_key(str(name))


@functools.lru_cache(maxsize=65_536)  # names repeat in long tables (one row per district and year)
def _match_key(name: str) -> str:
    return normalise_name(_AND.sub(" und ", name))


def tidy_name(name: str) -> str:
    """Whitespace collapsed, no spaces around hyphens and slashes: `Nord - West` → `Nord-West`."""
    return _tidy_name(str(name))


@functools.lru_cache(maxsize=65_536)
def _tidy_name(name: str) -> str:
    return _AROUND_DASH.sub(r"\1", _SPACES.sub(" ", name).strip())


def split_number(name: str) -> tuple[str | None, str]:
    """`03 Nord - West` → ("03", "Nord - West"); a name without a number prefix → (None, name)."""
    found = _NUMBER_PREFIX.match(str(name))
    return (found.group(1), found.group(2).strip()) if found else (None, str(name).strip())


def significant(key: str) -> str:
    return key.lstrip("0") or "0"


def names_an_upper_level(name: str) -> bool:
    """ "Stadtbezirk Mitte", "Bezirk 3", "Ortsbezirk Nord"."""
    first = re.split(r"[\s:.\-]+", str(name).strip().lower(), maxsplit=1)[0]
    return first in UPPER_WORDS


def find_levels(
    recs: pd.DataFrame, known: pd.DataFrame, fields: list[str], level: str, tolerance: float
) -> list[Problem]:
    """Decide which rows of each Stichtag are the total, the upper level and the finest level.

    `recs` (from data.population_rows.read_rows, in the table's order) gets its `hint` column decided
    and the columns `parent` (key of the upper row), `parent_rec` (position of the upper row, from the
    order; -1 if none) and `skip`. A total that the Stadtteile miss by more than `tolerance` of it
    means the table holds upper rows that only the order tells.
    """
    n = len(recs)
    hint = recs["hint"].to_numpy(dtype=object).copy()
    keys = recs["key"].to_numpy(dtype=object)
    distinct_keys = Distinct(keys)
    names = per_value(recs["name"].to_numpy(dtype=object), match_key)
    day = _Day(
        keys=keys,
        names=names,
        hint=hint,
        digit=distinct_keys.test(str.isdigit),
        sig=distinct_keys.map(significant),
        size=distinct_keys.map(lambda k: len(significant(k))).astype(int),
        parent=np.full(n, None, dtype=object),
        parent_rec=np.full(n, -1),
    )
    bottom_known = known[known["level"] == level]
    upper_known = known[known["level"] != level]
    upper_set = set(upper_known["district_id"]) | {match_key(x) for x in upper_known["district"]}
    bottom_set = set(bottom_known["district_id"]) | {match_key(x) for x in bottom_known["district"]}
    has_key, distinct_names = keys != "", Distinct(names)
    up = has_key & distinct_keys.test(upper_set.__contains__) | distinct_names.test(upper_set.__contains__)
    down = has_key & distinct_keys.test(bottom_set.__contains__) | distinct_names.test(
        bottom_set.__contains__
    )
    population = recs["population"].to_numpy(dtype="int64")
    skip = np.zeros(n, dtype=bool)
    problems: list[Problem] = []
    for rows in recs.groupby("reference_date", sort=False).indices.values():
        rest = rows[hint[rows] != "total"]
        structured = _key_structure(rest, day)
        undecided = rest[(hint[rest] == None) & (up[rest] != down[rest])]  # noqa: E711
        hint[undecided] = np.where(up[undecided], "upper", "bottom")
        lower = rest[hint[rest] != "upper"]
        lower_names = np.where(keys[lower] != "", keys[lower], names[lower])
        totals = rows[hint[rows] == "total"]
        total = int(population[totals[0]]) if len(totals) else 0
        off = bool(len(totals)) and abs(int(population[lower].sum()) - total) > tolerance * total
        orphans = not structured and len(lower) < len(rest)
        if len(set(lower_names.tolist())) != len(lower_names) or off or orphans:
            _by_order_of(rest, recs, fields, day)
        if level == "Gemeinde":  # the region above all municipalities of the file is the Kreis: its total
            covering = _covering(rest, day)
            for r in covering[:-1]:
                skip[r] = True
                problems.append(
                    Problem(
                        f"„{recs['name'].iat[r]}“ liegt über dem Kreis der Datei und wird nicht gespeichert.",
                        int(recs["row"].iat[r]),
                        severity="warning",
                    )
                )
            if covering and not len(totals):
                hint[covering[-1]] = "total"
    recs["hint"] = pd.Series(hint, index=recs.index, dtype=object)  # None stays None, not NaN
    recs["parent"] = pd.Series(day.parent, index=recs.index, dtype=object)
    recs["parent_rec"] = day.parent_rec
    recs["skip"] = skip
    recs["name_key"] = pd.Series(names, index=recs.index, dtype=object)  # match_key of the name
    return problems


@dataclass
class _Day:
    """Columns of all records that the per-Stichtag decisions read and write (as arrays)."""

    keys: np.ndarray  # "" where a row has no key
    names: np.ndarray  # match_key of the name
    hint: np.ndarray
    digit: np.ndarray
    sig: np.ndarray  # the key without leading zeros
    size: np.ndarray  # length of sig
    parent: np.ndarray
    parent_rec: np.ndarray
    # the last day's short keys (sig → key) and the parent key per sig found with them
    parents_by_sig: tuple[dict, dict] = dataclasses.field(default_factory=lambda: ({}, {}))


def _key_structure(rest: np.ndarray, day: _Day) -> bool:
    """Rows whose numeric key is a prefix of longer keys are their upper level (and set `parent`).

    Applies only when every key is numeric, every shorter key has rows below it and every row of the
    longest keys has one above it; otherwise short keys are just short (Lünen numbers 1–13).
    """
    if not len(rest) or not day.digit[rest].all():
        return False
    size = day.size[rest]
    longest = int(size.max())
    short = size < longest
    hint, sig = day.hint[rest], day.sig[rest]
    if not short.any() or (hint[~short] == "upper").any() or (hint[short] == "bottom").any():
        return False
    long_sigs, short_sigs = set(pd.unique(sig[~short])), set(pd.unique(sig[short]))
    if not short_sigs <= {s[:k] for s in long_sigs for k in range(1, longest)}:
        return False
    by_sig: dict[str, str] = {}
    for s, k in zip(sig[short].tolist(), day.keys[rest[short]].tolist(), strict=True):
        by_sig.setdefault(s, k)
    # the short row whose key is the longest proper prefix, one dictionary look-up per prefix and
    # distinct key; a long table repeats the same upper rows on every Stichtag, so it is kept
    if day.parents_by_sig[0] != by_sig:
        day.parents_by_sig = (by_sig, {})
    parent_of = day.parents_by_sig[1]
    for s in long_sigs | short_sigs:
        if s not in parent_of:
            parent_of[s] = next((by_sig[s[:k]] for k in range(len(s) - 1, 0, -1) if s[:k] in by_sig), None)
    if any(parent_of[s] is None for s in long_sigs):
        return False
    day.parent[rest] = per_value(sig, parent_of.get)
    day.hint[rest[short]] = np.where(hint[short] == None, "upper", hint[short])  # noqa: E711
    return True


def _by_order_of(rest: np.ndarray, recs: pd.DataFrame, fields: list[str], day: _Day) -> None:
    """`by_order` on the rows of one Stichtag (as dicts), its decisions written back."""
    counts = {f: recs[f].to_numpy(dtype=object, na_value=None)[rest] for f in {"population", *fields}}
    seq = [
        {"hint": day.hint[i], "_at": i, **{f: counts[f][j] for f in counts}}
        for j, i in enumerate(rest.tolist())
    ]
    by_order(seq, fields)
    for rec in seq:
        day.hint[rec["_at"]] = rec["hint"]
        if "parent_rec" in rec:
            day.parent_rec[rec["_at"]] = rec["parent_rec"]["_at"]


def _covering(rest: np.ndarray, day: _Day) -> list[int]:
    """The upper rows that every finest row of the Stichtag lies below (shortest key first)."""
    bottoms = [i for i in rest.tolist() if day.hint[i] != "upper"]
    uppers = [i for i in rest.tolist() if day.hint[i] == "upper"]
    if not bottoms or not uppers:
        return []
    by_key = {day.keys[i]: i for i in rest.tolist() if day.keys[i]}
    common: set[int] | None = None
    for b in bottoms:
        above, seen, node = set(), set(), b
        while node is not None and node not in seen:
            seen.add(node)
            node = int(day.parent_rec[node]) if day.parent_rec[node] >= 0 else by_key.get(day.parent[node])
            if node is not None:
                above.add(node)
        common = above if common is None else common & above
        if not common:
            return []
    covering = [r for r in uppers if r in (common or set())]
    return sorted(covering, key=lambda r: len(day.keys[r]))


def by_order(recs: list[dict], fields: list[str]) -> bool:
    """Upper-level rows from the table's order: each one's counts equal the sum of the rows below it
    (or, failing that for the whole table, above it). Only a partition of every row counts."""
    for seq in (recs, recs[::-1]):
        blocks = _partition(seq, fields)
        if blocks:
            for head, children in blocks:
                head["hint"] = "upper"
                for child in children:
                    child["hint"] = child["hint"] or "bottom"
                    child["parent_rec"] = head
            return True
    return False


def _partition(seq: list[dict], fields: list[str]) -> list[tuple[dict, list[dict]]] | None:
    n = len(seq)
    best: list[list | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        head = seq[i]
        if head["hint"] == "bottom" or head.get("population") is None:
            continue
        total = 0
        for j in range(i + 1, n):
            if seq[j]["hint"] == "upper" or seq[j].get("population") is None:
                break
            total += seq[j]["population"]
            if total > head["population"]:
                break
            if (
                total == head["population"]
                and best[j + 1] is not None
                and _agree(head, seq[i + 1 : j + 1], fields)
            ):
                best[i] = [(head, seq[i + 1 : j + 1]), *best[j + 1]]
                break
    return best[0] or None


def _agree(head: dict, children: list[dict], fields: list[str]) -> bool:
    for field in fields:
        values = [c.get(field) for c in children]
        if head.get(field) is not None and None not in values and sum(values) != head[field]:
            return False
    return True
