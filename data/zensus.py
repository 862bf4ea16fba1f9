"""Import of the Zensus 2022 grid cells (100 m or 1 km) as counts per Stadtteil, Stichtag 15.05.2022.

The files are read as Destatis publishes them in the "Gitterdaten zum Download" (zensus2022.de): one
ZIP per topic holding `Zensus2022_<Thema>_100m-Gitter.csv`, `…_1km-Gitter.csv`, `…_10km-Gitter.csv`;
`;`-separated, decimal comma, one row per inhabited cell: `GITTER_ID_100m;x_mp_100m;y_mp_100m;<Merkmal>`
(the cell id `CRS3035RES100mN2689100E4337000`, the cell centre in EPSG:3035), for shares a column
`werterlaeuternde_Zeichen`. Read here (header spellings case- and umlaut-insensitive):

- `Einwohner` (Zensus2022_Bevoelkerungszahl) – persons;
- `Insgesamt_Bevoelkerung`, `Deutschland`, `Ausland_Sonstige` (Zensus2022_Staatsangehoerigkeit,
  also `Ausland`, `Ausländer`) – persons and foreigners as counts;
- `AnteilAuslaender` (Zensus2022_Anteil_Auslaender; also `Anteil Ausländer`, `Ausländeranteil`) –
  the foreigner share in %, turned into persons with the cell's `Einwohner`;
- `Unter18` (Zensus2022_Alter_in_5_Altersklassen) – minors.

Secret or empty values (`–`, `-`, `.`, `x`, `/`, `•`, empty, and `-1` as in the Zensus 2011 files) are
counted and reported, never read as 0. Every cell is assigned to the Stadtteil that contains its
centre (`geo.grid`); what that costs — secret cells, the cell-key noise, cells a boundary splits,
inhabited cells outside every Stadtteil — is reported with the import and stored as the caveat of the
Stichtag (`population_sources`), which the Methodik page shows. The source line of every chart of the
Stichtag names the Zensus. Register counts are never replaced: a municipality whose 15.05.2022 counts
came from another import is refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import normalise_header, read_bytes
from data.store import STADTTEIL, Store, writing

ZENSUS_DATE = date(2022, 5, 15)
ZENSUS_SOURCE = "Zensus 2022 (Gitterzellen), © Statistisches Bundesamt (Destatis), dl-de/by-2-0"
KIND = "zensus"
WINDOW_MARGIN_M = 1_000.0  # cells farther than this from the city's bounding box are other places
SMALL_CELL = 10  # persons: below this the cell-key noise is large against the count
MAX_LISTED = 20  # problems of one kind listed one by one, the rest counted
MAX_ZIP_ENTRIES = 100
MAX_UNPACKED = 4 * 1024**3  # a 100 m file for all of Germany is some 200 MB
MAX_ZIP_RATIO = 100  # unpacked/packed size of an entry above 1 MB: a ZIP bomb, not a grid table

SECRET = {"", "–", "-", "—", ".", "x", "X", "/", "•", "-1"}
ID_PREFIX = "gitterid"
FIELDS = {
    "population": {"einwohner", "einwohnerzahl", "bevoelkerungszahl", "bevoelkerung"},
    "total": {"insgesamtbevoelkerung", "insgesamt"},
    "germans": {"deutschland", "deutsche"},
    "foreigners": {"auslandsonstige", "ausland", "auslaender", "auslaenderinnen", "nichtdeutsche"},
    "foreign_share": {"anteilauslaender", "auslaenderanteil", "anteilauslaenderinnen", "anteilderauslaender"},
    "minors": {"unter18"},
}
NOTE_COLUMN = "werterlaeuterndezeichen"
LABELS = {
    "population": "Einwohner",
    "total": "Insgesamt_Bevoelkerung",
    "germans": "Deutschland",
    "foreigners": "Ausland_Sonstige",
    "foreign_share": "AnteilAuslaender",
    "minors": "Unter18",
}


@dataclass(frozen=True)
class FileProblem(Problem):
    """A Problem of one of several files: it names its own file."""

    file: str = ""

    def describe(self, file_name: str) -> str:
        return super().describe(self.file or file_name)


@dataclass
class GridFile:
    """One grid table as read: cell id, centre, spreadsheet row and the values it has."""

    name: str
    resolution: int
    cells: pd.DataFrame  # cell, x, y, row, and per field: value (float, NaN = secret), <field>_secret
    fields: list[str]
    columns: dict[str, str]  # field → the file's header
    notes: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))


def _problem(
    name: str, message: str, row: int | None = None, column: str | None = None, warning: bool = False
):
    return FileProblem(message, row, column, "warning" if warning else "error", file=name)


def fmt(n: float) -> str:
    return f"{int(round(n)):,}".replace(",", ".")


def cells_text(n: int, adjective: str = "") -> str:
    """ "1 Zelle", "3 bewohnte Zellen"."""
    return f"{fmt(n)} {adjective}{'Zelle' if n == 1 else 'Zellen'}"


# --- reading ------------------------------------------------------------------------------------------


def unpack(name: str, payload: bytes) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    """The CSV files in `payload`: itself, or the CSV entries of a ZIP (the Destatis download)."""
    if not payload.startswith(b"PK"):
        return [(name, payload)], []
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as err:
        raise DataImportError(name, "Die ZIP-Datei ist beschädigt und kann nicht gelesen werden.") from err
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise DataImportError(
            name,
            f"Das ZIP-Archiv enthält {len(infos)} Dateien mit zusammen {fmt(sum(i.file_size for i in infos) / 1e6)} MB; "
            "so groß ist kein Download der Zensus-Gitterdaten. Bitte die CSV-Dateien einzeln angeben.",
        )
    bombs = [
        i.filename
        for i in infos
        if i.file_size > 1024**2 and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1)
    ]
    if bombs:
        raise DataImportError(
            name,
            f"Das ZIP-Archiv würde beim Entpacken ein Vielfaches seiner Größe einnehmen ({', '.join(bombs)}); "
            "so ist kein Download der Zensus-Gitterdaten gepackt. Es wurde nichts entpackt.",
        )
    csvs = [i for i in infos if i.filename.lower().endswith((".csv", ".txt")) and not i.flag_bits & 0x1]
    if not csvs:
        raise DataImportError(name, "Das ZIP-Archiv enthält keine CSV-Datei mit Gitterzellen.")
    bundled = name.endswith(BUNDLE_SUFFIX)  # files the upload page packed together keep their own names
    return [
        (Path(i.filename).name if bundled else f"{name}/{Path(i.filename).name}", archive.read(i))
        for i in csvs
    ], []


def read_grid(
    name: str, payload: bytes, window: tuple[float, float, float, float] | None = None
) -> tuple[GridFile | None, list[Problem]]:
    """Read one grid CSV (all rows, as text) and find its columns; values are parsed later. With
    `window` (EPSG:3035) only the cells in it are kept — besides rows whose cell id is broken, which are
    reported — so a file of all Germany is checked where it concerns the municipality. None (with the
    reason) for a file that is no grid table."""
    problems: list[Problem] = []
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = payload.decode("cp1252", errors="replace")
        problems.append(
            _problem(
                name, "Die Datei ist nicht UTF-8 kodiert; sie wurde als Windows-1252 gelesen.", warning=True
            )
        )
    first = text.split("\n", 1)[0]
    sep = max((";", ",", "\t", "|"), key=first.count)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
        )
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        detail = "sie ist leer" if isinstance(err, pd.errors.EmptyDataError) else str(err).strip()
        return None, [*problems, _problem(name, f"Die Datei ist keine lesbare CSV-Tabelle ({detail}).")]
    frame.columns = [str(c).strip() for c in frame.columns]
    norm = {c: normalise_header(c) for c in frame.columns}
    id_col = next((c for c, n in norm.items() if n.startswith(ID_PREFIX)), None)
    x_col = next((c for c, n in norm.items() if n.startswith("xmp")), None)
    y_col = next((c for c, n in norm.items() if n.startswith("ymp")), None)
    columns: dict[str, str] = {}
    for fld, aliases in FIELDS.items():
        hit = next((c for c, n in norm.items() if n in aliases), None)
        if hit is not None:
            columns[fld] = hit
    if id_col is None and (x_col is None or y_col is None):
        return None, [
            *problems,
            _problem(
                name,
                "Keine Spalte mit der Gitterzelle gefunden (erwartet „GITTER_ID_100m“ oder „GITTER_ID_1km“, "
                f"oder „x_mp_100m“ und „y_mp_100m“). Vorhandene Spalten: {', '.join(frame.columns)}.",
                row=1,
            ),
        ]
    if not columns:
        return None, [
            *problems,
            _problem(
                name,
                "Keine Spalte mit einem Merkmal, das der Integrationsmonitor kennt (erwartet z. B. „Einwohner“, "
                f"„AnteilAuslaender“, „Ausland_Sonstige“, „Unter18“). Vorhandene Spalten: {', '.join(frame.columns)}.",
                row=1,
            ),
        ]
    used = {id_col, x_col, y_col, *columns.values()}
    ignored = [c for c in frame.columns if c not in used and norm[c] != NOTE_COLUMN]
    if ignored:
        problems.append(
            _problem(
                name,
                f"Spalten ohne Verwendung im Integrationsmonitor: {', '.join(ignored)}.",
                row=1,
                warning=True,
            )
        )
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet rows: the header is row 1
    if window is not None and id_col is not None:
        from geo.grid import parse_cell_ids

        parsed = parse_cell_ids(frame[id_col])
        x0, y0, x1, y1 = window
        near = parsed["x"].between(x0, x1) & parsed["y"].between(y0, y1)
        had_rows = not frame.empty
        frame = frame[(near | parsed["x"].isna()).to_numpy()]
        if frame.empty and had_rows:
            return None, [
                *problems,
                _problem(
                    name,
                    "Keine Zelle der Datei liegt im Gebiet der Stadtteilgrenzen (auch nicht bis 1 km darum). "
                    "Gehört die Datei zu einer anderen Gegend?",
                ),
            ]
    cells = pd.DataFrame({"row": frame.index}, index=frame.index)
    resolution, centre_problems = _centres(name, frame, id_col, x_col, y_col, cells)
    problems += centre_problems
    if resolution is None:
        return None, problems
    for fld, col in columns.items():
        cells[f"raw_{fld}"] = frame[col].str.strip()
    note_col = next((c for c, n in norm.items() if n == NOTE_COLUMN), None)
    notes = frame[note_col].str.strip() if note_col else pd.Series("", index=frame.index, dtype=object)
    return GridFile(name, resolution, cells, list(columns), columns, notes), problems


def _centres(
    name: str,
    frame: pd.DataFrame,
    id_col: str | None,
    x_col: str | None,
    y_col: str | None,
    cells: pd.DataFrame,
) -> tuple[int | None, list[Problem]]:
    """Fill cells' cell, x, y from the ids (checked against x_mp/y_mp where both are given)."""
    from geo.grid import cell_id, parse_cell_ids

    problems: list[Problem] = []
    if id_col is not None:
        parsed = parse_cell_ids(frame[id_col])
        bad = parsed["x"].isna()
        for row in cells.loc[bad, "row"].head(MAX_LISTED):
            value = frame.at[row, id_col]
            problems.append(
                _problem(
                    name,
                    f'"{value}" ist keine Gitterzellen-Kennung (erwartet z. B. CRS3035RES100mN2689100E4337000).',
                    int(row),
                    id_col,
                )
            )
        if bad.sum() > MAX_LISTED:
            problems.append(
                _problem(
                    name, f"… und {fmt(bad.sum() - MAX_LISTED)} weitere ungültige Kennungen.", column=id_col
                )
            )
        resolutions = sorted(parsed.loc[~bad, "resolution"].astype(int).unique())
        if len(resolutions) > 1:
            problems.append(
                _problem(
                    name,
                    f"Die Datei mischt Gitterweiten ({', '.join(_res_text(r) for r in resolutions)}).",
                    column=id_col,
                )
            )
        cells["cell"] = frame[id_col].str.strip()
        cells["x"], cells["y"] = parsed["x"], parsed["y"]
        if x_col and y_col:
            x = pd.to_numeric(frame[x_col].str.replace(",", ".", regex=False), errors="coerce")
            y = pd.to_numeric(frame[y_col].str.replace(",", ".", regex=False), errors="coerce")
            off = ~bad & ((x - parsed["x"]).abs().gt(0.5) | (y - parsed["y"]).abs().gt(0.5))
            for i in cells.loc[off, "row"].head(MAX_LISTED):
                problems.append(
                    _problem(
                        name,
                        f"Der Mittelpunkt ({frame.at[i, x_col]}, {frame.at[i, y_col]}) passt nicht zur Kennung "
                        f"„{frame.at[i, id_col]}“.",
                        int(i),
                        x_col,
                    )
                )
        resolution = resolutions[0] if len(resolutions) == 1 else None
    else:
        resolution = _resolution_from_header(x_col)
        x = pd.to_numeric(frame[x_col].str.replace(",", ".", regex=False), errors="coerce")
        y = pd.to_numeric(frame[y_col].str.replace(",", ".", regex=False), errors="coerce")
        if resolution is None:
            problems.append(
                _problem(name, f"Die Gitterweite geht aus „{x_col}“ nicht hervor.", row=1, column=x_col)
            )
        bad = x.isna() | y.isna()
        for row in cells.loc[bad, "row"].head(MAX_LISTED):
            problems.append(_problem(name, "Der Mittelpunkt der Zelle ist keine Zahl.", int(row), x_col))
        cells["x"], cells["y"] = x, y
        cells["cell"] = [
            cell_id(a, b, resolution or 100) if pd.notna(a) and pd.notna(b) else ""
            for a, b in zip(x, y, strict=True)
        ]
    twice = cells["cell"].duplicated(keep="first") & cells["cell"].ne("")
    for row, cell in cells.loc[twice, ["row", "cell"]].head(MAX_LISTED).itertuples(index=False):
        problems.append(
            _problem(
                name, f"Die Zelle {cell} steht schon weiter oben in der Datei.", int(row), id_col or x_col
            )
        )
    if not problems and resolution is None:  # a header without rows: nothing to count, nothing wrong
        problems.append(
            _problem(name, "Die Datei enthält keine Gitterzellen; nicht verwendet.", warning=True)
        )
    return resolution, problems


