"""Shares, deviations, location quotients and changes per district: counts in, indicators out.

Every function takes a counts frame (one row per district) or a series frame (the same with
``reference_date``, several Stichtage), returns a new frame and never mutates its input.
Zero or missing denominators give NaN, never an exception and never ``inf``.

Missing counts (NA, e.g. migration background not known for a district) are never silently
treated as 0: a municipality total is NA as soon as one district's value is NA (``skipna=False``),
and so are the municipality share, every deviation and every location quotient built on it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from indicators.catalogue import TOTAL_LABEL

#: Columns that identify a row; they are not indicators and have no catalogue entry.
ID_COLUMNS: tuple[str, ...] = ("district_id", "district", "reference_date", "previous_reference_date")

#: Count columns summed to municipality totals (the last two are optional in the input).
COUNT_COLUMNS: tuple[str, ...] = (
    "population",
    "foreigners",
    "migration_background",
    "minors",
    "minors_migration_background",
    "immigration_history",
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "district_id",
    "district",
    "population",
    "foreigners",
    "migration_background",
)

#: share column -> (numerator, denominator); a share is added where both columns exist.
SHARES: dict[str, tuple[str, str]] = {
    "foreigner_share_pct": ("foreigners", "population"),
    "migration_background_share_pct": ("migration_background", "population"),
    "minors_migration_background_share_pct": ("minors_migration_background", "minors"),
    "immigration_history_share_pct": ("immigration_history", "population"),
}
#: shares compared with the municipality (deviation in pp and location quotient), where present.
COMPARED_SHARES: tuple[str, ...] = (
    "foreigner_share_pct",
    "migration_background_share_pct",
    "immigration_history_share_pct",
)
#: counts whose change in persons `changes()` reports.
CHANGED_COUNTS: tuple[str, ...] = ("population", "foreigners", "migration_background", "immigration_history")


def ratio(numerator: object, denominator: object, scale: float = 100.0) -> np.ndarray | float:
    """numerator / denominator × scale as float64; NaN where the denominator is 0 or either side is missing.

    Accepts scalars, arrays or Series (nullable or not). Scalars in, a float out.
    """
    num = to_float_array(numerator)
    den = to_float_array(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den != 0, den, 1.0) * scale, np.nan)
    return float(out) if out.ndim == 0 else out


def municipality_totals(counts: pd.DataFrame, published: pd.Series | None = None) -> pd.Series:
    """Sum every count column over the districts (nullable Int64 Series indexed by column name).

    A total is NA if any district's value in that column is NA (``skipna=False``) and NA for an
    empty frame (``min_count=1``) — a partial sum would understate the municipality.
    ``published`` (count column → value, e.g. one row of ``Store.published_totals``) is the figure
    the statistics office published for the whole municipality; where it has a value, it is the
    total, so the dashboard shows the official number even where it differs from the districts' sum
    (persons not assignable to a district, rounding, secrecy).
    """
    require_columns(counts, ("population",))
    columns = [c for c in COUNT_COLUMNS if c in counts.columns]
    totals = {c: pd.to_numeric(counts[c]).astype("Int64").sum(skipna=False, min_count=1) for c in columns}
    for column in columns:
        value = published.get(column) if published is not None else None
        if value is not None and not pd.isna(value):
            totals[column] = int(value)
    return pd.Series(totals, index=columns, dtype="Int64", name="total")


def published_for(published: pd.DataFrame | None, reference_date: object) -> pd.Series | None:
    """The published municipality figures of one Stichtag from ``Store.published_totals``, or None."""
    if published is None or published.empty:
        return None
    rows = published[pd.to_datetime(published["reference_date"]) == pd.Timestamp(reference_date)]
    return None if rows.empty else rows.iloc[0]


def shares(
    counts: pd.DataFrame, municipality_name: str | None = None, published: pd.Series | None = None
) -> pd.DataFrame:
    """Add shares (%), deviations from the municipality (pp), location quotients and ranks.

    Added columns (unrounded float64, NaN where not computable):
    ``foreigner_share_pct``, ``migration_background_share_pct``,
    ``minors_migration_background_share_pct`` (only if ``minors`` and ``minors_migration_background``
    exist), ``foreigner_share_deviation_pp``, ``migration_background_share_deviation_pp``
    (district share − municipality share), ``foreigner_share_lq``, ``migration_background_share_lq``
    (district share / municipality share), and one ``…_share_rank`` per share (nullable Int64,
    1 = highest share, ties share the lowest rank, NaN shares get no rank).

    Without ``municipality_name`` the rows keep the input's order and index. With it, the result is
    the publication table: districts sorted by name (German order, umlauts as base letters), then one
    row for the whole municipality (``district`` = that name, ``district_id`` missing, counts =
    `municipality_totals`, deviation 0, location quotient 1, no rank), on a fresh RangeIndex.
    ``published`` (see `municipality_totals`) makes the office's figure the municipality's, for the
    total row and as the reference of deviations and quotients.
    """
    require_columns(counts, REQUIRED_COLUMNS)
    totals = municipality_totals(counts, published)
    city = _add_shares(totals.to_frame().T.astype("Int64"))
    out = _add_comparison(_add_shares(counts.copy()), city)
    for column in _present_shares(out):
        out[column.removesuffix("_pct") + "_rank"] = (
            out[column].rank(ascending=False, method="min").astype("Int64")
        )
    if municipality_name is None:
        return out

    out = out.sort_values("district", key=lambda s: s.map(german_sort_key), kind="stable")
    row = _add_comparison(city, city)
    row["district"] = municipality_name
    row["district_id"] = None
    for column in out.columns.difference(row.columns):
        values = counts[column] if column in counts.columns else pd.Series(dtype=object)
        row[column] = values.iloc[0] if values.nunique(dropna=False) == 1 else None
    row = row.reindex(columns=out.columns).astype(out.dtypes.to_dict())
    return pd.concat([out, row], ignore_index=True)


def changes(series: pd.DataFrame) -> pd.DataFrame:
    """Change of each district against its own previous Stichtag.

    Returns the input columns plus the share columns of `shares` (without municipality comparison)
    and: ``previous_reference_date``; ``population_change``, ``foreigners_change``,
    ``migration_background_change`` (persons, nullable Int64); ``foreigner_share_change_pp``,
    ``migration_background_share_change_pp`` (percentage points, float64). "Previous" means the
    district's latest earlier Stichtag in the frame, so a gap is bridged. The first Stichtag of a
    district has NA/NaN changes. Rows keep the input's order and index.
    """
    require_columns(series, (*REQUIRED_COLUMNS, "reference_date"))
    duplicated = series.duplicated(["district_id", "reference_date"])
    if duplicated.any():
        first = series.loc[duplicated, ["district_id", "reference_date"]].iloc[0].tolist()
        raise ValueError(f"several rows for the same district and Stichtag, e.g. {first}")
    return _add_changes(_add_shares(series.copy()), by="district_id")


def municipality_series(
    series: pd.DataFrame, municipality_name: str = TOTAL_LABEL, published: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The municipality as a whole per Stichtag: summed counts, shares and changes.

    One row per ``reference_date`` (ascending) with ``district`` = ``municipality_name``,
    ``district_id`` missing, the count columns (sums with `municipality_totals` semantics), the share
    columns and the change columns of `changes`. With ``published`` (``Store.published_totals``) the
    office's figures replace the sums where a Stichtag has them, and two columns say where:
    ``published_total_differs`` (bool: the published figure is not the districts' sum) and ``districts_population`` (that sum, Int64).
    """
    require_columns(series, ("population", "reference_date"))
    groups = series.groupby("reference_date", sort=True)
    frame = pd.DataFrame(
        {date: municipality_totals(group, published_for(published, date)) for date, group in groups}
    ).T.astype("Int64")
    frame = frame.rename_axis("reference_date").reset_index()
    if published is not None:
        sums = groups["population"].sum(min_count=1).astype("Int64").to_numpy()
        frame["districts_population"] = pd.array(sums, dtype="Int64")
        frame["published_total_differs"] = (frame["population"] != frame["districts_population"]).fillna(
            False
        )
        frame["published_total_differs"] = frame["published_total_differs"].astype(bool)
    frame.insert(0, "district", pd.Series([municipality_name] * len(frame), dtype="str"))
    frame.insert(0, "district_id", pd.Series([None] * len(frame), dtype="str"))
    return _add_changes(_add_shares(frame), by=None)


