"""Nationality composition, age pyramid and minors from the detail frame.

Detail frame columns: ``reference_date, district_id, nationality, age_group, sex,
migration_status, persons``; ``nationality == "Deutschland"`` means German, ``migration_status``
is ``"mit"`` or ``"ohne"`` (migration background).

Every function looks at one Stichtag: ``reference_date`` if given, else the latest one in the
frame (summing persons over several Stichtage would count people twice). ``minors_from_detail``
is the exception: it returns one row per Stichtag and district.

Age group labels: ``"0-5"``, ``"6-17"``, ``"18-24"``, … are inclusive ranges (en dash and
``"6 bis 17"`` also accepted), ``"80+"`` / ``"80 und älter"`` open-ended, ``"unter 6"`` means 0–5,
``"6 bis unter 18"`` means 6–17, a single number is one year of age.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

import pandas as pd

from indicators.shares import ratio, require_columns

GERMAN = "Deutschland"
WITH_MIGRATION_BACKGROUND = "mit"
ADULT_AGE = 18
DETAIL_COLUMNS: tuple[str, ...] = (
    "reference_date",
    "district_id",
    "nationality",
    "age_group",
    "sex",
    "migration_status",
    "persons",
)

_AGE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[..., tuple[int, int | None]]], ...] = (
    (re.compile(r"(\d+)\s*bis unter\s*(\d+)"), lambda lo, hi: (int(lo), int(hi) - 1)),
    (re.compile(r"(\d+)\s*(?:-|–|bis)\s*(\d+)"), lambda lo, hi: (int(lo), int(hi))),
    (re.compile(r"unter\s*(\d+)"), lambda hi: (0, int(hi) - 1)),
    (re.compile(r"(\d+)\s*(?:\+|und älter|und mehr)"), lambda lo: (int(lo), None)),
    (re.compile(r"(\d+)"), lambda age: (int(age), int(age))),
)


def largest_nationalities(
    detail: pd.DataFrame,
    n: int = 5,
    district_id: str | None = None,
    exclude_german: bool = True,
    other_label: str | None = None,
    reference_date: object = None,
) -> pd.DataFrame:
    """The ``n`` largest nationalities: columns ``nationality``, ``persons``, ``share_pct``.

    Sorted by persons descending (ties by name). ``share_pct`` is the share of all persons considered:
    of all foreigners when ``exclude_german`` (default), else of all residents. With ``other_label``
    (e.g. ``"Übrige"``) the remaining nationalities are summed into one last row; with ``None`` they are
    left out. Optionally restricted to one district.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    selected = _select(detail, district_id, reference_date)
    if exclude_german:
        selected = selected[selected["nationality"] != GERMAN]
    totals = (
        selected.groupby("nationality", dropna=False, sort=False)["persons"]
        .sum()
        .reset_index()
        .sort_values(["persons", "nationality"], ascending=[False, True], kind="stable")
    )
    top = totals.head(n)
    rest = totals.iloc[n:]
    if other_label is not None and len(rest):
        other = pd.DataFrame({"nationality": [other_label], "persons": [rest["persons"].sum()]})
        top = pd.concat([top, other.astype(top.dtypes.to_dict())])
    top = top.reset_index(drop=True)
    top["share_pct"] = ratio(top["persons"], totals["persons"].sum())
    return top


def age_pyramid(
    detail: pd.DataFrame, district_id: str | None = None, reference_date: object = None
) -> pd.DataFrame:
    """Persons per ``age_group``, ``sex`` and ``migration_status`` (tidy, one row per combination).

    Every combination of the values present is listed (missing ones with 0 persons), age groups in
    natural order (see `sort_age_groups`), then sex and migration status alphabetically.
    """
    selected = _select(detail, district_id, reference_date)
    keys = ["age_group", "sex", "migration_status"]
    counts = selected.groupby(keys)["persons"].sum()
    grid = pd.MultiIndex.from_product(
        [sort_age_groups(selected["age_group"].unique()), *(sorted(selected[k].unique()) for k in keys[1:])],
        names=keys,
    )
    return counts.reindex(grid, fill_value=0).reset_index()


def minors_from_detail(detail: pd.DataFrame) -> pd.DataFrame:
    """Minors and minors with migration background per Stichtag and district.

    Columns ``reference_date`` (if the detail has one), ``district_id``, ``minors``,
    ``minors_migration_background`` (nullable Int64). Counts every age group that lies entirely
    under 18 (upper bound ≤ 17). Raises ValueError for an age group that straddles 18 (e.g. "15-19":
    minors cannot be separated) or a label that cannot be read.
    """
    require_columns(detail, ("district_id", "age_group", "migration_status", "persons"))
    is_minor = {label: _is_minor(label) for label in detail["age_group"].unique()}
    minor = detail["age_group"].map(is_minor).astype(bool)
    with_mh = detail["migration_status"] == WITH_MIGRATION_BACKGROUND
    persons = pd.to_numeric(detail["persons"]).astype("Int64")
    keys = [k for k in ("reference_date", "district_id") if k in detail.columns]
    frame = detail[keys].assign(
        minors=persons.where(minor, 0),
        minors_migration_background=persons.where(minor & with_mh, 0),
    )
    return frame.groupby(keys, sort=True).sum().reset_index()


def sort_age_groups(labels: Iterable[str]) -> list[str]:
    """Distinct age group labels in natural order: by their first number ("80+" after "75-79")."""

    def key(label: str) -> tuple[float, str]:
        first = re.search(r"\d+", str(label))
        return (int(first.group()) if first else math.inf, str(label))

    return sorted(set(labels), key=key)


def age_bounds(label: str) -> tuple[int, int | None]:
    """(lowest, highest) age in an age group label, highest None for open-ended groups like "80+"."""
    text = str(label).strip().removesuffix("Jahre").strip()
    for pattern, bounds in _AGE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return bounds(*match.groups())
    raise ValueError(f"cannot read age group {label!r}; expected labels like '0-5', '6-17', '80+'")


def _is_minor(label: str) -> bool:
    lowest, highest = age_bounds(label)
    if highest is not None and highest < ADULT_AGE:
        return True
    if lowest < ADULT_AGE:
        raise ValueError(f"age group {label!r} contains both minors and adults")
    return False


def _select(detail: pd.DataFrame, district_id: str | None, reference_date: object) -> pd.DataFrame:
    """Rows of one district (or all) at one Stichtag (the given one, else the latest)."""
    require_columns(detail, DETAIL_COLUMNS)
    selected = detail
    if district_id is not None:
        selected = selected[selected["district_id"] == district_id]
    dates = pd.to_datetime(selected["reference_date"])
    if len(dates):
        wanted = dates.max() if reference_date is None else pd.Timestamp(reference_date)
        selected = selected[dates == wanted]
    return selected
