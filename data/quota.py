"""Import of the quota figures of the Bezirksregierung Arnsberg (Aufnahmeverpflichtung nach FlüAG NRW).

One row per Stichtag and Kommune; one file may hold many municipalities:

    Stichtag;Kommune;Aufnahmeverpflichtung;Ist;Erfüllungsquote
    31.12.2022;Kamp-Lintfort;520;498;95,77

`Aufnahmeverpflichtung` is the target (Soll), `Ist` the number taken in. A published `Erfüllungsquote`
is checked against Ist / Soll × 100 within half a unit of its last published decimal (`95,77` ± 0,005,
`96` ± 0,5) and not stored. A Kommune named like a municipality already in the database (also with
`Stadt `/`Gemeinde ` before it) is stored under that name. Every problem names file, row and column;
nothing is written when there is one. An import replaces the rows of the same Kommune and Stichtag.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from data.allocations import aliases, cell, map_columns, read_input
from data.errors import DataImportError, ImportReport, Problem
from data.parsing import normalise_name, parse_count, parse_date, parse_percent
from data.store import writing

DATE_ALIASES = aliases("Stichtag", "Datum", "Stand", "reference_date")
MUNICIPALITY_ALIASES = aliases("Kommune", "Gemeinde", "Stadt", "Kommune/Gemeinde", "Gebietskörperschaft")
TARGET_ALIASES = aliases(
    "Aufnahmeverpflichtung", "Soll", "Aufnahmesoll", "Aufnahmeverpflichtung (Soll)", "quota_target"
)
ACTUAL_ALIASES = aliases("Ist", "Ist-Zahl", "Aufnahme Ist", "Ist (Aufnahme)", "Bestand", "quota_actual")
RATE_ALIASES = aliases("Erfüllungsquote", "Erfüllungsquote in %", "Quote", "Erfüllungsquote (%)")
PREFIXES = ("stadt", "gemeinde", "kommune")


def _published_tolerance(raw: str) -> float:
    """Half a unit of the last published decimal: `95,77` → 0.005, `96` → 0.5."""
    text = raw.strip().rstrip("%").strip()
    decimals = len(re.split(r"[.,]", text)[1]) if re.search(r"[.,]", text) else 0
    return 0.5 * 10**-decimals + 1e-9


def _canonical(name: str, known: list[str]) -> str:
    """`Stadt Lünen` → `Lünen` where Lünen is in the database; else the name as given."""
    by_key = {normalise_name(k): k for k in known}
    key = normalise_name(name)
    for prefix in ("", *PREFIXES):
        if key.startswith(prefix) and key[len(prefix) :] in by_key:
            return by_key[key[len(prefix) :]]
    return name


def parse_quota(frame: pd.DataFrame, known: list[str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate a quota table; returns rows (municipality, reference_date, quota_target, quota_actual)."""
    cols, problems = map_columns(
        frame,
        {
            "date": ("Stichtag", DATE_ALIASES),
            "municipality": ("Kommune", MUNICIPALITY_ALIASES),
            "target": ("Aufnahmeverpflichtung", TARGET_ALIASES),
            "actual": ("Ist", ACTUAL_ALIASES),
        },
        {"rate": RATE_ALIASES},
    )
    if problems:
        return pd.DataFrame(), problems
    records = []
    for row_no, row in frame.iterrows():
        name = cell(row, cols["municipality"])
        rec = {"row": row_no, "municipality": _canonical(name, known or []) if name else ""}
        if not name:
            problems.append(Problem("Der Name der Kommune fehlt.", row_no, cols["municipality"]))
        try:
            rec["reference_date"] = parse_date(row[cols["date"]])
            if rec["reference_date"] is None:
                problems.append(Problem("Der Stichtag fehlt.", row_no, cols["date"]))
        except ValueError as err:
            problems.append(Problem(str(err), row_no, cols["date"]))
        for field, missing in (
            ("target", "Die Aufnahmeverpflichtung fehlt."),
            ("actual", "Die Ist-Zahl fehlt."),
        ):
            try:
                rec[field] = parse_count(row[cols[field]])
                if rec[field] is None:
                    problems.append(Problem(missing, row_no, cols[field]))
            except ValueError as err:
                problems.append(Problem(str(err), row_no, cols[field]))
                rec[field] = None
        if cols["rate"] and rec["target"] is not None and rec["actual"] is not None:
            raw = cell(row, cols["rate"])
            try:
                published = parse_percent(raw)
            except ValueError as err:
                problems.append(Problem(str(err), row_no, cols["rate"]))
                published = None
            if published is not None:
                if rec["target"] == 0:
                    problems.append(
                        Problem(
                            "Bei einer Aufnahmeverpflichtung von 0 gibt es keine Erfüllungsquote.",
                            row_no,
                            cols["rate"],
                        )
                    )
                else:
                    computed = rec["actual"] / rec["target"] * 100
                    if abs(computed - published) > _published_tolerance(raw):
                        problems.append(
                            Problem(
                                f"Die angegebene Erfüllungsquote {raw.strip()} passt nicht zu Ist / Soll "
                                f"({rec['actual']} / {rec['target']} = {computed:.2f} %)".replace(".", ",")
                                + ".",
                                row_no,
                                cols["rate"],
                            )
                        )
        records.append(rec)
    if not records and not problems:
        problems.append(Problem("Die Datei enthält keine Zeilen."))
    if problems:
        return pd.DataFrame(), problems
    data = pd.DataFrame(records)
    for rec in data[data.duplicated(["municipality", "reference_date"], keep=False)].itertuples():
        problems.append(
            Problem(
                f'Die Kommune "{rec.municipality}" kommt zum Stichtag {rec.reference_date:%d.%m.%Y} mehrfach vor.',
                rec.row,
                cols["municipality"],
            )
        )
    if problems:
        return pd.DataFrame(), problems
    data = data.rename(columns={"target": "quota_target", "actual": "quota_actual"})
    return data[["municipality", "reference_date", "quota_target", "quota_actual"]].reset_index(drop=True), []


