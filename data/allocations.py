"""Import of allocation lists (Zuweisungen): persons per period and country of origin.

One row per period and Herkunftsland (and, optionally, Rechtsgrundlage):

    Zeitraum;Herkunftsland;Personen;davon Kinder;Rechtsgrundlage
    2022;Ukraine;388;135;§24 AufenthG

`Zeitraum` is a year (`2022`), a month (`2022-03`, `03/2022`, `März 2022`) or a date (`15.03.2022`,
kept as a day). An empty `davon Kinder` means "not known" and stays unknown (NULL), never 0. A row
whose Herkunftsland is `Gesamt`/`Insgesamt`/`Summe`/`Total` is checked against the sum of the other
rows of its period (minors: against the sum of the known values, as council papers add them) and not
stored. A row with both `Personen` and `davon Kinder` empty means "none from this country in this
period" (council tables leave such cells blank) and is skipped. A file must not hold a year and months of the same year (they would be counted twice).

The whole file is validated before anything is written; each problem names file, row and column.
An import replaces the municipality's rows of every period present in the file, and finer rows
inside them (months of an imported year). A stored year is replaced by months only when the file
holds all twelve months of that year; a single month cannot replace a whole year and is refused.

`read_input` and `map_columns` are shared with the quota and occupancy importers.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import (
    aliases,
    find_column,
    normalise_header,
    parse_count,
    parse_date,
    read_bytes,
    read_table,
)
from data.store import writing

YEAR, MONTH, DAY = "year", "month", "day"


PERIOD_ALIASES = aliases("Zeitraum", "Periode", "Zeit", "Monat", "Jahr", "Zuweisungsdatum", "Datum", "period")
COUNTRY_ALIASES = aliases(
    "Herkunftsland", "Herkunft", "Land", "Staatsangehörigkeit", "Nationalität", "Herkunftsstaat", "country"
)
PERSONS_ALIASES = aliases("Personen", "Anzahl", "Anzahl Personen", "Zuweisungen", "Zugewiesene", "persons")
MINORS_ALIASES = aliases(
    "davon Kinder",
    "Kinder",
    "davon Minderjährige",
    "Minderjährige",
    "davon unter 18",
    "unter 18",
    "minors",
)
LEGAL_ALIASES = aliases("Rechtsgrundlage", "Rechtsgrund", "Rechtsstatus", "legal_basis")
TOTAL_NAMES = aliases("Gesamt", "Insgesamt", "Summe", "Total", "Alle", "Gesamtsumme")

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jan", "jaenner"),
            ("februar", "feb"),
            ("maerz", "mrz", "maer", "mar"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("dezember", "dez"),
        ),
        start=1,
    )
    for name in names
}


# --- shared by the refugee importers ----------------------------------------------------------------


def read_input(path: str | Path, payload: bytes | None = None) -> tuple[pd.DataFrame, bytes]:
    """The table (strings, index = spreadsheet row numbers) and the raw bytes (for the checksum)."""
    path = Path(path)
    if payload is None:
        payload = read_bytes(path)
    return read_table(path, payload), payload


def map_columns(
    frame: pd.DataFrame, required: dict[str, tuple[str, set[str]]], optional: dict[str, set[str]]
) -> tuple[dict[str, str | None], list[Problem]]:
    """field → column of the file. `required`: field → (German example, aliases); missing ones are problems."""
    cols = list(frame.columns)
    found: dict[str, str | None] = {}
    problems = []
    for field, (example, names) in required.items():
        found[field] = find_column(cols, names)
        if found[field] is None:
            problems.append(
                Problem(
                    f'Keine Spalte "{example}" gefunden. Vorhandene Spalten: {", ".join(cols)}.',
                    row=1,
                )
            )
    for field, names in optional.items():
        found[field] = find_column(cols, names)
    return found, problems


def cell(row: pd.Series, column: str | None) -> str:
    """The stripped text of a cell; "" where the column is absent."""
    return str(row[column]).strip() if column else ""


# --- periods ------------------------------------------------------------------------------------------


def parse_period(raw: object) -> tuple[date, str] | None:
    """`2022` → (2022-01-01, year); `2022-03`, `03/2022`, `März 2022` → (2022-03-01, month);
    a date → (that day, day). Empty → None; anything else raises ValueError in German."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if m := re.fullmatch(r"(\d{4})(\.0)?", text):
        return date(int(m[1]), 1, 1), YEAR
    month = year = None
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text):
        year, month = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{1,2})[/.](\d{4})", text):
        month, year = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"([A-Za-zÄÖÜäöü]+)\.?\s*(\d{4}|\d{2})", text):
        month = MONTHS.get(normalise_header(m[1]))
        year = int(m[2]) if len(m[2]) == 4 else 2000 + int(m[2])
        if month is None:
            raise ValueError(f'"{text}": unbekannter Monatsname.')
    if month is not None and year is not None:
        if not 1 <= month <= 12:
            raise ValueError(f'"{text}": Monat {month} gibt es nicht.')
        return date(year, month, 1), MONTH
    try:
        day = parse_date(text)
    except ValueError:
        raise ValueError(
            f'"{text}" ist kein Zeitraum (erwartet z. B. 2022, 2022-03, 03/2022 oder 15.03.2022).'
        ) from None
    return day, DAY


