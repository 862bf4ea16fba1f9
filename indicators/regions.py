"""Municipalities side by side (issue 19): shares per Gemeinde, Kreis and Land, and their public view.

Pure pandas: counts in, indicators and masks out. A Kreis is the parent of its Gemeinden (AGS prefix,
`data.regions.parent_ags`), just as a Stadtbezirk is the parent of its Stadtteile, so the same
machinery protects both (`indicators.disclosure.protect` with one `Relation` Kreis = Σ Gemeinden per
measure): a small Gemeinde's count is hidden, and so is a second one, so that the Kreis total minus
the others does not give it away. The Kreis and Land figures are published by the statistics office
and stay shown (`locked`); so do the totals of municipalities whose Stadtteile the dashboard shows
elsewhere with their published total.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from indicators.disclosure import Relation, default_threshold, is_sensitive, protect
from indicators.shares import ratio

COUNTS = ("population", "foreigners", "migration_background")
SHARES = {
    "foreigner_share_pct": ("foreigners", "population"),
    "migration_background_share_pct": ("migration_background", "population"),
}
GEMEINDE, KREIS = "Gemeinde", "Kreis"
# the persons a count column leaves out of the population (unpublished, but fixed by the two published)
_REST = {"foreigners": "_germans", "migration_background": "_without_mb"}


def with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """`counts` (population, foreigners, migration_background per row) with the shares added; a zero
    or missing denominator gives NaN. Never mutates its input."""
    out = counts.copy()
    for share, (num, den) in SHARES.items():
        out[share] = ratio(pd.to_numeric(out[num], errors="coerce"), pd.to_numeric(out[den], errors="coerce"))
    return out


def region_mask(day: pd.DataFrame, threshold: int | None = None, locked: Iterable[str] = ()) -> pd.DataFrame:
    """Which counts of one Stichtag readers may not see.

    day: one row per region (``ags``, ``level``, the count columns; missing = not known). Returns a
    boolean frame (same index, the count columns and the shares) True where hidden. Kreis and higher
    rows, and the Gemeinden in `locked`, are published: they are never hidden, and hiding works around
    them.
    """
    threshold = default_threshold() if threshold is None else threshold
    present = [c for c in COUNTS if c in day]
    values: dict[Hashable, float] = {}
    published: list[Hashable] = []
    relations: list[Relation] = []
    locked_ags = set(locked) | set(day.loc[day["level"] != GEMEINDE, "ags"])
    for row in day.itertuples(index=False):
        counts = {c: getattr(row, c) for c in present}
        for column, value in counts.items():
            values[(row.ags, column)] = np.nan if pd.isna(value) else float(value)
            published.append((row.ags, column))
        population = counts.get("population")
        for column, rest in _REST.items():
            if column not in counts:
                continue
            part = counts[column]
            known = not (pd.isna(population) or pd.isna(part))
            values[(row.ags, rest)] = float(population) - float(part) if known else np.nan
            relations.append(Relation((row.ags, "population"), ((row.ags, column), (row.ags, rest))))
    gemeinden = day[day["level"] == GEMEINDE]
    for kreis in day.loc[day["level"] == KREIS, "ags"]:
        members = gemeinden.loc[gemeinden["ags"].str.startswith(kreis), "ags"].tolist()
        if not members:
            continue
        for column in [*present, *(_REST[c] for c in present if c in _REST)]:
            relations.append(Relation((kreis, column), tuple((m, column) for m in members)))
    fixed = [cell for cell in published if cell[0] in locked_ags]
    hidden = (
        protect(values, relations, threshold, published, fixed)
        if any(is_sensitive(v, threshold) for v in values.values())
        else set()
    )
    mask = pd.DataFrame(False, index=day.index, columns=[*present, *SHARES])
    for i, ags in zip(day.index, day["ags"], strict=True):
        for column in present:
            mask.at[i, column] = (ags, column) in hidden
    for share, (num, den) in SHARES.items():
        mask[share] = mask.get(num, False) | mask.get(den, False)
    return mask


def public_regions(
    counts: pd.DataFrame, threshold: int | None = None, locked: Iterable[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of several Stichtage (``reference_date``, ``ags``, ``level``, counts) with shares, as
    readers see them: each Stichtag protected on its own (`region_mask`). Returns (masked table with
    hidden values missing, mask)."""
    table = with_shares(counts)
    mask = pd.DataFrame(False, index=table.index, columns=[*COUNTS, *SHARES])
    for _, rows in table.groupby("reference_date", sort=False):
        day_mask = region_mask(rows, threshold, locked)
        mask.loc[day_mask.index, day_mask.columns] = day_mask
    masked = table.copy()
    for column in mask.columns:
        if column in masked:
            masked[column] = masked[column].mask(mask[column])
    return masked, mask
