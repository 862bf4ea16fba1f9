"""Read district boundaries from any common GIS file, repair, simplify and match them to districts.

Everything returned is in EPSG:4326 with the columns ``district_id`` (string key or NA), ``name``,
``area_km2`` and ``geometry``. Errors the user can fix are raised as :class:`BoundaryError` with a
German message per problem, each naming the file (and the field, layer or feature concerned).

Files come from outside: a ZIP archive is checked (size, entry count, paths) before anything in it is
read, only the chosen Shapefile's parts are read, into memory, and no text of GDAL reaches the user.
"""

from __future__ import annotations

import io
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
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
GERMANY = (5.8, 47.2, 15.1, 55.1)  # rough lon/lat box around Germany
MAX_BYTES = 200 * 1024**2  # a boundary file, or all of a ZIP archive unpacked
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_RATIO = 100  # unpacked/packed size of one entry above 1 MB: a ZIP bomb, not a Shapefile
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_MAGIC = {".gpkg": b"SQLite format 3\x00", ".shp": b"\x00\x00\x27\x0a"}
_SHAPE_TYPES = {0: None, 1: "Point", 3: "LineString", 5: "Polygon", 8: "MultiPoint"}  # +10 Z, +20 M
_GEOMETRY_WORDS = {"Polygon": "Flächen", "Point": "Punkte", "LineString": "Linien", None: "ohne Geometrie"}
_NUMBER_PREFIX = re.compile(r"^\s*\d+\s*[.:)\-–]?\s*")
_AND = re.compile(r"(?i)\bu\.|&|\+|\bund\b")