def _resolution_from_header(header: str | None) -> int | None:
    match = re.search(r"(\d+)\s*(k?m)\b", header or "", re.IGNORECASE) or re.search(
        r"(\d+)(k?m)$", header or "", re.I
    )
    if not match:
        return None
    return int(match.group(1)) * (1000 if match.group(2).lower() == "km" else 1)


def _res_text(resolution: int) -> str:
    return f"{resolution // 1000} km" if resolution >= 1000 else f"{resolution} m"


def parse_values(grid: GridFile) -> list[Problem]:
    """Turn the raw text of each field into numbers (`<field>`) and secret flags (`<field>_secret`)."""
    problems: list[Problem] = []
    for fld in grid.fields:
        raw = grid.cells.pop(f"raw_{fld}")
        secret = raw.isin(SECRET)
        share = fld == "foreign_share"
        text = (
            raw.str.replace(",", ".", regex=False)
            if share
            else raw.str.replace(r"^(\d{1,3})\.(\d{3})$", r"\1\2", regex=True)
        )
        value = pd.to_numeric(text.where(~secret), errors="coerce")
        bad = ~secret & value.isna()
        if share:
            bad |= value.notna() & ((value < 0) | (value > 100))
            why = "ist kein Prozentwert zwischen 0 und 100"
        else:
            bad |= value.notna() & ((value < 0) | (value % 1 != 0))
            why = "ist keine Anzahl von Personen (ganze Zahl ab 0)"
        column = grid.columns[fld]
        for row, text_value in zip(
            grid.cells.loc[bad, "row"].head(MAX_LISTED), raw[bad].head(MAX_LISTED), strict=True
        ):
            problems.append(_problem(grid.name, f'"{text_value}" {why}.', int(row), column))
        if bad.sum() > MAX_LISTED:
            problems.append(
                _problem(
                    grid.name, f"… und {fmt(bad.sum() - MAX_LISTED)} weitere solche Werte.", column=column
                )
            )
        grid.cells[fld] = value.where(~bad)
        grid.cells[f"{fld}_secret"] = secret
    return problems


