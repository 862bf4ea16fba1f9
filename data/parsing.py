"""Reading the tables municipal IT sends: CSV (`,` `;` or tab; UTF-8 or Windows-1252) and XLSX.

Everything is read as text first; numbers, dates and headers are parsed here, once, with German
conventions (`6.417`, `1 788 994`, `8,4 %`, `31.12.2020`). Parsers return None for an empty cell and
raise ValueError with a German message for a bad one; the importers turn that into a Problem with
file, row and column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from data.errors import DataImportError

MAX_FILE_BYTES = 50 * 1024 * 1024
MISSING = {"", ".", "-", "–", "—", "x", "X", "k.A.", "k. A.", "n.v."}

_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_SPACE = re.compile(r"^\d{1,3}([ \u00a0\u202f]\d{3})+$")
_INT = re.compile(r"^\d+$")
_INT_WITH_ZERO_DECIMALS = re.compile(r"^\d+[.,]0+$")
_DECIMAL = re.compile(r"^\d+([.,]\d+)?$")


def normalise_header(text: str) -> str:
    """`Einwohner:innen` → `einwohnerinnen`, `Ausländer*innen` → `auslaenderinnen`."""
    text = str(text).strip().lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text)


def normalise_name(text: str) -> str:
    """A district name for matching: case, umlauts, hyphens and spaces folded."""
    return normalise_header(text)


def parse_count(raw: object) -> int | None:
    """A count of persons: `6417`, `6.417`, `1 788 994`, `6417.0` (Excel). Empty/`.`/`-` → None."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw).strip()
    if text in MISSING:
        return None
    negative = text.startswith(("-", "−"))
    body = text.lstrip("-−").strip()
    if _INT.match(body) or _THOUSANDS_DOT.match(body) or _THOUSANDS_SPACE.match(body):
        value = int(re.sub(r"[.\s\u00a0\u202f]", "", body))
    elif _INT_WITH_ZERO_DECIMALS.match(body):
        value = int(re.split(r"[.,]", body)[0])
    elif _DECIMAL.match(body):
        raise ValueError(f'"{text}" ist keine ganze Zahl; hier wird eine Anzahl von Personen erwartet.')
    else:
        raise ValueError(f'"{text}" ist keine Zahl.')
    if negative and value != 0:
        raise ValueError(f'"{text}" ist negativ; eine Anzahl kann nicht negativ sein.')
    return value


def parse_percent(raw: object) -> float | None:
    """A published share: `8,4%`, `8,4 %`, `8.4`, `22,55`. Empty → None."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw).strip().rstrip("%").strip()
    if text in MISSING:
        return None
    if re.fullmatch(r"-?\d+(,\d+)?", text):
        return float(text.replace(",", "."))
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    raise ValueError(f'"{raw}" ist kein Prozentwert.')


def parse_date(raw: object) -> date | None:
    """`31.12.2020`, `2020-12-31`, Excel dates, or a year `2020` (→ 31.12.2020, the usual Stichtag)."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if text in MISSING:
        return None
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return date(int(text[:4]), 12, 31)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f'"{text}" ist kein Datum (erwartet z. B. 31.12.2020 oder 2020-12-31).')