class BoundaryError(ValueError):
    """A boundary file cannot be used; ``problems`` holds one German message per problem found."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class BoundaryFile:
    """Outcome of :func:`read_boundary_file`: the boundaries, what was done to them, and the layer read."""

    boundaries: gpd.GeoDataFrame
    warnings: list[str]
    layer: str | None = None


@dataclass
class MatchResult:
    """Outcome of :func:`match_districts`."""

    matched: gpd.GeoDataFrame
    unmatched_boundaries: list[str]
    unmatched_districts: list[str]
    by: str = "key"  # "key" or "name": how boundaries were matched
    inexact: list[str] = field(default_factory=list)  # German notes on names matched only loosely

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
    path: str | Path, id_field: str | None = None, name_field: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """The boundaries of :func:`read_boundary_file`, without its notes."""
    return read_boundary_file(path, id_field, name_field, layer).boundaries


def read_boundary_file(
    path: str | Path, id_field: str | None = None, name_field: str | None = None, layer: str | None = None
) -> BoundaryFile:
    """Read a GeoJSON, GeoPackage, Shapefile or zipped Shapefile into repaired EPSG:4326 boundaries.

    Fields are detected case-insensitively unless given. Keys become stripped strings (leading zeros
    kept, ``101.0`` → ``"101"``); without an id field ``district_id`` is NA and matching uses names.
    Features sharing key and name (one district drawn in parts) are dissolved into one. A file with
    several layers (GeoPackage) or Shapefiles (ZIP) needs ``layer`` unless only one holds areas.
    Every problem of the file is collected and raised together as one :class:`BoundaryError`.
    """
    path = Path(path)
    label = path.name
    _check_file(path, label)
    raw, chosen, notes = _read_layer(path, label, layer)
    if raw.empty:
        raise BoundaryError(f"Die Datei „{label}“ enthält keine Flächen.")
    problems: list[str] = []
    fields = [c for c in raw.columns if c != raw.geometry.name]
    id_col = _collect(problems, _pick_field, fields, id_field, ID_CANDIDATES, ID_SUFFIXES, label, NOT_IDS)
    if id_col is None and id_field is None:
        id_col = _pick_field(fields, None, ID_LAST_RESORT, (), label)
    exclude = (id_col,)
    name_col = _collect(
        problems, _pick_field, fields, name_field, NAME_CANDIDATES, NAME_SUFFIXES, label, exclude
    )
    if id_col is None and name_col is None and not problems:
        problems.append(
            f"In „{label}“ wurde keine Spalte mit Schlüssel oder Name der Gebiete gefunden. "
            f"Vorhandene Felder: {', '.join(fields) or 'keine'}."
        )
    ids = raw[id_col].map(normalise_key) if id_col else pd.Series(None, index=raw.index, dtype=object)
    names = raw[name_col].map(_clean_name).where(lambda n: n.notna(), ids) if name_col else ids
    geoms = _repair_all(raw.geometry, ids, names, label, problems)
    crs = _collect(problems, _crs_of, raw, label)
    ids, names, geoms, merged = _dissolve(ids, names, geoms, id_col is not None, label, problems)
    if problems:
        raise BoundaryError(problems)
    out = gpd.GeoDataFrame(
        {"district_id": pd.array(ids, dtype="str"), "name": pd.array(names, dtype="str")},
        geometry=gpd.GeoSeries(geoms, crs=crs),
    )
    out["area_km2"] = out.geometry.to_crs(METRIC_CRS).area / 1e6
    out = out.to_crs(WGS84)
    problems += _place_problems(out, raw, crs, label)
    if problems:
        raise BoundaryError(problems)
    return BoundaryFile(out[["district_id", "name", "area_km2", "geometry"]], notes + merged, chosen)


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
    boundaries without a key match by normalised name, failing that by a looser form (without a number
    prefix and "und"/"u."/"&"); every name that is not spelled exactly like the district's is noted in
    ``inexact``. If the file has keys but none is known (another key scheme), all boundaries go by name.
    Names that occur twice among the districts never match, and a district claimed by a second boundary
    leaves that boundary unmatched. Pass the districts of one level only: names repeat across levels.
    """
    keys = [k for k in districts["district_id"].map(normalise_key) if k is not None]
    names = dict(zip(districts["district_id"].map(normalise_key), districts["name"].astype(str), strict=True))
    by_key = _unique_lookup(keys, lambda k: k.lstrip("0"))
    by_key.update(dict(zip(keys, keys, strict=True)))
    by_name = _unique_lookup(keys, lambda k: normalise_name(names[k]))
    by_loose = _unique_lookup(keys, lambda k: _loose_name(names[k]))
    file_keys = boundaries["district_id"].map(normalise_key)
    by = "key" if any(k is not None and _find_key(k, by_key) for k in file_keys) else "name"
    hits: list[str | None] = []
    unmatched: list[str] = []
    inexact: list[str] = []
    for key, name in zip(file_keys, boundaries["name"], strict=True):
        if by == "key" and key is not None:
            hit, label = _find_key(key, by_key), key
        else:
            hit = by_name.get(normalise_name(name)) or by_loose.get(_loose_name(name))
            label = str(name)
        hit = None if hit in hits else hit
        hits.append(hit)
        if hit is None:
            unmatched.append(label)
        elif label == str(name) and label != names[hit]:
            inexact.append(f"„{label}“ aus der Datei wurde „{names[hit]}“ (Schlüssel {hit}) zugeordnet.")
    found = [h for h in hits if h is not None]
    matched = boundaries.loc[[h is not None for h in hits]].copy()
    matched["district_id"] = pd.array(found, dtype="str")
    matched["name"] = pd.array([names[k] for k in found], dtype="str")
    used = set(found)
    missing = [k for k in keys if k not in used]
    return MatchResult(matched.reset_index(drop=True), unmatched, missing, by, inexact)


def _loose_name(name: object) -> str:
    """:func:`normalise_name` without a leading number ("03 Nord") and without "und"/"u."/"&"/"+"."""
    text = unicodedata.normalize("NFC", str(name))
    stripped = _NUMBER_PREFIX.sub("", text)
    if re.search(r"[^\W\d_]", stripped):
        text = stripped
    return normalise_name(_AND.sub(" ", text))


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


def _collect(problems: list[str], func: Callable, *args: object) -> object:
    """``func(*args)``; a BoundaryError it raises is added to ``problems`` and None returned."""
    try:
        return func(*args)
    except BoundaryError as err:
        problems.extend(err.problems)
        return None


