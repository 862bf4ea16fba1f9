"""Segregation over districts: the index of dissimilarity (Duncan & Duncan).

D = ½ × Σᵢ |aᵢ/A − bᵢ/B| × 100, with aᵢ the group in district i (foreigners, or persons with
migration background) and bᵢ the rest of the district's population (Germans, or persons without
migration background); A and B are the totals. 0 = same distribution over the districts,
100 = complete separation. D is the share of one group that would have to move for both to be
distributed alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.shares import require_columns, to_float_array

#: groups D can be computed for; the comparison group is always population − group.
GROUPS: tuple[str, ...] = ("foreigners", "migration_background")


def dissimilarity_index(counts: pd.DataFrame, group: str = "foreigners") -> float:
    """D in 0 … 100 over the districts of one Stichtag.

    NaN when the frame is empty, when the group or the rest of the population totals 0 (nothing to
    compare), or when any district's count is missing (a partial D would be misleading).
    Raises ValueError for negative counts or a group larger than the district's population.
    """
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
    require_columns(counts, ("population", group))
    members = to_float_array(counts[group])
    population = to_float_array(counts["population"])
    if np.isnan(members).any() or np.isnan(population).any():
        return float("nan")
    rest = population - members
    if (members < 0).any() or (rest < 0).any():
        raise ValueError(f"negative {group} or more {group} than population in a district")
    members_total, rest_total = members.sum(), rest.sum()
    if members_total == 0 or rest_total == 0:
        return float("nan")
    return float(0.5 * np.abs(members / members_total - rest / rest_total).sum() * 100)


def dissimilarity_by_date(series: pd.DataFrame, group: str = "foreigners") -> pd.DataFrame:
    """D per Stichtag of a series frame: columns ``reference_date``, ``dissimilarity`` (ascending dates)."""
    require_columns(series, ("reference_date",))
    rows = [
        {"reference_date": date, "dissimilarity": dissimilarity_index(frame, group)}
        for date, frame in series.groupby("reference_date", sort=True)
    ]
    return pd.DataFrame(rows, columns=["reference_date", "dissimilarity"]).astype(
        {"dissimilarity": "float64"}
    )
