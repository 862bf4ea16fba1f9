"""Import of a city's own indicators: further counts per Stadtteil and Stichtag with a description.

Two files: the counts, as any table a city office publishes (one row per Stadtteil, and Stichtag
where the file has several)

    Nr;Stadtteil;Stichtag;SGB II
    01;Alstedde;31.12.2020;412

and the description as TOML (`--meta META.toml`; on the upload page the same fields in a form):

    key = "sgb2"                                  # the indicator's name in links and files: own_sgb2
    label = "SGB-II-Quote"
    short_label = "SGB II"                        # optional, for narrow charts
    numerator = "Personen in SGB-II-Bedarfsgemeinschaften"
    denominator = "population"                    # or another count (foreigners, minors, own_…); none: a plain count
    unit = "Personen"                             # optional: what is counted (Personen, Fälle …)
    source = "Jobcenter, Statistik der Bundesagentur für Arbeit"
    caveat = "Stichtag der BA-Statistik ist der 31.12."
    column = "SGB II"                             # optional: the file's column with the counts

Read as the population files are: title lines and notes around the table, the statistical signs
(`.` `x` `/` read as not known, each with a warning; `-` as 0), German numbers. Problems that do not
make the file wrong are warnings, listed with file, row and column, and the rest is imported: a
Stadtteil the municipality does not have (its row is skipped), a negative count or one above its
denominator (stored as not known). Refused, with every problem of the file at once: no column for
the Stadtteil or the counts, a cell that is no number, a Stichtag missing, a Stadtteil twice at one
Stichtag, a description that is incomplete. Importing the same indicator and Stichtag again
replaces it (the replaced rows go to the archive, so `undo` brings them back).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import (
    aliases,
    find_column,
    normalise_header,
    normalise_name,
    parse_count,
    parse_date,
    read_bytes,
    read_table,
)
from data.population import DATE_ALIASES, KEY_ALIASES, NAME_ALIASES, TOTAL_NAMES, YEAR_ALIASES, fmt_count
from data.population_levels import match_key
from data.store import STADTTEIL, Store, known_districts, writing

KIND = "indicator"
PREFIX = "own_"
#: counts of the population table an own indicator may be divided by, with their German names
POPULATION_DENOMINATORS = {
    "population": "Einwohner:innen",
    "foreigners": "Ausländer:innen",
    "migration_background": "Personen mit Migrationshintergrund",
    "minors": "Minderjährige (unter 18 Jahre)",
}
#: the fields of the description: name → (German name, required)
META_FIELDS = {
    "key": ("Schlüssel", True),
    "label": ("Bezeichnung", True),
    "short_label": ("Kurzbezeichnung", False),
    "numerator": ("Zähler", True),
    "denominator": ("Nenner", False),
    "unit": ("Einheit", False),
    "source": ("Quelle", True),
    "caveat": ("Hinweis", False),
    "column": ("Spalte in der Datei", False),
}
VALUE_ALIASES = aliases("Anzahl", "Wert", "Fälle", "Personen", "value", "Zahl")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


class DescriptionError(DataImportError):
    """The description of an own indicator was refused; nothing was imported."""

    def render(self, limit: int = 50) -> str:
        lines = super().render(limit).splitlines()
        lines[0] = (
            f"Die Beschreibung der Kennzahl ({self.file_name}) ist unvollständig oder fehlerhaft; es wurde nichts "
            "importiert oder geändert."
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class IndicatorMeta:
    """The description of an own indicator, checked (see the module docstring)."""

    key: str
    label: str
    short_label: str
    numerator: str
    denominator: str | None
    unit: str
    source: str
    caveat: str
    column: str | None = None

    def row(self, municipality: str) -> pd.DataFrame:
        """The row of `custom_indicators`."""
        return pd.DataFrame(
            [
                {
                    "municipality": municipality,
                    "key": self.key,
                    "label": self.label,
                    "short_label": self.short_label,
                    "numerator_label": self.numerator,
                    "denominator": self.denominator,
                    "unit": self.unit,
                    "source": self.source,
                    "caveat": self.caveat,
                }
            ]
        )


def parse_meta(fields: dict, file_name: str = "META.toml") -> IndicatorMeta:
    """The description from its fields (a TOML file's or the upload form's); DataImportError listing
    every problem at once."""
    problems = []
    for name in fields:
        if name not in META_FIELDS:
            problems.append(Problem(f"Unbekanntes Feld „{name}“; möglich sind: {', '.join(META_FIELDS)}."))
    values: dict[str, str | None] = {}
    for name, (german, required) in META_FIELDS.items():
        raw = fields.get(name)
        if raw is not None and not isinstance(raw, str):
            problems.append(Problem(f"Das Feld „{name}“ ({german}) muss ein Text in Anführungszeichen sein."))
            raw = None
        text = " ".join(raw.split()) if raw else ""
        if required and not text:
            problems.append(Problem(f"Das Feld „{name}“ ({german}) fehlt oder ist leer."))
        values[name] = text or None
    key = (values["key"] or "").lower()
    if key and not key.startswith(PREFIX):
        key = PREFIX + key
    if values["key"] and not _KEY.fullmatch(key):
        problems.append(
            Problem(
                f"Der Schlüssel „{values['key']}“ darf nur Kleinbuchstaben a–z, Ziffern und _ enthalten, mit "
                "einem Buchstaben beginnen und höchstens 40 Zeichen lang sein (z. B. „sgb2“).",
            )
        )
    if key.endswith("_pct"):  # own_x_pct is the share of own_x
        problems.append(Problem(f"Der Schlüssel „{values['key']}“ darf nicht auf „_pct“ enden."))
    denominator = values["denominator"]
    if denominator:
        by_label = {normalise_header(v): k for k, v in POPULATION_DENOMINATORS.items()}
        denominator = by_label.get(normalise_header(denominator), denominator)
        if denominator not in POPULATION_DENOMINATORS:
            denominator = denominator.lower()
            denominator = denominator if denominator.startswith(PREFIX) else PREFIX + denominator
        if denominator == key:
            problems.append(Problem("Der Nenner („denominator“) darf nicht die Kennzahl selbst sein."))
    if problems:
        raise DescriptionError(file_name, problems)
    return IndicatorMeta(
        key=key,
        label=values["label"],
        short_label=values["short_label"] or values["label"],
        numerator=values["numerator"],
        denominator=denominator,
        unit=values["unit"] or "Personen",
        source=values["source"],
        caveat=values["caveat"] or "",
        column=values["column"],
    )


def read_meta(path: str | Path, payload: bytes | None = None) -> IndicatorMeta:
    """The description from a TOML file; DataImportError (in German) for a file that is no TOML."""
    path = Path(path)
    payload = payload if payload is not None else read_bytes(path)
    try:
        fields = tomllib.loads(payload.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DescriptionError(path, "Die Beschreibung ist nicht in UTF-8 gespeichert.") from None
    except tomllib.TOMLDecodeError as err:
        raise DescriptionError(path, f"Die Beschreibung ist keine gültige TOML-Datei: {err}.") from None
    return parse_meta(fields, path.name)


def _warning(message: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(message, row, column, severity="warning")


def _district_lookup(districts: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """(key → district_id, forgiving name → district_id) of the municipality's districts."""
    by_key = {str(k).strip(): str(k) for k in districts["district_id"]}
    by_name: dict[str, str] = {}
    for rec in districts.sort_values("level", ascending=False).itertuples():  # Stadtteil before Stadtbezirk
        by_name.setdefault(match_key(rec.district), str(rec.district_id))
    return by_key, by_name


