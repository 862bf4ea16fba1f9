"""Import of a population summary: one row per Stadtteil with its counts.

The file is validated completely before anything is written; every problem is reported with file,
row (header = row 1) and column. A row named like the municipality, or `Gesamt`/`Insgesamt`/`Summe`,
is the total: checked against the sum of the Stadtteile, not stored. `Anteil …` columns are checked
against the counts (± 0.1 Pp.), not stored. Importing the same municipality and Stichtag again
replaces that snapshot.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem
from data.parsing import (
    find_column,
    normalise_header,
    normalise_name,
    parse_count,
    parse_date,
    parse_percent,
    read_bytes,
    read_table,
)
from data.store import STADTTEIL, known_districts, writing


def _aliases(*names: str) -> set[str]:
    return {normalise_header(n) for n in names}


# Header spellings seen in municipal exports, matched after normalise_header().
KEY_ALIASES = _aliases(
    "Nr",
    "Nr.",
    "Schlüssel",
    "Schluessel",
    "ID",
    "Kennziffer",
    "Stadtteilnummer",
    "Stadtteil-Nr",
    "Stadtteil Nr",
    "raum_id",
    "Bezirksnummer",
    "district_id",
)
NAME_ALIASES = _aliases(
    "Stadtteil",
    "Stadtteile",
    "Stadtbezirk",
    "Bezirk",
    "Ortsteil",
    "Gebiet",
    "Raum",
    "Name",
    "Stadtteilname",
    "district",
)
LEVEL_ALIASES = _aliases("Ebene", "Gebietsebene", "level")
DATE_ALIASES = _aliases("Stichtag", "Datum", "reference_date")
YEAR_ALIASES = _aliases("Jahr", "year")
COUNT_ALIASES = {
    "population": _aliases(
        "Einwohner",
        "Einwohner:innen",
        "Einwohner*innen",
        "Einwohnerinnen und Einwohner",
        "EW",
        "Einwohnende",
        "Bevölkerung",
        "Einwohner insgesamt",
        "Einwohnerzahl",
        "population",
    ),
    "foreigners": _aliases(
        "Ausländer",
        "Ausländer:innen",
        "Ausländer*innen",
        "Ausländerinnen und Ausländer",
        "Nichtdeutsche",
        "Auslaender",
        "foreigners",
    ),
    "migration_background": _aliases(
        "Migrationshintergrund",
        "Personen mit Migrationshintergrund",
        "mit Migrationshintergrund",
        "MH",
        "Einwohner mit Migrationshintergrund",
        "migration_background",
    ),
    "minors": _aliases("unter 18", "unter 18 Jahre", "Minderjährige", "minors"),
    "minors_migration_background": _aliases(
        "unter 18 mit Migrationshintergrund",
        "Minderjährige mit Migrationshintergrund",
        "minors_migration_background",
    ),
}
TOTAL_NAMES = _aliases("Gesamt", "Insgesamt", "Summe", "Gesamtstadt", "Stadt insgesamt", "Total")
TOTAL_LEVELS = _aliases("Stadt", "Gemeinde", "Kommune", "Gesamtstadt")
LEVEL_NAMES = {normalise_header("Stadtbezirk"): "Stadtbezirk", normalise_header("Stadtteil"): STADTTEIL}
SHARE_TOLERANCE_PP = 0.1
COUNTS = list(COUNT_ALIASES)


@dataclass
class _Columns:
    name: str
    key: str | None
    level: str | None
    date: str | None
    year: str | None
    counts: dict[str, str]
    shares: dict[str, str]  # count field → "Anteil …" column


MAPPABLE = {
    "district": "Stadtteil (Name)",
    "district_id": "Schlüssel des Stadtteils",
    "reference_date": "Stichtag",
    "population": "Einwohner:innen",
    "foreigners": "Ausländer:innen",
    "migration_background": "Personen mit Migrationshintergrund",
    "minors": "unter 18 Jahre",
    "minors_migration_background": "unter 18 mit Migrationshintergrund",
}
KNOWN_HEADERS = (
    KEY_ALIASES
    | NAME_ALIASES
    | LEVEL_ALIASES
    | DATE_ALIASES
    | YEAR_ALIASES
    | set().union(*COUNT_ALIASES.values())
)


def _map_columns(
    frame: pd.DataFrame, mapping: dict[str, str] | None = None
) -> tuple[_Columns, list[Problem]]:
    """Find the columns by their usual headers; `mapping` (field → header) overrides for unusual ones."""
    cols = list(frame.columns)
    problems: list[Problem] = []
    mapping = dict(mapping or {})
    for field, header in mapping.items():
        if field not in MAPPABLE:
            problems.append(
                Problem(f'Unbekanntes Feld "{field}" in der Zuordnung; möglich: {", ".join(MAPPABLE)}.')
            )
        elif header not in cols:
            problems.append(
                Problem(
                    f'Die zugeordnete Spalte "{header}" ({MAPPABLE[field]}) fehlt. '
                    f"Vorhandene Spalten: {', '.join(cols)}.",
                    row=1,
                )
            )
    if problems:
        return _Columns("", None, None, None, None, {}, {}), problems
    mapped = set(mapping.values())
    shares: dict[str, str] = {}
    plain = []
    for col in cols:
        if col in mapped:
            continue
        norm = normalise_header(col)
        if norm.startswith("anteil"):
            rest = norm[len("anteil") :]
            for field, aliases in COUNT_ALIASES.items():
                if rest in aliases:
                    shares.setdefault(field, col)
                    break
        else:
            plain.append(col)
    counts = {f: c for f, a in COUNT_ALIASES.items() if (c := mapping.get(f) or find_column(plain, a))}
    name = mapping.get("district") or find_column(plain, NAME_ALIASES)
    if name is None:
        problems.append(
            Problem(
                f'Keine Spalte für den Stadtteil gefunden (erwartet z. B. "Stadtteil"). '
                f"Vorhandene Spalten: {', '.join(cols)}.",
                row=1,
            )
        )
    if "population" not in counts:
        problems.append(
            Problem(
                f'Keine Spalte für die Einwohnerzahl gefunden (erwartet z. B. "Einwohner", '
                f'"Einwohner:innen", "EW"). Vorhandene Spalten: {", ".join(cols)}.',
                row=1,
            )
        )
    columns = _Columns(
        name=name or "",
        key=mapping.get("district_id") or find_column(plain, KEY_ALIASES),
        level=find_column(plain, LEVEL_ALIASES),
        date=mapping.get("reference_date") or find_column(plain, DATE_ALIASES),
        year=find_column(plain, YEAR_ALIASES),
        counts=counts,
        shares=shares,
    )
    return columns, problems


def parse_population(
    frame: pd.DataFrame, municipality: str, reference_date: date | None, mapping: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Validate a population table (strings, index = spreadsheet row numbers).

    Returns (districts, counts, problems): districts with district_id, name, level; counts with
    reference_date, district_id and the count columns; every problem found.
    """
    cols, problems = _map_columns(frame, mapping)
    if problems:
        return pd.DataFrame(), pd.DataFrame(), problems
    municipality_names = {normalise_name(municipality), normalise_name(f"Stadt {municipality}")}
    records, totals = [], []
    for row_no, row in frame.iterrows():
        rec: dict = {"row": row_no}
        name = str(row[cols.name]).strip()
        level_raw = normalise_header(row[cols.level]) if cols.level else ""
        is_total = normalise_name(name) in municipality_names | TOTAL_NAMES or level_raw in TOTAL_LEVELS
        if not name and not is_total:
            problems.append(Problem("Der Name des Stadtteils fehlt.", row_no, cols.name))
            continue
        rec["name"] = name
        rec["level"] = LEVEL_NAMES.get(level_raw, STADTTEIL)
        rec["district_id"] = str(row[cols.key]).strip() if cols.key and str(row[cols.key]).strip() else None
        rec["reference_date"] = reference_date
        for col in (cols.date, cols.year):
            if col and str(row[col]).strip():
                try:
                    rec["reference_date"] = parse_date(row[col])
                except ValueError as err:
                    problems.append(Problem(str(err), row_no, col))
        if rec["reference_date"] is None:
            problems.append(
                Problem(
                    'Der Stichtag fehlt: bitte --date angeben oder eine Spalte "Stichtag" '
                    "in die Datei aufnehmen.",
                    row_no,
                    cols.date or cols.year,
                )
            )
        for field, col in cols.counts.items():
            try:
                rec[field] = parse_count(row[col])
            except ValueError as err:
                problems.append(Problem(str(err), row_no, col))
                rec[field] = None
        if rec.get("population") is None and not any(p.row == row_no for p in problems):
            problems.append(Problem("Die Einwohnerzahl fehlt.", row_no, cols.counts["population"]))
        problems += _check_row(rec, cols, row, row_no)
        (totals if is_total else records).append(rec)
    if not records and not problems:
        problems.append(Problem("Die Datei enthält keine Stadtteile."))
    if problems:
        return pd.DataFrame(), pd.DataFrame(), problems

    data = pd.DataFrame(records)
    if data["district_id"].isna().all():
        data["district_id"] = data["name"]
    elif data["district_id"].isna().any():
        for rec in data[data["district_id"].isna()].itertuples():
            problems.append(Problem("Der Schlüssel des Stadtteils fehlt.", rec.row, cols.key))
    dup = data.duplicated(["reference_date", "district_id"], keep=False)
    for rec in data[dup].itertuples():
        problems.append(
            Problem(
                f'Der Stadtteil "{rec.name}" kommt zum Stichtag {rec.reference_date:%d.%m.%Y} mehrfach vor.',
                rec.row,
                cols.key or cols.name,
            )
        )
    problems += _check_totals(data, totals, cols)
    if problems:
        return pd.DataFrame(), pd.DataFrame(), problems

    districts = data.drop_duplicates("district_id", keep="last")[["district_id", "name", "level", "row"]]
    districts.attrs.update(name_column=cols.name, key_column=cols.key)
    counts = data[["reference_date", "district_id", *[c for c in COUNTS if c in data]]].copy()
    for c in COUNTS:
        counts[c] = (
            counts[c].astype("Int64") if c in counts else pd.array([pd.NA] * len(counts), dtype="Int64")
        )
    return districts.reset_index(drop=True), counts.reset_index(drop=True), []