def period_end(start: date, kind: str) -> date:
    """The first day after the period."""
    if kind == YEAR:
        return date(start.year + 1, 1, 1)
    if kind == MONTH:
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return (pd.Timestamp(start) + pd.Timedelta(days=1)).date()


def period_text(start: date, kind: str) -> str:
    """`2022`, `03/2022` or `15.03.2022`, as planners write them."""
    if kind == YEAR:
        return f"{start.year}"
    if kind == MONTH:
        return f"{start.month:02d}/{start.year}"
    return f"{start:%d.%m.%Y}"


def _contains(outer: tuple[date, str], inner: tuple[date, str]) -> bool:
    return outer[0] <= inner[0] and period_end(*inner) <= period_end(*outer)


# --- parsing ------------------------------------------------------------------------------------------


def parse_allocations(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate an allocation list. Returns the rows to store (period_start, period_type, country,
    persons, minors, legal_basis) and every problem found (warnings included)."""
    cols, problems = map_columns(
        frame,
        {
            "period": ("Zeitraum", PERIOD_ALIASES),
            "country": ("Herkunftsland", COUNTRY_ALIASES),
            "persons": ("Personen", PERSONS_ALIASES),
        },
        {"minors": MINORS_ALIASES, "legal_basis": LEGAL_ALIASES},
    )
    if problems:
        return pd.DataFrame(), problems
    records, totals = [], []
    for row_no, row in frame.iterrows():
        rec: dict = {"row": row_no, "country": cell(row, cols["country"])}
        rec["legal_basis"] = cell(row, cols["legal_basis"]) or None
        try:
            period = parse_period(row[cols["period"]])
            if period is None:
                problems.append(Problem("Der Zeitraum fehlt.", row_no, cols["period"]))
            else:
                rec["period_start"], rec["period_type"] = period
        except ValueError as err:
            problems.append(Problem(str(err), row_no, cols["period"]))
        for field in ("persons", "minors"):
            try:
                rec[field] = parse_count(row[cols[field]]) if cols[field] else None
            except ValueError as err:
                problems.append(Problem(str(err), row_no, cols[field]))
                rec[field] = None
        if rec["persons"] is None and not any(p.row == row_no for p in problems):
            if rec["minors"] is None:
                continue  # Personen and Kinder empty: no allocation from this country in this period
            problems.append(Problem("Die Zahl der Personen fehlt.", row_no, cols["persons"]))
        if rec["persons"] is not None and rec["minors"] is not None and rec["minors"] > rec["persons"]:
            problems.append(
                Problem(
                    f"Mehr Kinder ({rec['minors']}) als Personen ({rec['persons']}).", row_no, cols["minors"]
                )
            )
        is_total = normalise_header(rec["country"]) in TOTAL_NAMES
        if not rec["country"]:
            problems.append(Problem("Das Herkunftsland fehlt.", row_no, cols["country"]))
        (totals if is_total else records).append(rec)
    if not records and not problems:
        problems.append(Problem("Die Datei enthält keine Zuweisungen."))
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), problems

    data = pd.DataFrame(records)
    problems += _check_duplicates(data, cols)
    problems += _check_mixed_periods(data, cols)
    problems += _check_totals(data, totals, cols)
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), problems
    data["persons"] = data["persons"].astype("Int64")
    data["minors"] = pd.array(data["minors"].tolist(), dtype="Int64")
    columns = ["period_start", "period_type", "country", "persons", "minors", "legal_basis"]
    return data[columns].reset_index(drop=True), problems


def _check_duplicates(data: pd.DataFrame, cols: dict) -> list[Problem]:
    key = data[["period_start", "period_type", "country"]].assign(legal=data["legal_basis"].fillna(""))
    problems = []
    for rec in data[key.duplicated(keep=False)].itertuples():
        where = f" ({rec.legal_basis})" if rec.legal_basis else ""
        problems.append(
            Problem(
                f'"{rec.country}"{where} kommt im Zeitraum {period_text(rec.period_start, rec.period_type)} '
                "mehrfach vor.",
                rec.row,
                cols["country"],
            )
        )
    return problems


def _check_mixed_periods(data: pd.DataFrame, cols: dict) -> list[Problem]:
    """A year and a month (or day) of the same year in one file would count people twice."""
    years = {p.year for p, k in zip(data["period_start"], data["period_type"], strict=True) if k == YEAR}
    problems = []
    for rec in data[(data["period_type"] != YEAR)].itertuples():
        if rec.period_start.year in years:
            problems.append(
                Problem(
                    f"Die Datei enthält für {rec.period_start.year} schon eine Jahreszahl; der Zeitraum "
                    f"{period_text(rec.period_start, rec.period_type)} würde doppelt gezählt.",
                    rec.row,
                    cols["period"],
                )
            )
    return problems


def _check_totals(data: pd.DataFrame, totals: list[dict], cols: dict) -> list[Problem]:
    problems = []
    for total in totals:
        if "period_start" not in total:
            continue
        same = data[
            (data["period_start"] == total["period_start"]) & (data["period_type"] == total["period_type"])
        ]
        if total["legal_basis"]:
            same = same[same["legal_basis"] == total["legal_basis"]]
        found = int(same["persons"].sum())
        if found != total["persons"]:
            problems.append(
                Problem(
                    f"Die Summe der Länder ({found}) stimmt nicht mit der Gesamtzeile ({total['persons']}) überein.",
                    total["row"],
                    cols["persons"],
                )
            )
        if total["minors"] is None:
            continue
        known = same["minors"].dropna()
        if known.empty:
            problems.append(
                Problem(
                    f"Die Gesamtzeile nennt {total['minors']} Kinder, die Länderzeilen keine; die Zahl wird "
                    "nicht gespeichert.",
                    total["row"],
                    cols["minors"],
                    severity="warning",
                )
            )
        elif int(known.sum()) != total["minors"]:
            problems.append(
                Problem(
                    f"Die Summe der bekannten Kinderzahlen ({int(known.sum())}) stimmt nicht mit der "
                    f"Gesamtzeile ({total['minors']}) überein.",
                    total["row"],
                    cols["minors"],
                )
            )
    return problems


# --- writing ------------------------------------------------------------------------------------------


def _replaced_rows(stored: pd.DataFrame, periods: set[tuple[date, str]], file: Path) -> pd.Series:
    """Which stored rows the file replaces; refuses a file that covers only part of a stored period."""
    if stored.empty:
        return pd.Series(dtype=bool)
    stored_periods = [
        (pd.Timestamp(s).date(), k)
        for s, k in zip(stored["period_start"], stored["period_type"], strict=True)
    ]
    inside = [any(_contains(p, s) for p in periods) for s in stored_periods]
    problems = []
    covering = []
    for s, within in zip(stored_periods, inside, strict=True):
        if within:
            covering.append(False)
            continue
        parts = [p for p in periods if _contains(s, p) and p != s]
        if not parts:
            covering.append(False)
            continue
        if _fully_covered(s, parts):
            covering.append(True)
        else:
            text = ", ".join(period_text(*p) for p in sorted(parts))
            problems.append(
                Problem(
                    f"Für {period_text(*s)} ist bereits eine Gesamtzahl gespeichert; die Datei enthält nur "
                    f"einen Teil davon ({text}). Bitte den ganzen Zeitraum liefern, damit nichts doppelt "
                    "oder gar nicht gezählt wird."
                )
            )
            covering.append(False)
    if problems:
        raise DataImportError(file, list(dict.fromkeys(problems)))
    return pd.Series([a or b for a, b in zip(inside, covering, strict=True)], index=stored.index)


def _fully_covered(outer: tuple[date, str], parts: list[tuple[date, str]]) -> bool:
    days = pd.date_range(outer[0], period_end(*outer), inclusive="left")
    covered = pd.Series(False, index=days)
    for start, kind in parts:
        covered[(days >= pd.Timestamp(start)) & (days < pd.Timestamp(period_end(start, kind)))] = True
    return bool(covered.all())


def import_allocations(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    user: str | None = None,
    payload: bytes | None = None,
) -> ImportReport:
    """Validate the file, then replace the municipality's rows of the periods it holds, in one transaction."""
    path = Path(path)
    frame, payload = read_input(path, payload)
    rows, problems = parse_allocations(frame)
    if any(p.severity == "error" for p in problems):
        raise DataImportError(path, problems)
    periods = set(zip(rows["period_start"], rows["period_type"], strict=True))
    with writing(db_path) as w:
        import_id = w.start_import(
            "allocations", municipality, path.name, hashlib.sha256(payload).hexdigest(), user
        )
        w.ensure_municipality(municipality)
        stored = w.fetch(
            "SELECT rowid AS row_id, period_start, period_type FROM allocations WHERE municipality = ?",
            [municipality],
        )
        gone = stored[_replaced_rows(stored, periods, path)] if not stored.empty else stored
        if not gone.empty:
            w.execute("DELETE FROM allocations WHERE list_contains(?, rowid)", [gone["row_id"].tolist()])
        n = w.insert("allocations", rows.assign(municipality=municipality), import_id)
        replaced = _describe_replaced(gone)
        w.finish_import(import_id, n, replaced)
    dates = sorted({start for start, _ in periods})
    warnings = [p for p in problems if p.severity == "warning"]
    return ImportReport("Zuweisungen", path.name, municipality, n, dates, replaced, warnings)


def _describe_replaced(gone: pd.DataFrame) -> str:
    if gone.empty:
        return ""
    counts = gone.groupby(["period_start", "period_type"]).size()
    return ", ".join(
        f"{period_text(pd.Timestamp(start).date(), kind)} ({rows_text(k)})"
        for (start, kind), k in counts.items()
    )