def parse_values(
    frame: pd.DataFrame,
    meta: IndicatorMeta,
    municipality: str,
    districts: pd.DataFrame,
    reference_date: date | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """The counts of a table (strings, index = spreadsheet row numbers): reference_date, district_id,
    value (Int64), row; and every problem (errors and warnings)."""
    cols = list(frame.columns)
    problems: list[Problem] = []
    wanted = {
        normalise_header(n)
        for n in (meta.column, meta.label, meta.short_label, meta.numerator, meta.key)
        if n
    }
    value_col = (
        meta.column if meta.column in cols else find_column(cols, wanted) or find_column(cols, VALUE_ALIASES)
    )
    key_col = next(
        (c for c in cols if normalise_header(c) in KEY_ALIASES and normalise_header(c) != "id"), None
    )
    name_col = find_column(cols, NAME_ALIASES)
    date_col, year_col = find_column(cols, DATE_ALIASES), find_column(cols, YEAR_ALIASES)
    if value_col is None:
        rest = [c for c in cols if c not in {key_col, name_col, date_col, year_col}]
        value_col = rest[0] if len(rest) == 1 else None
    if value_col is None:
        hint = f"„{meta.column}“" if meta.column else "z. B. „Anzahl“ oder die Bezeichnung der Kennzahl"
        problems.append(
            Problem(
                f"Keine Spalte mit den Zahlen gefunden (erwartet {hint}; sonst das Feld „column“ der "
                f"Beschreibung angeben). Vorhandene Spalten: {', '.join(cols)}.",
                row=1,
            )
        )
    if key_col is None and name_col is None:
        problems.append(
            Problem(
                f"Keine Spalte für den Stadtteil gefunden (erwartet z. B. „Stadtteil“ oder „Nr“). "
                f"Vorhandene Spalten: {', '.join(cols)}.",
                row=1,
            )
        )
    if districts.empty:
        problems.append(
            Problem(
                f"Für {municipality} sind noch keine Stadtteile geladen. Bitte zuerst die Einwohnerzahlen "
                "importieren; eigene Kennzahlen ergänzen sie."
            )
        )
    if problems:
        return pd.DataFrame(), problems
    by_key, by_name = _district_lookup(districts)
    totals = TOTAL_NAMES | {normalise_name(municipality), normalise_name(f"Stadt {municipality}")}
    records, total_rows = [], []
    for row_no, row in frame.iterrows():
        key = str(row[key_col]).strip() if key_col else ""
        name = str(row[name_col]).strip() if name_col else ""
        raw = str(row[value_col]).strip()
        if normalise_name(name) in totals or (not name and normalise_name(key) in totals):
            total_rows.append((row_no, raw))
            continue
        district = by_key.get(key) if key else None
        district = district or (by_name.get(match_key(name)) if name else None)
        when = reference_date
        date_problem = None
        try:
            if date_col is not None:
                when = parse_date(row[date_col]) or reference_date
            elif year_col is not None:
                when = parse_date(row[year_col]) or reference_date
        except ValueError as err:
            date_problem = Problem(str(err), row_no, date_col or year_col)
        if date_problem:
            problems.append(date_problem)
        elif when is None:
            problems.append(
                Problem(
                    "Der Stichtag fehlt: die Datei hat keine Spalte „Stichtag“ oder „Jahr“; bitte den Stichtag "
                    "angeben (--date JJJJ-MM-TT, beim Hochladen das Feld Stichtag).",
                    row_no,
                    date_col or year_col,
                )
            )
        value = None
        if re.fullmatch(r"[-−]\s*[0-9][0-9.\s]*", raw):
            problems.append(
                _warning(
                    f"„{raw}“ ist negativ; eine Anzahl kann nicht negativ sein. Der Wert fehlt.",
                    row_no,
                    value_col,
                )
            )
        else:
            try:
                value = parse_count(raw)
            except ValueError as err:
                problems.append(Problem(str(err), row_no, value_col))
        if district is None:
            shown = " ".join(p for p in (key, name) if p) or "(leer)"
            problems.append(
                _warning(
                    f"Den Stadtteil „{shown}“ gibt es in {municipality} nicht; die Zeile wird nicht übernommen.",
                    row_no,
                    name_col or key_col,
                )
            )
            continue
        records.append({"reference_date": when, "district_id": district, "value": value, "row": row_no})
    values = pd.DataFrame(records, columns=["reference_date", "district_id", "value", "row"])
    for rec in values[values.duplicated(["reference_date", "district_id"])].itertuples():
        if rec.reference_date is None:
            continue
        problems.append(
            Problem(
                f"Der Stadtteil „{rec.district_id}“ kommt zum Stichtag {rec.reference_date:%d.%m.%Y} mehrfach vor.",
                int(rec.row),
                name_col or key_col,
            )
        )
    problems += _check_totals(values, total_rows, value_col)
    finest = districts["level"] == STADTTEIL
    bottom = districts[finest] if finest.any() else districts
    for day, rows in values.groupby("reference_date"):
        absent = bottom.loc[~bottom["district_id"].isin(rows["district_id"]), "district"].astype(str).tolist()
        if absent and len(absent) < len(bottom):
            more = f" und {len(absent) - 8} weitere" if len(absent) > 8 else ""
            problems.append(
                _warning(
                    f"Zum Stichtag {day:%d.%m.%Y} fehlen {len(absent)} von {len(bottom)} Stadtteilen "
                    f"({', '.join(absent[:8])}{more}); ihre Werte sind unbekannt."
                )
            )
    if values.empty and not any(p.severity == "error" for p in problems):
        problems.append(Problem(f"Die Datei enthält keinen Stadtteil von {municipality}."))
    values["value"] = pd.array(values["value"].tolist(), dtype="Int64")
    values.attrs["value_column"] = value_col
    return values, problems


def _check_totals(values: pd.DataFrame, total_rows: list[tuple[int, str]], column: str) -> list[Problem]:
    """A total row is not stored; where it differs from the sum of the Stadtteile that is a note."""
    problems = []
    for row_no, raw in total_rows:
        try:
            total = parse_count(raw)
        except ValueError:
            total = None
        known = values["value"].dropna()
        if total is None or values.empty:
            continue
        found = int(sum(int(v) for v in known))
        if found != total:
            problems.append(
                _warning(
                    f"Gesamtzeile {fmt_count(total)}, Summe der Stadtteile {fmt_count(found)}; gespeichert werden "
                    "die Stadtteile, die Stadt ist ihre Summe.",
                    row_no,
                    column,
                )
            )
    return problems


def _stored(db_path: str | Path, municipality: str, meta: IndicatorMeta) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the denominator per reference_date and district_id as `denominator`, the own indicators of
    other municipalities with the same key)."""
    empty = pd.DataFrame(columns=["reference_date", "district_id", "denominator"])
    if not Path(db_path).exists():
        return empty, pd.DataFrame(columns=["municipality", "label"])
    store = Store(db_path)
    try:
        others = store.query(
            "SELECT municipality, label, denominator FROM custom_indicators WHERE key = ? AND municipality <> ?",
            [meta.key, municipality],
        )
        if meta.denominator in POPULATION_DENOMINATORS:
            den = store.query(
                f"SELECT reference_date, district_id, {meta.denominator} AS denominator FROM population "
                "WHERE municipality = ? AND district_id <> ''",
                [municipality],
            )
        elif meta.denominator:
            den = store.query(
                "SELECT reference_date, district_id, value AS denominator FROM custom_values "
                "WHERE municipality = ? AND key = ?",
                [municipality, meta.denominator],
            )
            if (
                den.empty
                and store.query(
                    "SELECT 1 FROM custom_indicators WHERE municipality = ? AND key = ?",
                    [municipality, meta.denominator],
                ).empty
            ):
                den.attrs["unknown"] = True
        else:
            den = empty
    finally:
        store.close()
    den["reference_date"] = pd.to_datetime(den["reference_date"]).dt.date
    return den, others


def check_denominator(values: pd.DataFrame, meta: IndicatorMeta, denominators: pd.DataFrame) -> list[Problem]:
    """A count above its denominator is not known (with a warning, `values` changed in place); a
    Stichtag without any denominator is a note (its shares appear once the denominator is loaded)."""
    if not meta.denominator or values.empty:
        return []
    column = values.attrs.get("value_column")
    den_name = POPULATION_DENOMINATORS.get(meta.denominator, meta.denominator)
    merged = values.merge(denominators, on=["reference_date", "district_id"], how="left")
    problems = []
    over = (merged["value"] > merged["denominator"]).fillna(False).to_numpy(dtype=bool)
    for rec in merged[over].itertuples():
        problems.append(
            _warning(
                f"{fmt_count(int(rec.value))} ist mehr als der Nenner ({den_name}: {fmt_count(int(rec.denominator))}) "
                f"zum Stichtag {rec.reference_date:%d.%m.%Y}; der Wert fehlt.",
                int(rec.row),
                column,
            )
        )
    values.loc[over, "value"] = pd.NA
    for day in sorted(set(values["reference_date"]) - set(denominators["reference_date"])):
        problems.append(
            _warning(
                f"Zum Stichtag {day:%d.%m.%Y} ist der Nenner ({den_name}) nicht geladen; Anteile gibt es, "
                "sobald er geladen ist."
            )
        )
    return problems


def validate_indicator(
    path: str | Path,
    meta: IndicatorMeta,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    payload: bytes | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Everything an import checks, without writing: the values to store and the warnings, or
    DataImportError listing every problem of the file."""
    path = Path(path)
    payload = payload if payload is not None else read_bytes(path)
    known = (
        KEY_ALIASES
        | NAME_ALIASES
        | DATE_ALIASES
        | YEAR_ALIASES
        | VALUE_ALIASES
        | {normalise_header(n) for n in (meta.column, meta.label, meta.short_label, meta.numerator) if n}
    )
    frame = read_table(path, payload, known=known)
    reference_date = reference_date or frame.attrs.get("reference_date")
    districts = known_districts(db_path, municipality)
    values, problems = parse_values(frame, meta, municipality, districts, reference_date)
    problems = [*frame.attrs.get("warnings", []), *problems]
    denominators, others = _stored(db_path, municipality, meta)
    if denominators.attrs.get("unknown"):
        problems.append(
            Problem(
                f"Beschreibung: Der Nenner „{meta.denominator}“ ist weder eine Zahl der Einwohnertabelle "
                f"({', '.join(POPULATION_DENOMINATORS)}) noch eine eigene Kennzahl von {municipality}."
            )
        )
    for rec in others.itertuples():
        if rec.label != meta.label or (rec.denominator or None) != meta.denominator:
            problems.append(
                Problem(
                    f"Beschreibung: Der Schlüssel „{meta.key}“ steht schon für „{rec.label}“ in {rec.municipality}. "
                    "Bitte einen anderen Schlüssel wählen (Links und Downloads nennen die Kennzahl mit ihm)."
                )
            )
    if not any(p.severity == "error" for p in problems):
        problems += check_denominator(values, meta, denominators)
    if any(p.severity == "error" for p in problems):
        raise DataImportError(path, problems)
    return values, problems