def _check_file(path: Path, label: str) -> None:
    """Refuse what is missing, not a boundary format, too large, or not what its name says."""
    if not path.is_file():
        raise BoundaryError(f"Die Datei „{label}“ wurde nicht gefunden.")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BoundaryError(
            f"Das Format von „{label}“ wird nicht unterstützt. Erlaubt sind GeoJSON, GeoPackage, "
            "Shapefile (.shp) oder ein ZIP-Archiv mit Shapefile."
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise BoundaryError(
            f"„{label}“ ist {_megabytes(size)} groß; Grenzdateien dürfen höchstens {_megabytes(MAX_BYTES)} groß sein."
        )
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise BoundaryError(f"Die Datei „{label}“ ist leer.")
    kind = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".shp": "Shapefile"}.get(suffix)
    looks_right = (
        head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
        if kind == "GeoJSON"
        else head.startswith(_MAGIC.get(suffix, b""))
    )
    if kind and not looks_right:
        raise BoundaryError(f"Die Datei „{label}“ ist keine {kind}-Datei, auch wenn ihr Name so endet.")


def area_layers(path: str | Path) -> list[str]:
    """The layers of a GeoPackage (or the Shapefiles of a ZIP archive) that hold areas, so a person can
    choose one; empty for a file with a single layer. Raises BoundaryError as reading would."""
    path = Path(path)
    label, suffix = path.name, path.suffix.lower()
    if suffix == ".gpkg":
        found = _translated(lambda: pyogrio.list_layers(str(path)), label)
        layers = [(str(name), _geometry_kind(kind)) for name, kind in found]
    elif suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                _, _, layers = _zip_layers(archive, label)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
            raise BoundaryError(f"„{label}“ ist kein gültiges ZIP-Archiv oder ist beschädigt.") from exc
    else:
        return []
    polygonal = [name for name, kind in layers if kind == "Polygon"]
    return polygonal if len(polygonal) > 1 else []


def _read_layer(path: Path, label: str, layer: str | None) -> tuple[gpd.GeoDataFrame, str | None, list[str]]:
    """The chosen layer as read by pyogrio, its name (if the file has several) and notes on the choice."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        source, chosen, layers = _zip_source(path, label, layer)
    else:
        if suffix == ".shp":
            _check_shapefile_parts([p.name for p in path.parent.iterdir()], path.name, label)
        source, chosen, layers = str(path), None, []
        if suffix == ".gpkg":
            found = _translated(lambda: pyogrio.list_layers(source), label)
            layers = [(str(name), _geometry_kind(kind)) for name, kind in found]
            chosen = _choose_layer(layers, layer, label)
    notes = []
    if layer is None and len(layers) > 1:
        notes.append(f"„{label}“ hat mehrere Ebenen; gelesen wurde „{chosen}“, die einzige mit Flächen.")
    return _read_frame(source, None if suffix == ".zip" else chosen, label), chosen, notes


def _read_frame(source: str | bytes, layer: str | None, label: str) -> gpd.GeoDataFrame:
    """Read with pyogrio; retry other encodings when a Shapefile's text is not what it claims."""

    def read(encoding: str | None = None) -> gpd.GeoDataFrame:
        opened = io.BytesIO(source) if isinstance(source, bytes) else source
        return pyogrio.read_dataframe(opened, layer=layer, encoding=encoding)

    def attempt() -> gpd.GeoDataFrame:
        try:
            raw = read()
        except UnicodeDecodeError:
            raw = read("cp1252")
        if _garbled(raw):
            for encoding in ("cp1252", "utf-8"):
                try:
                    retry = read(encoding)
                except UnicodeDecodeError:
                    continue
                if not _garbled(retry):
                    return retry
        return raw

    return _translated(attempt, label)


def _translated(func: Callable, label: str) -> object:
    """``func()``, with GDAL's (English) errors turned into a German BoundaryError naming the file."""
    try:
        return func()
    except _READ_ERRORS as exc:
        text = str(exc).lower()
        if ".shx" in text:
            reason = "die Indexdatei (.shx) des Shapefiles fehlt oder ist beschädigt"
        elif ".dbf" in text:
            reason = "die Attributdatei (.dbf) des Shapefiles fehlt oder ist beschädigt"
        elif "not recognized" in text or "not a supported" in text or "unsupported" in text:
            reason = "das Format wurde nicht erkannt"
        else:
            reason = "sie ist beschädigt oder unvollständig"
        raise BoundaryError(
            f"Die Datei „{label}“ konnte nicht als Geodatei gelesen werden: {reason}. Bitte die Datei "
            "erneut als GeoJSON, GeoPackage oder Shapefile (.shp mit .shx, .dbf und .prj) exportieren."
        ) from exc