def resolve_districts(
    districts: pd.DataFrame, counts: pd.DataFrame, known: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Match the file's Stadtteile to those the database knows (from earlier imports or boundaries).

    Without a key column the names are matched to the known keys. Where boundaries exist, a Stadtteil
    they do not know is refused — usually a typo, or the boundaries are out of date.
    """
    if known.empty:
        return districts, counts, []
    name_col, key_col = districts.attrs.get("name_column"), districts.attrs.get("key_column")
    districts, counts = districts.copy(), counts.copy()
    if key_col is None:
        by_name = {normalise_name(n): i for i, n in zip(known["district_id"], known["district"], strict=True)}
        ids = {
            d: by_name.get(normalise_name(n), d)
            for d, n in zip(districts["district_id"], districts["name"], strict=True)
        }
        districts["district_id"] = districts["district_id"].map(ids)
        counts["district_id"] = counts["district_id"].map(ids)
    mapped = known[known["has_geometry"].astype(bool)]
    problems = []
    for level, group in districts.groupby("level"):
        shapes = mapped[mapped["level"] == level]
        if shapes.empty:
            continue
        for rec in group[~group["district_id"].isin(shapes["district_id"])].itertuples():
            guess = difflib.get_close_matches(rec.name, shapes["district"].tolist(), n=1)
            hint = f" Meinten Sie „{guess[0]}“?" if guess else ""
            problems.append(
                Problem(
                    f"Der {level} „{rec.name}“ ist in den geladenen Grenzen nicht bekannt.{hint}",
                    int(rec.row),
                    key_col or name_col,
                )
            )
    return districts.drop(columns="row"), counts, problems


def _check_row(rec: dict, cols: _Columns, row: pd.Series, row_no: int) -> list[Problem]:
    problems = []
    pop, fo, mh = rec.get("population"), rec.get("foreigners"), rec.get("migration_background")
    if pop is not None and fo is not None and fo > pop:
        problems.append(
            Problem(
                f"Mehr Ausländer:innen ({fo}) als Einwohner:innen ({pop}).", row_no, cols.counts["foreigners"]
            )
        )
    if pop is not None and mh is not None and mh > pop:
        problems.append(
            Problem(
                f"Mehr Personen mit Migrationshintergrund ({mh}) als Einwohner:innen ({pop}).",
                row_no,
                cols.counts["migration_background"],
            )
        )
    if fo is not None and mh is not None and mh < fo:
        problems.append(
            Problem(
                f"Weniger Personen mit Migrationshintergrund ({mh}) als Ausländer:innen ({fo}); "
                "Ausländer:innen zählen immer mit.",
                row_no,
                cols.counts["migration_background"],
            )
        )
    for field, col in cols.shares.items():
        try:
            published = parse_percent(row[col])
        except ValueError as err:
            problems.append(Problem(str(err), row_no, col))
            continue
        value = rec.get(field)
        if published is None or value is None or not pop:
            continue
        computed = value / pop * 100
        if abs(computed - published) > SHARE_TOLERANCE_PP + 1e-9:
            problems.append(
                Problem(
                    f"Der angegebene Anteil {published:.1f} % passt nicht zu den Zahlen ({value} von {pop} = "
                    f"{computed:.1f} %).".replace(".", ","),
                    row_no,
                    col,
                )
            )
    return problems


def _check_totals(data: pd.DataFrame, totals: list[dict], cols: _Columns) -> list[Problem]:
    problems = []
    stadtteile = data[data["level"] == STADTTEIL]
    for total in totals:
        same_day = stadtteile[stadtteile["reference_date"] == total["reference_date"]]
        for field, col in cols.counts.items():
            expected = total.get(field)
            values = same_day[field] if field in same_day else pd.Series(dtype=object)
            if expected is None or values.isna().any():
                continue
            found = int(values.sum())
            if found != expected:
                problems.append(
                    Problem(
                        f"Die Summe der Stadtteile ({found}) stimmt nicht mit der Gesamtzeile ({expected}) überein.",
                        total["row"],
                        col,
                    )
                )
    return problems


def import_population(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    user: str | None = None,
    payload: bytes | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Validate the file, then replace the snapshots it holds in one transaction."""
    path = Path(path)
    districts, counts = validate_population(
        path, db_path, municipality, reference_date, payload, mapping, sheet
    )
    payload = payload if payload is not None else read_bytes(path)
    dates = sorted(set(counts["reference_date"]))
    with writing(db_path) as w:
        import_id = w.start_import(
            "population", municipality, path.name, hashlib.sha256(payload).hexdigest(), user
        )
        w.ensure_municipality(municipality)
        w.upsert_districts(municipality, districts)
        if mapping:
            w.save_mapping(municipality, "population", mapping)
        old = w.fetch(
            "SELECT reference_date, count(*) AS n FROM population WHERE municipality = ? "
            "AND list_contains(?, reference_date) GROUP BY 1 ORDER BY 1",
            [municipality, dates],
        )
        where = "municipality = ? AND list_contains(?, reference_date)"
        n = len(counts)
        w.replace(
            "population", where, [municipality, dates], counts.assign(municipality=municipality), import_id
        )
        # detail of the same Stichtage would no longer add up to the new totals: it is replaced too
        detail_rows = w.replace("population_detail", where, [municipality, dates], pd.DataFrame(), import_id)
        replaced = ", ".join(
            f"Stichtag {pd.Timestamp(d):%d.%m.%Y} ({k} Zeilen)" for d, k in old.itertuples(index=False)
        )
        if detail_rows:
            replaced += f"; {detail_rows} Detailzeilen dieser Stichtage"
        w.finish_import(import_id, n, replaced)
    return ImportReport(
        "Bevölkerung", path.name, municipality, n, dates, replaced, counts.attrs.get("warnings", [])
    )


def validate_population(
    path: Path,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    payload: bytes | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everything an import checks, without writing: (districts, counts) or DataImportError."""
    payload = payload if payload is not None else read_bytes(path)
    frame = read_table(path, payload, known=KNOWN_HEADERS, sheet=sheet, fields=COUNT_ALIASES)
    reference_date = reference_date or frame.attrs.get("reference_date")  # sheet name or title line
    districts, counts, problems = parse_population(frame, municipality, reference_date, mapping)
    if not problems:
        districts, counts, problems = resolve_districts(
            districts, counts, known_districts(db_path, municipality)
        )
    if problems:
        raise DataImportError(path, problems)
    counts.attrs["warnings"] = frame.attrs.get("warnings", [])  # statistical signs read as empty, …
    return districts, counts
