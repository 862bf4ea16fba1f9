"""Import of a person-level register extract, aggregated on the fly: nothing person-level is stored.

One row per person with Stadtteil, nationality, year (or date) of birth, sex and — where the extract
has it — migration background (`ja`/`nein`) or a second nationality. The rows are read into memory,
validated, counted per Stadtteil × nationality × age group × sex × migration status, and only those
counts are written (`population_detail`, and the totals derived from them in `population`).

Migration background: taken from a `Migrationshintergrund` column where present; otherwise a person
has it when not German or when a second nationality is recorded. Without either column the totals
carry the foreigners only and leave migration background unknown.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.demo import AGE_GROUPS, GERMANY, population_totals
from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import (
    MAX_FILE_BYTES,
    aliases,
    decode_text,
    find_column,
    normalise_header,
    normalise_name,
    read_bytes,
)
from data.store import known_districts, writing

MAX_REGISTER_BYTES = 8 * MAX_FILE_BYTES  # a city's extract: ~1 million rows


COLUMNS = {
    "district": aliases("Stadtteil", "Stadtteil-Nr", "Stadtteilnummer", "Bezirk", "Ortsteil"),
    "nationality": aliases("Staatsangehörigkeit", "Staatsangehoerigkeit", "Nationalität", "Staatsang"),
    "second_nationality": aliases("Zweite Staatsangehörigkeit", "weitere Staatsangehörigkeit", "Staatsang2"),
    "birth": aliases("Geburtsjahr", "Geburtsdatum", "Jahrgang"),
    "age": aliases("Alter"),
    "sex": aliases("Geschlecht", "Sex"),
    "migration": aliases("Migrationshintergrund", "MH"),
}
GERMAN = aliases("deutsch", "Deutschland", "DE", "D", "DEU", "000")
SEX = {
    "m": "m",
    "maennlich": "m",
    "w": "w",
    "weiblich": "w",
    "f": "w",
    "d": "d",
    "divers": "d",
    "x": "d",
    "o": "d",
}
YES = aliases("ja", "j", "1", "true", "mit", "x")
NO = aliases("nein", "n", "0", "false", "ohne", "")
AGE_BOUNDS = [0, 6, 18, 25, 45, 65, 80]  # lower bounds of AGE_GROUPS


def read_register(path: Path, payload: bytes) -> pd.DataFrame:
    """The extract as strings, fast (pandas' C parser); index = spreadsheet row numbers."""
    if len(payload) > MAX_REGISTER_BYTES:
        raise DataImportError(path, f"Die Datei ist größer als {MAX_REGISTER_BYTES // 1024 // 1024} MB.")
    if not payload.strip():
        raise DataImportError(path, "Die Datei ist leer.")
    if b"\x00" in payload[:4096] or payload[:4] == b"PK\x03\x04":
        raise DataImportError(path, "Ein Melderegister-Auszug wird als CSV-Datei erwartet.")
    text = decode_text(payload, path.name)
    if not text.strip():
        raise DataImportError(path, "Die Datei ist leer.")
    first = text.lstrip().splitlines()[0]
    sep = max((";", "\t", ","), key=first.count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, engine="c")
    except (pd.errors.ParserError, ValueError) as err:
        raise DataImportError(path, f"Die CSV-Datei ist fehlerhaft ({err}).") from err
    frame.index = range(2, len(frame) + 2)
    return frame


def aggregate_register(
    frame: pd.DataFrame, reference_date: date, known: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem]]:
    """Count persons per Stadtteil, nationality, age group, sex and migration status."""
    cols = {field: find_column(list(frame.columns), aliases) for field, aliases in COLUMNS.items()}
    missing = [
        name
        for name, field in (
            ("Stadtteil", "district"),
            ("Staatsangehörigkeit", "nationality"),
            ("Geschlecht", "sex"),
        )
        if cols[field] is None
    ]
    if cols["birth"] is None and cols["age"] is None:
        missing.append("Geburtsjahr oder Alter")
    if missing:
        return pd.DataFrame(), [
            Problem(
                f"Es fehlen Spalten: {', '.join(missing)}. Vorhandene Spalten: {', '.join(frame.columns)}.",
                row=1,
            )
        ]
    problems: list[Problem] = []

    def bad(mask: pd.Series, column: str, message: str) -> None:
        for row, value in frame.loc[mask, column].head(20).items():
            problems.append(Problem(message.format(value=value), row, column))
        if mask.sum() > 20:
            problems.append(
                Problem(f"… und {rows_text(int(mask.sum()) - 20)} mehr mit demselben Fehler.", column=column)
            )

    district_raw = frame[cols["district"]].str.strip()
    lookup = {
        **{normalise_name(n): i for i, n in zip(known["district_id"], known["district"], strict=True)},
        **{str(i): i for i in known["district_id"]},
    }
    district = district_raw.map(lambda v: lookup.get(v) or lookup.get(normalise_name(v)))
    if known.empty:
        district = district_raw.where(district_raw != "")
    bad(district.isna(), cols["district"], "Stadtteil „{value}“ ist nicht bekannt.")

    nationality_raw = frame[cols["nationality"]].str.strip()
    is_german = nationality_raw.map(normalise_header).isin(GERMAN)
    nationality = nationality_raw.where(~is_german, GERMANY)
    bad(nationality_raw == "", cols["nationality"], "Die Staatsangehörigkeit fehlt.")

    sex = frame[cols["sex"]].map(lambda v: SEX.get(normalise_header(v)))
    bad(sex.isna(), cols["sex"], "„{value}“ ist kein Geschlecht (m, w, d).")

    if cols["birth"] is not None:
        birth = frame[cols["birth"]].str.strip()
        year = pd.to_numeric(birth.str.extract(r"(\d{4})")[0], errors="coerce")
        age = reference_date.year - year
        bad(year.isna() | (age < 0) | (age > 120), cols["birth"], "„{value}“ ist kein gültiges Geburtsjahr.")
    else:
        age = pd.to_numeric(frame[cols["age"]], errors="coerce")
        bad(age.isna() | (age < 0) | (age > 120), cols["age"], "„{value}“ ist kein gültiges Alter.")
    age_group = pd.cut(age, bins=[*AGE_BOUNDS, np.inf], right=False, labels=AGE_GROUPS)

    if cols["migration"] is not None:
        flag = frame[cols["migration"]].map(normalise_header)
        with_mh = flag.isin(YES)
        bad(~(with_mh | flag.isin(NO)), cols["migration"], "„{value}“: erwartet ja oder nein.")
        with_mh |= ~is_german
    elif cols["second_nationality"] is not None:
        with_mh = ~is_german | (frame[cols["second_nationality"]].str.strip() != "")
    else:
        with_mh = ~is_german
    if problems:
        return pd.DataFrame(), problems
    people = pd.DataFrame(
        {
            "district_id": district,
            "nationality": nationality,
            "age_group": age_group.astype(str),
            "sex": sex,
            "migration_status": np.where(with_mh, "mit", "ohne"),
        }
    )
    detail = people.value_counts().rename("persons").reset_index()
    detail["reference_date"] = pd.Timestamp(reference_date)
    return detail, []


