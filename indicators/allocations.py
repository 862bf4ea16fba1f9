"""Allocations (Zuweisungen) and the quota: counts in, indicators out. Pure pandas.

Input is the `allocations` table of one municipality (period_start, period_type, country, persons,
minors, legal_basis); rows of several legal bases are added up. Output has one row per period and
country and one per period with ``country == TOTAL``.

Unknown minors (NA) stay unknown: a sum of minors adds the known values and is NA only when none is
known (council papers publish the total of the known values: Kamp-Lintfort 2021, 27 minors, although
three countries have no figure). The minors' share divides by the persons whose minors are known, so
unknown cells do not pass for "no children".

Periods inside the covered range (first to last period of the data) without a row count as 0
allocations; periods outside it are unknown (NaN change). Monthly output needs monthly data: years
known only as a whole cannot be split (`MonthsUnavailable`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.shares import german_sort_key, ratio

#: country / facility of the total rows (fixed in the CLI output).
TOTAL = "TOTAL"
YEAR, MONTH = "year", "month"

TABLE_COLUMNS: tuple[str, ...] = (
    "period",
    "period_start",
    "country",
    "allocated_persons",
    "allocated_minors",
    "minors_known_persons",
    "allocated_minors_share_pct",
    "allocated_persons_cumulative",
    "allocated_persons_change",
    "allocated_persons_change_pct",
)


class MonthsUnavailable(ValueError):
    """Monthly figures were asked for, but some years are known only as a whole."""

    def __init__(self, years: list[int]):
        self.years = years
        listed = ", ".join(str(y) for y in years)
        super().__init__(
            f"Für {listed} liegen nur Jahreszahlen vor; sie lassen sich nicht auf Monate aufteilen. "
            "Bitte die Auswertung nach Jahren wählen (--by year)."
        )


def yearly_only(allocations: pd.DataFrame) -> list[int]:
    """Years that are known only as a whole (a `year` row), so no monthly series exists for them."""
    starts = pd.to_datetime(allocations["period_start"])
    return sorted({int(y) for y in starts[allocations["period_type"] == YEAR].dt.year})


def sum_known(values: pd.Series) -> object:
    """Sum of the known values; NA when none is known."""
    known = values.dropna()
    return known.sum() if len(known) else pd.NA


def _period_starts(allocations: pd.DataFrame, by: str) -> pd.Series:
    starts = pd.to_datetime(allocations["period_start"])
    return starts.dt.to_period("Y" if by == YEAR else "M").dt.start_time


def _label(start: pd.Timestamp, by: str) -> str:
    return f"{start.year}" if by == YEAR else f"{start.year}-{start.month:02d}"


def allocation_table(allocations: pd.DataFrame, by: str = YEAR) -> pd.DataFrame:
    """Persons, minors, minors' share, cumulative sum and change against a year before, per period
    and country plus a TOTAL row per period; sorted by period, countries by German name, TOTAL last."""
    if by not in (YEAR, MONTH):
        raise ValueError(f"by must be 'year' or 'month', not {by!r}")
    if by == MONTH and (years := yearly_only(allocations)):
        raise MonthsUnavailable(years)
    if allocations.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    data = pd.DataFrame(
        {
            "period_start": _period_starts(allocations, by),
            "country": allocations["country"].astype(str),
            "persons": pd.array(allocations["persons"], dtype="Int64"),
            "minors": pd.array(allocations["minors"], dtype="Int64"),
        }
    )
    data["known"] = data["persons"].where(data["minors"].notna(), 0)
    countries = _aggregate(data, ["period_start", "country"])
    total = _aggregate(data, ["period_start"]).assign(country=TOTAL)
    table = pd.concat([countries, total], ignore_index=True)
    table = _add_indicators(table, by, data["period_start"].min(), data["period_start"].max())
    table["period"] = [_label(s, by) for s in table["period_start"]]
    order = table["country"].map(lambda c: (c == TOTAL, german_sort_key(c)))
    table = table.assign(_order=order).sort_values(["period_start", "_order"], kind="stable")
    return table[list(TABLE_COLUMNS)].reset_index(drop=True)


def _aggregate(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = data.groupby(keys, sort=True)
    out = grouped.agg(allocated_persons=("persons", "sum"), minors_known_persons=("known", "sum"))
    out["allocated_minors"] = pd.array(grouped["minors"].agg(sum_known).tolist(), dtype="Int64")
    return out.reset_index().astype({"allocated_persons": "Int64", "minors_known_persons": "Int64"})


def _add_indicators(table: pd.DataFrame, by: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    table = table.sort_values(["country", "period_start"], kind="stable").copy()
    table["allocated_minors_share_pct"] = ratio(table["allocated_minors"], table["minors_known_persons"])
    table["allocated_persons_cumulative"] = table.groupby("country")["allocated_persons"].cumsum()
    before = table["period_start"] - pd.DateOffset(years=1)
    lookup = table.set_index(["country", "period_start"])["allocated_persons"]
    keys = pd.MultiIndex.from_arrays([table["country"], before])
    previous = lookup.reindex(keys).to_numpy(dtype=float, na_value=np.nan)
    covered = ((before >= first) & (before <= last)).to_numpy()
    previous = np.where(covered, np.nan_to_num(previous, nan=0.0), np.nan)
    persons = table["allocated_persons"].to_numpy(dtype=float)
    table["allocated_persons_change"] = persons - previous
    table["allocated_persons_change_pct"] = ratio(persons - previous, previous)
    return table


def group_countries(table: pd.DataFrame, n: int = 6, other_label: str = "Übrige") -> pd.DataFrame:
    """The `n` countries with the most persons over all periods by name, the rest summed as `other_label`.

    Input: rows of `allocation_table` (TOTAL rows are kept as they are). Output: period, period_start,
    country, allocated_persons, allocated_minors, minors_known_persons; largest countries first.
    """
    rows = table[table["country"] != TOTAL]
    largest = rows.groupby("country")["allocated_persons"].sum().sort_values(ascending=False, kind="stable")
    named = list(largest.index[:n]) if len(largest) > n + 1 else list(largest.index)
    grouped = rows.assign(country=rows["country"].where(rows["country"].isin(named), other_label))
    out = grouped.groupby(["period", "period_start", "country"], sort=False).agg(
        allocated_persons=("allocated_persons", "sum"),
        allocated_minors=("allocated_minors", sum_known),
        minors_known_persons=("minors_known_persons", "sum"),
    )
    out = out.reset_index()
    rank = {c: i for i, c in enumerate([*named, other_label])}
    out = out.assign(_rank=out["country"].map(rank)).sort_values(["period_start", "_rank"], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def fulfilment(quotas: pd.DataFrame) -> pd.DataFrame:
    """Erfüllungsquote = Ist / Soll × 100 and the allocations to expect until 100 % (Soll − Ist, ≥ 0),
    per Stichtag, sorted by date."""
    out = quotas[["reference_date", "quota_target", "quota_actual"]].copy()
    out["reference_date"] = pd.to_datetime(out["reference_date"])
    out = out.sort_values("reference_date").reset_index(drop=True)
    out["fulfilment_rate_pct"] = ratio(out["quota_actual"], out["quota_target"])
    gap = out["quota_target"].astype("Int64") - out["quota_actual"].astype("Int64")
    out["quota_outstanding"] = gap.clip(lower=0)
    return out
