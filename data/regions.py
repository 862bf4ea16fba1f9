"""Import of counts per Gemeinde, Kreis, Regierungsbezirk and Land by AGS, and of municipality boundaries.

The counts come as a statistics office publishes them: a GENESIS table of IT.NRW or Destatis (e.g.
12411-01i "Bevölkerung nach Geschlecht und Staatsangehörigkeit") exported as CSV or workbook, with title
lines, a notes footer, the signs `-` `.` `x` (read by `data.parsing`) and the rows of every level mixed:
NRW (`05`), the Regierungsbezirke (`059`), the Kreise (`05978`) and their Gemeinden (`05978024`). The
level of a row is the length of its AGS. Rows above the Gemeinden are stored as the office published
them — reference values (the Kreis, NRW) — and a Kreis row is checked against the sum of its Gemeinden
in the file: a difference is a warning naming file, row and column, never a refusal (a secret Gemeinde
cell, or Gemeinden missing from the file, make the sum incomplete: then nothing is compared).

Every problem of a file is reported at once; the import is all or nothing (`data.store.writing`):
regions and their counts of the same AGS and Stichtag are replaced, the old rows kept for undo.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import (
    aliases,
    find_column,
    parse_counts,
    parse_date,
    read_bytes,
    read_table,
)
from data.population import COUNT_ALIASES, DATE_ALIASES, YEAR_ALIASES
from data.store import writing

LAND, REGIERUNGSBEZIRK, KREIS, GEMEINDE = "Land", "Regierungsbezirk", "Kreis", "Gemeinde"
LEVELS = {2: LAND, 3: REGIERUNGSBEZIRK, 5: KREIS, 8: GEMEINDE}
NRW = "05"
COUNTS = ("population", "foreigners", "migration_background")
# a Kreis row may miss the sum of its Gemeinden by this share before the warning says "differs"
KREIS_TOLERANCE = 0.0


KEY_ALIASES = aliases(
    "AGS",
    "Amtlicher Gemeindeschlüssel",
    "Gemeindeschlüssel",
    "Gemeindekennziffer",
    "GKZ",
    "Regionalschlüssel",
    "ARS",
    "Kennziffer",
    "Schlüssel",
    "Code",
    "ags",
)
NAME_ALIASES = aliases(
    "Gemeinde",
    "Gemeinden",
    "Gemeindename",
    "Gemeindeverband",
    "Name",
    "Gebiet",
    "Region",
    "Regionaleinheit",
    "Verwaltungsbezirk",
    "Kreise und kreisfreie Städte",
    "GEN",
)
FIELD_ALIASES = {
    "population": COUNT_ALIASES["population"] | aliases("Insgesamt", "Bevölkerung insgesamt"),
    "foreigners": COUNT_ALIASES["foreigners"],
    "migration_background": COUNT_ALIASES["migration_background"],
}
GERMAN_ALIASES = aliases("Deutsche")
KNOWN = KEY_ALIASES | NAME_ALIASES | DATE_ALIASES | YEAR_ALIASES | GERMAN_ALIASES
KNOWN |= set().union(*FIELD_ALIASES.values())
LABELS = {"population": "Einwohner:innen", "foreigners": "Ausländer:innen", "migration_background": "MH"}

# GENESIS writes names with their kind after a comma: "Lünen, Stadt", "Unna, Kreis",
# "Dortmund, kreisfreie Stadt", "Arnsberg, Regierungsbezirk"
_SUFFIX = re.compile(
    r",\s*(Stadt|Hansestadt|Große kreisangehörige Stadt|Mittlere kreisangehörige Stadt|kreisfreie Stadt|"
    r"Gemeinde|Kreis|Landkreis|Reg\.-Bez\.|Regierungsbezirk|Land)\s*$",
    re.IGNORECASE,
)


def tidy_region_name(raw: str, level: str) -> str:
    """ "  Lünen, Stadt" → "Lünen", "Unna, Kreis" → "Kreis Unna", "Arnsberg, Reg.-Bez." →
    "Regierungsbezirk Arnsberg"; names without such a suffix stay as they are (trimmed)."""
    name = " ".join(str(raw).split())
    found = _SUFFIX.search(name)
    if not found:
        return name
    base = name[: found.start()].strip()
    kind = found.group(1).lower()
    if kind in ("kreis", "landkreis"):
        return f"Kreis {base}"
    if kind in ("reg.-bez.", "regierungsbezirk"):
        return f"Regierungsbezirk {base}"
    return base


def normalise_ags(raw: str) -> tuple[str | None, str | None]:
    """(AGS, note): digits of 2, 3, 5 or 8; a leading zero a spreadsheet dropped (1, 4 or 7 digits) is
    put back, a 12-digit Regionalschlüssel (ARS) shortened to the AGS, both with a note. (None, reason)
    for anything else."""
    text = re.sub(r"\s", "", str(raw))
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return (
            None,
            f"„{raw}“ ist kein Amtlicher Gemeindeschlüssel (nur Ziffern: 05 NRW, 05978 Kreis, 05978024 Gemeinde).",
        )
    if len(text) in (1, 4, 7):
        return "0" + text, f"Schlüssel „{text}“ als „0{text}“ gelesen (führende Null ergänzt)."
    if len(text) == 12:
        return text[:5] + text[9:], f"Regionalschlüssel „{text}“ als AGS „{text[:5] + text[9:]}“ gelesen."
    if len(text) in LEVELS:
        return text, None
    return None, (
        f"„{raw}“ hat {len(text)} Ziffern; ein AGS hat 2 (Land), 3 (Regierungsbezirk), 5 (Kreis) oder "
        "8 (Gemeinde)."
    )


def parent_ags(ags: str) -> str | None:
    """The AGS of the region above: Gemeinde → Kreis → Regierungsbezirk → Land → None."""
    return {8: ags[:5], 5: ags[:3], 3: ags[:2]}.get(len(ags))


@dataclass
class RegionTable:
    regions: pd.DataFrame  # ags, name, level
    counts: pd.DataFrame  # ags, reference_date, population, foreigners, migration_background
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _n(value: object) -> str:
    """ "20.010": a count as a German reads it."""
    return f"{int(value):,}".replace(",", ".")


def _warning(message: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(message, row, column, severity="warning")


def parse_regions(frame: pd.DataFrame, reference_date: date | None = None) -> RegionTable:
    """Check a table of regions by AGS (strings, index = spreadsheet rows) completely."""
    problems: list[Problem] = list(frame.attrs.get("warnings", []))
    columns = list(frame.columns)
    key = find_column(columns, KEY_ALIASES)
    name = find_column(columns, NAME_ALIASES)
    if key is None:  # GENESIS writes "05978024 Lünen, Stadt" in one column, or the key without a header
        frame, key, name, found = _key_from_cells(frame, name)
        columns = list(frame.columns)
        problems += found
    when = find_column(columns, DATE_ALIASES) or find_column(columns, YEAR_ALIASES)
    fields = {f: find_column(columns, aliases) for f, aliases in FIELD_ALIASES.items()}
    fields = {f: c for f, c in fields.items() if c is not None}
    germans = find_column(columns, GERMAN_ALIASES)
    empty = RegionTable(pd.DataFrame(), pd.DataFrame(), problems)
    if key is None:
        problems.append(
            Problem(f"Keine Spalte mit dem AGS gefunden (z. B. „AGS“). Spalten: {', '.join(columns)}.")
        )
    if not fields:
        problems.append(
            Problem(
                "Keine Spalte mit Einwohnerzahlen oder Ausländer:innen gefunden (z. B. „Insgesamt“, "
                f"„Bevölkerung“, „Ausländer“). Spalten: {', '.join(columns)}."
            )
        )
    stated = reference_date or frame.attrs.get("reference_date")
    if when is None and stated is None:
        problems.append(
            Problem(
                "Die Datei nennt keinen Stichtag (Spalte Stichtag/Jahr); bitte den Stichtag angeben (--date)."
            )
        )
    if any(p.severity == "error" for p in problems):
        return empty
    data = pd.DataFrame(index=frame.index)
    for field, column in fields.items():
        data[field], found = parse_counts(frame[column], column)
        problems += found
    if germans is not None:
        data["germans"], found = parse_counts(frame[germans], germans)
        problems += found
    ags, names, dates, levels = [], [], [], []
    for row in frame.index:
        raw_key = str(frame.at[row, key]).strip()
        if not raw_key:
            # a row without a key under the table is a note GENESIS did not separate: only its name
            problems.append(Problem("Die Zeile hat keinen AGS.", int(row), key))
            ags.append(None)
        else:
            value, note = normalise_ags(raw_key)
            if value is None:
                problems.append(Problem(note, int(row), key))
            elif note:
                problems.append(_warning(note, int(row), key))
            ags.append(value)
        level = LEVELS.get(len(ags[-1])) if ags[-1] else None
        levels.append(level)
        raw_name = str(frame.at[row, name]) if name else ""
        names.append(tidy_region_name(raw_name, level or "") if raw_name.strip() else (ags[-1] or ""))
        day = stated
        if when is not None:
            try:
                day = parse_date(frame.at[row, when]) or stated
            except ValueError as err:
                problems.append(Problem(str(err), int(row), when))
                day = None
            if day is None and stated is None:
                problems.append(Problem("Kein Stichtag in dieser Zeile.", int(row), when))
        dates.append(day)
    data["ags"], data["name"], data["level"], data["reference_date"] = ags, names, levels, dates
    data["row"] = [int(r) for r in frame.index]
    problems += _check_rows(data, fields, germans)
    if any(p.severity == "error" for p in problems):
        return RegionTable(pd.DataFrame(), pd.DataFrame(), problems)
    problems += _check_upper_rows(data, fields)
    regions = data.drop_duplicates("ags", keep="last")[["ags", "name", "level"]].reset_index(drop=True)
    counts = data[["ags", "reference_date", *_present(data)]].reset_index(drop=True)
    if not (data["level"] == GEMEINDE).any():
        problems.append(_warning("Die Datei enthält keine Gemeinde (AGS mit 8 Ziffern), nur höhere Ebenen."))
    return RegionTable(regions, counts, problems)


_AGS_CELL = re.compile(r"^\s*(\d{2}|\d{3}|\d{5}|\d{8}|\d{12})\s*$")
_AGS_AND_NAME = re.compile(r"^\s*(\d{2}|\d{3}|\d{5}|\d{8}|\d{12})\s+(\S.*)$")


def _key_from_cells(
    frame: pd.DataFrame, name: str | None
) -> tuple[pd.DataFrame, str | None, str | None, list[Problem]]:
    """A column whose cells are AGS (a header GENESIS left empty), or AGS and name in one cell: the
    frame with columns "AGS" (and "Name") split off, and a note saying which column was read so."""
    for column in frame.columns:
        values = frame[column].astype(str).str.strip()
        values = values[values != ""]
        if values.empty:
            continue
        if values.str.match(_AGS_CELL).mean() >= 0.9:
            note = f"Spalte „{column}“ als AGS gelesen (die Werte sind Gemeindeschlüssel)."
            return frame.rename(columns={column: "AGS"}), "AGS", name, [_warning(note, column=column)]
        if values.str.match(_AGS_AND_NAME).mean() >= 0.9:
            parts = frame[column].astype(str).str.extract(_AGS_AND_NAME).fillna("")
            out = frame.assign(AGS=parts[0], Name=parts[1].str.strip())
            note = f"Spalte „{column}“ enthält Schlüssel und Namen; beide getrennt gelesen."
            return out, "AGS", "Name", [_warning(note, column=column)]
    return frame, None, name, []


def _present(data: pd.DataFrame) -> list[str]:
    return [c for c in COUNTS if c in data]


def _check_rows(data: pd.DataFrame, fields: dict[str, str], germans: str | None) -> list[Problem]:
    """Per row: foreigners ≤ population, Deutsche + Ausländer = Insgesamt; no AGS twice per Stichtag."""
    problems = []
    key_column = "AGS"
    if "population" in data and "foreigners" in data:
        over = data[(data["foreigners"] > data["population"]).fillna(False)]
        for r in over.itertuples():
            problems.append(
                Problem(
                    f"Mehr Ausländer:innen ({_n(r.foreigners)}) als Einwohner:innen ({_n(r.population)}).",
                    r.row,
                    fields["foreigners"],
                )
            )
    if germans is not None and "population" in data and "foreigners" in data:
        total = data["germans"] + data["foreigners"]
        off = data[(total != data["population"]).fillna(False)]
        for r in off.itertuples():
            problems.append(
                _warning(
                    f"Deutsche ({_n(r.germans)}) und Ausländer:innen ({_n(r.foreigners)}) ergeben "
                    f"{_n(r.germans + r.foreigners)}, nicht {_n(r.population)}.",
                    r.row,
                    fields["population"],
                )
            )
    twice = data[data["ags"].notna() & data.duplicated(["ags", "reference_date"], keep="first")]
    for r in twice.itertuples():
        problems.append(
            Problem(f"Der AGS {r.ags} kommt zum selben Stichtag mehrfach vor.", r.row, key_column)
        )
    return problems


def _check_upper_rows(data: pd.DataFrame, fields: dict[str, str]) -> list[Problem]:
    """Each Kreis row against the sum of its Gemeinden in the file (per Stichtag and measure): a
    difference is a warning; a secret Gemeinde cell leaves the measure unchecked, and says so."""
    problems = []
    gemeinden = data[data["level"] == GEMEINDE].assign(kreis=lambda d: d["ags"].str[:5])
    for r in data[data["level"] == KREIS].itertuples():
        members = gemeinden[(gemeinden["kreis"] == r.ags) & (gemeinden["reference_date"] == r.reference_date)]
        if members.empty:
            continue
        for field, column in fields.items():
            published = getattr(r, field)
            if pd.isna(published):
                continue
            if members[field].isna().any():
                secret = ", ".join(members.loc[members[field].isna(), "name"])
                problems.append(
                    _warning(
                        f"{r.name}: die Summe der Gemeinden ist nicht prüfbar, weil Werte fehlen ({secret}); "
                        f"der veröffentlichte Kreiswert {_n(published)} gilt.",
                        r.row,
                        column,
                    )
                )
                continue
            total = int(members[field].sum())
            if abs(total - int(published)) > KREIS_TOLERANCE * int(published):
                problems.append(
                    _warning(
                        f"{r.name}: der veröffentlichte Wert {_n(published)} weicht von der Summe der Gemeinden in "
                        f"der Datei ab ({_n(total)} aus {len(members)} Gemeinde{'n' if len(members) > 1 else ''}, "
                        f"Differenz {'+' if published > total else '−'}{_n(abs(int(published) - total))}); "
                        "gespeichert wird der veröffentlichte Wert. Fehlen Gemeinden in der Datei?",
                        r.row,
                        column,
                    )
                )
    return problems


def read_regions(
    path: str | Path, payload: bytes | None = None, reference_date: date | None = None
) -> RegionTable:
    path = Path(path)
    payload = read_bytes(path) if payload is None else payload
    return parse_regions(read_table(path, payload, known=KNOWN), reference_date)


def import_regions(
    path: str | Path,
    db_path: str | Path,
    reference_date: date | None = None,
    user: str | None = None,
    payload: bytes | None = None,
    source: str | None = None,
) -> ImportReport:
    """Check the file completely, then store its regions and counts in one transaction. Counts of the
    same AGS and Stichtag are replaced (kept for undo); a measure the file lacks stays empty."""
    path = Path(path)
    payload = read_bytes(path) if payload is None else payload
    frame = read_table(path, payload, known=KNOWN)
    table = parse_regions(frame, reference_date)
    if table.errors:
        raise DataImportError(path, table.errors)
    source = source or _source_from_title(frame.attrs.get("title", []), frame.attrs.get("notes", []))
    counts = table.counts.assign(source=source)
    with writing(db_path) as w:
        import_id = w.start_import(
            "gemeinden", _kreise(table.regions), path.name, hashlib.sha256(payload).hexdigest(), user
        )
        regions = _merged_regions(w, table.regions)
        w.replace("regions", "list_contains(?, ags)", [regions["ags"].tolist()], regions, import_id)
        replaced = 0
        for day, part in counts.groupby("reference_date", sort=True):
            replaced += w.replace(
                "region_counts",
                "reference_date = ? AND list_contains(?, ags)",
                [day, part["ags"].tolist()],
                part,
                import_id,
            )
        what = f"{rows_text(replaced)} mit denselben AGS und Stichtagen" if replaced else ""
        w.finish_import(import_id, len(counts), what)
        w.execute("UPDATE imports SET warnings = ? WHERE import_id = ?",
                  ["\n".join(p.describe(path.name) for p in table.warnings), import_id])  # fmt: skip
    return ImportReport(
        "Gemeinden",
        path.name,
        _kreise(table.regions),
        len(counts),
        sorted({d for d in counts["reference_date"]}),
        what,
        table.warnings,
    )


def _merged_regions(w, regions: pd.DataFrame) -> pd.DataFrame:
    """The file's regions, keeping the boundary a region already has (a new name replaces the old)."""
    old = w.fetch(
        "SELECT ags, synthetic, geometry, area_km2 FROM regions WHERE list_contains(?, ags)",
        [regions["ags"].tolist()],
    )
    out = regions.merge(old, on="ags", how="left")
    out["synthetic"] = False  # published figures replace a synthetic demo region
    return out