def import_quota(
    path: str | Path, db_path: str | Path, user: str | None = None, payload: bytes | None = None
) -> ImportReport:
    """Validate the file, then replace the (Kommune, Stichtag) rows it holds, in one transaction."""
    from data.store import Store

    path = Path(path)
    frame, payload = read_input(path, payload)
    known: list[str] = []
    if Path(db_path).exists():
        store = Store(db_path)
        try:
            known = store.municipalities()["name"].tolist()
        finally:
            store.close()
    rows, problems = parse_quota(frame, known)
    if problems:
        raise DataImportError(path, problems)
    names = sorted(set(rows["municipality"]))
    with writing(db_path) as w:
        import_id = w.start_import(
            "quota", ", ".join(names), path.name, hashlib.sha256(payload).hexdigest(), user
        )
        for name in names:
            w.ensure_municipality(name)
        keys = rows[["municipality", "reference_date"]].astype({"reference_date": "datetime64[s]"})
        w.con.register("_keys", keys)
        try:
            old = w.fetch(
                "SELECT q.municipality, count(*) AS n FROM quotas q JOIN _keys k "
                "ON q.municipality = k.municipality AND q.reference_date = CAST(k.reference_date AS DATE) "
                "GROUP BY 1 ORDER BY 1"
            )
            w.execute(
                "DELETE FROM quotas USING _keys k WHERE quotas.municipality = k.municipality "
                "AND quotas.reference_date = CAST(k.reference_date AS DATE)"
            )
        finally:
            w.con.unregister("_keys")
        n = w.insert("quotas", rows, import_id)
        replaced = ", ".join(f"{name} ({k} Stichtage)" for name, k in old.itertuples(index=False))
        w.finish_import(import_id, n, replaced)
    dates = sorted(set(rows["reference_date"]))
    return ImportReport("Aufnahmequote", path.name, ", ".join(names), n, dates, replaced)
