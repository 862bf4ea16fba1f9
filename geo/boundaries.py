"""Read district boundaries from any common GIS file, repair, simplify and match them to districts.

Everything returned is in EPSG:4326 with the columns ``district_id`` (string key or NA), ``name``,
``area_km2`` and ``geometry``. Errors the user can fix are raised as :class:`BoundaryError` with a
German message naming the file (and the field or feature concerned).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

WGS84 = 4326
METRIC_CRS = 25832  # ETRS89 / UTM 32N: areas and simplification tolerances in metres
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
ID_CANDIDATES = ("stt_nr", "district_id", "schlüssel", "schluessel", "nummer", "nr", "code", "key")
ID_SUFFIXES = ("_nr", "_id", "_key", "_schluessel")
ID_LAST_RESORT = ("id",)
NOT_IDS = ("fid", "objectid", "object_id", "ogc_fid", "shape_id")
NAME_CANDIDATES = ("stt_name", "name", "stadtteil", "stadtteilname", "bezirk", "bezirksname", "district")
NAME_SUFFIXES = ("_name",)
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]")
_READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, zipfile.BadZipFile)


class BoundaryError(ValueError):
    """A boundary file cannot be used; ``str(err)`` is the German message shown to users."""


@dataclass
class MatchResult:
    """Outcome of :func:`match_districts`."""

    matched: gpd.GeoDataFrame
    unmatched_boundaries: list[str]
    unmatched_districts: list[str]
    by: str = "key"  # "key" or "name": how boundaries were matched

    def report(self) -> str:
        """German summary listing every boundary and district that could not be matched."""
        how = "Schlüssel" if self.by == "key" else "Namen"
        lines = [f"{len(self.matched)} Gebiete über {how} zugeordnet."]
        if self.unmatched_boundaries:
            lines.append("Nicht zugeordnet aus der Datei: " + ", ".join(self.unmatched_boundaries))
        if self.unmatched_districts:
            lines.append("Ohne Grenze: " + ", ".join(self.unmatched_districts))
        return "\n".join(lines)


def read_boundaries(
    path: str | Path, id_field: str | None = None, name_field: str | None = None
) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or zipped Shapefile into repaired EPSG:4326 boundaries.

    Fields are detected case-insensitively unless given. Keys become stripped strings (leading zeros
    kept, ``101.0`` → ``"101"``); without an id field ``district_id`` is NA and matching uses names.
    """
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise BoundaryError(f"Die Datei „{label}“ wurde nicht gefunden.")
    if path.suffix.lower() not in SUFFIXES:
        raise BoundaryError(
            f"Das Format von „{label}“ wird nicht unterstützt. Erlaubt sind GeoJSON, GeoPackage, "
            "Shapefile (.shp) oder ein ZIP-Archiv mit Shapefile."
        )
    raw = _read_file(path, label)
    if raw.empty:
        raise BoundaryError(f"Die Datei „{label}“ enthält keine Flächen.")
    fields = [c for c in raw.columns if c != raw.geometry.name]
    id_col = _pick_field(fields, id_field, ID_CANDIDATES, ID_SUFFIXES, label, exclude=NOT_IDS)
    if id_col is None and id_field is None:
        id_col = _pick_field(fields, None, ID_LAST_RESORT, (), label)
    name_col = _pick_field(fields, name_field, NAME_CANDIDATES, NAME_SUFFIXES, label, exclude=(id_col,))
    if id_col is None and name_col is None:
        raise BoundaryError(
            f"In „{label}“ wurde keine Spalte mit Schlüssel oder Name der Gebiete gefunden. "
            f"Vorhandene Felder: {', '.join(fields) or 'keine'}."
        )
    ids = raw[id_col].map(normalise_key) if id_col else pd.Series(None, index=raw.index, dtype=object)
    names = raw[name_col].map(_clean_name).where(lambda n: n.notna(), ids) if name_col else ids
    geoms = [
        _repair(g, i, k, n, label) for i, (g, k, n) in enumerate(zip(raw.geometry, ids, names, strict=True))
    ]
    out = gpd.GeoDataFrame(
        {"district_id": pd.array(ids, dtype="str"), "name": pd.array(names, dtype="str")},
        geometry=gpd.GeoSeries(geoms, crs=_crs_of(raw, label)),
    )
    _check_unique(out["district_id"] if id_col else out["name"], "Schlüssel" if id_col else "Namen", label)
    out["area_km2"] = out.geometry.to_crs(METRIC_CRS).area / 1e6
    out = out.to_crs(WGS84)
    return out[["district_id", "name", "area_km2", "geometry"]]


