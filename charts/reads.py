"""The store's numbers for one choice of filters, with the public view applied where readers look.

Every function takes a `Source` (the store's reads and a memo) and the `Filters`. In the public view,
small counts and what could reveal them are missing, and ``attrs["suppressed"]`` marks them (see
`charts.protect`). The memo keeps the expensive results (the public indicator table, the protected
time series, the screen boundaries) once per database version.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from plotly.io._json import clean_to_json_compatible

from charts.figures import Shared
from charts.protect import DetailProtection, hidden_cells, mark_suppressed, public_series
from charts.protect import detail_protection as protect_detail
from charts.view import Filters, Source
from data.store import STADTTEIL
from geo.boundaries import from_wkb, simplify_boundaries
from indicators.catalogue import Indicator, get, register
from indicators.disclosure import Levels, PublicTable, footnote, public_view
from indicators.own import add_own, catalogue_entries, city_values, is_own, protect_own, share_mask, wide
from indicators.segregation import dissimilarity_index
from indicators.shares import changes, municipality_series, published_for, shares

COUNTS = ["population", "foreigners", "migration_background", "immigration_history"]
# The first part of a memo key for finished work (views, figures, screen boundaries): the app keeps one
# object for every session (`st.cache_resource`) instead of a copy per session. Whoever gets one reads
# it and never changes it (a figure is copied before it is laid out for export or the beamer).
SHARED = "shared"
SCREEN_PX = 800  # about the width a map gets: finer detail than a pixel is never seen


def population(src: Source, f: Filters, when: date | None) -> pd.DataFrame:
    """Counts per district of the chosen level at one Stichtag (every Stichtag for None)."""
    return src.reads.population(f.municipality, when, f.level)


def indicator_table(src: Source, f: Filters) -> pd.DataFrame:
    """Every share, deviation, quotient, rank and change per district for the chosen Stichtag."""
    key = ("indicator_table", f.municipality, f.reference_date, f.previous_date, f.level, f.public,
           f.threshold)  # fmt: skip
    return src.memo(key, lambda: _indicator_table(src, f))


def _indicator_table(src: Source, f: Filters) -> pd.DataFrame:
    counts = population(src, f, f.reference_date)
    if counts.empty:
        return counts
    table = shares(
        counts, published=published_for(src.reads.published_totals(f.municipality), f.reference_date)
    )
    before = None
    if f.previous_date is not None:
        before = population(src, f, f.previous_date)
        changed = changes(pd.concat([before, counts], ignore_index=True))
        changed = changed[changed["reference_date"] == counts["reference_date"].iloc[0]]
        extra = [c for c in changed.columns if c.endswith(("_change", "_change_pp"))]
        table = table.merge(changed[["district_id", *extra]], on="district_id", how="left")
    meta = src.reads.own_indicators(f.municipality)
    if len(meta):
        register(catalogue_entries(meta))
        table = add_own(table, src.reads.own_values(f.municipality, f.reference_date, f.level), meta)
    if not f.public:
        return table
    levels = other_levels(src, f, f.reference_date)
    if levels is not None and before is not None:
        levels = levels._replace(before=other_levels(src, f, f.previous_date).now)
    view = public_view(table, f.threshold, previous=before, levels=levels)
    return mark_suppressed(_protect_own(src, f, view, meta) if len(meta) else view)


def own_catalogue(src: Source, f: Filters) -> list[Indicator]:
    """The municipality's own indicators as catalogue entries (registered, so `get` knows them)."""
    entries = catalogue_entries(src.reads.own_indicators(f.municipality))
    register(entries)
    return entries


def _protect_own(src: Source, f: Filters, view: PublicTable, meta: pd.DataFrame) -> PublicTable:
    """The public view (one Stichtag or several) with the own counts and shares protected, each
    Stichtag for the districts of every level together (`indicators.own.protect_own`)."""
    table, mask = view[0].copy(), view[1].copy()
    when = pd.to_datetime(table["reference_date"])
    for day in when.dropna().unique():
        rows = (when == day).to_numpy()
        hidden = _own_hidden(src, f, meta, pd.Timestamp(day).date())
        ids = table.loc[rows, "district_id"].astype(str)
        own = pd.DataFrame(
            {k: ids.map(hidden[k]).fillna(False).astype(bool) for k in hidden}, index=ids.index
        )
        for part in (own, share_mask(own, meta, mask.loc[rows])):
            for column in part:
                mask.loc[rows, column] = part[column].to_numpy(dtype=bool)
    for column in [c for c in mask.columns if is_own(c)]:
        mask[column] = mask[column].astype(bool)
        table[column] = table[column].mask(mask[column])
    return PublicTable(table, mask)


