"""German tables for reading and for downloads: headers, display text, CSV and Excel files.

CSV is written as German Excel opens it (UTF-8 with BOM, `;`, decimal comma); keys stay text, so
leading zeros survive. Hidden cells stay empty in every file. Text that a spreadsheet would run as a
formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` in CSV and XLSX alike.
"""

from __future__ import annotations

import io
import numbers

import pandas as pd
from openpyxl.styles import Font

from charts.formatting import fmt_date, fmt_indicator, fmt_int
from data.store import STADTTEIL
from indicators.catalogue import CATALOGUE, PERSONS, RANK, get

ID_HEADERS = {
    "reference_date": "Stichtag",
    "previous_reference_date": "vorheriger Stichtag",
    "district_id": "Schlüssel",
    "nationality": "Staatsangehörigkeit",
    "persons": "Personen",
    "share_pct": "Anteil an den Ausländer:innen (%)",
    "age_group": "Altersgruppe",
    "sex": "Geschlecht",
    "migration_status": "Migrationshintergrund",
    "period": "Zeitraum",
    "period_start": "Beginn des Zeitraums",
    "country": "Herkunftsland",
    "facility": "Unterkunft",
}


IMPORT_KINDS = {
    "population": "Einwohnerzahlen",
    "boundaries": "Stadtteilgrenzen",
    "allocations": "Zuweisungen",
    "quota": "Aufnahmeverpflichtung",
    "occupancy": "Belegung der Unterkünfte",
    "indicator": "Eigene Kennzahl",
    "demo": "Demodaten",
    "zensus": "Zensus 2022 (Gitterzellen)",
}


KNOWN_SOURCES = {"Köln": "Stadt Köln, Offene Daten Köln, Lizenz CC-BY"}


def german_headers(frame: pd.DataFrame, level: str = STADTTEIL) -> pd.DataFrame:
    """Columns renamed to German: catalogue labels for indicators (with the unit where it is not
    "Personen" or "Rang"), plain words for the ids."""
    names = {"district": level}
    for column in frame.columns:
        if column in CATALOGUE:
            indicator = get(column)
            unit = "" if indicator.unit in (PERSONS, RANK) else f" ({indicator.unit})"
            names[column] = f"{indicator.label}{unit}"
        elif column in ID_HEADERS:
            names[column] = ID_HEADERS[column]
    return frame.rename(columns=names)


def tidy(frame: pd.DataFrame, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Name, key and Stichtag first; columns without any value (e.g. minors not known) left out,
    unless they hold hidden cells (`hidden`, same index and columns: they are shown as `•`)."""
    first = [c for c in ("district", "district_id", "reference_date") if c in frame.columns]
    kept = set(hidden.columns[hidden.any()]) if hidden is not None else set()
    rest = [c for c in frame.columns if c not in first and (frame[c].notna().any() or c in kept)]
    return frame[first + rest].reset_index(drop=True)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: indicator columns as German text, dates as 31.12.2020."""
    out = frame.copy()
    for column in out.columns:
        if column in CATALOGUE:
            out[column] = [fmt_indicator(v, column) for v in out[column]]
        elif column in ("reference_date", "previous_reference_date"):
            out[column] = [fmt_date(v) for v in out[column]]
        elif column == "persons":
            out[column] = [fmt_int(v) for v in out[column]]
        elif column == "share_pct":
            out[column] = [fmt_indicator(v, "foreigner_share_pct") for v in out[column]]
        elif column == "district_id":
            out[column] = out[column].fillna("–")
    return out


#: first characters that make Excel, LibreOffice or Google Sheets read a text cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_text(value: object) -> object:
    """A text cell that cannot run as a formula: `=HYPERLINK(…)` becomes `'=HYPERLINK(…)`; numbers,
    dates and harmless text are returned unchanged (`-12` as a number stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers are `neutral_text`."""
    out = frame.rename(columns=lambda c: neutral_text(c) if isinstance(c, str) else c)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutral_text, na_action="ignore")
    return out


def csv_bytes(frame: pd.DataFrame, notes: list[str] | None = None) -> bytes:
    """CSV that Excel (German) opens as is: UTF-8 with BOM, `;` separator, decimal comma; text that
    would run as a formula is neutralised (`neutral_text`).

    notes (e.g. the disclosure footnote) follow the table after an empty line, one per row."""
    frame = neutralised(frame.apply(_numeric_if_possible))
    notes = [neutral_text(n) for n in notes or []]
    text = frame.to_csv(sep=";", decimal=",", index=False, date_format="%d.%m.%Y", lineterminator="\r\n")
    if notes:
        lines = pd.DataFrame({"note": list(notes)}).to_csv(
            sep=";", index=False, header=False, lineterminator="\r\n"
        )
        text += "\r\n" + lines
    return ("\ufeff" + text).encode("utf-8")


