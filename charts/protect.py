"""What readers may see: the public view of the frames behind the charts.

`indicators.disclosure` decides which cells are suppressed; here that decision is carried through the
frames the views are built from: a mask per table (``attrs["suppressed"]``), the protected time series,
nationality mix and age pyramid. Pure pandas; the view functions in `charts.population_views` call these
once per chart.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from indicators.catalogue import OTHER_LABEL
from indicators.disclosure import (
    COUNTS,
    IMPLICIT,
    ROOT,
    Levels,
    PublicTable,
    footnote,
    is_sensitive,
    listable_tree,
    public_view,
    suppress_crosstab,
    suppress_crosstab_tree,
    suppress_rows,
    tree_sums,
)
from indicators.nationalities import GERMAN, age_pyramid


def mark_suppressed(view: PublicTable) -> pd.DataFrame:
    """The masked frame with its mask as ``attrs["suppressed"]``: per column a list of flags by row
    position (plain lists, so the attrs survive a cache's serialisation)."""
    masked, mask = view
    masked.attrs["suppressed"] = {c: mask[c].tolist() for c in mask.columns if mask[c].any()}
    return masked


def public_series(table: pd.DataFrame, threshold: int, levels: Levels | None = None) -> PublicTable:
    """`public_view` per Stichtag of a `changes` frame (all districts of the municipality), each with
    the previous Stichtag's counts, so a change is hidden when either of its counts is. levels: the
    other levels' counts of every Stichtag (``reference_date`` column), protected together with these.
    Same index."""
    masked, masks = [], []
    before, before_clean, before_date = None, True, None
    for when, rows in table.groupby("reference_date", sort=True):
        at = None
        if levels is not None:
            now = levels.now[levels.now["reference_date"] == when]
            then = levels.now[levels.now["reference_date"] == before_date]
            at = Levels(now, then if before is not None else None, levels.parents)
        clean = _nothing_sensitive(rows, threshold) and (at is None or _nothing_sensitive(at.now, threshold))
        if clean and before_clean:  # nothing to hide, nor any change from a hidden count
            view = PublicTable(rows, pd.DataFrame(False, index=rows.index, columns=rows.columns))
        else:
            view = public_view(rows, threshold, previous=before, levels=at)
        masked.append(view.masked)
        masks.append(view.mask)
        before, before_clean, before_date = rows, clean, when
    out = pd.concat(masked).reindex(table.index)
    mask = pd.concat(masks).reindex(index=table.index, columns=table.columns).fillna(False).astype(bool)
    return PublicTable(out, mask)


def _nothing_sensitive(rows: pd.DataFrame, threshold: int) -> bool:
    """No count of these districts, of their sum, nor any implicit difference (e.g. Germans) lies in
    1 … threshold − 1: then `public_view` hides nothing and need not run (it takes a while)."""
    counts = rows[[c for c in COUNTS if c in rows]].apply(pd.to_numeric).astype("Float64")
    columns = [counts[c] for c in counts]
    columns += [counts[w] - counts[p] for w, p in IMPLICIT.values() if w in counts and p in counts]
    for column in columns:
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        if any(is_sensitive(v, threshold) for v in [*values, np.nansum(values)]):
            return False
    return True


def hidden_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The cells of a table that the public may not see (from ``attrs["suppressed"]`` as set by
    `views.indicator_table` and `series`), as a boolean frame of the same index and columns.
    Call it before filtering rows: the attrs hold one flag per row position."""
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for column, flags in table.attrs.get("suppressed", {}).items():
        if column in mask and len(flags) == len(mask):
            mask[column] = list(flags)
    return mask


def hidden_keys(table: pd.DataFrame, district_id: str) -> set[str]:
    """The columns hidden for one district of an `indicator_table`."""
    mask = hidden_cells(table)
    rows = mask[(table["district_id"] == district_id).to_numpy()]
    return set(rows.columns[rows.any()]) if not rows.empty else set()


def notes_for(mask: pd.DataFrame | pd.Series | bool, threshold: int) -> list[str]:
    """The disclosure footnote where anything is hidden, else nothing."""
    hit = mask if isinstance(mask, bool) else bool(np.asarray(mask).any())
    return [footnote(threshold)] if hit else []


def displayed(text: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """Formatted text with `SUPPRESSED` where the mask (same index) says hidden."""
    return PublicTable(text, mask.reindex(index=text.index).fillna(False).astype(bool)).display(text)


def residual_members(persons: pd.Series, threshold: int, always: pd.Series | None = None) -> pd.Series:
    """Which parts go into a residual group ("Übrige") so that no part of 1 … threshold − 1 persons is
    listed: every such part (and those `always` in it), then — while the group holds fewer than
    `threshold` persons — the smallest listed parts. A residual is never listed member by member; if
    it cannot reach the threshold it takes everything (the published total). Same index."""
    values = pd.to_numeric(persons).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    members = np.array([is_sensitive(v, threshold) for v in values], dtype=bool)
    if always is not None:
        members |= always.to_numpy(dtype=bool) & (np.nan_to_num(values) > 0)
    if members.any():
        for i in np.argsort(
            np.where(members | np.isnan(values) | (values == 0), np.inf, values), kind="stable"
        ):
            if np.nansum(values[members]) >= threshold or members[i] or not values[i] > 0:
                break
            members[i] = True
    return pd.Series(members, index=persons.index)


def public_mix(mix: pd.DataFrame, threshold: int, listable: set | None = None) -> pd.DataFrame:
    """`nationality_mix` as the public may see it: nationalities of fewer than `threshold` persons go
    into "Übrige", which holds at least `threshold` persons (`residual_members`); so do those not in
    `listable` (`DetailProtection.listable`: what the districts above and below allow). Nothing is
    hidden cell by cell, so every bar is a published number. A ``hidden`` column (all False)."""
    if mix.empty:
        return mix.assign(hidden=pd.Series(dtype=bool))
    always = mix["nationality"] == OTHER_LABEL
    if listable is not None:
        always |= ~mix["nationality"].isin(listable)
    members = residual_members(mix["persons"], threshold, always=always)
    total = float(mix["persons"].sum())
    listed = mix[~members]
    if members.any():
        other = (
            mix[members].iloc[:1].assign(nationality=OTHER_LABEL, persons=mix.loc[members, "persons"].sum())
        )
        listed = pd.concat([listed, other])
    share = listed["persons"].astype(float) / total * 100 if total > 0 else np.nan
    return listed.assign(share_pct=share, hidden=False).reset_index(drop=True)


def public_pyramid(ages: pd.DataFrame, threshold: int, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """`pyramid` as the public may see it: age group × (sex, migration status) protected as a cross
    table with its margins (`suppress_crosstab`), or by `hidden` (age group × "sex|status", from
    `DetailProtection.pyramid_mask`, decided with the other districts); hidden persons missing, a
    ``hidden`` column."""
    if ages.empty:
        return ages.assign(hidden=pd.Series(dtype=bool))
    if hidden is None:
        wide = _wide(ages)
        view = suppress_crosstab(wide.fillna(0), threshold, total_label="__total__")
        hidden = view.mask.drop(index="__total__", columns="__total__")
    flags = [
        bool(hidden.at[a, f"{s}|{m}"]) if a in hidden.index and f"{s}|{m}" in hidden.columns else False
        for a, s, m in zip(ages["age_group"], ages["sex"], ages["migration_status"], strict=True)
    ]
    return ages.assign(persons=ages["persons"].astype("Float64").mask(flags), hidden=flags)


def _wide(ages: pd.DataFrame) -> pd.DataFrame:
    """A `pyramid` frame as age group × "sex|migration status"."""
    wide = ages.pivot_table(
        index="age_group", columns=["sex", "migration_status"], values="persons", aggfunc="sum", sort=False
    )
    wide.columns = [f"{sex}|{status}" for sex, status in wide.columns]
    return wide


class DetailProtection(NamedTuple):
    """What readers may see of the detail (nationality, age, sex) of every district at one Stichtag,
    decided for the Stadtteile, their Stadtbezirke and the municipality (`ROOT`) together: a reader
    sees each of them, and the upper ones are the sums of the lower (`detail_protection`)."""

    pyramids: dict[str, pd.DataFrame]  # node -> mask, age group × "sex|status"
    listed: dict[str, set]  # node -> nationalities it may name
    present: dict[str, set]  # node -> nationalities with at least one person

    def pyramid_mask(self, ids: list[str]) -> pd.DataFrame | None:
        """The hidden cells of the districts' pyramid (the municipality's for none). Several districts:
        a cell is shown only where it is shown for each of them — it is then the sum of published
        numbers and tells nothing new. None where a district is not in the tree."""
        masks = [self.pyramids.get(node) for node in ids or [ROOT]]
        if any(mask is None for mask in masks):
            return None
        out = masks[0]
        for mask in masks[1:]:
            out = out | mask.reindex_like(out).fillna(False).astype(bool)
        return out

    def listable(self, ids: list[str]) -> set | None:
        """The nationalities the districts' chart may name (the municipality's for none). Several
        districts: one named by each of them that has it, so its sum is a sum of published numbers."""
        nodes = ids or [ROOT]
        if any(node not in self.listed for node in nodes):
            return None
        if len(nodes) == 1:
            return self.listed[nodes[0]]
        every = set().union(*(self.present[node] for node in nodes))
        return {n for n in every if all(n in self.listed[m] or n not in self.present[m] for m in nodes)}


def detail_protection(
    detail: pd.DataFrame, parents: dict[str, str], threshold: int, unpublished: set[str] = frozenset()
) -> DetailProtection:
    """`DetailProtection` from the detail rows of every Stadtteil at one Stichtag (`Store.detail`),
    the parent of each district and the districts whose foreigners the public counts hide."""
    if detail.empty:
        return DetailProtection({}, {}, {})
    leaves, nations = {}, {}
    foreign = detail["nationality"] != GERMAN
    for district_id, rows in detail.groupby("district_id", sort=True):
        leaves[str(district_id)] = _wide(age_pyramid(rows)).fillna(0)
    for district_id, rows in detail[foreign].groupby("district_id", sort=True):
        nations[str(district_id)] = rows.groupby("nationality")["persons"].sum()
    pyramids = suppress_crosstab_tree(leaves, parents, threshold)
    listed = listable_tree(nations, parents, threshold, unpublished)
    present = {node: set(persons.index[persons > 0]) for node, persons in tree_sums(nations, parents).items()}
    return DetailProtection(pyramids, listed, present)


def public_nationality_table(
    nations: pd.DataFrame,
    threshold: int,
    hidden_districts: set[str] | frozenset[str] = frozenset(),
    protection: DetailProtection | None = None,
) -> PublicTable:
    """`nationality_table` as the public may see it, by the rule of `public_mix`: per district the
    nationalities of fewer than `threshold` persons are one row "Übrige" of at least `threshold`
    persons, never listed one by one. A district whose foreigners are hidden in the public table keeps
    a single "Übrige" row with its persons hidden (the rows would add up to it). With `protection`,
    a district names only what the districts above and below allow (`DetailProtection.listable`)."""
    if nations.empty:
        return PublicTable(nations, pd.DataFrame(False, index=nations.index, columns=nations.columns))
    out, masks = [], []
    for district_id, rows in nations.groupby("district_id", sort=False):
        hide = district_id in hidden_districts
        allowed = protection.listable([str(district_id)]) if protection is not None else None
        always = ~rows["nationality"].isin(allowed) if allowed is not None else None
        members = (
            pd.Series(True, index=rows.index)
            if hide
            else residual_members(rows["persons"], threshold, always)
        )
        listed = rows[~members]
        if members.any():
            other = (
                rows[members]
                .iloc[:1]
                .assign(nationality=OTHER_LABEL, persons=rows.loc[members, "persons"].sum())
            )
            listed = pd.concat([listed, other])
        total = float(rows["persons"].sum())
        listed = listed.assign(
            share_pct=listed["persons"].astype(float) / total * 100 if total > 0 else np.nan
        )
        mask = pd.DataFrame(False, index=listed.index, columns=listed.columns)
        if hide:
            mask[[c for c in ("persons", "share_pct") if c in mask]] = True
        out.append(listed)
        masks.append(mask)
    masked = pd.concat(out, ignore_index=True)
    mask = pd.concat(masks, ignore_index=True)
    for column in mask.columns[mask.any()]:
        masked[column] = masked[column].astype("Float64").mask(mask[column])
    return PublicTable(masked, mask)


# --- Zuweisungen and Unterbringung ----------------------------------------------------------------

ALLOCATION_IMPLICIT = {"adults": ("minors_known_persons", "allocated_minors")}
OCCUPANCY_IMPLICIT = {"others": ("occupants", "fehlbeleger")}


def public_allocations(table: pd.DataFrame, threshold: int, total: str, other_label: str) -> PublicTable:
    """`allocation_table` as the public may see it. Per period the totals (``country == total``) are
    published; countries of fewer than `threshold` persons form one row `other_label` of at least
    `threshold` persons (`residual_members`), never listed one by one. Minors (and the adults beside
    them) of fewer than `threshold` are hidden with complements, as the period's minors are published
    (`suppress_rows`), and so is their share. A country's cumulative sum and change are hidden from
    the first period it sat in the residual (they would give its count there away); the residual's
    own are not known (its members change)."""
    periods = []
    for _, rows in table.groupby("period_start", sort=True):
        countries, totals = rows[rows["country"] != total], rows[rows["country"] == total]
        members = residual_members(countries["allocated_persons"], threshold)
        listed = countries[~members]
        if members.any():
            rest = countries[members]
            minors = rest["allocated_minors"].dropna()
            other = rest.iloc[:1].assign(
                country=other_label,
                allocated_persons=rest["allocated_persons"].sum(),
                minors_known_persons=rest["minors_known_persons"].sum(),
                allocated_minors=minors.sum() if len(minors) else pd.NA,
                allocated_persons_cumulative=pd.NA,
                allocated_persons_change=np.nan,
                allocated_persons_change_pct=np.nan,
            )
            listed = pd.concat([listed, other.astype(listed.dtypes.to_dict())])
        periods.append((pd.concat([listed, totals]), set(countries.loc[members, "country"])))
    out = pd.concat([p for p, _ in periods], ignore_index=True)
    mask = pd.DataFrame(False, index=out.index, columns=out.columns)
    out["allocated_minors_share_pct"] = (
        out["allocated_minors"].astype(float)
        / out["minors_known_persons"].astype(float).where(lambda v: v > 0)
        * 100
    )
    seen: set[str] = set()
    start = 0
    for frame, residual in periods:
        rows = out.index[start : start + len(frame)]
        start += len(frame)
        seen |= residual
        parts = rows[out.loc[rows, "country"] != total]
        known = out.loc[parts, ["minors_known_persons", "allocated_minors"]]
        known = known.assign(
            minors_known_persons=known["minors_known_persons"].where(known["allocated_minors"].notna())
        )
        hidden = suppress_rows(known, threshold, ALLOCATION_IMPLICIT, locked=["minors_known_persons"])
        mask.loc[parts, "allocated_minors"] = hidden["allocated_minors"].to_numpy()
        earlier = out.loc[parts, "country"].isin(seen).to_numpy()
        for column in (
            "allocated_persons_cumulative",
            "allocated_persons_change",
            "allocated_persons_change_pct",
        ):
            mask.loc[parts, column] = earlier & (out.loc[parts, "country"] != other_label).to_numpy()
    mask["allocated_minors_share_pct"] = mask["allocated_minors"]
    return _masked(out, mask)


def public_occupancy(table: pd.DataFrame, threshold: int, total: str) -> PublicTable:
    """`occupancy_table` as the public may see it: per Stichtag the totals (``facility == total``) are
    published; occupants and Fehlbeleger of a facility (and the occupants who are not Fehlbeleger)
    below `threshold` are hidden with complements (`suppress_rows`), and so is what is computed from
    them (occupancy rate, free places, Fehlbeleger share). Places are not persons and stay shown."""
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for _, rows in table.groupby("reference_date", sort=False):
        parts = rows.index[rows["facility"] != total]
        hidden = suppress_rows(table.loc[parts, ["occupants", "fehlbeleger"]], threshold, OCCUPANCY_IMPLICIT)
        mask.loc[parts, ["occupants", "fehlbeleger"]] = hidden.to_numpy()
    for column in ("occupancy_rate_pct", "free_places"):
        mask[column] = mask["occupants"]
    mask["fehlbeleger_share_pct"] = mask["occupants"] | mask["fehlbeleger"]
    return _masked(table, mask)


def _masked(table: pd.DataFrame, mask: pd.DataFrame) -> PublicTable:
    """The table with hidden cells missing (numeric dtypes kept where possible)."""
    out = table.copy()
    for column in mask.columns[mask.any()]:
        values = out[column]
        values = values.astype("Int64") if pd.api.types.is_integer_dtype(values) else values
        out[column] = values.mask(mask[column])
    return PublicTable(out, mask)