def _own_hidden(src: Source, f: Filters, meta: pd.DataFrame, when: date) -> pd.DataFrame:
    """The own counts readers may not see at one Stichtag, by district_id, for every level at once."""
    districts = src.reads.districts(f.municipality, None)
    population = pd.concat(
        [src.reads.population(f.municipality, when, level) for level in districts["level"].unique()],
        ignore_index=True,
    )
    own = wide(src.reads.own_values(f.municipality, when, None), meta["key"].tolist())
    counts = population.drop(columns=["reference_date", "district"]).merge(own, on="district_id", how="outer")
    parents = districts.dropna(subset=["parent_id"])
    tree = dict(zip(parents["district_id"].astype(str), parents["parent_id"].astype(str), strict=True))
    return protect_own(counts, meta, f.threshold, tree)


def other_levels(src: Source, f: Filters, when: date | None = None) -> Levels | None:
    """The counts at one Stichtag (every Stichtag for None) at the levels other than the chosen one
    (Stadtbezirke for a Stadtteil view and the reverse), with the parent of each district: readers see
    both levels, so the public view protects them together. None for a municipality with one level."""
    return Levels.read(src.reads, f.municipality, f.level, when)


def city_row(src: Source, f: Filters) -> pd.Series | None:
    """The municipality as a whole at the chosen Stichtag, with its change against the previous one
    (once per database version and choice: a map, its table and the profile all ask for it)."""
    key = ("city_row", f.municipality, f.level, f.reference_date, f.previous_date)
    return src.memo(key, lambda: _city_row(src, f))


def _city_row(src: Source, f: Filters) -> pd.Series | None:
    dates = [d for d in (f.previous_date, f.reference_date) if d is not None]
    frames = [population(src, f, d) for d in dates]
    if not frames or all(frame.empty for frame in frames):
        return None
    published = src.reads.published_totals(f.municipality)
    city = municipality_series(pd.concat(frames, ignore_index=True), f.municipality, published).iloc[-1]
    meta = src.reads.own_indicators(f.municipality)
    if len(meta) and f.reference_date is not None:
        values = src.reads.own_values(f.municipality, f.reference_date, f.level)
        n = len(src.reads.districts(f.municipality, f.level))
        city = city_values(city, values, meta, n, f.threshold if f.public else None)
    return city


