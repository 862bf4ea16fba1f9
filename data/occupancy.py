"""Import of accommodation occupancy (Unterbringung): places and occupants per facility and Stichtag.

    Stichtag;Unterkunft;Plätze;Belegt;Fehlbeleger;Stadtteil
    30.09.2022;Zentralunterkunft Friedrichstraße;150;152;58;

`Stichtag` is a German or ISO date. `Fehlbeleger` (occupants who hold a residence permit but find no
flat) is optional; empty means not known (NULL), never 0. `Stadtteil` is optional and is matched
against the municipality's districts by key or by name; an unknown Stadtteil refuses the file.
Occupancy above capacity happens ("Verdichtung") and is reported as a warning, not refused; more
Fehlbeleger than occupants is an error. A row named `Gesamt`/`Insgesamt`/`Summe` is checked against
the facilities of its Stichtag and not stored.

The whole file is validated first; every problem names file, row and column, and nothing is written
when there is one. An import replaces the (Stichtag, Unterkunft) rows it holds and records each
facility (with its Stadtteil where given; a facility keeps its known Stadtteil otherwise).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from data.allocations import TOTAL_NAMES, aliases, cell, map_columns, read_input
from data.errors import DataImportError, ImportReport, Problem
from data.parsing import normalise_header, normalise_name, parse_count, parse_date
from data.store import STADTTEIL, known_districts, writing

DATE_ALIASES = aliases("Stichtag", "Datum", "Stand", "reference_date")
FACILITY_ALIASES = aliases("Unterkunft", "Einrichtung", "Objekt", "Standort", "Unterbringung", "facility")
CAPACITY_ALIASES = aliases("Plätze", "Platzzahl", "Kapazität", "Plätze gesamt", "capacity")
OCCUPANTS_ALIASES = aliases(
    "Belegt", "Belegung", "belegte Plätze", "Bewohner", "Bewohner:innen", "Personen", "occupants"
)
FEHLBELEGER_ALIASES = aliases("Fehlbeleger", "davon Fehlbeleger", "Fehlbelegungen", "fehlbeleger")
DISTRICT_ALIASES = aliases("Stadtteil", "Ortsteil", "Stadtbezirk", "district_id", "district")


def _district_lookup(districts: pd.DataFrame) -> dict[str, str]:
    """key or normalised name → district_id; keys win, Stadtteile win over other levels."""
    lookup: dict[str, str] = {}
    ordered = districts.assign(first=districts["level"] == STADTTEIL).sort_values("first")
    for rec in ordered.itertuples():
        lookup[normalise_name(rec.district)] = rec.district_id
    for rec in districts.itertuples():
        lookup[str(rec.district_id).strip()] = rec.district_id
    return lookup


def parse_occupancy(
    frame: pd.DataFrame, municipality: str, districts: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Validate an occupancy table. Returns (occupancy rows, facilities, problems incl. warnings).

    districts: district_id, district, level of the municipality (for the optional Stadtteil column).
    """
    cols, problems = map_columns(
        frame,
        {
            "date": ("Stichtag", DATE_ALIASES),
            "facility": ("Unterkunft", FACILITY_ALIASES),
            "capacity": ("Plätze", CAPACITY_ALIASES),
            "occupants": ("Belegt", OCCUPANTS_ALIASES),
        },
        {"fehlbeleger": FEHLBELEGER_ALIASES, "district": DISTRICT_ALIASES},
    )
    if problems:
        return pd.DataFrame(), pd.DataFrame(), problems
    districts = (
        districts if districts is not None else pd.DataFrame(columns=["district_id", "district", "level"])
    )
    lookup = _district_lookup(districts)
    records, totals = [], []
    for row_no, row in frame.iterrows():
        rec: dict = {"row": row_no, "facility": cell(row, cols["facility"]), "district_id": None}
        is_total = normalise_header(rec["facility"]) in TOTAL_NAMES
        if not rec["facility"]:
            problems.append(Problem("Der Name der Unterkunft fehlt.", row_no, cols["facility"]))
        try:
            rec["reference_date"] = parse_date(row[cols["date"]])
            if rec["reference_date"] is None:
                problems.append(Problem("Der Stichtag fehlt.", row_no, cols["date"]))
        except ValueError as err:
            problems.append(Problem(str(err), row_no, cols["date"]))
        for field in ("capacity", "occupants", "fehlbeleger"):
            try:
                rec[field] = parse_count(row[cols[field]]) if cols[field] else None
            except ValueError as err:
                problems.append(Problem(str(err), row_no, cols[field]))
                rec[field] = None
        for field, missing in (
            ("capacity", "Die Zahl der Plätze fehlt."),
            ("occupants", "Die Belegung fehlt."),
        ):
            if rec[field] is None and not any(p.row == row_no and p.column == cols[field] for p in problems):
                problems.append(Problem(missing, row_no, cols[field]))
        cap, occ, fehl = rec["capacity"], rec["occupants"], rec["fehlbeleger"]
        if occ is not None and fehl is not None and fehl > occ:
            problems.append(
                Problem(f"Mehr Fehlbeleger ({fehl}) als belegte Plätze ({occ}).", row_no, cols["fehlbeleger"])
            )
        if cap is not None and occ is not None and occ > cap and not is_total:
            problems.append(
                Problem(
                    f"Belegung ({occ}) über der Platzzahl ({cap}): Verdichtung; wird übernommen.",
                    row_no,
                    cols["occupants"],
                    severity="warning",
                )
            )
        name = cell(row, cols["district"])
        if name and not is_total:
            rec["district_id"] = lookup.get(name) or lookup.get(normalise_name(name))
            if rec["district_id"] is None:
                known = ", ".join(sorted(districts["district"].astype(str))) or "keine geladen"
                problems.append(
                    Problem(
                        f'Den Stadtteil "{name}" gibt es in {municipality} nicht (bekannt: {known}).',
                        row_no,
                        cols["district"],
                    )
                )
        (totals if is_total else records).append(rec)
    if not records and not any(p.severity == "error" for p in problems):
        problems.append(Problem("Die Datei enthält keine Unterkünfte."))
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), pd.DataFrame(), problems

    data = pd.DataFrame(records)
    for rec in data[data.duplicated(["reference_date", "facility"], keep=False)].itertuples():
        problems.append(
            Problem(
                f'Die Unterkunft "{rec.facility}" kommt zum Stichtag {rec.reference_date:%d.%m.%Y} mehrfach vor.',
                rec.row,
                cols["facility"],
            )
        )
    located = data.dropna(subset=["district_id"])
    for facility, group in located.groupby("facility"):
        if group["district_id"].nunique() > 1:
            problems.append(
                Problem(
                    f'Die Unterkunft "{facility}" liegt laut Datei in mehreren Stadtteilen.',
                    int(group["row"].iloc[-1]),
                    cols["district"],
                )
            )
    problems += _check_totals(data, totals, cols)
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), pd.DataFrame(), problems
    rows = data[["reference_date", "facility", "capacity", "occupants"]].copy()
    rows["fehlbeleger"] = pd.array(data["fehlbeleger"].tolist(), dtype="Int64")
    facilities = (
        data.sort_values("row")
        .groupby("facility", sort=False)["district_id"]
        .agg(lambda s: s.dropna().iloc[-1] if s.notna().any() else None)
        .reset_index()
    )
    return rows.reset_index(drop=True), facilities, problems