# --- combining the files of one import --------------------------------------------------------------


@dataclass
class Combined:
    """The cells near the municipality with every field the files had, one row per cell."""

    cells: pd.DataFrame
    resolution: int
    fields: set[str]
    used: list[str]  # file names
    foreigners_from: str  # "counts", "germans", "share" or ""
    problems: list[Problem]


def combine(grids: list[GridFile], window: tuple[float, float, float, float]) -> Combined:
    """Join the files on the cell, keep the cells within `window`, parse their values, derive the
    persons and foreigners of each cell."""
    problems: list[Problem] = []
    with_people = [g for g in grids if {"population", "total"} & set(g.fields)]
    finest = min((g.resolution for g in (with_people or grids)), default=100)
    used = [g for g in grids if g.resolution == finest]
    for g in grids:
        if g.resolution != finest:
            problems.append(
                _problem(
                    g.name,
                    f"Nicht verwendet: Gitterweite {_res_text(g.resolution)}; verwendet wird das feinere Gitter "
                    f"({_res_text(finest)}) der übrigen Dateien.",
                    warning=True,
                )
            )
    x0, y0, x1, y1 = window
    merged: pd.DataFrame | None = None
    for g in used:
        inside = g.cells["x"].between(x0, x1) & g.cells["y"].between(y0, y1)
        g.cells = g.cells[inside].copy()
        g.notes = g.notes[inside]
        problems += parse_values(g)
        problems += _note_signs(g)
        part = g.cells.drop(columns=["row"]).set_index("cell")
        part = part.drop(columns=[c for c in ("x", "y") if merged is not None and c in part])
        if merged is not None:
            part = part.drop(columns=[c for c in part.columns if c in merged.columns])
            merged = merged.join(part, how="outer")
        else:
            merged = part
    cells = merged if merged is not None else pd.DataFrame(columns=["x", "y"])
    if "x" in cells and cells["x"].isna().any():  # a cell only in a later file: its centre from the id
        from geo.grid import parse_cell_ids

        ids = pd.Series(cells.index, index=cells.index)
        parsed = parse_cell_ids(ids)
        cells["x"] = cells["x"].fillna(parsed["x"])
        cells["y"] = cells["y"].fillna(parsed["y"])
    fields = set().union(*(set(g.fields) for g in used)) if used else set()
    cells = cells.reset_index(names="cell")
    for fld in fields:
        cells[f"{fld}_secret"] = cells[f"{fld}_secret"].astype("boolean").fillna(False).astype(bool)
    persons, persons_secret = _persons(cells, fields)
    cells["persons"], cells["persons_secret"] = persons, persons_secret
    cells["foreigners_est"], source = _foreigners(cells, fields)
    return Combined(cells, finest, fields, [g.name for g in used], source, problems)