def _kreise(regions: pd.DataFrame) -> str:
    """The Kreise of a file, for the import log ("Kreis Unna"); else its highest regions."""
    for level in (KREIS, REGIERUNGSBEZIRK, LAND, GEMEINDE):
        names = regions.loc[regions["level"] == level, "name"].tolist()
        if names:
            return ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    return ""


def _source_from_title(title: list[str], notes: list[str]) -> str:
    """ "IT.NRW, GENESIS 12411-01i" from the title and the © line of an export; else a plain word."""
    office = next((n.strip("© ").split(",")[0].split("|")[0].strip() for n in notes if "©" in n), "")
    table = next((m.group(0) for line in title for m in [re.search(r"\d{5}-[0-9A-Za-z-]+", line)] if m), "")
    parts = [p for p in (office, f"Tabelle {table}" if table else "") if p]
    return ", ".join(parts) or "Statistisches Landesamt (GENESIS)"


# --- boundaries of the municipalities ----------------------------------------------------------------

ID_FIELDS = ("AGS", "ags", "AGS_0", "Gemeindeschluessel", "GKZ", "gkz", "RS", "ars")
NAME_FIELDS = ("GEN", "gen", "name", "Name", "Gemeinde", "gemeinde")


def import_region_boundaries(
    path: str | Path,
    db_path: str | Path,
    user: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
    payload: bytes | None = None,
) -> ImportReport:
    """Municipality (or Kreis) boundaries keyed by AGS (the BKG's VG250 `AGS`/`GEN`, a Kreis' own
    GeoJSON): read, repaired and reprojected as Stadtteil boundaries are (`geo.boundaries`), stored on
    the regions by AGS. A region the store does not know yet is added under the file's name."""
    from geo.boundaries import BoundaryError, simplify_boundaries, to_wkb

    path = Path(path)
    if payload is not None:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / path.name
            target.write_bytes(payload)
            return import_region_boundaries(target, db_path, user, id_field, name_field, layer)
    try:
        read = _read_with_fields(path, id_field, name_field, layer)
    except BoundaryError as err:
        raise DataImportError(path, [Problem(p) for p in err.problems]) from err
    gdf = simplify_boundaries(read.boundaries)
    problems: list[Problem] = []
    warnings = [_warning(w) for w in read.warnings]
    keys = []
    for number, raw in enumerate(gdf["district_id"], start=1):
        value, note = normalise_ags(raw) if isinstance(raw, str) and raw not in ("", "<NA>") else (None, None)
        if value is None:
            problems.append(Problem(note or "Die Fläche hat keinen AGS.", number, "AGS"))
        elif note:
            warnings.append(_warning(note, number, "AGS"))
        keys.append(value)
    if problems:
        raise DataImportError(path, problems)
    gdf = gdf.assign(ags=keys)
    regions = pd.DataFrame(
        {
            "ags": gdf["ags"].to_numpy(),
            "file_name": gdf["name"].to_numpy(),
            "level": [LEVELS[len(a)] for a in gdf["ags"]],
            "geometry": to_wkb(gdf),
            "area_km2": gdf["area_km2"].to_numpy(),
        }
    )
    with writing(db_path) as w:
        import_id = w.start_import(
            "gemeindegrenzen", _kreise(regions.rename(columns={"file_name": "name"})), path.name,
            hashlib.sha256(path.read_bytes()).hexdigest(), user,
        )  # fmt: skip
        old = w.fetch(
            "SELECT ags, name, synthetic FROM regions WHERE list_contains(?, ags)", [regions["ags"].tolist()]
        )
        frame = regions.merge(old, on="ags", how="left")
        frame["name"] = frame["name"].fillna(frame["file_name"].map(lambda n: tidy_region_name(n, "")))
        frame["synthetic"] = frame["synthetic"].fillna(False).astype(bool)
        frame = frame.drop(columns="file_name")
        w.replace("regions", "list_contains(?, ags)", [frame["ags"].tolist()], frame, import_id)
        w.finish_import(import_id, len(frame), "die bisherigen Grenzen dieser Gemeinden")
    return ImportReport("Gemeindegrenzen", path.name, _kreise(frame), len(frame), warnings=warnings)


