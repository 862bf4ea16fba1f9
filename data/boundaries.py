"""Import of Stadtteil boundaries (GeoJSON, GeoPackage, zipped Shapefile) into the districts table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem
from data.store import STADTTEIL, known_districts, writing


def import_boundaries(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    id_field: str | None = None,
    name_field: str | None = None,
    level: str = STADTTEIL,
    user: str | None = None,
) -> ImportReport:
    """Read, repair, reproject and simplify the boundaries, match them to the districts, store them.

    Districts the database does not know yet are added (with the file's key and name); every key or
    name that could not be matched is reported.
    """
    from geo.boundaries import BoundaryError, match_districts, read_boundaries, simplify_boundaries, to_wkb

    path = Path(path)
    try:
        gdf = simplify_boundaries(read_boundaries(path, id_field=id_field, name_field=name_field))
    except BoundaryError as err:
        raise DataImportError(path, str(err)) from err
    known = known_districts(db_path, municipality)
    known = known.loc[known["level"] == level, ["district_id", "district"]]
    warnings: list[Problem] = []
    if known.empty:
        matched = gdf.copy()
        if matched["district_id"].isna().all():
            matched["district_id"] = matched["name"]
    else:
        result = match_districts(gdf, known.rename(columns={"district": "name"}))
        matched = result.matched
        warnings.append(Problem(result.report(), severity="warning"))
        new = gdf[~gdf.index.isin(matched.index)] if result.unmatched_boundaries else gdf.iloc[0:0]
        if not new.empty and new["district_id"].notna().all():
            matched = pd.concat([matched, new])
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
