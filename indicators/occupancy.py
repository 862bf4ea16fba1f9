"""Accommodation (Unterbringung): occupancy rate, Fehlbeleger share, free places and a projection of
when the places run out. Counts in, indicators out; pure pandas.

Input is the `occupancy` table of one municipality (reference_date, facility, capacity, occupants,
fehlbeleger). Output has one row per Stichtag and facility and one per Stichtag with
``facility == TOTAL``.

- occupancy rate = occupants / capacity × 100 (above 100 % where a facility is overfull, "Verdichtung")
- Fehlbeleger share = Fehlbeleger / occupants × 100. Unknown Fehlbeleger (NA) stay unknown: the total
  adds the known values (NA when none is known) and its share divides by the occupants of the
  facilities whose Fehlbeleger are known.
- free places = capacity − occupants (negative where overfull); the total nets over facilities,
  as people can be moved between them.

`project_capacity` estimates when the occupants reach the capacity at the recent intake: a linear
trend (least squares) of the total occupants over the last `window_months` months before the
Stichtag, extended from the last observed value at the capacity of the Stichtag. The range comes from
the trend's standard error (± 2, about 95 %). No projection with fewer than `min_points` Stichtage in
the window, or when the occupants do not increase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from indicators.allocations import TOTAL, sum_known
from indicators.shares import german_sort_key, ratio

TABLE_COLUMNS: tuple[str, ...] = (
    "reference_date",
    "facility",
    "capacity",
    "occupants",
    "occupancy_rate_pct",
    "fehlbeleger",
    "fehlbeleger_share_pct",
    "free_places",
)
DAYS_PER_MONTH = 365.25 / 12
MAX_MONTHS = 120  # beyond ten years a linear trend says nothing


def occupancy_table(occupancy: pd.DataFrame) -> pd.DataFrame:
    """Occupancy rate, Fehlbeleger share and free places per Stichtag and facility, plus a TOTAL row
    per Stichtag; sorted by date, facilities by German name, TOTAL last."""
    if occupancy.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    data = pd.DataFrame(
        {
            "reference_date": pd.to_datetime(occupancy["reference_date"]),
            "facility": occupancy["facility"].astype(str),
            "capacity": pd.array(occupancy["capacity"], dtype="Int64"),
            "occupants": pd.array(occupancy["occupants"], dtype="Int64"),
            "fehlbeleger": pd.array(occupancy["fehlbeleger"], dtype="Int64"),
        }
    )
    data["known_occupants"] = data["occupants"].where(data["fehlbeleger"].notna(), 0)
    grouped = data.groupby("reference_date", sort=True)
    total = grouped.agg(
        capacity=("capacity", "sum"),
        occupants=("occupants", "sum"),
        known_occupants=("known_occupants", "sum"),
    ).reset_index()
    total["fehlbeleger"] = pd.array(grouped["fehlbeleger"].agg(sum_known).tolist(), dtype="Int64")
    total["facility"] = TOTAL
    table = pd.concat([data, total], ignore_index=True)
    table["occupancy_rate_pct"] = ratio(table["occupants"], table["capacity"])
    table["fehlbeleger_share_pct"] = ratio(table["fehlbeleger"], table["known_occupants"])
    table["free_places"] = (table["capacity"] - table["occupants"]).astype("Int64")
    order = table["facility"].map(lambda f: (f == TOTAL, german_sort_key(f)))
    table = table.assign(_order=order).sort_values(["reference_date", "_order"], kind="stable")
    return table[list(TABLE_COLUMNS)].reset_index(drop=True)


def latest_date(table: pd.DataFrame, when: date | pd.Timestamp | None = None) -> pd.Timestamp | None:
    """The last Stichtag on or before `when` (all when None); None when there is none."""
    dates = pd.to_datetime(table["reference_date"])
    if when is not None:
        dates = dates[dates <= pd.Timestamp(when)]
    return None if dates.empty else dates.max()


@dataclass(frozen=True)
class Projection:
    """When the places run out at the recent intake. `status`:

    - ``"ok"``: `full_date` is the central estimate, `earliest`/`latest` the range (`latest` None:
      at the low end of the range the occupants hardly grow, so no upper bound)
    - ``"far"``: the places would last longer than ten years at this trend; no date
    - ``"full"``: the occupants already reach or exceed the capacity
    - ``"not_increasing"``: the trend is flat or falling
    - ``"too_few"``: fewer than `min_points` Stichtage in the window
    """

    status: str
    last_date: pd.Timestamp | None
    capacity: int | None
    occupants: int | None
    free_places: int | None
    points: int
    window_months: int
    min_points: int
    per_month: float | None = None  # trend of the occupants, persons per month
    per_month_low: float | None = None
    per_month_high: float | None = None
    full_date: pd.Timestamp | None = None
    earliest: pd.Timestamp | None = None
    latest: pd.Timestamp | None = None


def project_capacity(
    table: pd.DataFrame,
    when: date | pd.Timestamp | None = None,
    window_months: int = 12,
    min_points: int = 6,
) -> Projection:
    """Project the date the total occupants reach the total capacity (see the module docstring).

    table: rows of `occupancy_table` (only TOTAL rows are used), up to and including `when`.
    """
    total = table[table["facility"] == TOTAL].copy()
    total["reference_date"] = pd.to_datetime(total["reference_date"])
    if when is not None:
        total = total[total["reference_date"] <= pd.Timestamp(when)]
    total = total.sort_values("reference_date")
    if total.empty:
        return Projection("too_few", None, None, None, None, 0, window_months, min_points)
    last = total.iloc[-1]
    start = last["reference_date"] - pd.DateOffset(months=window_months)
    window = total[total["reference_date"] > start]
    base = {
        "last_date": last["reference_date"],
        "capacity": int(last["capacity"]),
        "occupants": int(last["occupants"]),
        "free_places": int(last["capacity"] - last["occupants"]),
        "points": len(window),
        "window_months": window_months,
        "min_points": min_points,
    }
    if len(window) < min_points:
        return Projection("too_few", **base)
    x = (window["reference_date"] - window["reference_date"].iloc[0]).dt.days.to_numpy() / DAYS_PER_MONTH
    y = window["occupants"].to_numpy(dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    spread = np.sqrt((residuals**2).sum() / (len(x) - 2) / ((x - x.mean()) ** 2).sum())
    trend = {"per_month": float(slope), "per_month_low": float(slope - 2 * spread)}
    trend["per_month_high"] = float(slope + 2 * spread)
    if base["free_places"] <= 0:
        return Projection("full", **base, **trend)
    if slope <= 0:
        return Projection("not_increasing", **base, **trend)
    months = base["free_places"] / slope
    if months > MAX_MONTHS:
        return Projection("far", **base, **trend)

    def after(m: float) -> pd.Timestamp:
        return (last["reference_date"] + pd.Timedelta(days=m * DAYS_PER_MONTH)).normalize()

    low = trend["per_month_low"]
    latest_months = base["free_places"] / low if low > 0 else None
    return Projection(
        "ok",
        **base,
        **trend,
        full_date=after(months),
        earliest=after(base["free_places"] / trend["per_month_high"]),
        latest=after(latest_months) if latest_months is not None and latest_months <= MAX_MONTHS else None,
    )