def _persons(cells: pd.DataFrame, fields: set[str]) -> tuple[pd.Series, pd.Series]:
    if "population" in fields:
        value, secret = cells["population"], cells["population_secret"]
        if "total" in fields:  # a cell missing from the Bevölkerungszahl file: the other file's total
            value = value.fillna(cells["total"].where(~secret))
        return value, secret
    if "total" in fields:
        return cells["total"], cells["total_secret"]
    return pd.Series(np.nan, index=cells.index), pd.Series(False, index=cells.index)


def _foreigners(cells: pd.DataFrame, fields: set[str]) -> tuple[pd.Series, str]:
    """Foreigners per cell: the count where the file has one, else Insgesamt − Deutschland, else the
    share × persons / 100 (a fraction of a person, rounded only per Stadtteil). NaN = not known."""
    if "foreigners" in fields:
        return cells["foreigners"], "counts"
    if "germans" in fields and "total" in fields:
        return (cells["total"] - cells["germans"]).clip(lower=0), "germans"
    if "foreign_share" in fields:
        return cells["foreign_share"] * cells["persons"] / 100, "share"
    return pd.Series(np.nan, index=cells.index), ""


def _note_signs(grid: GridFile) -> list[Problem]:
    """The `werterlaeuternde_Zeichen` of the cells near the municipality, counted per sign."""
    signs = grid.notes[grid.notes.ne("")].value_counts()
    return [
        _problem(
            grid.name,
            f"{fmt(n)} Zellen tragen das werterläuternde Zeichen „{sign}“ (Aussagewert laut Destatis eingeschränkt); "
            "sie werden mitgezählt.",
            column="werterlaeuternde_Zeichen",
            warning=True,
        )
        for sign, n in signs.items()
    ]