def indicator_values(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """district_id, district, value and the counts, for one catalogue indicator."""
    get(key)  # a clear KeyError for an unknown indicator
    value = table[key] if key in table else pd.Series(float("nan"), index=table.index)
    cols = ["district_id", "district", *[c for c in COUNTS if c in table]]
    hidden = table.attrs.get("suppressed", {}).get(key, False)
    return table[cols].assign(value=pd.to_numeric(value, errors="coerce").astype(float), hidden=hidden)


def disclosure_notes(table: pd.DataFrame, f: Filters) -> list[str]:
    """The footnote on suppressed cells, where the table has any."""
    return [footnote(f.threshold)] if table.attrs.get("suppressed") else []


def series(src: Source, f: Filters) -> pd.DataFrame:
    """Counts, shares and changes per district and Stichtag (every Stichtag of the municipality).

    In the public view each Stichtag is protected on its own (`public_series`)."""
    counts = population(src, f, None)
    if counts.empty:
        return counts
    table = changes(counts)
    meta = src.reads.own_indicators(f.municipality)
    if len(meta):
        register(catalogue_entries(meta))
        table = add_own(table, src.reads.own_values(f.municipality, None, f.level), meta)
    if not f.public:
        return table

    def build() -> pd.DataFrame:
        view = public_series(table, f.threshold, other_levels(src, f))
        return mark_suppressed(_protect_own(src, f, view, meta) if len(meta) else view)

    return src.memo(("public_series", f.municipality, f.level, f.threshold), build)


def city_series(src: Source, f: Filters) -> pd.DataFrame:
    """The municipality as a whole per Stichtag (`district` = the municipality's name); once per
    database version, municipality and level (it does not depend on the Stichtag). Read-only."""

    def build() -> pd.DataFrame:
        counts = population(src, f, None)
        if counts.empty:
            return counts
        city = municipality_series(counts, f.municipality, src.reads.published_totals(f.municipality))
        meta = src.reads.own_indicators(f.municipality)
        if len(meta):  # the own indicators' totals, where every district has a value (`city_values`)
            values = src.reads.own_values(f.municipality, None, f.level)
            n = len(src.reads.districts(f.municipality, f.level))
            when = pd.to_datetime(values["reference_date"])
            rows = [city_values(row, values[(when == pd.Timestamp(row["reference_date"])).to_numpy()], meta, n,
                                f.threshold if f.public else None) for _, row in city.iterrows()]  # fmt: skip
            own = [c for c in rows[0].index if c not in city.columns] if rows else []
            city = pd.DataFrame(rows, index=city.index).astype(
                {**city.dtypes.to_dict(), **dict.fromkeys(own, float)}
            )
        return city

    return src.memo(("city_series", f.municipality, f.level, f.public, f.threshold), build)


def segregation(src: Source, f: Filters) -> tuple[float, float | None]:
    """Dissimilarity index of foreigners at the Stichtag and at the previous one (None if none)."""
    now = population(src, f, f.reference_date)
    value = dissimilarity_index(now) if not now.empty else float("nan")
    before = None
    if f.previous_date is not None:
        then = population(src, f, f.previous_date)
        before = dissimilarity_index(then) if not then.empty else None
    return value, before


def detail(
    src: Source, f: Filters, when: date | None = None, district_ids: list[str] | None = None
) -> pd.DataFrame:
    """The detail counts at the Stichtag, keyed by the districts of the chosen level.

    Detail is stored per Stadtteil; for a Stadtbezirk level the Stadtteile are relabelled with their
    parent's key. Empty where no detail was loaded. With `district_ids` only those districts (and
    their children) are read: a city keeps hundreds of thousands of detail rows per Stichtag."""
    districts = src.reads.districts(f.municipality, None)
    wanted = None
    if district_ids:
        children = districts.loc[districts["parent_id"].isin(district_ids), "district_id"].tolist()
        wanted = [*district_ids, *children]
    frame = src.reads.detail(f.municipality, when or f.reference_date, wanted)
    if frame.empty or f.level == STADTTEIL:
        return frame
    parents = districts.dropna(subset=["parent_id"]).set_index("district_id")["parent_id"]
    levels = districts.set_index("district_id")["level"]
    own = frame["district_id"].map(levels) == f.level
    mapped = frame["district_id"].where(own, frame["district_id"].map(parents))
    return frame.assign(district_id=mapped).dropna(subset=["district_id"])


def detail_protection(src: Source, f: Filters) -> DetailProtection:
    """What readers may see of the detail at the Stichtag, for every district of every level at once
    (`charts.protect.detail_protection`); once per database version, Stichtag and threshold."""
    # read-only and shared by every session (no copy per session: at Berlin size it is large)
    key = (SHARED, "detail_protection", f.municipality, f.reference_date, f.threshold)

    def build() -> DetailProtection:
        districts = src.reads.districts(f.municipality, None)
        parents = districts.dropna(subset=["parent_id"])
        tree = dict(zip(parents["district_id"].astype(str), parents["parent_id"].astype(str), strict=True))
        hidden = set()  # districts whose foreigners the public Kennzahlen hide, at every level
        for level in districts["level"].dropna().unique():
            table = indicator_table(src, dataclasses.replace(f, level=level, public=True))
            flags = hidden_cells(table).get("foreigners", pd.Series(False, index=table.index))
            hidden |= set(table.loc[flags.to_numpy(dtype=bool), "district_id"].dropna().astype(str))
        detail_rows = src.reads.detail(f.municipality, f.reference_date, None)
        return protect_detail(detail_rows, tree, f.threshold, hidden)

    return src.memo(key, build)


def boundaries(src: Source, f: Filters) -> gpd.GeoDataFrame | None:
    """The district polygons of the chosen level for the screen, or None where no geometry was loaded."""
    return src.memo((SHARED, "boundaries", f.municipality, f.level), lambda: _screen_boundaries(src, f))


def shared(src: Source, key: tuple, build):
    """`build()` once per database version and `key` for every session: finished views and figures
    (read-only once built; `key` names everything they depend on). Their figures are frozen."""
    return src.memo((SHARED, *key), lambda: freeze(build()))


class FrozenFigure(go.Figure):
    """A finished figure that nobody changes any more: `to_dict()` is worked out once.

    Streamlit's `st.plotly_chart` calls `to_dict()` on every rerun of every session — a deep copy of
    every coordinate of a map (~0.1–0.3 s for 550 districts), then plotly cleans the copy value by value
    for orjson; both happen once here. A copy made with `go.Figure(frozen)` is an ordinary figure
    again (the beamer and the image export do that)."""

    def to_dict(self) -> dict:
        cached = self.__dict__.get("_frozen_dict")
        if cached is None:  # cleaned once as plotly.io.to_json would: then orjson writes it directly
            raw = super().to_dict()
            # a map's GeoJSON features are shared between maps (`charts.figures.Shared`): each is
            # cleaned once, not with every map of every Stichtag (their coordinates are most of it)
            features = {}
            for n, trace in enumerate(raw.get("data", [])):
                geojson = trace.get("geojson")
                found = geojson.get("features") if isinstance(geojson, dict) else None
                if isinstance(found, list) and found and all(isinstance(x, Shared) for x in found):
                    features[n] = found
                    trace["geojson"] = {**geojson, "features": []}
            cached = _clean(raw)
            for n, found in features.items():
                cached["data"][n]["geojson"]["features"] = [_clean_feature(x) for x in found]
            self.__dict__["_frozen_dict"] = cached
        return cached

    def _raise_frozen(self, *args, **kwargs):
        raise TypeError("a shared figure is read-only: change a copy, go.Figure(figure)")

    update = update_layout = update_traces = add_trace = add_annotation = _raise_frozen


def _clean(value):
    """What plotly.io.to_json does to a figure's dict before orjson writes it."""
    return clean_to_json_compatible(
        value,
        numpy_allowed=True,
        datetime_allowed=True,
        modules={"sage_all": None, "np": np, "pd": pd, "image": None},
    )


def _clean_feature(feature: Shared) -> dict:
    """A shared GeoJSON feature cleaned once (kept on it: it is never changed once built)."""
    cleaned = feature.__dict__.get("_clean")
    if cleaned is None:
        cleaned = feature.__dict__["_clean"] = _clean(dict(feature))
    return cleaned


def freeze(value):
    """`value` with every Plotly figure in it (views, lists of views, dataclasses) made a
    `FrozenFigure` in place — the same object, no copy, no new validation."""
    if isinstance(value, go.Figure):
        value.__class__ = FrozenFigure
    elif isinstance(value, list | tuple):
        for item in value:
            freeze(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            freeze(getattr(value, item.name))
    return value


def _screen_boundaries(src: Source, f: Filters) -> gpd.GeoDataFrame | None:
    frame = src.reads.boundaries(f.municipality, f.level)
    return None if frame.empty else screen_shapes(from_wkb(frame))


def screen_shapes(shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Boundaries for the screen: simplified to about a pixel, coordinates on a ~10 m grid (the map
    sent to the browser stays small even for 550 districts; neighbours keep their shared edges)."""
    lon_min, lat_min, lon_max, lat_max = shapes.total_bounds
    extent_m = max(lon_max - lon_min, lat_max - lat_min) * 111_000
    shapes = simplify_boundaries(shapes, tolerance_m=max(15.0, extent_m / SCREEN_PX))
    rounded = shapely.set_precision(shapes.geometry.values, 1e-4)
    keep = ~shapely.is_empty(rounded)  # a district smaller than the grid keeps its unrounded outline
    return shapes.set_geometry(np.where(keep, rounded, shapes.geometry.values), crs=shapes.crs)