def _zip_source(path: Path, label: str, layer: str | None) -> tuple[bytes, str, list[tuple[str, str | None]]]:
    """The chosen Shapefile of an archive, re-packed in memory with only its parts and plain names.

    The archive's directory is checked first (entry count, unpacked size, ZIP-bomb ratios, absolute or
    ``..`` paths, links, encryption); nothing is unpacked unless every entry passes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            shps, names, layers = _zip_layers(archive, label)
            if not shps:
                raise BoundaryError(f"Das ZIP-Archiv „{label}“ enthält keine .shp-Datei.")
            infos = archive.infolist()
            chosen = _choose_layer(layers, layer, label)
            shp = next(i for i in shps if names[i.filename] == chosen)
            stem = shp.filename[:-4].lower()
            entries = {i.filename.lower(): i for i in infos}
            _check_shapefile_parts(list(entries), shp.filename, label)
            packed = io.BytesIO()
            with zipfile.ZipFile(packed, "w") as clean:
                for ext in SHAPEFILE_PARTS:
                    if stem + ext in entries:
                        clean.writestr("grenzen" + ext, archive.read(entries[stem + ext]))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise BoundaryError(f"„{label}“ ist kein gültiges ZIP-Archiv oder ist beschädigt.") from exc
    return packed.getvalue(), chosen, layers


def _zip_layers(
    archive: zipfile.ZipFile, label: str
) -> tuple[list[zipfile.ZipInfo], dict[str, str], list[tuple[str, str | None]]]:
    """The Shapefiles of a checked archive (entry count, sizes, paths — refused before anything is
    read), their layer names and geometry kinds."""
    infos = archive.infolist()
    problems = _zip_problems(infos, label)
    if problems:
        raise BoundaryError(problems)
    shps = [i for i in infos if i.filename.lower().endswith(".shp") and not _zip_clutter(i.filename)]
    names = _layer_names([i.filename for i in shps])
    return shps, names, [(names[i.filename], _shape_type(archive.open(i).read(100))) for i in shps]


def _zip_problems(infos: list[zipfile.ZipInfo], label: str) -> list[str]:
    """Everything that makes an archive unsafe to unpack, judged from its directory alone."""
    problems = []
    if len(infos) > MAX_ZIP_ENTRIES:
        problems.append(
            f"Das ZIP-Archiv „{label}“ enthält {len(infos)} Einträge; ein Shapefile braucht nur wenige "
            f"(erlaubt sind höchstens {MAX_ZIP_ENTRIES})."
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_BYTES:
        problems.append(
            f"Das ZIP-Archiv „{label}“ wäre entpackt {_megabytes(total)} groß; erlaubt sind höchstens "
            f"{_megabytes(MAX_BYTES)}."
        )
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            problems.append(
                f"Das ZIP-Archiv „{label}“ enthält den Eintrag „{name}“, der aus dem Archiv heraus zeigt "
                "(absoluter Pfad oder „..“). Solche Archive werden nicht geöffnet."
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(
                f"Das ZIP-Archiv „{label}“ enthält die Verknüpfung „{name}“; das ist nicht erlaubt."
            )
        if info.flag_bits & 0x1:
            problems.append(
                f"Der Eintrag „{name}“ in „{label}“ ist verschlüsselt; bitte ohne Passwort packen."
            )
        if info.file_size > 1024**2 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            problems.append(
                f"Der Eintrag „{name}“ in „{label}“ ist {info.file_size // max(info.compress_size, 1)}-fach "
                "gepackt (ZIP-Bombe?); Geodaten lassen sich nicht so stark packen. Die Datei wird nicht entpackt."
            )
    return problems


def _zip_clutter(name: str) -> bool:
    return "__MACOSX" in name or Path(name).name.startswith("._")


def _layer_names(paths: list[str]) -> dict[str, str]:
    """Shapefile path → layer name: the file name without .shp, or the whole path if names repeat."""
    stems = [Path(p).stem for p in paths]
    return {p: s if stems.count(s) == 1 else p[:-4] for p, s in zip(paths, stems, strict=True)}


def _check_shapefile_parts(names: list[str], shp: str, label: str) -> None:
    """A Shapefile needs its .shx and .dbf beside the .shp (any case of the extension)."""
    present = {n.lower() for n in names}
    stem = shp[:-4].lower()
    missing = [ext for ext in (".shx", ".dbf") if stem + ext not in present]
    where = "" if Path(shp).name == label else f" in „{label}“"
    if missing:
        raise BoundaryError(
            f"Zum Shapefile „{Path(shp).name}“{where} fehlt {' und '.join(missing)}. Ein Shapefile "
            "besteht aus mehreren Dateien (.shp, .shx, .dbf, .prj); bitte alle zusammen liefern, am besten als ZIP."
        )


def _shape_type(header: bytes) -> str | None:
    """Geometry kind from a .shp header (offset 32, little endian), as pyogrio.list_layers names them."""
    if len(header) < 36 or not header.startswith(_MAGIC[".shp"]):
        return "Unbekannt"
    code = int.from_bytes(header[32:36], "little")
    return _SHAPE_TYPES.get(code % 10 if code >= 10 else code, "Unbekannt")


def _geometry_kind(kind: object) -> str | None:
    """pyogrio's geometry type names folded to Polygon, Point, LineString, None or the name itself."""
    if kind is None:
        return None
    text = str(kind).replace("Multi", "").replace(" Z", "").replace(" M", "").replace("25D", "")
    return text.strip() if text.strip() in _GEOMETRY_WORDS else str(kind)