def public_download(frame: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    """The raw table for a public file: hidden cells left empty (missing), whatever they held."""
    out = frame.copy()
    mask = hidden.reindex(index=out.index, columns=out.columns).fillna(False).astype(bool)
    for column in mask.columns[mask.any()]:
        if out[column].dtype == object:
            out[column] = out[column].where(~mask[column], None)
        else:
            out[column] = out[column].mask(mask[column])
    return out


def excel_bytes(
    sheets: dict[str, pd.DataFrame], notes: list[str] | None = None, heading: list[str] | None = None
) -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet per frame, raw numbers, dates as dates, text as
    text cells (keys keep their leading zeros; formula-like text is neutralised); with notes (e.g. the
    disclosure footnote) a last sheet "Hinweise" holds them.

    heading: lines above the table of the first sheet — the chart title (bold), the source line with
    the Stichtag — then an empty row; the table starts below."""
    if notes:
        sheets = {**sheets, "Hinweise": pd.DataFrame({"Hinweis": list(notes)})}
    heading = [neutral_text(line) for line in heading or []]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format="DD.MM.YYYY") as writer:
        for number, (name, frame) in enumerate(sheets.items()):
            skip = len(heading) + 1 if heading and number == 0 else 0
            out = neutralised(frame)
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = out[column].dt.tz_localize(None) if out[column].dt.tz else out[column]
                elif isinstance(out[column].dtype, pd.core.dtypes.dtypes.BaseMaskedDtype):
                    out[column] = out[column].astype(object).where(out[column].notna(), None)
            out.to_excel(writer, sheet_name=name[:31], index=False, startrow=skip)
            sheet = writer.sheets[name[:31]]
            for cells in sheet.iter_cols(min_row=skip + 1):
                width = max(len(str(c.value)) if c.value is not None else 0 for c in cells)
                sheet.column_dimensions[cells[0].column_letter].width = min(60, max(10, width + 2))
                for cell in cells[1:]:
                    if hasattr(cell.value, "year"):
                        cell.number_format = "DD.MM.YYYY"
                    elif isinstance(cell.value, str) and cell.value:
                        cell.number_format = "@"  # text: a key such as 011 stays text when edited
            if skip:
                for row, line in enumerate(heading, start=1):
                    cell = sheet.cell(row=row, column=1, value=line)
                    cell.font = Font(bold=row == 1, size=13 if row == 1 else 11)
                sheet.freeze_panes = sheet.cell(row=skip + 2, column=1)
    return buffer.getvalue()


def sources_table(municipalities: pd.DataFrame) -> pd.DataFrame:
    """Kommune, AGS, Quelle und Lizenz, synthetisch (ja/nein)."""
    rows = []
    for row in municipalities.itertuples(index=False):
        source = row.source if isinstance(row.source, str) and row.source else None
        if source is None:
            source = KNOWN_SOURCES.get(row.name, "Melderegister der Kommune (Lizenz nicht angegeben)")
        rows.append(
            {
                "Kommune": row.name,
                "AGS": row.ags if isinstance(row.ags, str) else "–",
                "Quelle und Lizenz": source,
                "Daten": "synthetisch (erfunden)" if bool(row.synthetic) else "real",
            }
        )
    return pd.DataFrame(rows, columns=["Kommune", "AGS", "Quelle und Lizenz", "Daten"])


def imports_table(imports: pd.DataFrame) -> pd.DataFrame:
    """The import log with German headers and German dates."""
    columns = {
        "import_id": "Nr.",
        "imported_at": "Zeitpunkt",
        "kind": "Art",
        "municipality": "Kommune",
        "file_name": "Datei",
        "rows": "Zeilen",
        "imported_by": "durch",
        "replaced": "ersetzt",
    }
    if imports.empty:
        return pd.DataFrame(columns=list(columns.values()))
    out = imports[[c for c in columns if c in imports]].copy()
    if "imported_at" in out:
        out["imported_at"] = [
            f"{fmt_date(t)} {pd.Timestamp(t):%H:%M}" if pd.notna(t) else "–" for t in out["imported_at"]
        ]
    if "rows" in out:
        out["rows"] = [fmt_int(v) for v in out["rows"]]
    if "kind" in out:
        out["kind"] = out["kind"].map(lambda k: IMPORT_KINDS.get(k, k))
    out = out.astype(object).where(out.notna() & (out.astype(str) != ""), "–")
    return out.rename(columns=columns)


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    """Object columns holding only numbers (e.g. after adding the municipality row) become numeric,
    and whole numbers stay whole (`87815`, not `87815,0`); text stays text, even where it looks like
    a number (keys such as `011` keep their zeros)."""
    if column.dtype == object:
        present = column.dropna()
        if present.empty or not all(
            isinstance(v, numbers.Number) and not isinstance(v, bool) for v in present
        ):
            return column
        column = pd.to_numeric(column)
    if pd.api.types.is_float_dtype(column) and column.dropna().map(float.is_integer).all():
        return column.round().astype("Int64")
    return column