def normalise_key(value: object) -> str | None:
    """District key as a stripped string; whole floats lose their ``.0``; blanks become None."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def normalise_name(name: object) -> str:
    """Name folded for matching: case, ß, umlauts, accents, "St."/"Sankt", spaces and punctuation."""
    text = unicodedata.normalize("NFC", str(name)).casefold()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"\bst\b\.?", "sankt", text)
    return re.sub(r"[\W_]+", "", text)


def simplify_boundaries(gdf: gpd.GeoDataFrame, tolerance_m: float = 15.0) -> gpd.GeoDataFrame:
    """Simplify for the web without opening gaps or overlaps between neighbours.

    Works in EPSG:25832: the polygons are first cleaned into an exact coverage (slivers narrower than
    the tolerance filled, overlaps merged, shared edges snapped), then coverage-simplified so that
    neighbours keep identical edges. Falls back to per-feature simplification if that fails.
    """
    out = _with_crs(gdf).to_crs(METRIC_CRS)
    if tolerance_m > 0:
        geoms = out.geometry.values
        try:
            cleaned = shapely.coverage_clean(geoms, gap_width=tolerance_m)
            if not shapely.coverage_is_valid(cleaned):
                raise shapely.errors.GEOSException("no valid coverage")
            simple = shapely.coverage_simplify(cleaned, tolerance_m)
            if shapely.is_empty(simple).any() or not shapely.is_valid(simple).all():
                raise shapely.errors.GEOSException("coverage simplification failed")
        except shapely.errors.GEOSException:
            simple = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
        out = out.set_geometry(gpd.GeoSeries(simple, index=out.index, crs=METRIC_CRS))
    return out.to_crs(WGS84)


def orient_for_plotly(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy with clockwise exterior rings, as plotly geo traces expect."""
    out = gdf.copy()
    out[out.geometry.name] = out.geometry.orient_polygons(exterior_cw=True)
    return out


def match_districts(boundaries: gpd.GeoDataFrame, districts: pd.DataFrame) -> MatchResult:
    """Attach the districts' ``district_id`` and ``name`` to the boundaries they belong to.

    Boundaries with a key match by key (leading zeros may differ: "7" finds "007" if unambiguous);
    boundaries without a key match by normalised name. If the file has keys but none is known (another
    key scheme), all boundaries go by name. Names that occur twice among the districts never match,
    and a district claimed by a second boundary leaves that boundary unmatched.
    """
    keys = [k for k in districts["district_id"].map(normalise_key) if k is not None]
    names = dict(zip(districts["district_id"].map(normalise_key), districts["name"].astype(str), strict=True))
    by_key = _unique_lookup(keys, lambda k: k.lstrip("0"))
    by_key.update(dict(zip(keys, keys, strict=True)))
    by_name = _unique_lookup(keys, lambda k: normalise_name(names[k]))
    file_keys = boundaries["district_id"].map(normalise_key)
    by = "key" if any(k is not None and _find_key(k, by_key) for k in file_keys) else "name"
    hits: list[str | None] = []
    unmatched: list[str] = []
    for key, name in zip(file_keys, boundaries["name"], strict=True):
        if by == "key" and key is not None:
            hit, label = _find_key(key, by_key), key
        else:
            hit, label = by_name.get(normalise_name(name)), str(name)
        hit = None if hit in hits else hit
        hits.append(hit)
        if hit is None:
            unmatched.append(label)
    found = [h for h in hits if h is not None]
    matched = boundaries.loc[[h is not None for h in hits]].copy()
    matched["district_id"] = pd.array(found, dtype="str")
    matched["name"] = pd.array([names[k] for k in found], dtype="str")
    used = set(found)
    missing = [k for k in keys if k not in used]
    return MatchResult(matched.reset_index(drop=True), unmatched, missing, by)


def _unique_lookup(keys: list[str], fold: Callable[[str], str]) -> dict[str, str]:
    """Folded value → key, for folded values that belong to exactly one key."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(fold(key), []).append(key)
    return {folded: ks[0] for folded, ks in groups.items() if len(ks) == 1}


def _find_key(key: str, lookup: dict[str, str]) -> str | None:
    return lookup.get(key) or lookup.get(key.lstrip("0"))


def to_wkb(gdf: gpd.GeoDataFrame) -> list[bytes]:
    """Geometries as EPSG:4326 WKB, e.g. for a DuckDB BLOB column."""
    return list(shapely.to_wkb(_with_crs(gdf).to_crs(WGS84).geometry.values))


def from_wkb(frame: pd.DataFrame, column: str = "geometry") -> gpd.GeoDataFrame:
    """GeoDataFrame (EPSG:4326) from a frame whose ``column`` holds WKB (bytes, bytearray, memoryview)."""
    blobs = [bytes(v) if isinstance(v, bytes | bytearray | memoryview) else None for v in frame[column]]
    out = pd.DataFrame(frame).copy()
    out[column] = gpd.GeoSeries(shapely.from_wkb(blobs), index=out.index, crs=WGS84)
    return gpd.GeoDataFrame(out, geometry=column, crs=WGS84)


def bounds_of(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) of all geometries."""
    lon_min, lat_min, lon_max, lat_max = _with_crs(gdf).to_crs(WGS84).total_bounds
    return float(lon_min), float(lat_min), float(lon_max), float(lat_max)


def _with_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.set_crs(WGS84) if gdf.crs is None else gdf


