"""The import log, taking back the last import of a kind, and the kept versions of the database."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from data.errors import DataImportError
from data.store import (
    Store,
    StoreError,
    current_version,
    version_is_good,
    version_time,
    versions,
    writing,
)

KIND_LABELS = {
    "population": "Bevölkerung",
    "register": "Melderegister (personenbezogen, aggregiert)",
    "boundaries": "Grenzen",
    "allocations": "Zuweisungen",
    "quota": "Aufnahmequote",
    "occupancy": "Unterbringung",
    "zensus": "Zensus 2022 (Gitterzellen)",
    "gemeinden": "Gemeinden, Kreis und Land (nach AGS)",
    "gemeindegrenzen": "Gemeindegrenzen",
    "indicator": "Eigene Kennzahl",
    "demo": "Demodaten",
    "restore": "Wiederherstellung einer gesicherten Version",
}


def import_log(db_path: str | Path, limit: int = 50) -> pd.DataFrame:
    store = Store(db_path)
    try:
        return store.imports(limit)
    finally:
        store.close()


def undo_last(db_path: str | Path, kind: str, municipality: str | None = None) -> str:
    """Undo the newest not yet undone import of `kind`; returns a German sentence of what happened."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise DataImportError(db_path, f"Die Datenbank {db_path} existiert nicht.")
    store = Store(db_path)
    try:
        last = store.last_import(kind, municipality)
    finally:
        store.close()
    label = KIND_LABELS.get(kind, kind)
    if last is None or kind == "demo":
        raise DataImportError(
            db_path, f"Es gibt keinen Import der Art „{label}“, der rückgängig gemacht werden kann."
        )
    with writing(db_path) as w:
        w.undo(int(last["import_id"]))
    when = pd.Timestamp(last["imported_at"]).strftime("%d.%m.%Y %H:%M")
    return (
        f"Import Nr. {last['import_id']} ({label}, {last['municipality']}, Datei {last['file_name']}, "
        f"{when}) wurde rückgängig gemacht; die vorher gültigen Daten sind wiederhergestellt."
    )


FACT_TABLES = ("population", "population_detail", "allocations", "quotas", "occupancy")


def _contents(version: Path) -> str:
    """Municipalities with their number of rows (all fact tables), e.g. "Lünen 13, Musterstadt 2.412";
    a published total row (population, district_id '') is not an area and not counted."""
    counts = " UNION ALL ".join(
        f"SELECT municipality FROM {t}" + (" WHERE district_id <> ''" if t == "population" else "")
        for t in FACT_TABLES
    )
    con = duckdb.connect(str(version), read_only=True)
    try:
        rows = con.execute(
            f"""SELECT m.name, count(f.municipality) FROM municipalities m
                LEFT JOIN ({counts}) f ON f.municipality = m.name GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    finally:
        con.close()
    return ", ".join(f"{name} {n:,}".replace(",", ".") for name, n in rows) or "leer"


def versions_table(db_path: str | Path) -> pd.DataFrame:
    """The kept versions, newest first: Version, Zeitpunkt, Größe (MB), aktuell, Inhalt."""
    db_path = Path(db_path)
    try:
        current = current_version(db_path)
    except StoreError:
        current = None
    rows = []
    for version in versions(db_path):
        good = version_is_good(version)
        rows.append(
            {
                "Version": version.name,
                "Zeitpunkt": f"{version_time(version):%d.%m.%Y %H:%M:%S}",
                "Größe (MB)": f"{version.stat().st_size / 1024 / 1024:.1f}".replace(".", ","),
                "aktuell": "ja" if current is not None and version.samefile(current) else "",
                "Inhalt (Kommune Zeilen)": _contents(version)
                if good
                else "unvollständig (abgebrochener Import)",
            }
        )
    return pd.DataFrame(
        rows, columns=["Version", "Zeitpunkt", "Größe (MB)", "aktuell", "Inhalt (Kommune Zeilen)"]
    )


def restore_version(db_path: str | Path, version: str, user: str | None = None) -> str:
    """Make a kept version the current database again. The version is copied into a new one, which
    records the restore in the import log; the version it replaces stays kept, so a restore is
    itself undone by restoring that one. Returns a German sentence of what happened."""
    db_path = Path(db_path)
    name = version if version.startswith(f"{db_path.name}.") else f"{db_path.name}.{version.lstrip('.')}"
    kept = {v.name: v for v in versions(db_path)}
    if name not in kept and f"{db_path.name}.v{version}" in kept:
        name = f"{db_path.name}.v{version}"
    if name not in kept:
        raise StoreError(
            db_path,
            f"Es gibt keine gesicherte Version „{version}“. Es wurde nichts geändert. "
            f"Die gesicherten Versionen zeigt „python -m data versions“.",
        )
    source = kept[name]
    if not version_is_good(source):
        raise StoreError(
            db_path,
            f"Die Version {name} ist unvollständig (ein abgebrochener Import) und kann nicht "
            "wiederhergestellt werden. Es wurde nichts geändert.",
        )
    if db_path.exists() and not db_path.is_symlink():
        raise StoreError(
            db_path,
            f"{db_path} ist eine einzelne Datenbankdatei, keine Verknüpfung auf Versionen; sie würde "
            "überschrieben. Es wurde nichts geändert. Sichern Sie die Datei zuerst unter einem anderen Namen.",
        )
    previous = os.readlink(db_path) if db_path.is_symlink() else None
    with writing(db_path, restore_from=source) as w:
        import_id = w.start_import("restore", None, name, None, user)
        w.finish_import(import_id, 0, f"die Version {previous}" if previous else "")
    sentence = (
        f"Die Version {name} vom {version_time(source):%d.%m.%Y %H:%M:%S} ist wiederhergestellt "
        f"(Import Nr. {import_id} im Protokoll)."
    )
    if previous and (db_path.parent / previous).exists():
        sentence += f" Rückgängig machen: python -m data restore {previous}"
    return sentence