# --- aggregating ------------------------------------------------------------------------------------


@dataclass
class Aggregate:
    counts: pd.DataFrame  # district_id, population, foreigners, minors
    warnings: list[Problem]
    caveat: str


def aggregate(
    combined: Combined, districts: pd.DataFrame, boundaries, label: str, municipality: str
) -> Aggregate:
    """Assign the cells to the Stadtteile (centroid in polygon) and sum them; the warnings and the
    caveat say what the method costs, with the numbers of this import."""
    from geo.grid import assign_cells, districts_in_grid_crs

    shapes = districts_in_grid_crs(boundaries)
    cells = assign_cells(combined.cells, shapes, combined.resolution).cells
    people = cells["persons"].fillna(0)
    inside = cells["district_id"].notna()
    notes: list[str] = []
    warnings: list[Problem] = []

    def warn(text: str) -> None:
        notes.append(text)
        warnings.append(_problem(label, text, warning=True))

    res = _res_text(combined.resolution)
    out_cells = cells[~inside & people.gt(0)]
    if len(out_cells):
        edge = out_cells["near_city"]
        warn(
            f"{cells_text(len(out_cells), 'bewohnte ')} ({fmt(people[out_cells.index].sum())} Personen) in der "
            f"Umgebung liegen mit ihrem Mittelpunkt außerhalb aller Stadtteile von {municipality} und werden nicht "
            "gezählt"
            + (
                f"; {fmt(edge.sum())} davon ({fmt(people[out_cells.index][edge].sum())} Personen) liegen keine halbe "
                "Zelle von der Stadtgrenze entfernt, ihre Bewohner:innen können teils in der Stadt wohnen."
                if edge.any()
                else "."
            )
        )
    near = cells[inside & cells["near_boundary"]]
    warn(
        f"Zuordnung nach dem Mittelpunkt der Zelle ({res}-Gitter): {fmt(inside.sum())} Zellen mit "
        f"{fmt(people[inside].sum())} Personen liegen in den Stadtteilen. {fmt(len(near))} davon "
        f"({fmt(people[near.index].sum())} Personen) liegen mit dem Mittelpunkt weniger als eine halbe Zelle "
        f"({combined.resolution // 2} m) von einer Grenze entfernt; sie können teils zum Nachbarn gehören "
        "und werden ganz dem Stadtteil ihres Mittelpunkts zugerechnet."
    )
    secret_people = cells[inside & cells["persons_secret"]]
    if len(secret_people):
        warn(
            f"{cells_text(len(secret_people))} in den Stadtteilen {'hat' if len(secret_people) == 1 else 'haben'} keine Einwohnerzahl (geheim gehalten oder "
            "leer); wie viele Personen dort wohnen, ist unbekannt, sie fehlen in den Summen."
        )
    small = cells[inside & people.between(1, SMALL_CELL - 1)]
    warn(
        "Die Zahlen jeder Zelle sind vom Statistischen Bundesamt mit der Cell-Key-Methode leicht verändert "
        "(wenige Personen je Zelle; eine Null bleibt Null), die Summe eines Stadtteils weicht deshalb etwas ab. "
        f"{fmt(len(small))} Zellen haben weniger als {SMALL_CELL} Einwohner:innen (zusammen "
        f"{fmt(people[small.index].sum())} Personen); bei ihnen wiegt die Veränderung relativ schwer."
    )
    foreigners = cells["foreigners_est"]
    unknown = inside & foreigners.isna() & people.gt(0)
    if combined.foreigners_from:
        if unknown.any():
            known = inside & foreigners.notna()
            by_district = foreigners[known].groupby(cells.loc[known, "district_id"]).sum()
            base = people[known].groupby(cells.loc[known, "district_id"]).sum()
            share = (by_district / base.where(base > 0)).reindex(cells["district_id"]).to_numpy()
            city_share = by_district.sum() / base.sum() if base.sum() else 0.0
            fill = pd.Series(share, index=cells.index).fillna(city_share) * people
            foreigners = foreigners.where(~unknown, fill)
            warn(
                f"{cells_text(unknown.sum())} mit {fmt(people[unknown].sum())} Personen {'hat' if unknown.sum() == 1 else 'haben'} keinen Wert für "
                "Ausländer:innen (geheim gehalten oder leer); für sie ist der Anteil der übrigen Zellen ihres "
                "Stadtteils angenommen (geschätzt "
                f"{fmt(foreigners[unknown].sum())} Ausländer:innen)."
            )
        if combined.foreigners_from == "share":
            warn(
                "Ausländer:innen je Zelle sind aus dem veröffentlichten Anteil (AnteilAuslaender, gerundet) mal "
                "Einwohnerzahl berechnet und erst je Stadtteil auf ganze Personen gerundet."
            )
    ids = districts["district_id"].tolist()
    grouped = cells[inside].assign(persons=people[inside], foreigners_est=foreigners[inside])
    sums = grouped.groupby("district_id")[["persons", "foreigners_est"]].sum().reindex(ids).fillna(0)
    counts = pd.DataFrame(
        {"district_id": ids, "population": sums["persons"].round().astype("int64").to_numpy()}
    )
    if combined.foreigners_from:
        counts["foreigners"] = np.minimum(
            sums["foreigners_est"].round().astype("int64").to_numpy(), counts["population"]
        )
    else:
        counts["foreigners"] = pd.array([pd.NA] * len(counts), dtype="Int64")
    if "minors" in combined.fields:
        minors = grouped.groupby("district_id")["minors"].sum(min_count=1).reindex(ids)
        counts["minors"] = np.minimum(
            minors.fillna(0).round().astype("int64").to_numpy(), counts["population"]
        )
    empty = districts[counts["population"].eq(0).to_numpy()]
    if len(empty):
        warn(
            f"Ohne bewohnte Zelle (Einwohnerzahl 0 laut Zensus): {', '.join(empty['district'].astype(str))}."
        )
    caveat = " ".join(
        [
            "Zensus 2022, Stichtag 15.05.2022: Einwohner:innen mit Hauptwohnsitz laut Zensus, nicht laut "
            "Melderegister – die Zahlen weichen von denen des Melderegisters ab und sind mit anderen "
            "Stichtagen nur eingeschränkt vergleichbar (Veränderungen zu benachbarten Stichtagen mischen zwei Quellen).",
            f"Aus den Gitterzellen ({res}) je Stadtteil summiert; jede Zelle zählt zu dem Stadtteil, in dem ihr "
            "Mittelpunkt liegt.",
            *notes,
        ]
    )
    return Aggregate(counts, warnings, caveat)


