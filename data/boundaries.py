"""Import of Stadtteil boundaries (GeoJSON, GeoPackage, zipped Shapefile) into the districts table."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem
from data.store import STADTTEIL, Store, known_districts, writing

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.boundaries import MatchResult

MIN_MATCHED_SHARE = 0.5  # of the municipality's known districts of the level
MIN_AREA_INSIDE = 0.5  # of the file's area, within the municipality's stored area
AREA_MARGIN_M = 500.0  # stored boundaries are widened by this much before comparing


def import_boundaries(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    id_field: str | None = None,
    name_field: str | None = None,
    level: str = STADTTEIL,
    user: str | None = None,
    layer: str | None = None,
) -> ImportReport:
    """Read, repair, reproject and simplify the boundaries, match them to the districts, store them.

    Districts the database does not know yet are added (with the file's key and name); every key or
    name that could not be matched, every loosely matched name and every dissolved district is
    reported. A file is refused, with every problem at once, when it matches fewer than half of the
    municipality's known districts of the level, lies outside the area already stored for the
    municipality, or would give a district of another level a boundary.
    """
    from geo.boundaries import BoundaryError, match_districts, read_boundary_file, simplify_boundaries, to_wkb

    path = Path(path)
    try:
        read = read_boundary_file(path, id_field=id_field, name_field=name_field, layer=layer)
    except BoundaryError as err:
        raise DataImportError(path, [Problem(p) for p in err.problems]) from err
    gdf = simplify_boundaries(read.boundaries)
    warnings = [Problem(w, severity="warning") for w in read.warnings]
    everything = known_districts(db_path, municipality)
    known = everything.loc[everything["level"] == level, ["district_id", "district"]]
    problems: list[Problem] = []
    if known.empty:
        matched = gdf.copy()
        if matched["district_id"].isna().all():
            matched["district_id"] = matched["name"]
    else:
        result = match_districts(gdf, known.rename(columns={"district": "name"}))
        matched = result.matched
        warnings.append(Problem(result.report(), severity="warning"))
        warnings += [Problem(note, severity="warning") for note in result.inexact]
        problems += _too_few_matched(result, gdf, everything, municipality, level)
        new = gdf[~gdf.index.isin(matched.index)] if result.unmatched_boundaries else gdf.iloc[0:0]
        if not new.empty and new["district_id"].notna().all():
            matched = pd.concat([matched, new])
    problems += _other_level(matched, everything, level)
    problems += _outside_stored_area(gdf, db_path, municipality)
    if problems:
        raise DataImportError(path, problems)
    if matched.empty:
        raise DataImportError(path, "Keine einzige Grenze passt zu den Stadtteilen der Datenbank.")
    with writing(db_path) as w:
        import_id = w.start_import(
            "boundaries", municipality, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), user
        )
        w.ensure_municipality(municipality)
        w.archive_districts(municipality, matched["district_id"].tolist(), import_id)
        new = matched[~matched["district_id"].isin(known["district_id"])]
        if not new.empty:  # districts the database did not know yet, under the file's names
            w.upsert_districts(municipality, pd.DataFrame(new[["district_id", "name"]]).assign(level=level))
        frame = pd.DataFrame(
            {
                "district_id": matched["district_id"].to_numpy(),
                "geometry": to_wkb(matched),
                "area_km2": matched["area_km2"].to_numpy(),
            }
        )
        n = w.set_geometry(municipality, frame, import_id)
        w.finish_import(import_id, n, "die bisherigen Grenzen dieser Stadtteile")
    return ImportReport("Grenzen", path.name, municipality, n, warnings=warnings)


def _too_few_matched(
    result: MatchResult, gdf: gpd.GeoDataFrame, everything: pd.DataFrame, municipality: str, level: str
) -> list[Problem]:
    """Refuse boundaries that cover fewer than half of the known districts: another city or level."""
    from geo.boundaries import match_districts

    known = len(result.matched) + len(result.unmatched_districts)
    if len(result.matched) >= MIN_MATCHED_SHARE * known:
        return []
    examples = ", ".join(f"„{n}“" for n in gdf["name"].head(3))
    message = (
        f"Nur {len(result.matched)} der {known} Gebiete der Ebene {level} von {municipality} kommen in der "
        f"Datei vor (sie hat {len(gdf)} Gebiete, z. B. {examples}). Die Grenzen gehören wohl zu einer "
        "anderen Kommune: bitte die Datei prüfen oder die richtige Kommune mit --municipality angeben."
    )
    other = everything.loc[everything["level"] != level, ["district_id", "district"]]
    for other_level, districts in other.groupby(everything["level"]):
        hits = match_districts(gdf, districts.rename(columns={"district": "name"})).matched
        if len(hits) >= MIN_MATCHED_SHARE * len(districts):
            message = (
                f"Nur {len(result.matched)} der {known} Gebiete der Ebene {level} von {municipality} kommen "
                f"in der Datei vor, aber {len(hits)} der {len(districts)} Gebiete der Ebene {other_level}. "
                f"Bitte mit --level {other_level} importieren."
            )
    return [Problem(message)]


def _other_level(matched: pd.DataFrame, everything: pd.DataFrame, level: str) -> list[Problem]:
    """A new district must not take the key of a district of another level (it would change level)."""
    other = everything.loc[everything["level"] != level].set_index("district_id")
    clash = [k for k in matched["district_id"] if k in other.index]
    return [
        Problem(
            f"Der Schlüssel „{k}“ gehört in der Datenbank zu „{other.at[k, 'district']}“ "
            f"(Ebene {other.at[k, 'level']}), nicht zur Ebene {level}. Bitte die Ebene (--level) oder die "
            "Schlüssel der Datei prüfen."
        )
        for k in clash
    ]


def _outside_stored_area(gdf: gpd.GeoDataFrame, db_path: str | Path, municipality: str) -> list[Problem]:
    """Refuse boundaries lying mostly outside the area the municipality's stored boundaries cover."""
    import shapely

    from geo.boundaries import METRIC_CRS, bounds_of, from_wkb

    if not Path(db_path).exists():
        return []
    store = Store(db_path)
    try:
        stored = [from_wkb(store.boundaries(municipality, lvl)) for lvl in store.levels(municipality)]
    finally:
        store.close()
    stored = [s for s in stored if not s.empty]
    if not stored:
        return []
    old = shapely.union_all([shapely.union_all(s.to_crs(METRIC_CRS).geometry.values) for s in stored]).buffer(
        AREA_MARGIN_M
    )
    new = shapely.union_all(gdf.to_crs(METRIC_CRS).geometry.values)
    inside = new.intersection(old).area / new.area if new.area else 0.0
    if inside >= MIN_AREA_INSIDE:
        return []
    here = pd.concat(stored)
    return [
        Problem(
            f"Die Grenzen liegen außerhalb des Gebiets, das für {municipality} schon gespeichert ist (nur "
            f"{inside * 100:.0f} % ihrer Fläche liegen darin; gespeichert: {_extent(bounds_of(here))}, Datei: "
            f"{_extent(bounds_of(gdf))}). Bitte prüfen, ob die Datei zu {municipality} gehört und ihr "
            "Koordinatensystem stimmt."
        )
    ]


def _extent(bounds: tuple[float, float, float, float]) -> str:
    lon0, lat0, lon1, lat1 = (f"{b:.2f}".replace(".", ",") for b in bounds)
    return f"Länge {lon0}–{lon1}, Breite {lat0}–{lat1}"
