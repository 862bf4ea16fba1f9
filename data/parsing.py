"""Reading the tables municipal IT and statistics portals publish, as they are published.

CSV (`;` `,` tab or `|`, sniffed on a sample; UTF-8, UTF-16 with BOM or Windows-1252) and workbooks
(XLSX, old XLS, ODS; python-calamine). Title lines above the table, group headers, a description row
under the header and notes under the table (`__________`, `© IT.NRW …`, `1) ohne Nebenwohnsitze`) are
recognised and kept out of the data (`frame.attrs["title"]`, `["notes"]`). The statistical signs of
the offices are read: `-` is 0, `.` `x` `/` `…` `•` become empty with a warning
(`frame.attrs["warnings"]`, Problems with severity "warning"). Whatever cannot be read without
guessing is refused with every problem of the file at once (DataImportError).

Everything is read as text first; numbers, dates and headers are parsed here, once, with German
conventions (`6.417`, `1 788 994`, `8,4 %`, `31.12.2020`). Parsers return None for an empty cell and
raise ValueError with a German message for a bad one; the importers turn that into a Problem with
file, row and column.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd

import settings
from data.errors import DataImportError, Problem

MAX_FILE_BYTES = settings.max_upload_mb() * 1024 * 1024  # Streamlit's server.maxUploadSize, the same
MISSING = {"", ".", "-", "–", "—", "x", "X", "k.A.", "k. A.", "n.v."}
MAX_COUNT = 100_000_000  # more persons than any municipality (or Germany) has: a wrong column or cell
# The signs of the statistical offices (Destatis/IT.NRW "Zeichenerklärung"), and `•` for suppressed cells.
ZERO_SIGNS = {"-", "–", "—"}
SIGNS = {
    ".": "Zahlenwert unbekannt oder geheim zu halten",
    "x": "Tabellenfach gesperrt, weil Aussage nicht sinnvoll",
    "X": "Tabellenfach gesperrt, weil Aussage nicht sinnvoll",
    "/": "keine Angabe, da Zahlenwert nicht sicher genug",
    "…": "Angabe fällt später an",
    "...": "Angabe fällt später an",
    "•": "aus Datenschutzgründen nicht angegeben (kleine Fallzahl)",
}
WARNINGS_PER_COLUMN = 20

_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_SPACE = re.compile(r"^\d{1,3}([ \u00a0\u202f\u2009]\d{3})+$")
_INT = re.compile(r"^\d+$")
_INT_WITH_ZERO_DECIMALS = re.compile(r"^\d+[.,]0+$")
_DECIMAL = re.compile(r"^\d+([.,]\d+)?$")


def normalise_header(text: str) -> str:
    """`Einwohner:innen` → `einwohnerinnen`, `Ausländer*innen` → `auslaenderinnen`."""
    return _normalised(str(text))


@functools.lru_cache(maxsize=65_536)  # names repeat in long tables (one row per district and year)
def _normalised(text: str) -> str:
    text = text.strip().lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text)


def normalise_name(text: str) -> str:
    """A district name for matching: case, umlauts, hyphens and spaces folded."""
    return normalise_header(text)


def parse_count(raw: object, limit: int | None = MAX_COUNT) -> int | None:
    """A count of persons: `6417`, `6.417`, `1 788 994`, `6417.0` (Excel). Empty/`.`/`-` → None.

    Counts above `limit` (default MAX_COUNT) are refused: no municipality has that many people.
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw).strip()
    if text in MISSING:
        return None
    negative = text.startswith(("-", "−"))
    body = text.lstrip("-−").strip()
    if _INT.match(body) or _THOUSANDS_DOT.match(body) or _THOUSANDS_SPACE.match(body):
        value = int(re.sub(r"[.\s\u00a0\u202f\u2009]", "", body))
    elif _INT_WITH_ZERO_DECIMALS.match(body):
        value = int(re.split(r"[.,]", body)[0])
    elif _DECIMAL.match(body):
        raise ValueError(f'"{text}" ist keine ganze Zahl; hier wird eine Anzahl von Personen erwartet.')
    else:
        raise ValueError(f'"{text}" ist keine Zahl.')
    if negative and value != 0:
        raise ValueError(f'"{text}" ist negativ; eine Anzahl kann nicht negativ sein.')
    if limit is not None and value > limit:
        raise ValueError(
            f'"{text}" ist größer als {limit:,} und damit keine plausible Zahl von Personen '.replace(
                ",", "."
            )
            + "(falsche Spalte oder Tippfehler?)."
        )
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
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 as municipal exports usually are.

    A file that is mostly UTF-8 but holds single Windows-1252 bytes is refused, naming each bad byte's
    row and column: reading it either way would garble part of it silently.
    """
    text, _ = decode_payload(payload, file_name)
    return text


_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Encodings an old export may come in when it is neither UTF-8 nor Windows-1252 (DOS, Mac, ISO, Polish …)
DETECTED_ENCODINGS = ("cp850", "cp437", "mac_roman", "iso8859_15", "cp1250", "iso8859_2")
# What a German municipal table holds beyond ASCII and Latin-1; a decoding that yields anything else
# (`ƒmƒ‹ƒg`, box drawing, CJK) was the wrong one
PLAUSIBLE_LETTERS = "œŒšŠžŽčČćĆłŁńŃśŚźŹżŻąĄęĘğĞışŞİ€„“”‚‘’–—…•‰™\u202f\u2009"
_ODD_CHARACTER = re.compile(f"[^\\x00-\\x7f\u00a0-\u00ff{PLAUSIBLE_LETTERS}]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_payload(payload: bytes, file_name: str) -> tuple[str, list[Problem]]:
    """The text and the warnings about how it was decoded (the encoding a detector chose)."""
    if payload.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode-Text"
        try:
            return payload.decode("utf-16"), []
        except UnicodeDecodeError as err:
            raise DataImportError(file_name, f"Die UTF-16-Datei ist beschädigt (Byte {err.start}).") from err
    try:
        return payload.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    sequences = _UTF8_SEQUENCE.findall(payload)
    if len(sequences) >= len(_NON_ASCII.findall(payload)) - sum(map(len, sequences)):  # mostly UTF-8
        text = payload.decode("utf-8", errors="surrogateescape")
        bad = [m.start() for m in re.finditer("[\udc80-\udcff]", text)]
        raise DataImportError(file_name, _mixed_encoding_problems(text, bad))
    try:
        text = payload.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    odd = _ODD_CHARACTER.search(text) if text else None
    if text and odd is None:
        return text, []
    from charset_normalizer import from_bytes

    best = from_bytes(payload[:1_000_000], cp_isolation=list(DETECTED_ENCODINGS)).best()
    if best is not None:
        try:
            detected = payload.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            detected = ""
        if detected and _ODD_CHARACTER.search(detected) is None:
            return detected, [
                Problem(
                    f"Die Datei ist weder UTF-8 noch Windows-1252 kodiert; sie wurde als {best.encoding} "
                    "gelesen (erkannt). Bitte Umlaute in Namen und Überschriften prüfen.",
                    severity="warning",
                )
            ]
    if odd is not None:
        raise DataImportError(
            file_name,
            [
                Problem(
                    f"Als Windows-1252 gelesen stünde hier das Zeichen „{odd.group()}“, das in einer Tabelle "
                    "einer Kommune nicht vorkommt: Die Kodierung der Datei ist nicht sicher zu erkennen. "
                    "Bitte die Datei als UTF-8 speichern.",
                    row=text.count("\n", 0, odd.start()) + 1,
                )
            ],
        )
    raise DataImportError(
        file_name, "Die Datei ist weder UTF-8 noch Windows-1252 kodiert und kann nicht gelesen werden."
    )


def _mixed_encoding_problems(text: str, bad: list[int]) -> list[Problem]:
    """One problem per byte that is not UTF-8 in an otherwise UTF-8 file, with row and column."""
    sep = sniff_delimiter(text)
    problems = []
    for pos in bad[:WARNINGS_PER_COLUMN]:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        byte = ord(text[pos]) - 0xDC00
        meant = bytes([byte]).decode("cp1252", errors="replace")
        cell = line.split(sep)[line[: pos - line_start].count(sep)]
        shown = cell.encode("utf-8", errors="surrogateescape").decode("cp1252", errors="replace").strip()
        problems.append(
            Problem(
                f"Das Byte 0x{byte:02X} in „{shown}“ ist kein UTF-8 (in Windows-1252 wäre es „{meant}“), "
                "der Rest der Datei ist UTF-8. Gemischt kodierte Dateien werden nicht geraten; bitte die "
                "Datei einheitlich als UTF-8 speichern.",
                row=text.count("\n", 0, pos) + 1,
                column=column_letter(line[: pos - line_start].count(sep)),
            )
        )
    if len(bad) > WARNINGS_PER_COLUMN:
        problems.append(
            Problem(f"… und {len(bad) - WARNINGS_PER_COLUMN} weitere Bytes, die kein UTF-8 sind.")
        )
    return problems


def column_letter(position: int) -> str:
    """0 → `A`, 25 → `Z`, 26 → `AA`, as a spreadsheet names its columns."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


