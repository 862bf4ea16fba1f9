"""A city's own indicators (loaded with `python -m data import indicator`): catalogue entries, shares
and their protection. Pure pandas: descriptions and counts in, indicators out.

Every own indicator `own_x` gives a count column `own_x` and, where it has a denominator (the
population or another count), a share column `own_x_pct` = own_x / denominator × 100. Its count is
protected like the foreigners: a count of 1 … threshold − 1 is never shown, nor the rest of its
denominator (denominator − count), nor anything from which one of them could be worked out — the
municipality and the upper districts (a Stadtbezirk is the sum of its Stadtteile) are modelled as
relations (`indicators.disclosure.protect`), and a share is hidden wherever its count or its
denominator is.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from indicators.catalogue import PERCENT, PERSONS, Indicator, get
from indicators.disclosure import Relation, is_sensitive, protect
from indicators.shares import ratio

PREFIX = "own_"
SHARE_SUFFIX = "_pct"
#: the counts of the population table an own indicator may be divided by
POPULATION_COUNTS = ("population", "foreigners", "migration_background", "minors")
_SMALL = "In kleinen Stadtteilen verändern wenige Fälle den Anteil deutlich."


def is_own(key: str) -> bool:
    return key.startswith(PREFIX)


def share_key(key: str) -> str:
    return key + SHARE_SUFFIX


def _denominator_label(denominator: str, meta: pd.DataFrame) -> str:
    if denominator in POPULATION_COUNTS:
        return get(denominator).label
    found = meta.loc[meta["key"] == denominator, "numerator_label"]
    return str(found.iloc[0]) if len(found) else denominator


def catalogue_entries(meta: pd.DataFrame) -> list[Indicator]:
    """The catalogue entries of the own indicators (rows of `Store.own_indicators`): per indicator
    its count and, with a denominator, its share (the one a map shows)."""
    entries = []
    for rec in meta.itertuples(index=False):
        den = rec.denominator if isinstance(rec.denominator, str) and rec.denominator else None
        count_label = rec.numerator_label if den else rec.label
        entries.append(
            Indicator(
                rec.key,
                count_label,
                rec.numerator_label if den else rec.short_label,
                PERSONS,
                f"Anzahl {rec.numerator_label} ({rec.unit})",
                None,
                None,
                rec.source,
                rec.caveat,
                on_map=den is None,  # a plain count is all there is to map
            )
        )
        if den:
            den_label = _denominator_label(den, meta)
            entries.append(
                Indicator(
                    share_key(rec.key),
                    rec.label,
                    rec.short_label,
                    PERCENT,
                    f"{rec.numerator_label} / {den_label} × 100",
                    rec.numerator_label,
                    den_label,
                    rec.source,
                    f"{rec.caveat} {_SMALL}".strip(),
                    decimals=1,
                    on_map=True,
                )
            )
    return entries


def denominators(meta: pd.DataFrame) -> dict[str, str | None]:
    """key → its denominator column (None for a plain count)."""
    return {
        rec.key: rec.denominator if isinstance(rec.denominator, str) and rec.denominator else None
        for rec in meta.itertuples(index=False)
    }


def wide(values: pd.DataFrame, keys: Iterable[str], by: tuple[str, ...] = ("district_id",)) -> pd.DataFrame:
    """Long values (`by` columns, key, value) as one row per `by` with a column per key (Int64)."""
    keys = list(keys)
    if values.empty:
        return pd.DataFrame(columns=[*by, *keys]).astype({k: "Int64" for k in keys})
    out = values.pivot_table(index=list(by), columns="key", values="value", aggfunc="first", dropna=False)
    out = out.reindex(columns=keys).astype("Float64").astype("Int64")
    out.columns.name = None
    return out.reset_index()


def add_own(table: pd.DataFrame, values: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """`table` (one row per district, or per district and Stichtag, with its population counts) with
    the own counts and shares.

    values: reference_date, district_id, key, value (as `Store.own_values`). A
    district without a value has NA; a share is NaN where its count or denominator is missing or the
    denominator is 0. Never mutates."""
    dens = denominators(meta)
    by = ("reference_date", "district_id")
    counts = wide(values, dens, by)
    counts["reference_date"] = counts["reference_date"].astype(table["reference_date"].dtype)
    out = table.merge(counts, on=list(by), how="left") if len(table) else table.copy()
    out.index = table.index
    for key, den in dens.items():
        if key not in out:
            out[key] = pd.array([pd.NA] * len(out), dtype="Int64")
        if den is not None:
            below = out[den] if den in out else pd.Series(np.nan, index=out.index)
            out[share_key(key)] = ratio(out[key], below)
    return out


def protect_own(
    counts: pd.DataFrame, meta: pd.DataFrame, threshold: int, parents: dict[str, str] | None = None
) -> pd.DataFrame:
    """Which own counts readers may not see: True per district_id (index) and own key (columns).

    counts: one row per district of every level (district_id, the own count columns and the population
    counts they are divided by). parents: district → its upper district (both in `counts`): a
    Stadtbezirk's count is the sum of its Stadtteile's, so both levels are protected together. The
    municipality total of every count (the sum of the top districts; `city_values` shows it where it
    is not below the threshold) and every population count count as published (the population's own protection hides some of them: assuming a reader knows them
    protects more, never less)."""
    dens = denominators(meta)
    keys = [k for k in dens if k in counts]
    ids = counts["district_id"].astype(str).tolist()
    mask = pd.DataFrame(False, index=ids, columns=keys)
    if not keys:
        return mask
    number = counts.set_index(counts["district_id"].astype(str)).drop(columns="district_id")
    number = number.apply(pd.to_numeric, errors="coerce").astype("Float64").astype("float64")
    parents = {c: p for c, p in (parents or {}).items() if c in number.index and p in number.index}
    top = [d for d in ids if d not in parents]
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    values: dict[Hashable, float] = {}
    published: dict[Hashable, None] = {}
    locked: dict[Hashable, None] = {}
    relations: list[Relation] = []
    for key in keys:
        column = number[key]
        for d in ids:
            values[(d, key)] = column[d]
            published[(d, key)] = None
        tops = column[top]
        values[("total", key)] = float(tops.sum()) if tops.notna().all() else np.nan
        if not is_sensitive(values[("total", key)], threshold):  # a small total is not published
            published[("total", key)] = locked[("total", key)] = None
        relations.append(Relation(("total", key), tuple((d, key) for d in top)))
        for parent, kids in children.items():
            if abs(column[parent] - column[kids].sum()) < 0.5:  # NaN: not modelled
                relations.append(Relation((parent, key), tuple((d, key) for d in kids)))
        den = dens[key]
        if den is None or den not in number:
            continue
        for d in ids:
            whole, part = number.at[d, den], column[d]
            if np.isnan(whole) or np.isnan(part) or whole < part:
                continue
            values[(d, den)] = whole
            if den in POPULATION_COUNTS:  # decided by the population's own protection
                published[(d, den)] = locked[(d, den)] = None
            values[(d, f"{key} rest")] = whole - part  # implicit: never shown, but protected
            relations.append(Relation((d, den), ((d, key), (d, f"{key} rest"))))
    if not any(is_sensitive(v, threshold) for v in values.values()):
        return mask
    for d, key in protect(values, relations, threshold, list(published), list(locked)):
        if d != "total" and key in mask.columns:
            mask.at[d, key] = True
    return mask


def share_mask(mask: pd.DataFrame, meta: pd.DataFrame, hidden_population: pd.DataFrame) -> pd.DataFrame:
    """The shares to hide (columns `own_x_pct`, same index as both masks): where the count or its
    denominator is hidden (`hidden_population`: the public view's mask of the population counts)."""
    out = pd.DataFrame(index=mask.index)
    for key, den in denominators(meta).items():
        if den is None or key not in mask:
            continue
        hit = mask[key].astype(bool)
        if den in mask:
            hit = hit | mask[den].astype(bool)
        elif den in hidden_population:
            hit = hit | hidden_population[den].fillna(False).astype(bool)
        out[share_key(key)] = hit
    return out


def city_values(
    city: pd.Series, values: pd.DataFrame, meta: pd.DataFrame, districts: int, threshold: int | None = None
) -> pd.Series:
    """The municipality's row (`indicators.shares.municipality_series`) with the own counts and shares:
    a count is the sum of the districts' where all `districts` of the level have one, else NA; with a
    `threshold` (the public view) a total below it is NA too. Never mutates."""
    out = city.copy()
    for key, den in denominators(meta).items():
        found = pd.to_numeric(values.loc[values["key"] == key, "value"]).astype("Float64")
        total = float(found.sum()) if len(found) == districts and found.notna().all() else np.nan
        if threshold is not None and is_sensitive(total, threshold):
            total = np.nan
        out[key] = total
        if den is not None:
            out[share_key(key)] = ratio(total, out.get(den, np.nan)) if not pd.isna(total) else np.nan
    return out