def _check_totals(data: pd.DataFrame, totals: list[dict], cols: dict) -> list[Problem]:
    problems = []
    for total in totals:
        same = data[data["reference_date"] == total.get("reference_date")]
        for field in ("capacity", "occupants", "fehlbeleger"):
            expected = total.get(field)
            if expected is None:
                continue
            values = same[field].dropna()
            if values.empty and field == "fehlbeleger":
                problems.append(
                    Problem(
                        f"Die Gesamtzeile nennt {expected} Fehlbeleger, die Unterkünfte keine; die Zahl "
                        "wird nicht gespeichert.",
                        total["row"],
                        cols[field],
                        severity="warning",
                    )
                )
                continue
            found = int(values.sum())
            if found != expected:
                problems.append(
                    Problem(
                        f"Die Summe der Unterkünfte ({found}) stimmt nicht mit der Gesamtzeile ({expected}) überein.",
                        total["row"],
                        cols[field],
                    )
                )
    return problems


def import_occupancy(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    user: str | None = None,
    payload: bytes | None = None,
) -> ImportReport:
    """Validate the file, then replace its (Stichtag, Unterkunft) rows in one transaction."""
    path = Path(path)
    frame, payload = read_input(path, payload)
    rows, facilities, problems = parse_occupancy(frame, municipality, known_districts(db_path, municipality))
    if any(p.severity == "error" for p in problems):
        raise DataImportError(path, problems)
    with writing(db_path) as w:
        import_id = w.start_import(
            "occupancy", municipality, path.name, hashlib.sha256(payload).hexdigest(), user
        )
        w.ensure_municipality(municipality)
        keys = rows[["reference_date", "facility"]].astype({"reference_date": "datetime64[s]"})
        w.con.register("_keys", keys.assign(municipality=municipality))
        try:
            old = w.fetch(
                "SELECT o.reference_date, count(*) AS n FROM occupancy o JOIN _keys k "
                "ON o.municipality = k.municipality AND o.facility = k.facility "
                "AND o.reference_date = CAST(k.reference_date AS DATE) GROUP BY 1 ORDER BY 1"
            )
            w.execute(
                "DELETE FROM occupancy USING _keys k WHERE occupancy.municipality = k.municipality "
                "AND occupancy.facility = k.facility AND occupancy.reference_date = CAST(k.reference_date AS DATE)"
            )
        finally:
            w.con.unregister("_keys")
        w.con.register("_facilities", facilities.assign(municipality=municipality))
        try:
            w.execute(
                """INSERT INTO facilities (municipality, facility, district_id, import_id)
                   SELECT municipality, facility, district_id, ? FROM _facilities
                   ON CONFLICT (municipality, facility) DO UPDATE
                   SET district_id = coalesce(excluded.district_id, facilities.district_id),
                       import_id = excluded.import_id""",
                [import_id],
            )
        finally:
            w.con.unregister("_facilities")
        n = w.insert("occupancy", rows.assign(municipality=municipality), import_id)
        replaced = ", ".join(
            f"Stichtag {pd.Timestamp(d):%d.%m.%Y} ({k} Unterkünfte)" for d, k in old.itertuples(index=False)
        )
        w.finish_import(import_id, n, replaced)
    dates = sorted(set(rows["reference_date"]))
    warnings = [p for p in problems if p.severity == "warning"]
    return ImportReport("Unterbringung", path.name, municipality, n, dates, replaced, warnings)