def import_register(
    path: str | Path,
    db_path: str | Path,
    municipality: str,
    reference_date: date,
    user: str | None = None,
    payload: bytes | None = None,
) -> ImportReport:
    """Aggregate a person-level extract and replace the Stichtag's counts with the result."""
    path = Path(path)
    if payload is None:
        payload = read_bytes(path)
    frame = read_register(path, payload)
    known = known_districts(db_path, municipality)
    known = known[known["level"] == "Stadtteil"]
    has_mh = any(find_column(list(frame.columns), COLUMNS[f]) for f in ("migration", "second_nationality"))
    detail, problems = aggregate_register(frame, reference_date, known)
    if problems:
        raise DataImportError(path, problems)
    del frame  # the person-level rows go no further than this function
    detail["municipality"] = municipality
    totals = population_totals(detail)
    if not has_mh:
        totals["migration_background"] = pd.NA
        totals["minors_migration_background"] = pd.NA
    new = sorted(set(detail["district_id"]) - set(known["district_id"]))
    where = "municipality = ? AND reference_date = ?"
    with writing(db_path) as w:
        import_id = w.start_import(
            "register", municipality, path.name, hashlib.sha256(payload).hexdigest(), user
        )
        w.ensure_municipality(municipality)
        if new:
            w.upsert_districts(municipality, pd.DataFrame({"district_id": new, "name": new}))
        replaced = w.replace("population", where, [municipality, reference_date], totals, import_id)
        w.replace("population_detail", where, [municipality, reference_date], detail, import_id)
        text = f"Stichtag {reference_date:%d.%m.%Y} ({replaced} Stadtteile)" if replaced else ""
        w.finish_import(import_id, len(detail), text)
    report = ImportReport(
        "Melderegister (aggregiert)", path.name, municipality, len(detail), [reference_date], text
    )
    report.warnings.append(
        Problem(
            f"{int(detail['persons'].sum())} Personen zu {len(detail)} Zählzellen "
            "zusammengefasst; personenbezogene Daten wurden nicht gespeichert.",
            severity="warning",
        )
    )
    return report
