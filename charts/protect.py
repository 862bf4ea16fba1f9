"""What readers may see: the public view of the frames behind the charts.

`indicators.disclosure` decides which cells are suppressed; here that decision is carried through the
frames the views are built from: a mask per table (``attrs["suppressed"]``), the protected time series,
nationality mix and age pyramid. Pure pandas; the view functions in `charts.population_views` call these
once per chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.catalogue import OTHER_LABEL
from indicators.disclosure import (
    COUNTS,
    IMPLICIT,
    PublicTable,
    footnote,
    is_sensitive,
    public_view,
    suppress_crosstab,
    suppress_parts,
)
from indicators.shares import german_sort_key


def mark_suppressed(view: PublicTable) -> pd.DataFrame:
    """The masked frame with its mask as ``attrs["suppressed"]``: per column a list of flags by row
    position (plain lists, so the attrs survive a cache's serialisation)."""
    masked, mask = view
    masked.attrs["suppressed"] = {c: mask[c].tolist() for c in mask.columns if mask[c].any()}
    return masked


def public_series(table: pd.DataFrame, threshold: int) -> PublicTable:
    """`public_view` per Stichtag of a `changes` frame (all districts of the municipality), each with
    the previous Stichtag's counts, so a change is hidden when either of its counts is. Same index."""
    masked, masks = [], []
    before, before_clean = None, True
    for _, rows in table.groupby("reference_date", sort=True):
        clean = _nothing_sensitive(rows, threshold)
        if clean and before_clean:  # nothing to hide, nor any change from a hidden count
            view = PublicTable(rows, pd.DataFrame(False, index=rows.index, columns=rows.columns))
        else:
            view = public_view(rows, threshold, previous=before)
        masked.append(view.masked)
        masks.append(view.mask)
        before, before_clean = rows, clean
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


def public_mix(mix: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`nationality_mix` as the public may see it: `suppress_parts` against the sum of all foreigners
    (published), hidden persons and shares missing, a ``hidden`` column; hidden rows after the shown
    ones in alphabetical order (their order would tell which is larger), "Übrige" last."""
    if mix.empty:
        return mix.assign(hidden=pd.Series(dtype=bool))
    view = suppress_parts(mix["persons"], total=float(mix["persons"].sum()), threshold=threshold)
    hidden = view.mask["persons"].to_numpy()
    out = mix.assign(
        persons=mix["persons"].astype("Float64").mask(hidden),
        share_pct=mix["share_pct"].astype(float).mask(hidden),
        hidden=hidden,
    )
    other = out["nationality"] == OTHER_LABEL
    shown = out[~hidden & ~other]
    secret = out[hidden & ~other].sort_values("nationality", key=lambda c: c.map(german_sort_key))
    return pd.concat([shown, secret, out[other]]).reset_index(drop=True)


def public_pyramid(ages: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`pyramid` as the public may see it: age group × (sex, migration status) protected as a cross
    table with its margins (`suppress_crosstab`); hidden persons missing, a ``hidden`` column."""
    if ages.empty:
        return ages.assign(hidden=pd.Series(dtype=bool))
    wide = ages.pivot_table(
        index="age_group", columns=["sex", "migration_status"], values="persons", aggfunc="sum", sort=False
    )
    wide.columns = [f"{sex}|{status}" for sex, status in wide.columns]
    view = suppress_crosstab(wide.fillna(0), threshold, total_label="__total__")
    mask = view.mask.drop(index="__total__", columns="__total__")
    hidden = [
        bool(mask.at[a, f"{s}|{m}"]) if a in mask.index and f"{s}|{m}" in mask.columns else False
        for a, s, m in zip(ages["age_group"], ages["sex"], ages["migration_status"], strict=True)
    ]
    return ages.assign(persons=ages["persons"].astype("Float64").mask(hidden), hidden=hidden)


def public_nationality_table(
    nations: pd.DataFrame, threshold: int, hidden_districts: set[str] | frozenset[str] = frozenset()
) -> PublicTable:
    """`nationality_table` as the public may see it: per district `suppress_parts` against the
    district's foreigners (taken as published); every row of a district whose foreigners are hidden
    in the public table is hidden too (the parts would add up to it). Masks persons and share_pct."""
    mask = pd.DataFrame(False, index=nations.index, columns=nations.columns)
    for district_id, rows in nations.groupby("district_id", sort=False):
        if district_id in hidden_districts:
            hidden = np.ones(len(rows), bool)
        else:
            view = suppress_parts(rows["persons"], total=float(rows["persons"].sum()), threshold=threshold)
            hidden = view.mask["persons"].to_numpy()
        for column in ("persons", "share_pct"):
            if column in mask:
                mask.loc[rows.index, column] = hidden
    masked = nations.copy()
    for column in mask.columns[mask.any()]:
        masked[column] = masked[column].astype("Float64").mask(mask[column])
    return PublicTable(masked, mask)