def german_sort_key(name: object) -> str:
    """Sort key for German names: case-insensitive, umlauts as their base letter (DIN 5007-1)."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def to_float_array(values: object) -> np.ndarray:
    """Counts (nullable or not, Series or scalar) as a float64 array with NaN for missing values."""
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return pd.to_numeric(pd.Series(values)).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    if values is None or values is pd.NA:
        return np.asarray(np.nan)
    return np.asarray(values, dtype="float64")


def require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise KeyError naming the missing columns, if any."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"missing column(s) {missing}; got {list(frame.columns)}")


def _present_shares(frame: pd.DataFrame) -> list[str]:
    return [c for c in SHARES if c in frame.columns]


def _add_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the share columns in place to a frame the caller owns; returns it."""
    for column, (numerator, denominator) in SHARES.items():
        if numerator in frame.columns and denominator in frame.columns:
            frame[column] = ratio(frame[numerator], frame[denominator])
    return frame


def _add_comparison(frame: pd.DataFrame, city: pd.DataFrame) -> pd.DataFrame:
    """Deviation (pp) and location quotient against the one-row municipality frame ``city``."""
    frame = frame.copy()
    for column in COMPARED_SHARES:
        if column not in frame.columns:  # optional counts (Einwanderungsgeschichte) not in the input
            continue
        stem = column.removesuffix("_pct")
        reference = float(city[column].iloc[0])
        frame[f"{stem}_deviation_pp"] = frame[column] - reference
        frame[f"{stem}_lq"] = ratio(frame[column], reference, scale=1.0)
    return frame


def _add_changes(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Differences against the previous Stichtag within ``by`` (or over the whole frame)."""
    index = frame.index
    work = frame.reset_index(drop=True)
    ordered = work.sort_values([by, "reference_date"] if by else ["reference_date"], kind="stable")
    steps = ordered.groupby(by, sort=False, dropna=False) if by else ordered
    changed = {"previous_reference_date": steps["reference_date"].shift()}
    for column in CHANGED_COUNTS:
        if column in ordered.columns:
            changed[f"{column}_change"] = steps[column].diff().astype("Int64")
    for column in COMPARED_SHARES:
        if column in ordered.columns:
            changed[column.removesuffix("_pct") + "_change_pp"] = steps[column].diff().astype("float64")
    result = ordered.assign(**changed).sort_index()
    result.index = index
    return result
