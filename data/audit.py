"""The import log, and taking back the last import of a kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.errors import DataImportError
from data.store import Store, writing

KIND_LABELS = {
    "population": "Bevölkerung",
    "register": "Melderegister (personenbezogen, aggregiert)",
    "boundaries": "Grenzen",
    "allocations": "Zuweisungen",
    "quota": "Aufnahmequote",
    "occupancy": "Unterbringung",
    "demo": "Demodaten",
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