def _read_file(path: Path, label: str) -> gpd.GeoDataFrame:
    """Read with pyogrio; retry other encodings when a Shapefile's text is not what it claims."""
    source = _zip_source(path, label) if path.suffix.lower() == ".zip" else str(path)
    try:
        try:
            raw = pyogrio.read_dataframe(source)
        except UnicodeDecodeError:
            raw = pyogrio.read_dataframe(source, encoding="cp1252")
        if _garbled(raw):
            for encoding in ("cp1252", "utf-8"):
                try:
                    retry = pyogrio.read_dataframe(source, encoding=encoding)
                except UnicodeDecodeError:
                    continue
                if not _garbled(retry):
                    return retry
    except _READ_ERRORS as exc:
        detail = str(exc).split(";")[0].replace(str(path.resolve()), label)
        raise BoundaryError(
            f"Die Datei „{label}“ konnte nicht als Geodatei gelesen werden (GDAL: {detail})."
        ) from exc
    return raw


def _zip_source(path: Path, label: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            shps = [n for n in archive.namelist() if n.lower().endswith(".shp") and "__MACOSX" not in n]
    except zipfile.BadZipFile as exc:
        raise BoundaryError(f"„{label}“ ist kein gültiges ZIP-Archiv.") from exc
    if len(shps) != 1:
        found = "keine .shp-Datei" if not shps else "mehrere .shp-Dateien: " + ", ".join(shps)
        raise BoundaryError(
            f"Das ZIP-Archiv „{label}“ muss genau ein Shapefile enthalten, es enthält {found}."
        )
    return f"/vsizip/{path.resolve()}/{shps[0]}"


def _garbled(frame: pd.DataFrame) -> bool:
    text = frame.select_dtypes(include=["object", "str"])
    return any(text[c].astype(str).str.contains(_MOJIBAKE).any() for c in text.columns)


def _pick_field(
    fields: list[str],
    given: str | None,
    candidates: tuple[str, ...],
    suffixes: tuple[str, ...],
    label: str,
    exclude: tuple[str | None, ...] = (),
) -> str | None:
    """The given field (case-insensitive), else the first candidate, else the first suffix match."""
    lower = {f.casefold(): f for f in fields if f not in exclude and f.casefold() not in exclude}
    if given is not None:
        if given.casefold() not in {f.casefold() for f in fields}:
            raise BoundaryError(
                f"Das Feld „{given}“ gibt es in „{label}“ nicht. Vorhandene Felder: {', '.join(fields)}."
            )
        return next(f for f in fields if f.casefold() == given.casefold())
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return next((f for low, f in lower.items() if low.endswith(suffixes)), None) if suffixes else None


def _clean_name(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return unicodedata.normalize("NFC", str(value)).strip() or None


def _repair(geom: object, row: int, key: str | None, name: str | None, label: str) -> shapely.Geometry:
    """Valid 2D polygonal geometry, or BoundaryError naming the feature (1-based row in the file)."""
    what = f"Objekt {row + 1} ({', '.join(str(v) for v in (key, name) if v) or 'ohne Schlüssel/Name'})"
    if geom is None or shapely.is_empty(geom):
        raise BoundaryError(f"In „{label}“ hat {what} keine Geometrie.")
    geom = shapely.force_2d(geom)
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts) if parts else shapely.Polygon()
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise BoundaryError(f"In „{label}“ ist {what} keine Fläche ({geom.geom_type}).")
    return geom


def _crs_of(raw: gpd.GeoDataFrame, label: str) -> object:
    """The file's CRS; lon/lat assumed when none is declared and the coordinates fit."""
    x0, y0, x1, y1 = raw.total_bounds
    lonlat = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    if raw.crs is None and not lonlat:
        raise BoundaryError(
            f"„{label}“ hat kein Koordinatensystem (.prj fehlt), und die Koordinaten sind keine "
            "Längen-/Breitengrade. Bitte die Datei mit .prj-Datei oder in EPSG:4326 exportieren."
        )
    if raw.crs is not None and raw.crs.is_geographic and not lonlat:
        raise BoundaryError(
            f"Die Koordinaten in „{label}“ passen nicht zum angegebenen Koordinatensystem "
            f"({raw.crs.name}): x-Werte bis {max(abs(x0), abs(x1)):.0f} sind keine Längen-/Breitengrade. "
            "Bitte das richtige Koordinatensystem angeben oder in EPSG:4326 exportieren."
        )
    return raw.crs if raw.crs is not None else WGS84


def _check_unique(keys: pd.Series, noun: str, label: str) -> None:
    rows = pd.Series(range(1, len(keys) + 1), index=keys.index)
    dupes = rows[keys.notna() & keys.duplicated(keep=False)].groupby(keys).agg(list)
    if not dupes.empty:
        detail = "; ".join(f"„{k}“ (Objekte {', '.join(map(str, r))})" for k, r in dupes.items())
        raise BoundaryError(f"In „{label}“ kommen {noun} mehrfach vor: {detail}.")
