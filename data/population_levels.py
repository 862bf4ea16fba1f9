"""Area levels and names in population tables as cities publish them.

A published table may mix the city total, Stadtbezirke and their Stadtteile, and write names a
little differently from the boundaries (`03 Nord - West`, `u.` for `und`, `ß`/`ss`). The functions
here work on the rows of one Stichtag — dicts with `row`, `name`, `key`, `hint` (None, "total",
"upper" or "bottom"), `parent` and the count fields — and decide, in this order:
a level column or a name like "Stadtbezirk Mitte" (already in `hint`), the key structure (Köln:
`1`–`9` or `001`–`009` above `101`–`909`), the districts the database knows, and the table's order
(a row whose counts equal the sum of the rows below or above it).
"""

from __future__ import annotations

import functools
import re

from data.parsing import normalise_name

UPPER_WORDS = ("stadtbezirk", "ortsbezirk", "bezirk")
_NUMBER_PREFIX = re.compile(r"^\s*(\d{1,8})(?:\s*[.:)]\s*|\s+[-–]\s+|\s+)(?=\D)(.+)$")
_AND = re.compile(r"(?<![^\W\d_])u\.\s*|\s+[&+]\s+|(?<![^\W\d_])u(?![^\W\d_])", re.IGNORECASE)


def match_key(name: str) -> str:
    """The name as names are compared: `Nord - West`, `nord-west`, `Nord u. West`, `Nord & West` alike."""
    return _match_key(str(name))


@functools.lru_cache(maxsize=65_536)  # names repeat in long tables (one row per district and year)
def _match_key(name: str) -> str:
    return normalise_name(_AND.sub(" und ", name))


def tidy_name(name: str) -> str:
    """Whitespace collapsed, no spaces around hyphens and slashes: `Nord - West` → `Nord-West`."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    return re.sub(r"\s*([-/])\s*", r"\1", text)


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


def key_structure(recs: list[dict]) -> bool:
    """Rows whose numeric key is a prefix of longer keys are their upper level (and set `parent`).

    Applies only when every key is numeric, every shorter key has rows below it and every row of the
    longest keys has one above it; otherwise short keys are just short (Lünen numbers 1–13).
    """
    if not recs or any(not (r["key"] or "").isdigit() for r in recs):
        return False
    sig = {id(r): significant(r["key"]) for r in recs}
    longest = max(len(s) for s in sig.values())
    short = [r for r in recs if len(sig[id(r)]) < longest]
    long = [r for r in recs if len(sig[id(r)]) == longest]
    if not short or any(r["hint"] == "upper" for r in long) or any(r["hint"] == "bottom" for r in short):
        return False

    by_sig: dict[str, dict] = {}
    for c in short:
        by_sig.setdefault(sig[id(c)], c)

    def parent_of(s: str) -> dict | None:
        """The short row whose key is the longest proper prefix of `s` (a dictionary look-up per
        prefix: thousands of districts over 25 Stichtage stay fast)."""
        return next((by_sig[s[:k]] for k in range(len(s) - 1, 0, -1) if s[:k] in by_sig), None)

    if any(parent_of(sig[id(r)]) is None for r in long):
        return False
    prefixes = {sig[id(r)][:k] for r in long for k in range(1, len(sig[id(r)]) + 1)}
    if any(sig[id(s)] not in prefixes for s in short):
        return False
    for r in recs:
        parent = parent_of(sig[id(r)])
        r["parent"] = parent["key"] if parent else None
        if r in short:
            r["hint"] = r["hint"] or "upper"
    return True


def by_known(recs: list[dict], known_upper: set[str], known_bottom: set[str]) -> None:
    """Rows whose key or name only the upper (or only the bottom) level of the database knows."""
    for r in recs:
        if r["hint"]:
            continue
        ids = {r["key"]} if r["key"] else set()
        names = {match_key(r["name"])}
        up = bool((ids | names) & known_upper)
        down = bool((ids | names) & known_bottom)
        if up != down:
            r["hint"] = "upper" if up else "bottom"


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