def _choose_layer(layers: list[tuple[str, str | None]], wanted: str | None, label: str) -> str:
    """The layer asked for, the only layer, or the only layer with areas; otherwise ask."""
    listing = ", ".join(f"„{n}“ ({_GEOMETRY_WORDS.get(k, 'gemischte Geometrie')})" for n, k in layers)
    if wanted is not None:
        hit = [n for n, _ in layers if n.casefold() == wanted.casefold()]
        if not hit:
            raise BoundaryError(
                f"Die Ebene „{wanted}“ gibt es in „{label}“ nicht. Vorhandene Ebenen: {listing}."
            )
        return hit[0]
    polygonal = [n for n, k in layers if k == "Polygon"]
    if len(layers) == 1 or len(polygonal) == 1:
        return polygonal[0] if polygonal else layers[0][0]
    if not polygonal:
        raise BoundaryError(f"Keine Ebene in „{label}“ enthält Flächen. Vorhandene Ebenen: {listing}.")
    raise BoundaryError(
        f"„{label}“ enthält mehrere Ebenen mit Flächen: {listing}. Bitte die Ebene mit den Grenzen "
        "angeben (--layer NAME)."
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB".replace(",", ".")


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
    if not np.isfinite([x0, y0, x1, y1]).all():  # no geometry at all: said by _repair_all
        return raw.crs if raw.crs is not None else WGS84
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
    if raw.crs is not None and raw.crs.is_projected and lonlat:
        epsg = raw.crs.to_epsg()
        declared = f"{raw.crs.name}" + (f", EPSG:{epsg}" if epsg else "")
        raise BoundaryError(
            f"Die Koordinaten in „{label}“ sind Längen-/Breitengrade ({_lonlat_text((x0, y0, x1, y1))}), "
            f"die Datei gibt aber ein metrisches Koordinatensystem an ({declared}); so lägen die Gebiete als "
            "winzige Flächen bei 0° Länge/0° Breite. Bitte die Datei als EPSG:4326 exportieren oder die "
            ".prj-Datei bzw. crs-Angabe berichtigen."
        )
    return raw.crs if raw.crs is not None else WGS84


def _repair_all(
    geoms: gpd.GeoSeries, ids: pd.Series, names: pd.Series, label: str, problems: list[str]
) -> list[shapely.Geometry | None]:
    """Repaired geometries (None where a feature cannot be used; its problem added to ``problems``)."""
    found: list[str] = []
    out = [
        _collect(found, _repair, g, i, k, n, label)
        for i, (g, k, n) in enumerate(zip(geoms, ids, names, strict=True))
    ]
    kinds = {g.geom_type for g in geoms if g is not None and not shapely.is_empty(g)}
    if not kinds:
        found = [
            f"In „{label}“ hat kein Objekt eine Geometrie; die Datei ist beschädigt oder enthält nur Sachdaten."
        ]
    elif found and all(g is None for g in out) and not kinds & {"Polygon", "MultiPolygon"}:
        found = [
            f"„{label}“ enthält keine Flächen, nur {', '.join(sorted(kinds))}. Grenzen müssen Flächen sein."
        ]
    problems.extend(found)
    return out


def _dissolve(
    ids: pd.Series, names: pd.Series, geoms: list, keyed: bool, label: str, problems: list[str]
) -> tuple[list, list, list, list[str]]:
    """One feature per key (or per name without keys): parts of one district are united.

    The same key under different names is a problem; parts with the same key and name become one
    (Multi)Polygon, with a note naming the key and the features (1-based, as GIS programs count).
    """
    keys = list(ids if keyed else names)
    rows: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None and not pd.isna(key):
            rows.setdefault(key, []).append(i)
    names, geoms, notes, drop = list(names), list(geoms), [], set()
    for key, group in rows.items():
        if len(group) < 2:
            continue
        objects = f"Objekte {', '.join(str(i + 1) for i in group)}"
        labels = list(dict.fromkeys(names[i] for i in group))
        if len(labels) > 1:
            problems.append(
                f"In „{label}“ kommen Schlüssel mehrfach mit verschiedenen Namen vor: „{key}“ ({objects}) "
                f"heißt {', '.join(f'„{n}“' for n in labels)}. Ein Schlüssel darf nur ein Gebiet bezeichnen; "
                "bitte Schlüssel oder Namen in der Datei berichtigen."
            )
            continue
        parts = [geoms[i] for i in group if geoms[i] is not None]
        geoms[group[0]] = shapely.union_all(parts) if parts else None
        drop.update(group[1:])
        what = f"Schlüssel „{key}“ ({labels[0]})" if keyed else f"Name „{key}“"
        notes.append(
            f"{what} steht in „{label}“ in {len(group)} Objekten ({objects}); sie wurden zu einer Fläche "
            "zusammengefasst."
        )
    keep = [i for i in range(len(keys)) if i not in drop]
    return [list(ids)[i] for i in keep], [names[i] for i in keep], [geoms[i] for i in keep], notes


def _place_problems(out: gpd.GeoDataFrame, raw: gpd.GeoDataFrame, crs: object, label: str) -> list[str]:
    """The boundaries must lie in Germany; swapped axes are recognised and named as such."""
    bounds = tuple(float(b) for b in out.total_bounds)
    if _inside(bounds, GERMANY):
        return []
    x0, y0, x1, y1 = raw.total_bounds
    swapped = gpd.GeoSeries([shapely.box(y0, x0, y1, x1)], crs=crs).to_crs(WGS84).total_bounds
    where = _lonlat_text(bounds)
    if _inside(tuple(float(b) for b in swapped), GERMANY):
        return [
            f"In „{label}“ sind Rechts- und Hochwert (bzw. Länge und Breite) vertauscht: die Grenzen lägen "
            f"bei {where}, vertauscht in Deutschland. Bitte die Datei mit der richtigen Achsenreihenfolge "
            "exportieren (Länge zuerst, z. B. EPSG:4326 als GeoJSON)."
        ]
    return [
        f"Die Grenzen in „{label}“ liegen nicht in Deutschland ({where}). Bitte prüfen, ob das "
        "Koordinatensystem (.prj oder crs-Angabe) zur Datei passt, und sie in EPSG:4326 oder EPSG:25832 exportieren."
    ]


def _inside(bounds: tuple[float, ...], frame: tuple[float, float, float, float]) -> bool:
    return frame[0] <= bounds[0] <= bounds[2] <= frame[2] and frame[1] <= bounds[1] <= bounds[3] <= frame[3]


def _lonlat_text(bounds: tuple[float, ...]) -> str:
    def num(v: float) -> str:
        return f"{v:.2f}".replace(".", ",") if np.isfinite(v) else "unbestimmt"

    return f"Länge {num(bounds[0])} bis {num(bounds[2])}, Breite {num(bounds[1])} bis {num(bounds[3])}"
