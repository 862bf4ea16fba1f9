"""The upload path of the page "Daten laden", without Streamlit: preview, check and import a file.

A check is the complete import run on a throw-away copy of the database (`data.store.dry_run`), so
the page reports exactly what the real import would refuse. Uploaded bytes stay in memory; only a
boundary file is put in a temporary folder for GDAL, and removed at once.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport
from data.store import dry_run


@dataclass(frozen=True)
class Kind:
    label: str
    types: tuple[str, ...]
    date: str  # "required", "optional" or "none"
    per_municipality: bool = True


KINDS = {
    "population": Kind("Bevölkerung je Stadtteil (CSV, XLSX)", ("csv", "xlsx", "txt"), "optional"),
    "register": Kind(
        "Melderegister-Auszug, personenbezogen – wird beim Import verdichtet (CSV)",
        ("csv", "txt"),
        "required",
    ),
    "boundaries": Kind(
        "Stadtteilgrenzen (GeoJSON, GeoPackage, Shapefile als ZIP)",
        ("geojson", "json", "gpkg", "zip"),
        "none",
    ),
    "allocations": Kind("Zuweisungen nach Herkunftsland (CSV, XLSX)", ("csv", "xlsx", "txt"), "none"),
    "quota": Kind(
        "Aufnahmeverpflichtung und Ist der Bezirksregierung (CSV, XLSX)",
        ("csv", "xlsx", "txt"),
        "none",
        per_municipality=False,
    ),
    "occupancy": Kind("Belegung der Unterkünfte (CSV, XLSX)", ("csv", "xlsx", "txt"), "none"),
}


def preview(kind: str, file_name: str, payload: bytes) -> tuple[pd.DataFrame, str]:
    """The first rows as read (or, for a person-level extract, only its columns), and a one-line summary."""
    path = Path(file_name)
    if kind == "register":
        from data.register import read_register

        frame = read_register(path, payload)
        columns = pd.DataFrame({"Spalte": frame.columns})
        return (
            columns,
            f"{len(frame):,} Personen; Inhalte werden aus Datenschutzgründen nicht angezeigt.".replace(
                ",", "."
            ),
        )
    if kind == "boundaries":
        from geo.boundaries import BoundaryError, read_boundaries

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / path.name
            target.write_bytes(payload)
            try:
                gdf = read_boundaries(target)
            except BoundaryError as err:
                raise DataImportError(path, str(err)) from err
        table = pd.DataFrame(
            {"Schlüssel": gdf["district_id"], "Name": gdf["name"], "Fläche (km²)": gdf["area_km2"].round(2)}
        )
        return table, f"{len(gdf)} Gebiete"
    from data.parsing import read_table
    from data.population import KNOWN_HEADERS

    frame = read_table(path, payload, known=KNOWN_HEADERS if kind == "population" else None)
    return frame.head(20), f"{len(frame)} Zeilen, {len(frame.columns)} Spalten"


def columns_of(file_name: str, payload: bytes) -> list[str]:
    from data.parsing import read_table
    from data.population import KNOWN_HEADERS

    return list(read_table(Path(file_name), payload, known=KNOWN_HEADERS).columns)


def run_import(
    kind: str,
    file_name: str,
    payload: bytes,
    db_path: Path,
    municipality: str,
    reference_date: date | None = None,
    mapping: dict[str, str] | None = None,
    user: str | None = None,
    check_only: bool = False,
) -> ImportReport:
    """Import (or, with `check_only`, check) one uploaded file. Raises DataImportError when refused."""
    path = Path(file_name)
    if check_only:
        with dry_run():
            return run_import(kind, file_name, payload, db_path, municipality, reference_date, mapping, user)
    if kind == "population":
        from data.population import import_population

        return import_population(path, db_path, municipality, reference_date, user, payload, mapping or None)
    if kind == "register":
        from data.register import import_register

        if reference_date is None:
            raise DataImportError(path, "Bitte den Stichtag des Auszugs angeben.")
        return import_register(path, db_path, municipality, reference_date, user, payload)
    if kind == "boundaries":
        from data.boundaries import import_boundaries

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / path.name
            target.write_bytes(payload)
            return import_boundaries(target, db_path, municipality, user=user)
    if kind == "allocations":
        from data.allocations import import_allocations

        return import_allocations(path, db_path, municipality, user, payload)
    if kind == "quota":
        from data.quota import import_quota

        return import_quota(path, db_path, user, payload)
    if kind == "occupancy":
        from data.occupancy import import_occupancy

        return import_occupancy(path, db_path, municipality, user, payload)
    raise ValueError(f"unknown kind {kind!r}")


def problems_table(err: DataImportError) -> pd.DataFrame:
    """Every finding of a refused file as rows: Zeile, Spalte, Meldung."""
    return pd.DataFrame(
        {
            "Zeile": [p.row if p.row is not None else "" for p in err.problems],
            "Spalte": [p.column or "" for p in err.problems],
            "Meldung": [p.message for p in err.problems],
        }
    )