def decode_text(payload: bytes, file_name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as municipal exports usually are."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return payload.decode("cp1252")
    except UnicodeDecodeError as err:
        raise DataImportError(
            file_name, "Die Datei ist weder UTF-8 noch Windows-1252 kodiert und kann nicht gelesen werden."
        ) from err


def _sniff_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", "\t", ",")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    return sep if n else ","


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a DataImportError a planner understands."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataImportError(path, f"Die Datei {path} wurde nicht gefunden.") from err
    except OSError as err:
        raise DataImportError(path, f"Die Datei {path} kann nicht gelesen werden ({err.strerror}).") from err


def read_table(path: str | Path, payload: bytes | None = None, known: set[str] | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file into a frame of strings; the index holds spreadsheet row numbers.

    `payload` lets the upload page pass bytes; otherwise the file is read from `path`. With `known`
    (normalised header names the importer understands) the header row is searched among the first
    rows, so title lines above the table and two-row headers in Excel exports are understood.
    """
    path = Path(path)
    name = path.name
    if payload is None:
        payload = read_bytes(path)
    if len(payload) > MAX_FILE_BYTES:
        raise DataImportError(name, f"Die Datei ist größer als {MAX_FILE_BYTES // 1024 // 1024} MB.")
    if not payload.strip():
        raise DataImportError(name, "Die Datei ist leer.")

    if payload[:4] == b"PK\x03\x04" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            frame = pd.read_excel(io.BytesIO(payload), dtype=object, header=None, engine="openpyxl")
        except Exception as err:  # openpyxl raises many kinds for a broken workbook
            raise DataImportError(name, f"Die Excel-Datei kann nicht gelesen werden ({err}).") from err
        frame = frame.map(_excel_cell_to_text)
    else:
        if b"\x00" in payload[:4096]:
            raise DataImportError(name, "Die Datei ist keine Textdatei (CSV) und keine Excel-Datei (XLSX).")
        text = decode_text(payload, name)
        first_line = text.lstrip().splitlines()[0] if text.strip() else ""
        sep = _sniff_delimiter(first_line)
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=sep))
        except csv.Error as err:
            raise DataImportError(name, f"Die CSV-Datei ist fehlerhaft ({err}).") from err
        width = max((len(r) for r in rows), default=0)
        frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)

    frame = frame.fillna("")
    if frame.empty or frame.shape[0] < 1:
        raise DataImportError(name, "Die Datei enthält keine Tabelle.")
    at = locate_header(frame, known) if known else 0
    header = [str(h).strip() for h in frame.iloc[at].tolist()]
    if at > 0:
        header = _join_header_rows(frame.iloc[at - 1].tolist(), header)
    body = frame.iloc[at + 1 :].copy()
    body.columns = _unique(header)
    body.index = range(at + 2, at + 2 + len(body))  # spreadsheet row numbers: the first row is 1
    keep = body.apply(lambda row: any(str(v).strip() for v in row), axis=1)
    body = body[keep] if len(body) else body
    # drop columns that are empty in header and body (trailing separators)
    empty_cols = [
        c for c in body.columns if c.startswith("_leer") and not body[c].astype(str).str.strip().any()
    ]
    return body.drop(columns=empty_cols)


HEADER_SEARCH_ROWS = 15
_GENERIC = {
    "anzahl",
    "absolut",
    "insgesamt",
    "anteil",
    "anteilin",
    "prozent",
    "inprozent",
    "personen",
    "gesamt",
}


def locate_header(frame: pd.DataFrame, known: set[str]) -> int:
    """Index of the row that looks most like the header (most cells the importer knows)."""
    best, best_score = 0, 0
    for i in range(min(HEADER_SEARCH_ROWS, len(frame))):
        cells = [normalise_header(v) for v in frame.iloc[i].tolist() if str(v).strip()]
        score = sum(c in known or c.startswith("anteil") for c in cells)
        if score > best_score:
            best, best_score = i, score
    return best


def _join_header_rows(upper: list, lower: list[str]) -> list[str]:
    """Two-row headers ("Ausländer:innen" over "Anzahl | Anteil"): the group name where the lower cell is generic."""
    filled, last = [], ""
    for cell in upper:
        last = str(cell).strip() or last
        filled.append(last)
    out = []
    for top, bottom in zip(filled, lower, strict=False):
        norm = normalise_header(bottom)
        if top and (not bottom or norm in _GENERIC):
            out.append(f"Anteil {top}" if norm.startswith(("anteil", "prozent", "inprozent")) else top)
        else:
            out.append(bottom)
    return out


def _excel_cell_to_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _unique(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        h = h or f"_leer{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h} ({seen[h]})"
        else:
            seen[h] = 0
        out.append(h)
    return out


def find_column(columns: list[str], aliases: set[str]) -> str | None:
    """The first column whose normalised header is one of `aliases` (already normalised)."""
    for col in columns:
        if normalise_header(col) in aliases:
            return col
    return None