DELIMITERS = (";", "\t", ",", "|")


def sniff_delimiter(text: str, sample_lines: int = 200) -> str:
    """The delimiter that splits most lines of a sample into the same number (> 1) of fields.

    Title lines above the table and notes under it have one field whatever the delimiter; decimal
    commas in a `;` file split fewer lines into fewer fields than the `;` does.
    """
    lines = text[:200_000].splitlines()[:sample_lines]
    best, best_score = ",", 0
    for sep in DELIMITERS:
        try:
            widths = Counter(len(r) for r in csv.reader(lines, delimiter=sep) if len(r) > 1)
        except csv.Error:
            continue
        if widths:
            width, n = widths.most_common(1)[0]
            score = n * (width - 1)
            if score > best_score:
                best, best_score = sep, score
    return best


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a DataImportError a planner understands."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataImportError(path, f"Die Datei {path} wurde nicht gefunden.") from err
    except OSError as err:
        raise DataImportError(path, f"Die Datei {path} kann nicht gelesen werden ({err.strerror}).") from err


WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


def read_table(
    path: str | Path,
    payload: bytes | None = None,
    known: set[str] | None = None,
    *,
    sheet: str | None = None,
    fields: dict[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Read a CSV file or one sheet of a workbook into a frame of strings; the index holds spreadsheet
    row numbers (the first row of the file is 1).

    `payload` lets the upload page pass bytes; otherwise the file is read from `path`. With `known`
    (normalised header names the importer understands) the header row is searched among the first
    rows, so title lines above the table and two-row headers are understood. `sheet` names the sheet
    of a workbook; without it a workbook whose sheets hold several tables is refused, naming them
    (`read_tables` returns them all). `fields` (field → normalised aliases): two columns that name the
    same field are refused. Warnings (statistical signs read as empty, skipped sheets, description rows)
    are in `frame.attrs["warnings"]`; title lines and notes under the table in `["title"]`, `["notes"]`.
    """
    frames = read_tables(path, payload, known, sheet=sheet, fields=fields)
    if len(frames) > 1:
        names = ", ".join(f"„{f.attrs['sheet']}“" for f in frames)
        raise DataImportError(
            Path(path).name,
            f"Die Arbeitsmappe enthält auf mehreren Blättern eine Tabelle ({names}). Bitte das Blatt angeben "
            "(--sheet NAME, beim Hochladen die Blattauswahl) und jedes Blatt einzeln importieren; es wird "
            "nicht stillschweigend nur das erste gelesen.",
        )
    return frames[0]


def read_tables(
    path: str | Path,
    payload: bytes | None = None,
    known: set[str] | None = None,
    *,
    sheet: str | None = None,
    fields: dict[str, set[str]] | None = None,
) -> list[pd.DataFrame]:
    """Like `read_table`, but every sheet of a workbook that holds a table (one Stichtag per sheet, say),
    each frame with `attrs["sheet"]`. A CSV file gives one frame. Sheets without a table are named in the
    warnings of the first frame, never skipped silently.
    """
    path = Path(path)
    name = path.name
    if payload is None:
        payload = read_bytes(path)
    if len(payload) > MAX_FILE_BYTES:
        raise DataImportError(name, f"Die Datei ist größer als {MAX_FILE_BYTES // 1024 // 1024} MB.")
    if not payload.strip():
        raise DataImportError(name, "Die Datei ist leer.")
    if payload[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") or path.suffix.lower() in WORKBOOK_SUFFIXES:
        sheets = _read_workbook(payload, name, sheet)
        notes: list[Problem] = []
    else:
        if b"\x00" in payload[:4096] and not payload.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DataImportError(
                name, "Die Datei ist keine Textdatei (CSV) und keine Excel-Datei (XLSX, XLS, ODS)."
            )
        if sheet is not None:
            raise DataImportError(
                name, f"Eine CSV-Datei hat keine Blätter; „{sheet}“ kann nicht gewählt werden."
            )
        text, notes = decode_payload(payload, name)
        sheets = [("", _read_csv_text(text, name))]
        if notes and known:  # a detected encoding: a header it garbled must not silently match nothing
            fields = {**(fields or {}), _GUESSED: known}
    several, results = len(sheets) > 1, []
    while sheets:  # each grid is let go once its table is made
        label, raw = sheets.pop(0)
        table = not several or _looks_like_table(raw, known)
        results.append((label, *_table_from_cells(raw, known, fields)) if table else (label, None, []))
        del raw
    problems = [p for _, _, found in results for p in found if p.severity == "error"]
    if problems:
        raise DataImportError(name, problems)
    tables = [(label, frame, found) for label, frame, found in results if frame is not None]
    if not tables:
        raise DataImportError(name, "Die Datei enthält keine Tabelle.")
    if len(tables) < len(results):
        empty = ", ".join(f"„{label}“" for label, frame, _ in results if frame is None)
        notes.append(Problem(f"Blätter ohne Tabelle wurden nicht gelesen: {empty}.", severity="warning"))
    frames = []
    for i, (label, frame, found) in enumerate(tables):
        frame.attrs["sheet"] = label or None
        frame.attrs["reference_date"], stated = _stated_date(label, frame.attrs["title"])
        frame.attrs["warnings"] = [*(notes if i == 0 else []), *stated, *found]
        frames.append(frame)
    return frames


_TITLE_DATE = re.compile(r"(?<![0-9.])([0-3]?[0-9]\.[01]?[0-9]\.(19|20)[0-9]{2})(?![0-9])")


def _stated_date(sheet: str, title: list[str]) -> tuple[date | None, list[Problem]]:
    """The Stichtag a sheet name (`2020`, `31.12.2020`) or the title lines (one date) state, for importers
    whose file has no Stichtag column; with a note saying where it came from."""
    try:
        found = parse_date(sheet) if sheet.strip() else None
        source = f"dem Blattnamen „{sheet}“"
    except ValueError:
        found = None
    if found is None:
        dates = {m.group(1) for line in title for m in _TITLE_DATE.finditer(line)}
        try:
            found = parse_date(dates.pop()) if len(dates) == 1 else None
        except ValueError:
            found = None
        source = "der Überschrift der Tabelle"
    if found is None:
        return None, []
    note = (
        f"Die Datei nennt in {source} den Stichtag {found:%d.%m.%Y}; er gilt, wo weder ein Stichtag "
        "angegeben ist (--date) noch eine Spalte Stichtag oder Jahr einen nennt."
    )
    return found, [Problem(note, severity="warning")]


def _looks_like_table(raw: pd.DataFrame, known: set[str] | None) -> bool:
    """A sheet with a table (not notes or an empty sheet): a row of two cells or more, a known header."""
    if raw.empty or not ((raw != "").sum(axis=1) >= 2).any():
        return False
    if not known:
        return True
    at = locate_header(raw, known)
    return any(normalise_header(_clean_header(v)) in known for v in raw.iloc[at].tolist())


def _read_workbook(payload: bytes, name: str, sheet: str | None) -> list[tuple[str, pd.DataFrame]]:
    """The visible sheets as frames of text (all cells, from A1), or only the named sheet."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(payload))
        visible = [m.name for m in book.sheets_metadata if str(m.visible).lower().endswith("visible")]
        names = visible or book.sheet_names
        if sheet is not None:
            chosen = [n for n in book.sheet_names if n == sheet] or [
                n for n in book.sheet_names if normalise_header(n) == normalise_header(sheet)
            ]
            if not chosen:
                raise DataImportError(
                    name,
                    f"Die Arbeitsmappe hat kein Blatt „{sheet}“. Vorhandene Blätter: "
                    + ", ".join(f"„{n}“" for n in book.sheet_names)
                    + ".",
                )
            names = chosen[:1]
        sheets = [(n, book.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in names]
    except DataImportError:
        raise
    except Exception as err:  # calamine raises its own kinds for a broken workbook
        raise DataImportError(name, f"Die Excel-Datei kann nicht gelesen werden ({err}).") from err
    out = []
    for label, rows in sheets:
        width = max((len(r) for r in rows), default=0)
        cells = [[_excel_cell_to_text(v) for v in r] + [""] * (width - len(r)) for r in rows]
        out.append((label, pd.DataFrame(cells, columns=range(width), dtype="str")))
    return out


CSV_CHUNK_ROWS = 100_000


def _read_csv_text(text: str, name: str) -> pd.DataFrame:
    """All records as text, fast (pandas' C parser); ragged title and note lines are padded."""
    if not text.strip():
        raise DataImportError(name, "Die Datei ist leer.")
    sep = sniff_delimiter(text)
    lines = text[:200_000].splitlines()[:200]
    width = max((len(r) for r in csv.reader(lines, delimiter=sep)), default=1)
    data = text.encode("utf-8")  # io.StringIO would hold 4 bytes a character
    for _ in range(8):
        try:
            # in chunks: the parser makes a Python string per cell before they become one Arrow column
            with pd.read_csv(
                io.BytesIO(data),
                sep=sep,
                header=None,
                names=range(width),
                dtype="str",
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                chunksize=CSV_CHUNK_ROWS,
            ) as reader:
                chunks = list(reader)
            return (
                pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)
            )
        except pd.errors.ParserError as err:
            more = re.search(r"saw (\d+)", str(err))
            if not more:
                raise DataImportError(name, f"Die CSV-Datei ist fehlerhaft ({err}).") from err
            width = int(more.group(1))
        except ValueError as err:
            raise DataImportError(name, f"Die CSV-Datei ist fehlerhaft ({err}).") from err
    raise DataImportError(name, "Die CSV-Datei hat Zeilen mit sehr unterschiedlich vielen Feldern.")


HEADER_SEARCH_ROWS = 30
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
# literal characters and [0-9], not \\u or \\d/\\s: so pandas runs the pattern in pyarrow, not per cell
_NUMBER_LIKE = "^[-−]?[0-9][0-9., \u00a0\u202f\u2009]*%?$"
_SEPARATOR = re.compile("^[-_=–—]{3,}$")
_NOTE = re.compile(
    r"^(©|\(c\)|copyright\b|(quellen?|stand|datenstand|hinweise?|anmerkungen?|fu(ß|ss)noten?|"
    r"erläuterungen?|zeichenerklärung|legende)\s*:|(\*+|[¹²³]|\d{1,2}\)|\(\d{1,2}\))\s*\S)",
    re.IGNORECASE,
)
_CP1252_CONTINUATION = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE = re.compile(f"[ÃÂ][{_CP1252_CONTINUATION}]|â€|\ufffd")


def _table_from_cells(
    raw: pd.DataFrame, known: set[str] | None, fields: dict[str, set[str]] | None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Find header, title, description row and notes in a grid of text; the frame and its problems."""
    for col in raw.columns:  # in place, one column at a time: a big file is not held twice
        raw[col] = raw[col].str.strip()
    filled = (raw != "").sum(axis=1)
    if raw.empty or not filled.any():
        return None, []
    multi = filled >= 2
    at = locate_header(raw, known) if known else 0
    if known and at == 0 or not known:
        at = max(at, int(multi.to_numpy().argmax()) if multi.any() else 0)
    header = [_clean_header(h) for h in raw.iloc[at].tolist()]
    if at > 0 and filled.iloc[at - 1] and (filled.iloc[at - 1] >= 2 or raw.iloc[at - 1, 0] == ""):
        header = _join_header_rows([_clean_header(h) for h in raw.iloc[at - 1].tolist()], header)
    start = at + 1
    if start < len(raw) and _is_unit_row(raw.iloc[start].tolist()):
        header = _join_header_rows(header, [_clean_header(h) for h in raw.iloc[start].tolist()])
        start += 1
    title = [_row_text(raw.iloc[i].tolist()) for i in range(at) if filled.iloc[i]]
    body = raw.iloc[start:]
    body = body[filled.iloc[start:] > 0]
    body.index = body.index + 1  # spreadsheet row numbers: the first row is 1
    body, notes = _cut_notes(body)
    problems = _header_problems(header, at + 1, fields)
    numeric = {c: _is_numeric(body[c]) for c in body.columns}
    body, described = _drop_description_rows(body, numeric)
    problems += described
    body.columns = _unique(header)
    numeric = {name: numeric[c] for name, c in zip(body.columns, raw.columns, strict=True)}
    empty = [c for c in body.columns if c.startswith("_leer") and not (body[c] != "").any()]
    body = body.drop(columns=empty)
    problems += _read_signs(body, numeric) + _mojibake_cells(body, numeric)
    body.attrs.update(title=title, notes=notes)
    return body, problems


def _clean_header(text: object) -> str:
    """Soft hyphens out, a hyphenated line break joined (`Migrations-⏎hintergrund`), whitespace folded."""
    text = str(text).replace("\u00ad", "")
    text = re.sub(r"(\w)-[ \t]*\r?\n\s*(?=[a-zäöüß])", r"\1", text)
    return " ".join(text.split())


def _row_text(cells: list) -> str:
    return " ".join(str(c) for c in cells if str(c).strip())


def _is_unit_row(cells: list) -> bool:
    """A row of `Anzahl | Anteil | %` under the header row: part of the header."""
    norms = [normalise_header(c) for c in cells if str(c).strip()]
    return bool(norms) and all(n in _GENERIC or n.startswith(("anteil", "prozent")) or n == "" for n in norms)


def _is_numeric(col: pd.Series) -> bool:
    """Most filled cells are numbers or statistical signs."""
    filled = col[col != ""]
    if filled.empty:
        return False
    signs = filled.isin(ZERO_SIGNS | set(SIGNS))
    rest = filled[~signs]
    return rest.empty or bool(rest.str.match(_NUMBER_LIKE).mean() >= 0.5)


def _cut_notes(body: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Notes under the table: after a `__________` line, and trailing `Quelle:`, `© …`, `1) …` lines."""
    if body.empty:
        return body, []
    filled = (body != "").sum(axis=1)
    separator = pd.Series(False, index=body.index)
    for col in body.columns:
        separator |= body[col].str.match(_SEPARATOR.pattern)
    separator &= filled == 1
    notes: list[str] = []
    if separator.any():
        cut = separator.idxmax()
        after = body[body.index > cut]
        if not (filled[after.index] >= max(2, (body.shape[1] + 1) // 2)).any():
            notes = [_row_text(list(r)) for r in after.itertuples(index=False)]
            body = body[body.index < cut]
    trailing: list[tuple[int, str]] = []
    for i in reversed(body.index):  # from the bottom, only as far as rows are notes
        text = _row_text(body.loc[i].tolist()) if filled[i] <= 2 else ""
        if not _NOTE.match(text):
            break
        trailing.insert(0, (i, text))
    return body.drop(index=[i for i, _ in trailing]), [t for _, t in trailing] + notes


_GUESSED = "_encoding_detected"  # key in `fields`: the headers of a detected encoding must be known ones


def _header_problems(header: list[str], row: int, fields: dict[str, set[str]] | None) -> list[Problem]:
    """Duplicate headers, headers of one field, and headers garbled by a wrong encoding: refused."""
    problems = []
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        if normalise_header(h):
            positions.setdefault(normalise_header(h), []).append(i)
        if _MOJIBAKE.search(h):
            problems.append(
                Problem(
                    f"Die Überschrift „{h}“ ist falsch kodiert (UTF-8 als Windows-1252 gelesen oder beim "
                    "Speichern umkodiert); sie würde keiner Spalte zugeordnet. Bitte die Datei einheitlich "
                    "als UTF-8 oder Windows-1252 speichern.",
                    row,
                    column_letter(i),
                )
            )
    for same in positions.values():
        if len(same) > 1:
            problems.append(
                Problem(
                    f"Die Überschrift „{header[same[0]]}“ steht mehrmals in der Kopfzeile ({_letters(same)}); "
                    "welche Spalte gilt, ist nicht eindeutig. Bitte eine umbenennen oder entfernen.",
                    row,
                )
            )
    guessed = (fields or {}).get(_GUESSED, set())
    for i, h in enumerate(header):
        if guessed and not h.isascii() and normalise_header(h) not in guessed:
            problems.append(
                Problem(
                    f"Die Überschrift „{h}“ ist in der erkannten Kodierung gelesen und passt zu keiner "
                    "bekannten Spalte; ob sie richtig gelesen ist, lässt sich nicht prüfen. Bitte die Datei "
                    "als UTF-8 speichern.",
                    row,
                    column_letter(i),
                )
            )
    for field, aliases in (fields or {}).items():
        if field == _GUESSED:
            continue
        same = [i for i, h in enumerate(header) if normalise_header(h) in aliases]
        if len(same) > 1 and len({normalise_header(header[i]) for i in same}) > 1:
            names = " und ".join(f"„{header[i]}“" for i in same)
            problems.append(
                Problem(
                    f"Die Spalten {names} ({_letters(same)}) bedeuten dasselbe; welche gilt, ist nicht "
                    "eindeutig. Bitte eine umbenennen oder entfernen.",
                    row,
                )
            )
    return problems


def _letters(positions: list[int]) -> str:
    named = [f"{column_letter(i)} (Nr. {i + 1})" for i in positions]
    return "Spalten " + ", ".join(named[:-1]) + " und " + named[-1]


def _drop_description_rows(body: pd.DataFrame, numeric: dict) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows right under the header that describe the columns (`Anzahl der Einwohnerinnen und …`)."""
    dropped, problems = [], []
    for i in body.index[:2]:
        cells = body.loc[i]
        texts = [c for c in body.columns if cells[c] != ""]
        looks_numeric = cells[texts].str.match(_NUMBER_LIKE) | cells[texts].isin(ZERO_SIGNS | set(SIGNS))
        if looks_numeric.any() or not any(numeric[c] for c in texts) or len(body) - len(dropped) < 2:
            break
        dropped.append(i)
        problems.append(
            Problem(
                f"Die Zeile beschreibt die Spalten („{_row_text(cells.tolist())}“) und wird nicht als Daten "
                "gelesen.",
                i,
                severity="warning",
            )
        )
    return body.drop(index=dropped), problems


def _read_signs(body: pd.DataFrame, numeric: dict[str, bool]) -> list[Problem]:
    """In number columns: `-` (nothing) becomes 0; `.` `x` `/` `…` `•` become empty, each with a warning."""
    warnings = []
    for col in body.columns:
        if not numeric[col]:
            continue
        values = body[col]
        zero = values.isin(ZERO_SIGNS)
        if zero.any():
            body.loc[zero, col] = "0"
        signs = values[values.isin(set(SIGNS))]
        if signs.empty:
            continue
        body.loc[signs.index, col] = ""
        for row, sign in signs.head(WARNINGS_PER_COLUMN).items():
            warnings.append(
                Problem(
                    f"„{sign}“ bedeutet „{SIGNS[sign]}“; die Zelle wird als leer (unbekannt) gelesen.",
                    int(row),
                    col,
                    severity="warning",
                )
            )
        if len(signs) > WARNINGS_PER_COLUMN:
            warnings.append(
                Problem(
                    f"… und {len(signs) - WARNINGS_PER_COLUMN} weitere Zellen mit Zeichen "
                    f"({', '.join(sorted(set(signs)))}), als leer gelesen.",
                    column=col,
                    severity="warning",
                )
            )
    return warnings


def _mojibake_cells(body: pd.DataFrame, numeric: dict[str, bool]) -> list[Problem]:
    """Text cells garbled by a wrong encoding (`LÃ¼nen`) would not match the names they mean: refused."""
    problems = []
    for col in body.columns:
        if numeric[col]:
            continue
        bad = body[col][body[col].str.contains(_MOJIBAKE.pattern, regex=True)]
        for row, value in bad.head(WARNINGS_PER_COLUMN).items():
            problems.append(
                Problem(
                    f"„{value}“ ist falsch kodiert (UTF-8 als Windows-1252 gelesen oder beim Speichern "
                    "umkodiert). Bitte die Datei einheitlich als UTF-8 oder Windows-1252 speichern.",
                    int(row),
                    col,
                )
            )
    return problems


def locate_header(frame: pd.DataFrame, known: set[str]) -> int:
    """Index of the row that looks most like the header (most cells the importer knows)."""
    best, best_score = 0, 0
    for i in range(min(HEADER_SEARCH_ROWS, len(frame))):
        cells = [normalise_header(_clean_header(v)) for v in frame.iloc[i].tolist() if str(v).strip()]
        score = sum(c in known or c.startswith("anteil") for c in cells)
        if score > best_score:
            best, best_score = i, score
    return best


def _join_header_rows(upper: list, lower: list[str]) -> list[str]:
    """Two-row headers ("Ausländer:innen" over "Anzahl | Anteil"): the group name where the lower cell is
    generic; a lower cell that repeats under several groups ("männlich") gets the group's name before it."""
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
    repeated = {h for h, n in Counter(normalise_header(h) for h in out).items() if n > 1 and h}
    return [
        f"{top} {h}" if normalise_header(h) in repeated and top and top != h else h
        for top, h in zip(filled, out, strict=False)
    ]


def _excel_cell_to_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
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


def parse_counts(
    values: pd.Series, column: str, limit: int | None = MAX_COUNT
) -> tuple[pd.Series, list[Problem]]:
    """`parse_count` for a whole column at once (fast for big files): Int64 values and the problems
    of every bad cell (row = the series' index, as read_table gives it)."""
    text = values.astype("str").str.strip()
    body = text.str.lstrip("-−").str.strip()
    plain = body.str.fullmatch(
        "[0-9]+|[0-9]{1,3}([.][0-9]{3})+|[0-9]{1,3}([ \u00a0\u202f\u2009][0-9]{3})+|[0-9]+[.,]0+"
    )
    # `2.000` is two thousand (thousands dot, as parse_count reads it first); only other `6417.0`/`6417,0`
    # (Excel) lose their zero decimals
    grouped = body.str.fullmatch("[0-9]{1,3}([.][0-9]{3})+|[0-9]{1,3}([ \u00a0\u202f\u2009][0-9]{3})+")
    digits = body.where(plain, "")
    digits = digits.where(grouped, digits.str.replace(r"[.,]0+$", "", regex=True))
    digits = digits.str.replace("[. \u00a0\u202f\u2009]", "", regex=True)
    empty = text.isin(MISSING)
    too_long = digits.str.len() > 18
    # only digits are left where a number is read: a cast (Arrow's, for Arrow strings) is ~30× faster
    # than pd.to_numeric and gives the same numbers
    number = digits.where(plain & ~too_long & ~empty).astype("Int64")
    negative = text.str.startswith(("-", "−")) & (number != 0)
    bad = ~empty & (~plain | too_long | negative.fillna(False) | (number > (limit or 10**18)).fillna(False))
    problems = []
    for row, raw in text[bad].head(WARNINGS_PER_COLUMN * 5).items():
        try:
            parse_count(raw, limit)
        except ValueError as err:
            problems.append(Problem(str(err), int(row), column))
    if int(bad.sum()) > WARNINGS_PER_COLUMN * 5:
        problems.append(
            Problem(f"… und {int(bad.sum()) - WARNINGS_PER_COLUMN * 5} weitere Zellen.", column=column)
        )
    return number.where(~bad & ~empty), problems


def aliases(*names: str) -> set[str]:
    """Header spellings, normalised as `find_column` compares them."""
    return {normalise_header(n) for n in names}


def find_column(columns: list[str], aliases: set[str]) -> str | None:
    """The first column whose normalised header is one of `aliases` (already normalised)."""
    for col in columns:
        if normalise_header(col) in aliases:
            return col
    return None