# --- the import ---------------------------------------------------------------------------------------


def import_zensus(
    paths: list[str | Path],
    db_path: str | Path,
    municipality: str,
    user: str | None = None,
    payloads: list[bytes] | None = None,
) -> ImportReport:
    """Read the grid files (CSV or the Destatis ZIPs), aggregate them into the municipality's
    Stadtteile and store the result as the Stichtag 15.05.2022 with the source Zensus 2022 — all
    files or nothing. Raises DataImportError with every problem of every file."""
    from geo.boundaries import from_wkb
    from geo.grid import city_window, districts_in_grid_crs

    paths = [Path(p) for p in paths]
    payloads = payloads if payloads is not None else [read_bytes(p) for p in paths]
    label = ", ".join(p.name for p in paths)
    boundaries, districts = _stored_boundaries(db_path, municipality, label)
    refusal = _register_conflict(db_path, municipality)
    if refusal:
        raise DataImportError(label, refusal)
    window = city_window(districts_in_grid_crs(from_wkb(boundaries)), WINDOW_MARGIN_M)
    grids: list[GridFile] = []
    problems: list[Problem] = []
    for path, payload in zip(paths, payloads, strict=True):
        files, found = unpack(path.name, payload)
        problems += found
        for name, data in files:
            grid, found = read_grid(name, data, window)
            problems += found
            if grid is not None:
                grids.append(grid)
    if grids:
        combined = combine(grids, window)
        problems += combined.problems
        if not combined.fields & {"population", "total"}:
            problems.append(
                _problem(
                    label,
                    "Keine Datei mit der Einwohnerzahl je Zelle (Spalte „Einwohner“, Datei "
                    "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv): ohne sie lässt sich nichts je Stadtteil "
                    "zählen. Bitte sie mit importieren.",
                )
            )
        elif combined.cells.empty or combined.cells["persons"].fillna(0).sum() == 0:
            problems.append(
                _problem(
                    label,
                    f"Keine bewohnte Gitterzelle liegt im Gebiet von {municipality}. Gehören die Dateien zu einer "
                    "anderen Gegend, oder sind die Stadtteilgrenzen die falschen?",
                )
            )
    errors = [p for p in problems if p.severity == "error"]
    if errors or not grids:
        raise DataImportError(label, problems or [Problem("Keine Datei mit Gitterzellen angegeben.")])
    result = aggregate(combined, districts, from_wkb(boundaries), label, municipality)
    warnings = [p for p in problems if p.severity == "warning"] + result.warnings
    if result.counts["population"].sum() == 0:
        raise DataImportError(
            label, f"Keine bewohnte Gitterzelle liegt in einem Stadtteil von {municipality}."
        )
    # one file: its own SHA-256, as every other import logs it (the upload page reads the import back by it)
    sha = hashlib.sha256(
        payloads[0] if len(payloads) == 1 else b"".join(hashlib.sha256(p).digest() for p in payloads)
    ).hexdigest()
    counts = result.counts.assign(municipality=municipality, reference_date=ZENSUS_DATE)
    with writing(db_path) as w:
        import_id = w.start_import(KIND, municipality, label, sha, user)
        where = "municipality = ? AND reference_date = ?"
        old = w.fetch(f"SELECT count(*) AS n FROM population WHERE {where}", [municipality, ZENSUS_DATE])
        w.replace("population", where, [municipality, ZENSUS_DATE], counts, import_id)
        w.replace(
            "population_sources",
            where,
            [municipality, ZENSUS_DATE],
            pd.DataFrame(
                {
                    "municipality": [municipality],
                    "reference_date": [ZENSUS_DATE],
                    "source": [ZENSUS_SOURCE],
                    "caveat": [result.caveat],
                }
            ),
            import_id,
        )
        n_old = int(old["n"].iloc[0])
        replaced = f"Zensus 2022, Stichtag 15.05.2022 ({rows_text(n_old)})" if n_old else ""
        w.finish_import(import_id, len(counts), replaced)
        w.execute(
            "UPDATE imports SET warnings = ? WHERE import_id = ?",
            ["\n".join(p.describe(label) for p in warnings), import_id],
        )
    return ImportReport("Zensus 2022", label, municipality, len(counts), [ZENSUS_DATE], replaced, warnings)


