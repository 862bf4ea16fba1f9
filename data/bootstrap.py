"""Putting the synthetic demo city into a database, and making sure the app has one to open."""

from __future__ import annotations

from pathlib import Path

from data.errors import ImportReport
from data.store import current_version, writing

DEMO_TABLES = ("population", "population_detail", "allocations", "quotas", "facilities", "occupancy")


def install_demo(db_path: str | Path, seed: int = 2024) -> ImportReport:
    """Build Musterstadt and (re)place it in the database; other municipalities stay untouched."""
    from data.demo import DEMO_NAME, build_demo

    demo = build_demo(seed)
    rows = 0
    with writing(db_path) as w:
        import_id = w.start_import("demo", DEMO_NAME, f"python -m data demo (seed {seed})", None, None)
        for table in (*DEMO_TABLES, "districts", "municipalities"):
            column = "name" if table == "municipalities" else "municipality"
            w.execute(f"DELETE FROM {table} WHERE {column} = ?", [DEMO_NAME])
        w.insert("municipalities", demo.municipalities)
        w.insert("districts", demo.districts)
        for table in DEMO_TABLES:
            frame = getattr(demo, table)
            rows += w.insert(table, frame, None if table == "facilities" else import_id)
        from data.demo_kreis import install as install_kreis

        install_kreis(w, demo, seed, import_id)  # issue 19: a synthetic Kreis around the demo city
        w.finish_import(import_id, rows, "die bisherigen Demodaten")
    return ImportReport("Demodaten", "Musterstadt (synthetisch)", DEMO_NAME, rows)


def ensure_database(db_path: str | Path) -> bool:
    """Build the demo database when there is none yet. True when it was built now.

    A broken database link is no "none yet": it raises StoreError instead of building over it.
    """
    if current_version(Path(db_path)) is not None:
        return False
    install_demo(db_path)
    return True
