"""Import of population counts per Stadtteil, as cities publish them.

The file is validated completely before anything is written; every problem of the file is reported
at once, with file, row (header = row 1) and column. Accepted shapes: one row per Stadtteil (and
Stichtag, with a `Jahr`/`Stichtag` column), or a long table with the measure in one column and the
number in another (Köln: `jahr,raum_id,raum,zeile,zahl`). Stadtbezirk rows between the Stadtteile
become the upper level (see `data.population_levels`), never a second count. A total row (named like
the municipality, `Gesamt`, `Insgesamt` …) is the published city figure: stored as such, and a
difference from the sum of the Stadtteile up to TOTAL_TOLERANCE is a warning, not a refusal.
`Anteil …` columns are checked against the counts (± 0.1 Pp.), not stored. Importing the same
municipality and Stichtag again replaces that snapshot, except measures the new file lacks.
With `level="Gemeinde"` the rows are municipalities by AGS (GENESIS, Zensus) stored under a Kreis.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import (
    find_column,
    normalise_header,
    normalise_name,
    parse_count,
    parse_counts,
    parse_date,
    parse_percent,
    read_bytes,
    read_table,
)
from data.population_levels import (
    by_known,
    by_order,
    key_structure,
    match_key,
    names_an_upper_level,
    significant,
    split_number,
    tidy_name,
)
from data.store import STADTTEIL, Store, known_districts, writing


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
    "AGS",
    "Gemeindeschlüssel",
    "Amtlicher Gemeindeschlüssel",
    "Regionalschlüssel",
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
    "Gemeinde",
    "Gemeindename",
    "Gemeinden",
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
UPPER_LEVELS = _aliases("Stadtbezirk", "Bezirk", "Ortsbezirk", "Stadtbezirke", "Kreis")
BOTTOM_LEVELS = _aliases("Stadtteil", "Stadtteile", "Ortsteil", "statistischer Bezirk", "Gemeinde")
STADTBEZIRK = "Stadtbezirk"
GEMEINDE = "Gemeinde"
# long tables: the measure's name in one column, the number in another
MEASURE_ALIASES = _aliases("zeile", "Merkmal", "Kennzahl", "Indikator", "Merkmalsausprägung", "measure")
VALUE_ALIASES = _aliases("zahl", "Wert", "Anzahl", "value", "Personen")
# a published total may miss the sum of the Stadtteile by persons not assignable to one (or by
# rounding and secrecy); beyond this share of the total the file is refused as inconsistent
TOTAL_TOLERANCE = 0.02
NOTE_STARTS = ("©", "_", "*", "quelle", "stand", "hinweis", "anmerkung", "fußnote", "fussnote")
TOTAL_KEY = ""  # district_id of the published municipality figure in `population` (no district row)
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
    | MEASURE_ALIASES
    | _aliases("zahl", "Wert", "value")
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
    # a row number ("id") loses against a real area key ("raum_id", "Nr")
    keys = [c for c in plain if normalise_header(c) in KEY_ALIASES]
    key = mapping.get("district_id") or next((c for c in keys if normalise_header(c) != "id"), None)
    key = key or (keys[0] if keys else None)
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
        key=key,
        level=find_column(plain, LEVEL_ALIASES),
        date=mapping.get("reference_date") or find_column(plain, DATE_ALIASES),
        year=find_column(plain, YEAR_ALIASES),
        counts=counts,
        shares=shares,
    )
    return columns, problems


@dataclass
class PopulationTable:
    """A checked population file: what an import would store, and every finding about it."""

    districts: pd.DataFrame = dataclasses.field(
        default_factory=pd.DataFrame
    )  # district_id, name, level, parent_id
    counts: pd.DataFrame = dataclasses.field(
        default_factory=pd.DataFrame
    )  # reference_date, district_id, COUNTS
    problems: list[Problem] = dataclasses.field(default_factory=list)
    fields: tuple[str, ...] = ()  # the count fields the file has

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _warning(message: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(message, row, column, severity="warning")


def fmt_count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def widen_long_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """A long table (measure in one column, number in another) as one row per area and Stichtag.

    Measures the dashboard does not use (age groups, sex …) are left out with one warning. The new
    rows keep the spreadsheet row of their area's first line.
    """
    cols = list(frame.columns)
    measure, value = find_column(cols, MEASURE_ALIASES), find_column(cols, VALUE_ALIASES)
    if measure is None or value is None or any(find_column(cols, a) for a in COUNT_ALIASES.values()):
        return frame, []
    area = KEY_ALIASES | NAME_ALIASES | LEVEL_ALIASES | DATE_ALIASES | YEAR_ALIASES
    ids = [c for c in cols if normalise_header(c) in area and normalise_header(c) != "id"]
    fields = {
        m: next((f for f, a in COUNT_ALIASES.items() if normalise_header(m) in a), None)
        for m in frame[measure].unique()
    }
    data = frame.assign(_field=frame[measure].map(fields), _row=frame.index)
    problems = []
    ignored = data[data["_field"].isna()]
    if len(ignored):
        names = ", ".join(f"„{m}“" for m in list(dict.fromkeys(ignored[measure]))[:8])
        more = " …" if ignored[measure].nunique() > 8 else ""
        problems.append(
            _warning(
                f"{rows_text(len(ignored))} mit anderen Merkmalen ({names}{more}) werden nicht übernommen.",
                column=measure,
            )
        )
    data = data[data["_field"].notna()]
    if data.empty or not ids:
        return frame, problems
    twice = data.duplicated([*ids, "_field"])
    for rec in data[twice].itertuples():
        problems.append(
            Problem(
                "Dieses Merkmal steht für dasselbe Gebiet und denselben Stichtag schon weiter oben.",
                rec._row,
                measure,
            )
        )
    data = data[~twice]
    headers = {f: m for m, f in reversed(fields.items()) if f}  # the file's own wording of each measure
    first = data.groupby(ids, sort=False)["_row"].min()
    wide = data.pivot(index=ids, columns="_field", values=value).reindex(first.index)
    wide = wide.rename(columns=headers).reset_index().fillna("")
    wide.columns.name = None
    wide.index = first.to_numpy()
    return wide, problems


def parse_population(
    frame: pd.DataFrame,
    municipality: str,
    reference_date: date | None,
    mapping: dict[str, str] | None = None,
    known: pd.DataFrame | None = None,
    level: str = STADTTEIL,
) -> PopulationTable:
    """Check a population table (strings, index = spreadsheet row numbers) completely.

    `known` are the districts the database has (all levels, see `store.known_districts`): names are
    matched to their keys level by level. `level` is the level of the finest rows (Stadtteil, or
    Gemeinde for a Kreis).
    """
    frame, problems = widen_long_table(frame)
    cols, column_problems = _map_columns(frame, mapping)
    if column_problems:
        return PopulationTable(problems=problems + column_problems)
    if known is None:
        known = pd.DataFrame(columns=["district_id", "district", "level", "parent_id", "has_geometry"])
    records, row_problems = _read_rows(frame, cols, municipality, reference_date, level)
    problems += row_problems
    if not records and not any(p.severity == "error" for p in problems):
        problems.append(Problem("Die Datei enthält keine Stadtteile."))
    fields = list(cols.counts)
    upper = "Kreis" if level == GEMEINDE else STADTBEZIRK
    by_day: dict[date, list[dict]] = {}
    for rec in records:
        by_day.setdefault(rec["reference_date"], []).append(rec)
    for day in by_day.values():
        problems += _find_levels(day, known, fields, level)
    _assign_ids(records, known, cols, level, upper, problems)
    # totals are compared only when every row could be read: a sum without the unreadable rows would
    # report differences that are not in the file
    complete = not any(p.severity == "error" for p in row_problems)
    for day in by_day.values():
        problems += _check_day(day, cols, compare=complete)
    problems += _check_keys(records, cols)
    districts = _districts(records, cols)
    problems += _check_boundaries(districts, known, cols)
    if any(p.severity == "error" for p in problems):
        return PopulationTable(problems=problems)
    counts = pd.DataFrame(
        [
            {"reference_date": r["reference_date"], "district_id": r["id"], **{c: r.get(c) for c in COUNTS}}
            for r in records
            if not r.get("skip")
        ]
    )
    for c in COUNTS:
        counts[c] = counts[c].astype("Int64")
    return PopulationTable(districts.drop(columns="row"), counts, problems, tuple(fields))


def _read_rows(
    frame: pd.DataFrame, cols: _Columns, municipality: str, reference_date: date | None, level: str
) -> tuple[list[dict], list[Problem]]:
    """One record per data row, with its level hint; notes under the table are skipped."""
    total_names = TOTAL_NAMES | {normalise_name(municipality), normalise_name(f"Stadt {municipality}")}
    records, problems, unknown_levels = [], [], {}
    # counts parsed a column at a time (cells it cannot read are parsed again below, for the message);
    # rows as plain dicts, not frame.iterrows(): a pandas Series per row costs milliseconds
    fast = {fld: parse_counts(frame[col], col)[0].tolist() for fld, col in cols.counts.items()}
    for pos, (row_no, row) in enumerate(zip(frame.index, frame.to_dict("records"), strict=True)):
        name = str(row[cols.name]).strip()
        key = str(row[cols.key]).strip() if cols.key else ""
        cells = [str(row[c]).strip() for c in cols.counts.values()]
        if not key and not any(cells) and (not name or name.lower().startswith(NOTE_STARTS)):
            text = next((str(v).strip() for v in row.values() if str(v).strip()), "")
            problems.append(_warning(f"Zeile ohne Gebiet und Zahlen übersprungen („{text[:60]}“).", row_no))
            continue
        number, rest = split_number(name)
        if number and (not key or significant(number) == significant(key)):
            key, name = key or number, rest
        if level == GEMEINDE and key.isdigit() and len(key) in (1, 4, 7):
            key = "0" + key  # AGS whose leading zero a spreadsheet dropped
        rec: dict = {"row": row_no, "name": name, "raw_name": str(row[cols.name]).strip()}
        rec.update(key=key or None, hint=None, parent=None, from_key_column=bool(cols.key and key))
        level_raw = normalise_header(row[cols.level]) if cols.level else ""
        if level == GEMEINDE and level_raw == normalise_header(GEMEINDE):
            rec["hint"] = "bottom"
        elif level_raw in TOTAL_LEVELS or normalise_name(name) in total_names or (key and set(key) == {"0"}):
            rec["hint"] = "total"
        elif level_raw in UPPER_LEVELS:
            rec["hint"] = "upper"
        elif level_raw in BOTTOM_LEVELS:
            rec["hint"] = "bottom"
        elif level_raw:
            unknown_levels.setdefault(str(row[cols.level]).strip(), row_no)
        elif names_an_upper_level(name):
            rec["hint"] = "upper"
        if not name and rec["hint"] != "total":
            problems.append(Problem("Der Name des Stadtteils fehlt.", row_no, cols.name))
            continue
        rec["reference_date"] = reference_date
        for col in (cols.date, cols.year):
            if col and str(row[col]).strip():
                try:
                    rec["reference_date"] = _date(str(row[col]).strip())
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
        bad = False
        for fld, col in cols.counts.items():
            value = fast[fld][pos]
            try:
                rec[fld] = parse_count(row[col]) if value is pd.NA else int(value)
            except ValueError as err:
                problems.append(Problem(str(err), row_no, col))
                rec[fld], bad = None, True
        if rec.get("population") is None and not bad:
            problems.append(Problem("Die Einwohnerzahl fehlt.", row_no, cols.counts["population"]))
        problems += _check_row(rec, cols, row, row_no)
        if rec["reference_date"] is not None and rec.get("population") is not None:
            records.append(rec)
    for text, row_no in unknown_levels.items():
        problems.append(
            _warning(
                f"Unbekannte Gebietsebene „{text}“; die Zeilen gelten als Stadtteile.", row_no, cols.level
            )
        )
    return records, problems


@functools.lru_cache(maxsize=4_096)  # a long table repeats a few Stichtage on every row
def _date(text: str) -> date | None:
    return parse_date(text)


def _find_levels(day: list[dict], known: pd.DataFrame, fields: list[str], level: str) -> list[Problem]:
    """Decide which rows of one Stichtag are the total, the upper level and the finest level."""
    rest = [r for r in day if r["hint"] != "total"]
    structured = key_structure(rest)
    bottom_known = known[known["level"] == level]
    upper_known = known[known["level"] != level]
    by_known(
        rest,
        set(upper_known["district_id"]) | {match_key(n) for n in upper_known["district"]},
        set(bottom_known["district_id"]) | {match_key(n) for n in bottom_known["district"]},
    )
    lower = [r for r in rest if r["hint"] != "upper"]
    names = [r["key"] or match_key(r["name"]) for r in lower]
    totals = [r for r in day if r["hint"] == "total"]
    lower_sum = sum(r["population"] for r in lower)
    off = (
        bool(totals) and abs(lower_sum - totals[0]["population"]) > TOTAL_TOLERANCE * totals[0]["population"]
    )
    orphans = not structured and len(lower) < len(rest)
    if len(names) != len(set(names)) or off or orphans:
        by_order(rest, fields)
    problems = []
    if level == GEMEINDE:  # the region above all municipalities of the file is the Kreis: its total
        bottoms = [r for r in rest if r["hint"] != "upper"]
        covering = [
            r
            for r in rest
            if r["hint"] == "upper" and bottoms and all(_descends(b, r, rest) for b in bottoms)
        ]
        covering.sort(key=lambda r: len(r["key"] or ""))
        for r in covering[:-1]:
            r["skip"] = True
            problems.append(
                _warning(
                    f"„{r['name']}“ liegt über dem Kreis der Datei und wird nicht gespeichert.", r["row"]
                )
            )
        if covering and not totals:
            covering[-1]["hint"] = "total"
    return problems


def _descends(child: dict, ancestor: dict, rows: list[dict]) -> bool:
    by_key = {r["key"]: r for r in rows if r["key"]}
    seen = set()
    node = child
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        node = node.get("parent_rec") or by_key.get(node.get("parent"))
        if node is ancestor:
            return True
    return False


def _assign_ids(
    records: list[dict], known: pd.DataFrame, cols: _Columns, level: str, upper: str, problems: list[Problem]
) -> None:
    """Key and stored name per row: the file's key, else the known district of that level with the
    same name (forgiving spelling), else the tidied name. Every match that was not exact is a warning."""
    known_names: dict[str, dict[str, tuple[str, str]]] = {level: {}, upper: {}}
    for rec in known.itertuples():
        side = level if rec.level == level else upper
        known_names[side].setdefault(match_key(rec.district), (rec.district_id, rec.district))
    known_by_id = dict(zip(known["district_id"], known["district"], strict=True))
    bottom_ids = {r["key"] or tidy_name(r["name"]) for r in records if r["hint"] not in ("upper", "total")}
    told: set[tuple] = set()
    for r in records:
        if r["hint"] == "total":
            r.update(id=TOTAL_KEY, level=None)
            continue
        r["level"] = upper if r["hint"] == "upper" else level
        found = known_names[r["level"]].get(match_key(r["name"]))
        if r["key"]:
            r["id"] = r["key"]
            same = r["key"] in known_by_id and match_key(known_by_id[r["key"]]) == match_key(r["name"])
            r["stored_name"] = known_by_id[r["key"]] if same else tidy_name(r["name"])
        elif found:
            r["id"], r["stored_name"] = found
        else:
            r["stored_name"] = tidy_name(r["name"])
            r["id"] = r["stored_name"]
            if r["level"] == upper and r["id"] in bottom_ids:
                r["id"] = f"{upper} {r['stored_name']}"
        if r["stored_name"] != r["raw_name"] and (r["raw_name"], r["id"]) not in told:
            told.add((r["raw_name"], r["id"]))
            problems.append(
                _warning(
                    f"„{r['raw_name']}“ gelesen als {r['level']} „{r['stored_name']}“ (Schlüssel {r['id']}).",
                    r["row"],
                    cols.name,
                )
            )
    ids = {id(r): r["id"] for r in records}
    for r in records:
        parent = r.pop("parent_rec", None)
        if parent is not None:
            r["parent"] = ids[id(parent)]


def _check_day(day: list[dict], cols: _Columns, compare: bool = True) -> list[Problem]:
    """One Stichtag: no district twice, the total and each upper row against the rows below them
    (with `compare`)."""
    problems = []
    kept = [r for r in day if not r.get("skip")]
    seen: dict[str, dict] = {}
    for r in kept:
        if r["id"] in seen:
            what = "Die Gesamtzeile" if r["id"] == TOTAL_KEY else f'Der Stadtteil "{r["stored_name"]}"'
            problems.append(
                Problem(
                    f"{what} kommt zum Stichtag {r['reference_date']:%d.%m.%Y} mehrfach vor.",
                    r["row"],
                    cols.key or cols.name,
                )
            )
        seen.setdefault(r["id"], r)
    if not compare:
        return problems
    bottoms = [r for r in kept if r["hint"] not in ("upper", "total")]
    total = seen.get(TOTAL_KEY)
    if total is not None:
        problems += _compare(total, bottoms, cols, "Gesamtzeile", "der Stadtteile", strict=True)
    for r in kept:
        if r["hint"] == "upper":
            children = [c for c in kept if c.get("parent") == r["id"]]
            if children:
                label = f"{r['level']} „{r['stored_name']}“"
                problems += _compare(r, children, cols, label, "der Gebiete darunter", strict=False)
    return problems


def _compare(
    head: dict, rows: list[dict], cols: _Columns, label: str, below: str, strict: bool
) -> list[Problem]:
    problems = []
    for fld, col in cols.counts.items():
        expected, values = head.get(fld), [r.get(fld) for r in rows]
        if expected is None or None in values or sum(values) == expected:
            continue
        found = sum(values)
        if strict and abs(found - expected) > TOTAL_TOLERANCE * expected:
            problems.append(
                Problem(
                    f"Die Summe der Stadtteile ({found}) stimmt nicht mit der Gesamtzeile ({expected}) überein "
                    f"(Differenz mehr als {TOTAL_TOLERANCE * 100:g} % der Gesamtzahl: Stadtbezirke doppelt "
                    "gezählt oder ein Tippfehler?).",
                    head["row"],
                    col,
                )
            )
            continue
        problems.append(
            _warning(
                f"{label}, Zeile {head['row']}: {fmt_count(expected)}, Summe {below} {fmt_count(found)} "
                f"(Differenz {fmt_count(expected - found)}); gespeichert wird die veröffentlichte "
                f"{'Gesamtzahl' if strict else 'Zahl'}.",
                head["row"],
                col,
            )
        )
    return problems


def _check_keys(records: list[dict], cols: _Columns) -> list[Problem]:
    """A key of the file must always name the same area."""
    first: dict[str, dict] = {}
    problems = []
    for r in records:
        if not r["from_key_column"] or r["id"] == TOTAL_KEY:
            continue
        seen = first.setdefault(r["id"], r)
        if match_key(seen["name"]) != match_key(r["name"]):
            problems.append(
                Problem(
                    f"Der Schlüssel {r['id']} steht für zwei verschiedene Gebiete: „{seen['name']}“ "
                    f"(Zeile {seen['row']}) und „{r['name']}“.",
                    r["row"],
                    cols.name,
                )
            )
    return problems


def _districts(records: list[dict], cols: _Columns) -> pd.DataFrame:
    rows = {
        r["id"]: {
            "district_id": r["id"],
            "name": r["stored_name"],
            "level": r["level"],
            "parent_id": r["parent"],
            "row": r["row"],
        }
        for r in records
        if r["id"] != TOTAL_KEY and not r.get("skip")
    }
    districts = pd.DataFrame(
        list(rows.values()), columns=["district_id", "name", "level", "parent_id", "row"]
    )
    districts.attrs.update(name_column=cols.name, key_column=cols.key)
    return districts


def _check_boundaries(districts: pd.DataFrame, known: pd.DataFrame, cols: _Columns) -> list[Problem]:
    """Where boundaries of a level exist, a district of that level they do not know is refused —
    usually a typo, or the boundaries are out of date."""
    mapped = known[known["has_geometry"].astype(bool)] if not known.empty else known
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
                    cols.key or cols.name,
                )
            )
    return problems


def _check_row(rec: dict, cols: _Columns, row: dict, row_no: int) -> list[Problem]:
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


def import_population(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    user: str | None = None,
    payload: bytes | None = None,
    mapping: dict[str, str] | None = None,
    level: str = STADTTEIL,
    sheet: str | None = None,
    source: str | None = None,
) -> ImportReport:
    """Validate the file, then replace the snapshots it holds — every Stichtag — in one transaction.

    `source`: where the figures come from and under which licence ("Stadt Köln, Offene Daten Köln,
    CC BY"), stored with the municipality and printed on every chart and export of its data."""
    path = Path(path)
    table = validate_population(path, db_path, municipality, reference_date, payload, mapping, level, sheet)
    payload = payload if payload is not None else read_bytes(path)
    counts = table.counts
    dates = sorted(set(counts["reference_date"]))
    with writing(db_path) as w:
        import_id = w.start_import(
            "population", municipality, path.name, hashlib.sha256(payload).hexdigest(), user
        )
        w.ensure_municipality(municipality, source=source.strip() if source and source.strip() else None)
        w.upsert_districts(municipality, table.districts)
        if mapping:
            w.save_mapping(municipality, "population", mapping)
        old = w.fetch(
            "SELECT reference_date, count(*) AS n FROM population WHERE municipality = ? "
            "AND list_contains(?, reference_date) AND district_id <> ? GROUP BY 1 ORDER BY 1",
            [municipality, dates, TOTAL_KEY],
        )
        where = "municipality = ? AND list_contains(?, reference_date)"
        n = int((counts["district_id"] != TOTAL_KEY).sum())
        w.replace(
            "population", where, [municipality, dates], counts.assign(municipality=municipality), import_id
        )
        # detail of the same Stichtage would no longer add up to the new totals: it is replaced too
        detail_rows = w.replace("population_detail", where, [municipality, dates], pd.DataFrame(), import_id)
        replaced = ", ".join(
            f"Stichtag {pd.Timestamp(d):%d.%m.%Y} ({rows_text(k)})" for d, k in old.itertuples(index=False)
        )
        if detail_rows:
            replaced += f"; {detail_rows} Detailzeilen dieser Stichtage"
        w.finish_import(import_id, n, replaced)
        if table.warnings:
            w.execute(
                "UPDATE imports SET warnings = ? WHERE import_id = ?",
                ["\n".join(p.describe(path.name) for p in table.warnings), import_id],
            )
    return ImportReport("Bevölkerung", path.name, municipality, n, dates, replaced, table.warnings)


def validate_population(
    path: Path,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    payload: bytes | None = None,
    mapping: dict[str, str] | None = None,
    level: str = STADTTEIL,
    sheet: str | None = None,
) -> PopulationTable:
    """Everything an import checks, without writing: the table to store (with its warnings), or
    DataImportError listing every problem of the file."""
    payload = payload if payload is not None else read_bytes(path)
    frame = read_table(path, payload, known=KNOWN_HEADERS, sheet=sheet, fields=COUNT_ALIASES)
    reference_date = reference_date or frame.attrs.get("reference_date")  # sheet name or title line
    table = parse_population(
        frame, municipality, reference_date, mapping, known_districts(db_path, municipality), level
    )
    # what the reader noticed (statistical signs read as empty, an encoding, skipped sheets) comes first
    table = dataclasses.replace(table, problems=[*frame.attrs.get("warnings", []), *table.problems])
    if not table.errors:
        table = keep_stored_measures(table, db_path, municipality)
    if table.errors:
        raise DataImportError(path, table.problems)
    return table


def keep_stored_measures(table: PopulationTable, db_path: str | Path, municipality: str) -> PopulationTable:
    """A measure the stored snapshot of a Stichtag has and the file lacks keeps its stored values.

    A re-import never replaces known counts with unknown ones: where the file has no figure of a
    measure at a Stichtag, the stored figures of that measure stay (with a warning), provided they
    still fit the new counts; otherwise the file is refused with a message that says so.
    """
    if not Path(db_path).exists():
        return table
    store = Store(db_path)
    try:
        stored = store.query(
            "SELECT * EXCLUDE (municipality, import_id) FROM population "
            "WHERE municipality = ? AND list_contains(?, reference_date)",
            [municipality, sorted(set(table.counts["reference_date"]))],
        )
    finally:
        store.close()
    if stored.empty:
        return table
    stored["reference_date"] = pd.to_datetime(stored["reference_date"]).dt.date
    counts, problems = table.counts.copy(), list(table.problems)
    for day, group in counts.groupby("reference_date"):
        before = stored[stored["reference_date"] == day].set_index("district_id")
        for fld in COUNTS:
            if group[fld].notna().any() or before.empty or before[fld].isna().all():
                continue
            kept = group["district_id"].map(before[fld]).astype("Int64")
            counts.loc[group.index, fld] = kept
            label = MAPPABLE.get(fld, fld)
            problems.append(
                _warning(
                    f"Die Datei enthält zum Stichtag {day:%d.%m.%Y} keine Angaben zu „{label}“; die gespeicherten "
                    f"Werte ({int(kept.notna().sum())} Gebiete) bleiben erhalten."
                )
            )
    for rec in counts.to_dict("records"):
        for fld, other in (("foreigners", "population"), ("migration_background", "population")):
            if pd.notna(rec[fld]) and pd.notna(rec[other]) and rec[fld] > rec[other]:
                problems.append(
                    Problem(
                        f"Die gespeicherten {MAPPABLE[fld]} ({rec[fld]}) zum Stichtag {rec['reference_date']:%d.%m.%Y} "
                        f"übersteigen die neue Einwohnerzahl ({rec[other]}) von {rec['district_id'] or 'der Gesamtzahl'}; "
                        f"bitte die Datei mit der Spalte „{MAPPABLE[fld]}“ liefern."
                    )
                )
    return PopulationTable(table.districts, counts, problems, table.fields)
