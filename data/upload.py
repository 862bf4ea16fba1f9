"""The upload path of the page "Daten laden", without Streamlit: preview, check and import a file.

A check is the complete import run on a throw-away copy of the database (`data.store.dry_run`), so
the page reports exactly what the real import would refuse. Uploaded bytes stay in memory — also in
the web server, see `keep_uploads_in_memory` — only a boundary file (public geodata, never personal)
is put in a temporary folder for GDAL, and removed at once. After an import the page reports what the
database now holds, read back from it, so a wrong Stichtag cannot hide behind a success message.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, rows_text
from data.store import Store, dry_run, link_target, take_notes
from settings import event

log = logging.getLogger("integrationsmonitor.events")


@dataclass(frozen=True)
class Kind:
    label: str
    types: tuple[str, ...]
    date: str  # "required", "optional" or "none"
    per_municipality: bool = True


KINDS = {
    "population": Kind(
        "Bevölkerung je Stadtteil (CSV, XLSX, XLS, ODS)", ("csv", "xlsx", "xls", "ods", "txt"), "optional"
    ),
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
    "zensus": Kind(
        "Zensus 2022 Gitterzellen, Stichtag 15.05.2022 (CSV oder ZIP von Destatis, mehrere Dateien zusammen)",
        ("csv", "zip", "txt"),
        "none",
    ),
    # the description of the indicator comes with the file: `mapping` holds its fields (see run_import)
    "indicator": Kind(
        "Eigene Kennzahl je Stadtteil, z. B. SGB II, Kinder unter 6 (CSV, XLSX, XLS, ODS)",
        ("csv", "xlsx", "xls", "ods", "txt"),
        "optional",
    ),
}
# issue 19: the levels above the municipalities, by AGS (data.regions)
KINDS["gemeinden"] = Kind(
    "Gemeinden, Kreis und Land nach AGS (GENESIS/IT.NRW-Export: CSV, XLSX)",
    ("csv", "xlsx", "xls", "ods", "txt"),
    "optional",
    per_municipality=False,
)
KINDS["gemeindegrenzen"] = Kind(
    "Gemeindegrenzen nach AGS (GeoJSON, GeoPackage, Shapefile als ZIP)",
    ("geojson", "json", "gpkg", "zip"),
    "none",
    per_municipality=False,
)
REGION_KINDS = ("gemeinden", "gemeindegrenzen")


def parts(kind: str, file_name: str, payload: bytes) -> list[str]:
    """The sheets of a workbook that hold a table, or the layers of a GeoPackage/ZIP that hold areas,
    when there are several to choose from (else [])."""
    path = Path(file_name)
    if kind in ("boundaries", "gemeindegrenzen") and path.suffix.lower() in (".gpkg", ".zip"):
        from geo.boundaries import BoundaryError, area_layers

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / path.name
            target.write_bytes(payload)
            try:
                return area_layers(target)
            except BoundaryError as err:
                raise DataImportError(path, str(err)) from err
    if kind == "population" and path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        from data.parsing import read_tables
        from data.population import KNOWN_HEADERS

        sheets = [frame.attrs.get("sheet") for frame in read_tables(path, payload, known=KNOWN_HEADERS)]
        return [s for s in sheets if s] if len(sheets) > 1 else []
    return []


def preview(kind: str, file_name: str, payload: bytes, part: str | None = None) -> tuple[pd.DataFrame, str]:
    """The first rows as read (or, for a person-level extract, only its columns), and a one-line summary.
    `part`: the sheet or layer chosen (see `parts`)."""
    path = Path(file_name)
    if kind in REGION_KINDS:
        from data.regions import preview_file

        return preview_file(kind, path, payload, part)
    if kind == "register":
        from data.register import read_register

        frame = read_register(path, payload)
        columns = pd.DataFrame({"Spalte": frame.columns})
        return (
            columns,
            f"{_count(len(frame), 'Person', 'Personen')}; Inhalte werden aus Datenschutzgründen nicht angezeigt.",
        )
    if kind == "zensus":
        from data.zensus import preview as zensus_preview

        return zensus_preview(file_name, payload)
    if kind == "boundaries":
        from geo.boundaries import BoundaryError, read_boundaries

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / path.name
            target.write_bytes(payload)
            try:
                gdf = read_boundaries(target, layer=part)
            except BoundaryError as err:
                raise DataImportError(path, str(err)) from err
        table = pd.DataFrame(
            {"Schlüssel": gdf["district_id"], "Name": gdf["name"], "Fläche (km²)": gdf["area_km2"].round(2)}
        )
        return table, _count(len(gdf), "Gebiet", "Gebiete")
    from data.parsing import read_table
    from data.population import KNOWN_HEADERS

    frame = read_table(
        path, payload, known=KNOWN_HEADERS if kind in ("population", "indicator") else None, sheet=part
    )
    return frame.head(20), f"{rows_text(len(frame))}, {_count(len(frame.columns), 'Spalte', 'Spalten')}"


def columns_of(file_name: str, payload: bytes, part: str | None = None) -> list[str]:
    from data.parsing import read_table
    from data.population import KNOWN_HEADERS

    return list(read_table(Path(file_name), payload, known=KNOWN_HEADERS, sheet=part).columns)


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
    part: str | None = None,
) -> ImportReport:
    """Import (or, with `check_only`, check) one uploaded file — `part` is the sheet or layer chosen.
    For an own indicator (`indicator`), `mapping` holds the fields of its description (the TOML
    file's of `python -m data import indicator --meta`). Raises DataImportError when refused."""
    path = Path(file_name)
    if check_only:
        with dry_run():
            return run_import(
                kind, file_name, payload, db_path, municipality, reference_date, mapping, user, part=part
            )
    if kind in REGION_KINDS:
        from data.regions import import_region_boundaries, import_regions

        if kind == "gemeinden":
            return import_regions(path, db_path, reference_date, user, payload)
        return import_region_boundaries(path, db_path, user, layer=part, payload=payload)
    if kind == "population":
        from data.population import import_population

        return import_population(
            path, db_path, municipality, reference_date, user, payload, mapping or None, sheet=part
        )
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
            return import_boundaries(target, db_path, municipality, user=user, layer=part)
    if kind == "allocations":
        from data.allocations import import_allocations

        return import_allocations(path, db_path, municipality, user, payload)
    if kind == "quota":
        from data.quota import import_quota

        return import_quota(path, db_path, user, payload)
    if kind == "zensus":
        from data.zensus import import_zensus

        return import_zensus([path], db_path, municipality, user, [payload])
    if kind == "indicator":
        from data.own_indicators import import_indicator, parse_meta

        meta = parse_meta(mapping or {}, "Formular")
        return import_indicator(path, meta, db_path, municipality, reference_date, user, payload)
    if kind == "occupancy":
        from data.occupancy import import_occupancy

        return import_occupancy(path, db_path, municipality, user, payload)
    raise ValueError(f"unknown kind {kind!r}")


def log_undo(user: str, kind: str, municipality: str | None) -> None:
    event(log, logging.INFO, "import undone", user=user, kind=kind, municipality=municipality)


def problems_table(err: DataImportError) -> pd.DataFrame:
    """Every finding of a refused file as rows: Zeile, Spalte, Meldung — and Datei first where the
    upload held several files (the Zensus grid)."""
    table = pd.DataFrame(
        {
            "Zeile": [p.row if p.row is not None else "" for p in err.problems],
            "Spalte": [p.column or "" for p in err.problems],
            "Meldung": [p.message for p in err.problems],
        }
    )
    files = [getattr(p, "file", "") for p in err.problems]
    if any(files):
        table.insert(0, "Datei", files)
    return table


def problem_kinds(err: DataImportError) -> pd.DataFrame:
    """How often each kind of finding occurs (Art, Anzahl), in the order they first occur: the
    values, names and numbers a message quotes do not make a new kind."""
    kinds = pd.Series([_kind(p.message) for p in err.problems], dtype=object)
    counts = kinds.value_counts(sort=False)
    return pd.DataFrame({"Art": counts.index, "Anzahl": counts.to_numpy()})


def _kind(message: str) -> str:
    text = re.sub(r'"[^"]*"|„[^“]*“|\([^)]*\)', "…", message)
    return re.sub(r"\d[\d.,]*", "…", text)


def problems_headline(err: DataImportError) -> str:
    kinds = len(problem_kinds(err))
    return (
        f"Die Datei kann so nicht importiert werden: {_count(len(err.problems), 'Fehler', 'Fehler')}"
        f"{'' if kinds < 2 else f' von {kinds} Arten'}. Es wurde nichts geändert. Alle Fehler stehen unten."
    )


def _count(n: int, one: str, many: str) -> str:
    """ "1 Zeile", "13 Zeilen", "1.024 Personen": German numbers and number."""
    return f"{n:,}".replace(",", ".") + f" {one if n == 1 else many}"


def _dates(dates: list) -> str:
    return ("Stichtag " if len(dates) == 1 else "Stichtage ") + ", ".join(
        f"{d:%d.%m.%Y}" for d in sorted(dates)
    )


def check_message(report: ImportReport) -> str:
    """The result of a check: how many rows, for whom, under which Stichtag."""
    verb = "lässt" if report.rows == 1 else "lassen"
    where = ", ".join(
        [report.municipality, *([_dates(report.reference_dates)] if report.reference_dates else [])]
    )
    text = f"Datei geprüft: {rows_text(report.rows)} {verb} sich importieren ({where})."
    return text + (f" Ersetzt würde: {report.replaced}." if report.replaced else "")


def import_message(report: ImportReport, kind: str, payload: bytes, db_path: Path) -> str:
    """What the import stored, read back from the database: municipality, Stichtag, level, rows."""
    store = Store(db_path)
    try:
        stored = store.import_contents(kind, hashlib.sha256(payload).hexdigest())
    finally:
        store.close()
    parts = [stored["municipality"] if stored else report.municipality]
    if stored and stored["dates"]:
        parts.append(_dates(stored["dates"]))
    if stored and stored["levels"]:
        parts.append(("Ebene " if len(stored["levels"]) == 1 else "Ebenen ") + ", ".join(stored["levels"]))
    parts.append(rows_text(report.rows))
    lines = [f"Importiert aus {report.file_name} ({report.kind}): {', '.join(parts)}."]
    if report.replaced:
        lines.append(f"Ersetzt: {report.replaced}")
    lines += [f"Hinweis: {w.message}" for w in report.warnings]
    return "\n\n".join(lines)


def confirm_import(
    kind: str,
    file_name: str,
    payload: bytes,
    db_path: Path,
    municipality: str,
    reference_date: date | None,
    mapping: dict[str, str] | None,
    user: str | None,
    part: str | None = None,
) -> tuple[str, list[str]]:
    """The real import, and what to tell: the message and notes (warnings beside a success). Raises
    DataImportError when refused. An error after the new version was saved is reported as saved."""
    before = link_target(db_path)
    take_notes()  # start clean: only this import's notes
    sha256 = hashlib.sha256(payload).hexdigest()
    who = {"user": user, "kind": kind, "municipality": municipality, "file": file_name, "sha256": sha256}
    event(log, logging.INFO, "import started", **who, bytes=len(payload))
    try:
        report = run_import(
            kind, file_name, payload, db_path, municipality, reference_date, mapping, user, part=part
        )
        event(log, logging.INFO, "import finished", **who, rows=report.rows, warnings=len(report.warnings))
        return import_message(report, kind, payload, db_path), take_notes()
    except DataImportError as err:
        event(log, logging.WARNING, "import refused", **who, problems=len(err.problems))
        raise
    except Exception as err:
        if link_target(db_path) == before:
            log.exception("import failed, nothing changed")
            raise
        log.exception("import saved, then a step failed")
        return (
            f"Die Änderung ist gespeichert, danach trat ein Fehler auf ({type(err).__name__}: {err}). "
            "Was gespeichert wurde, zeigt die Liste der letzten Importe.",
            take_notes(),
        )
