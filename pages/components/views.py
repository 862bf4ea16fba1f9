"""Compose data and indicators for the pages: the filters in, ready frames out (cached reads)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from data.store import Store
from geo.boundaries import from_wkb, simplify_boundaries
from indicators.catalogue import get
from indicators.disclosure import footnote, public_view
from indicators.shares import changes, municipality_series, published_for, shares
from pages.components.access import load
from pages.components.state import Filters

COUNTS = ["population", "foreigners", "migration_background"]


def indicator_table(store: Store, filters: Filters) -> pd.DataFrame:
    """Every share, deviation, quotient, rank and change per district for the chosen Stichtag.

    In the public view, small counts and what could reveal them are missing (see
    `indicators.disclosure`); the result is cached per database version and choice.
    """
    return _indicator_table(
        store, (str(store.path), store.stamp), filters.municipality, filters.reference_date,
        filters.previous_date, filters.level, filters.public, filters.threshold,
    )  # fmt: skip


@st.cache_data(max_entries=256, show_spinner=False)
def _indicator_table(
    _store: Store,
    version: tuple,
    municipality: str,
    reference_date,
    previous,
    level: str,
    public: bool,
    threshold: int,
) -> pd.DataFrame:
    store = _store
    filters = Filters(municipality, reference_date, [d for d in (previous, reference_date) if d], level,
                      public=public, threshold=threshold)  # fmt: skip
    counts = load(store, "population", filters.municipality, filters.reference_date, filters.level)
    if counts.empty:
        return counts
    published = published_for(load(store, "published_totals", filters.municipality), filters.reference_date)
    table = shares(counts, published=published)
    previous = filters.previous_date
    before = None
    if previous is not None:
        before = load(store, "population", filters.municipality, previous, filters.level)
        changed = changes(pd.concat([before, counts], ignore_index=True))
        changed = changed[changed["reference_date"] == counts["reference_date"].iloc[0]]
        extra = [c for c in changed.columns if c.endswith(("_change", "_change_pp"))]
        table = table.merge(changed[["district_id", *extra]], on="district_id", how="left")
    if not filters.public:
        return table
    masked, mask = public_view(table, filters.threshold, previous=before)
    # which cells the public may not see, by column and row position (read by indicator_values);
    # plain lists, because Streamlit serialises a frame's attrs as JSON
    masked.attrs["suppressed"] = {c: mask[c].tolist() for c in mask.columns if mask[c].any()}
    return masked


def city_row(store: Store, filters: Filters) -> pd.Series | None:
    """The municipality as a whole at the chosen Stichtag, with its change against the previous one."""
    dates = [d for d in (filters.previous_date, filters.reference_date) if d is not None]
    series = pd.concat(
        [load(store, "population", filters.municipality, d, filters.level) for d in dates], ignore_index=True
    )
    if series.empty:
        return None
    published = load(store, "published_totals", filters.municipality)
    city = municipality_series(series, filters.municipality, published)
    return city.iloc[-1]


def indicator_values(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """district_id, district, value and the counts, for one catalogue indicator."""
    get(key)  # a clear KeyError for an unknown indicator
    value = table[key] if key in table else pd.Series(float("nan"), index=table.index)
    cols = ["district_id", "district", *[c for c in COUNTS if c in table]]
    hidden = table.attrs.get("suppressed", {}).get(key, False)
    return table[cols].assign(value=pd.to_numeric(value, errors="coerce").astype(float), hidden=hidden)


def disclosure_notes(table: pd.DataFrame, filters: Filters) -> list[str]:
    """The footnote on suppressed cells, where the table has any."""
    return [footnote(filters.threshold)] if table.attrs.get("suppressed") else []


def boundaries(store: Store, filters: Filters) -> gpd.GeoDataFrame | None:
    """The district polygons of the chosen level for the screen, or None where no geometry was loaded."""
    return _display_boundaries(store, (str(store.path), store.stamp), filters.municipality, filters.level)


SCREEN_PX = 800  # about the width a map gets: finer detail than a pixel is never seen


@st.cache_data(max_entries=32, show_spinner=False)
def _display_boundaries(
    _store: Store, version: tuple, municipality: str, level: str
) -> gpd.GeoDataFrame | None:
    """`screen_shapes` once per database version: the map sent to the browser stays small even for
    550 districts (neighbours keep their shared edges)."""
    frame = load(_store, "boundaries", municipality, level)
    return None if frame.empty else screen_shapes(from_wkb(frame))


def screen_shapes(shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Boundaries for the screen: simplified to about a pixel, coordinates on a ~10 m grid."""
    lon_min, lat_min, lon_max, lat_max = shapes.total_bounds
    extent_m = max(lon_max - lon_min, lat_max - lat_min) * 111_000
    shapes = simplify_boundaries(shapes, tolerance_m=max(15.0, extent_m / SCREEN_PX))
    rounded = shapely.set_precision(shapes.geometry.values, 1e-4)
    keep = ~shapely.is_empty(rounded)  # a district smaller than the grid keeps its unrounded outline
    return shapes.set_geometry(np.where(keep, rounded, shapes.geometry.values), crs=shapes.crs)