def _read_with_fields(path: Path, id_field: str | None, name_field: str | None, layer: str | None):
    """`read_boundary_file` with the AGS and name fields of municipality files tried in turn."""
    from geo.boundaries import BoundaryError, read_boundary_file

    ids = [id_field] if id_field else list(ID_FIELDS)
    names = [name_field] if name_field else [*NAME_FIELDS, None]
    missing = re.compile(r"^Das Feld „[^“]*“ gibt es in")
    last: BoundaryError | None = None
    for id_candidate in ids:
        for name_candidate in names:
            try:
                return read_boundary_file(path, id_field=id_candidate, name_field=name_candidate, layer=layer)
            except BoundaryError as err:
                if not all(missing.match(p) for p in err.problems):
                    raise
                last = err
    raise BoundaryError(
        f"In „{path.name}“ wurde kein Feld mit dem AGS gefunden (gesucht: {', '.join(ids)}); bitte das "
        "Feld angeben (--id-field)."
    ) from last


def preview_file(kind: str, path: Path, payload: bytes, part: str | None = None) -> tuple[pd.DataFrame, str]:
    """The upload page's preview: the rows as read (level by AGS), or the areas of a boundary file."""
    from geo.boundaries import BoundaryError

    if kind == "gemeinden":  # as read; the check (with the Stichtag chosen on the page) follows
        frame = read_table(path, payload, known=KNOWN)
        return frame.head(30), f"{rows_text(len(frame))}, {len(frame.columns)} Spalten"
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / path.name
        target.write_bytes(payload)
        try:
            gdf = _read_with_fields(target, None, None, part).boundaries
        except BoundaryError as err:
            raise DataImportError(path, [Problem(p) for p in err.problems]) from err
    table = pd.DataFrame(
        {"AGS": gdf["district_id"], "Name": gdf["name"], "Fläche (km²)": gdf["area_km2"].round(2)}
    )
    return table, rows_text(len(table))