def import_indicator(
    path: str | Path,
    meta: IndicatorMeta,
    db_path: str | Path,
    municipality: str,
    reference_date: date | None = None,
    user: str | None = None,
    payload: bytes | None = None,
) -> ImportReport:
    """Validate, then store the description and the counts in one transaction; the Stichtage of this
    indicator the file holds are replaced (the old rows kept in the archive for `undo`)."""
    path = Path(path)
    payload = payload if payload is not None else read_bytes(path)
    values, problems = validate_indicator(path, meta, db_path, municipality, reference_date, payload)
    dates = sorted(set(values["reference_date"]))
    rows = values[["reference_date", "district_id", "value"]].assign(municipality=municipality, key=meta.key)
    with writing(db_path) as w:
        import_id = w.start_import(KIND, municipality, path.name, hashlib.sha256(payload).hexdigest(), user)
        w.ensure_municipality(municipality)
        w.replace("custom_indicators", "municipality = ? AND key = ?", [municipality, meta.key],
                  meta.row(municipality), import_id)  # fmt: skip
        old = w.fetch(
            "SELECT reference_date, count(*) AS n FROM custom_values WHERE municipality = ? AND key = ? "
            "AND list_contains(?, reference_date) GROUP BY 1 ORDER BY 1",
            [municipality, meta.key, dates],
        )
        w.replace("custom_values", "municipality = ? AND key = ? AND list_contains(?, reference_date)",
                  [municipality, meta.key, dates], rows, import_id)  # fmt: skip
        replaced = ", ".join(
            f"{meta.label}, Stichtag {pd.Timestamp(d):%d.%m.%Y} ({rows_text(k)})"
            for d, k in old.itertuples(index=False)
        )
        w.finish_import(import_id, len(rows), replaced)
        warnings = [p for p in problems if p.severity == "warning"]
        if warnings:
            w.execute(
                "UPDATE imports SET warnings = ? WHERE import_id = ?",
                ["\n".join(p.describe(path.name) for p in warnings), import_id],
            )
    return ImportReport(
        f"Kennzahl {meta.label}", path.name, municipality, len(rows), dates, replaced, warnings
    )