def _stored_boundaries(
    db_path: str | Path, municipality: str, label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The municipality's Stadtteil boundaries (WKB) and districts; refused without boundaries."""
    shapes = pd.DataFrame()
    if Path(db_path).exists():
        store = Store(db_path)
        try:
            shapes = store.boundaries(municipality, STADTTEIL)
        finally:
            store.close()
    if shapes.empty:
        raise DataImportError(
            label,
            f"Für {municipality} sind keine Stadtteilgrenzen geladen. Die Gitterzellen werden den Stadtteilen "
            "über ihre Grenzen zugeordnet: bitte zuerst die Grenzen importieren (python -m data import "
            "boundaries …).",
        )
    return shapes, shapes[["district_id", "district"]]


def _register_conflict(db_path: str | Path, municipality: str) -> str | None:
    """A German refusal when the municipality has counts for 15.05.2022 that no Zensus import wrote."""
    store = Store(db_path)
    try:
        other = store.query(
            """SELECT DISTINCT p.import_id, i.kind, i.file_name FROM population p
               LEFT JOIN imports i USING (import_id)
               WHERE p.municipality = ? AND p.reference_date = ? AND coalesce(i.kind, '') <> ?""",
            [municipality, ZENSUS_DATE, KIND],
        )
    finally:
        store.close()
    if other.empty:
        return None
    files = ", ".join(
        f"Import Nr. {int(r.import_id)} ({r.file_name})" if pd.notna(r.import_id) else "ohne Importnummer"
        for r in other.itertuples()
    )
    return (
        f"Für {municipality} gibt es schon Einwohnerzahlen zum Stichtag 15.05.2022 aus einer anderen Quelle "
        f"({files}). Der Zensus würde diese Zahlen ersetzen; deshalb wurde nichts importiert. Sollen die "
        "Zensuszahlen an ihre Stelle treten, zuerst jenen Import rückgängig machen (python -m data undo "
        "population); die Unterschiede zwischen Melderegister und Zensus zeigt sonst die Methodik-Seite "
        "für den nächstgelegenen Stichtag."
    )


# --- the upload page ----------------------------------------------------------------------------------

BUNDLE_SUFFIX = " (zusammen hochgeladen).zip"


@dataclass
class Bundle:
    """Several uploaded files as one ZIP payload, so the upload page's one-file path takes them:
    `name` and `getvalue()` as Streamlit's UploadedFile has them."""

    name: str
    payload: bytes

    def getvalue(self) -> bytes:
        return self.payload


def bundle(files: list) -> Bundle | None:
    """One upload (any object with name and getvalue()) as it is; several packed into one ZIP."""
    if not files:
        return None
    if len(files) == 1:
        return Bundle(files[0].name, files[0].getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for f in files:
            archive.writestr(Path(f.name).name, f.getvalue())
    return Bundle(f"{len(files)} Dateien{BUNDLE_SUFFIX}", buffer.getvalue())


def preview(name: str, payload: bytes) -> tuple[pd.DataFrame, str]:
    """Per grid file: its name, grid width, cells and the characteristics read from it."""
    files, _ = unpack(name, payload)
    rows = []
    for entry, data in files:
        grid, _ = read_grid(entry, data)
        rows.append(
            {
                "Datei": entry,
                "Gitterweite": _res_text(grid.resolution) if grid else "–",
                "Zellen": len(grid.cells) if grid else 0,
                "Merkmale": ", ".join(grid.columns.values()) if grid else "keine erkannt",
            }
        )
    table = pd.DataFrame(rows)
    return table, f"{len(rows)} {'Datei' if len(rows) == 1 else 'Dateien'} mit Gitterzellen des Zensus 2022"
