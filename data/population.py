"""Import of population counts per Stadtteil, as cities publish them.

The file is validated completely before anything is written; every problem of the file is reported
at once, with file, row (header = row 1) and column. Accepted shapes: one row per Stadtteil (and
Stichtag, with a `Jahr`/`Stichtag` column), or a long table with the measure in one column and the
number in another (Köln: `jahr,raum_id,raum,zeile,zahl`). Stadtbezirk rows between the Stadtteile
become the upper level (see `data.population_levels`), never a second count. A total row (named like
the municipality, `Gesamt`, `Insgesamt` …) is the published city figure: stored as such, and a
difference from the sum of the Stadtteile up to TOTAL_TOLERANCE is a warning, not a refusal.
`Anteil …` columns are checked against the counts (± 0.1 Pp.), not stored (one without its count is a
warning). Einwanderungsgeschichte (Statistisches Bundesamt) is a measure of its own beside
Migrationshintergrund, never read into it: a file may have either, both or neither. Importing the same
municipality and Stichtag again replaces that snapshot, except measures the new file lacks.
With `level="Gemeinde"` the rows are municipalities by AGS (GENESIS, Zensus) stored under a Kreis.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataImportError, ImportReport, Problem, rows_text
from data.parsing import aliases, find_column, normalise_header, normalise_name, read_bytes, read_table
from data.population_levels import find_levels, match_key, per_value, tidy_name
from data.population_rows import Columns, Levels, read_rows
from data.store import STADTTEIL, Store, known_districts, writing

# Header spellings seen in municipal exports, matched after normalise_header().
KEY_ALIASES = aliases(
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
NAME_ALIASES = aliases(
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
LEVEL_ALIASES = aliases("Ebene", "Gebietsebene", "level")
DATE_ALIASES = aliases("Stichtag", "Datum", "reference_date")
YEAR_ALIASES = aliases("Jahr", "year")
COUNT_ALIASES = {
    "population": aliases(
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
    "foreigners": aliases(
        "Ausländer",
        "Ausländer:innen",
        "Ausländer*innen",
        "Ausländerinnen und Ausländer",
        "Nichtdeutsche",
        "Auslaender",
        "foreigners",
    ),
    "migration_background": aliases(
        "Migrationshintergrund",
        "Personen mit Migrationshintergrund",
        "mit Migrationshintergrund",
        "MH",
        "Einwohner mit Migrationshintergrund",
        "migration_background",
    ),
    "minors": aliases("unter 18", "unter 18 Jahre", "Minderjährige", "minors"),
    "minors_migration_background": aliases(
        "unter 18 mit Migrationshintergrund",
        "Minderjährige mit Migrationshintergrund",
        "minors_migration_background",
    ),
    # a second definition (Statistisches Bundesamt, IT.NRW), stored beside Migrationshintergrund, never in it
    "immigration_history": aliases(
        "Einwanderungsgeschichte",
        "mit Einwanderungsgeschichte",
        "Personen mit Einwanderungsgeschichte",
        "Einwohner mit Einwanderungsgeschichte",
        "Einwohner:innen mit Einwanderungsgeschichte",
        "immigration_history",
    ),
}
TOTAL_NAMES = aliases("Gesamt", "Insgesamt", "Summe", "Gesamtstadt", "Stadt insgesamt", "Total")
TOTAL_LEVELS = aliases("Stadt", "Gemeinde", "Kommune", "Gesamtstadt")
UPPER_LEVELS = aliases("Stadtbezirk", "Bezirk", "Ortsbezirk", "Stadtbezirke", "Kreis")
BOTTOM_LEVELS = aliases("Stadtteil", "Stadtteile", "Ortsteil", "statistischer Bezirk", "Gemeinde")
STADTBEZIRK = "Stadtbezirk"
GEMEINDE = "Gemeinde"
# long tables: the measure's name in one column, the number in another
MEASURE_ALIASES = aliases("zeile", "Merkmal", "Kennzahl", "Indikator", "Merkmalsausprägung", "measure")
VALUE_ALIASES = aliases("zahl", "Wert", "Anzahl", "value", "Personen")
# a published total may miss the sum of the Stadtteile by persons not assignable to one (or by
# rounding and secrecy); beyond this share of the total the file is refused as inconsistent
TOTAL_TOLERANCE = 0.02
TOTAL_KEY = ""  # district_id of the published municipality figure in `population` (no district row)
COUNTS = list(COUNT_ALIASES)


MAPPABLE = {
    "district": "Stadtteil (Name)",
    "district_id": "Schlüssel des Stadtteils",
    "reference_date": "Stichtag",
    "population": "Einwohner:innen",
    "foreigners": "Ausländer:innen",
    "migration_background": "Personen mit Migrationshintergrund",
    "minors": "unter 18 Jahre",
    "minors_migration_background": "unter 18 mit Migrationshintergrund",
    "immigration_history": "Personen mit Einwanderungsgeschichte",
}
KNOWN_HEADERS = (
    KEY_ALIASES
    | NAME_ALIASES
    | LEVEL_ALIASES
    | DATE_ALIASES
    | YEAR_ALIASES
    | set().union(*COUNT_ALIASES.values())
    | MEASURE_ALIASES
    | aliases("zahl", "Wert", "value")
)


def _map_columns(frame: pd.DataFrame, mapping: dict[str, str] | None = None) -> tuple[Columns, list[Problem]]:
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
        return Columns("", None, None, None, None, {}, {}), problems
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
    columns = Columns(
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
    Gemeinde for a Kreis). The rows are worked on as columns (see `data.population_rows`), so a
    file near the upload limit is checked in seconds.
    """
    frame = frame.copy(deep=False)
    frame.attrs = {}  # pandas deep-copies attrs (the reader's warnings) into every derived column
    frame, problems = widen_long_table(frame)
    cols, column_problems = _map_columns(frame, mapping)
    if column_problems:
        return PopulationTable(problems=problems + column_problems)
    if known is None:
        known = pd.DataFrame(columns=["district_id", "district", "level", "parent_id", "has_geometry"])
    total_names = TOTAL_NAMES | {normalise_name(municipality), normalise_name(f"Stadt {municipality}")}
    levels = Levels(
        frozenset(total_names), frozenset(TOTAL_LEVELS), frozenset(UPPER_LEVELS), frozenset(BOTTOM_LEVELS)
    )
    records, row_problems, unknown_levels = read_rows(frame, cols, levels, reference_date, level)
    for text, row_no in unknown_levels.items():
        row_problems.append(
            _warning(
                f"Unbekannte Gebietsebene „{text}“; die Zeilen gelten als Stadtteile.", row_no, cols.level
            )
        )
    problems += row_problems
    problems += [
        _warning(
            f"Die Spalte „{col}“ enthält nur Anteile, keine Personenzahlen; sie wird geprüft, aber nicht "
            f"übernommen. Gespeichert werden Personenzahlen (Spalte „{MAPPABLE[fld]}“), die Anteile "
            "berechnet das Dashboard daraus.",
            1,
            col,
        )
        for fld, col in cols.shares.items()
        if fld not in cols.counts
    ]
    if records.empty:
        if not any(p.severity == "error" for p in problems):
            problems.append(Problem("Die Datei enthält keine Stadtteile."))
        return PopulationTable(problems=problems)
    fields = list(cols.counts)
    upper = "Kreis" if level == GEMEINDE else STADTBEZIRK
    problems += find_levels(records, known, fields, level, TOTAL_TOLERANCE)
    problems += _assign_ids(records, known, cols, level, upper)
    # totals are compared only when every row could be read: a sum without the unreadable rows would
    # report differences that are not in the file
    complete = not any(p.severity == "error" for p in row_problems)
    problems += _check_days(records, cols, compare=complete)
    problems += _check_keys(records, cols)
    districts = _districts(records, cols)
    problems += _check_boundaries(districts, known, cols)
    if any(p.severity == "error" for p in problems):
        return PopulationTable(problems=problems)
    stored = records[~records["skip"]]
    counts = pd.DataFrame(
        {
            "reference_date": stored["reference_date"].tolist(),
            "district_id": stored["id"].tolist(),
            **{c: stored[c].to_numpy() if c in stored else pd.NA for c in COUNTS},
        }
    )
    for c in COUNTS:
        counts[c] = counts[c].astype("Int64")
    return PopulationTable(districts.drop(columns="row"), counts, problems, tuple(fields))


def _assign_ids(
    recs: pd.DataFrame, known: pd.DataFrame, cols: Columns, level: str, upper: str
) -> list[Problem]:
    """Key and stored name per row (columns `id`, `stored_name`, `level`, and `parent` as an id): the
    file's key, else the known district of that level with the same name (forgiving spelling), else
    the tidied name. Every match that was not exact is a warning (once per spelling and key)."""
    known_names: dict[str, dict[str, tuple[str, str]]] = {level: {}, upper: {}}
    for rec in known.itertuples():
        side = level if rec.level == level else upper
        known_names[side].setdefault(match_key(rec.district), (rec.district_id, rec.district))
    known_by_id = dict(zip(known["district_id"], known["district"], strict=True))
    keys, names = recs["key"].to_numpy(dtype=object), recs["name"].to_numpy(dtype=object)
    hint = recs["hint"].to_numpy(dtype=object)
    tidy = per_value(names, tidy_name)
    bottom = (hint != "upper") & (hint != "total")
    bottom_ids = set(np.where(keys[bottom] != "", keys[bottom], tidy[bottom]).tolist())

    def decide(key: str, name: str, hint: str | None) -> tuple[str, str | None, str | None]:
        """(id, stored name, level) of one spelling of a row."""
        if hint == "total":
            return TOTAL_KEY, None, None
        side = upper if hint == "upper" else level
        found = known_names[side].get(match_key(name))
        if key:
            same = key in known_by_id and match_key(known_by_id[key]) == match_key(name)
            return key, known_by_id[key] if same else tidy_name(name), side
        if found:
            return found[0], found[1], side
        stored = tidy_name(name)
        return (f"{upper} {stored}" if side == upper and stored in bottom_ids else stored), stored, side

    spellings = recs[["key", "name", "hint"]]
    codes = spellings.groupby(list(spellings), sort=False, dropna=False).ngroup().to_numpy()
    decided = [decide(*s) for s in spellings.drop_duplicates().itertuples(index=False)]
    ids, stored, levels = (np.array([d[i] for d in decided], dtype=object)[codes] for i in range(3))
    for column, values in (("id", ids), ("stored_name", stored), ("level", levels)):
        recs[column] = pd.Series(values, index=recs.index, dtype=object)
    parent_rec = recs["parent_rec"].to_numpy()
    ordered = parent_rec >= 0
    parents = recs["parent"].to_numpy(dtype=object).copy()
    parents[ordered] = ids[parent_rec[ordered]]
    recs["parent"] = pd.Series(parents, index=recs.index, dtype=object)

    raw = recs["raw_name"].to_numpy(dtype=object)
    renamed = recs[(hint != "total") & (stored != raw)]
    renamed = renamed[~renamed.duplicated(["raw_name", "id"])]
    return [
        _warning(
            f"„{r.raw_name}“ gelesen als {r.level} „{r.stored_name}“ (Schlüssel {r.id}).",
            int(r.row),
            cols.name,
        )
        for r in renamed.itertuples()
    ]


def _check_days(recs: pd.DataFrame, cols: Columns, compare: bool = True) -> list[Problem]:
    """Per Stichtag: no district twice, the total and each upper row against the rows below them
    (with `compare`)."""
    problems = []
    kept = recs[~recs["skip"]]
    for rows in kept.groupby("reference_date", sort=False).indices.values():
        day = kept.iloc[rows]
        for r in day[day["id"].duplicated()].itertuples():
            what = "Die Gesamtzeile" if r.id == TOTAL_KEY else f'Der Stadtteil "{r.stored_name}"'
            problems.append(
                Problem(
                    f"{what} kommt zum Stichtag {r.reference_date:%d.%m.%Y} mehrfach vor.",
                    int(r.row),
                    cols.key or cols.name,
                )
            )
        if not compare:
            continue
        totals = day[day["id"] == TOTAL_KEY]
        if len(totals):
            bottoms = day[(day["hint"] != "upper") & (day["hint"] != "total")]
            below = {f: (int(bottoms[f].sum()), bool(bottoms[f].isna().any())) for f in cols.counts}
            problems += _compare(totals.iloc[0], below, cols, "Gesamtzeile", "der Stadtteile", strict=True)
        uppers = day[day["hint"] == "upper"]
        if uppers.empty:
            continue
        children = day.groupby("parent")
        sums = {f: (children[f].sum(), day[f].isna().groupby(day["parent"]).any()) for f in cols.counts}
        heads = uppers[uppers["id"].isin(sums["population"][0].index)]
        differ = np.zeros(len(heads), dtype=bool)  # only these are looked at one by one, for the message
        for f, (total, missing) in sums.items():
            found, lacks = heads["id"].map(total), heads["id"].map(missing).astype(bool)
            differ |= (heads[f].notna() & ~lacks & (found != heads[f])).fillna(False).to_numpy(dtype=bool)
        for _, r in heads[differ].iterrows():
            below = {f: (int(s.loc[r["id"]]), bool(na.loc[r["id"]])) for f, (s, na) in sums.items()}
            label = f"{r['level']} „{r['stored_name']}“"
            problems += _compare(r, below, cols, label, "der Gebiete darunter", strict=False)
    return problems


def _compare(
    head: pd.Series, below: dict[str, tuple[int, bool]], cols: Columns, label: str, rows: str, strict: bool
) -> list[Problem]:
    """`head`'s counts against `below` (per field: the sum of the rows below, and whether one of
    them lacks the figure)."""
    problems = []
    for fld, col in cols.counts.items():
        expected, (found, missing) = head[fld], below[fld]
        if pd.isna(expected) or missing or found == expected:
            continue
        expected, at = int(expected), int(head["row"])
        if strict and abs(found - expected) > TOTAL_TOLERANCE * expected:
            problems.append(
                Problem(
                    f"Die Summe der Stadtteile ({found}) stimmt nicht mit der Gesamtzeile ({expected}) überein "
                    f"(Differenz mehr als {TOTAL_TOLERANCE * 100:g} % der Gesamtzahl: Stadtbezirke doppelt "
                    "gezählt oder ein Tippfehler?).",
                    at,
                    col,
                )
            )
            continue
        problems.append(
            _warning(
                f"{label}, Zeile {at}: {fmt_count(expected)}, Summe {rows} {fmt_count(found)} "
                f"(Differenz {fmt_count(expected - found)}); gespeichert wird die veröffentlichte "
                f"{'Gesamtzahl' if strict else 'Zahl'}.",
                at,
                col,
            )
        )
    return problems


def _check_keys(recs: pd.DataFrame, cols: Columns) -> list[Problem]:
    """A key of the file must always name the same area."""
    keyed = recs.loc[recs["from_key_column"] & (recs["id"] != TOTAL_KEY), ["id", "name", "name_key", "row"]]
    first = keyed.groupby("id", sort=False)[["name", "name_key", "row"]].transform("first")
    differs = (first["name_key"] != keyed["name_key"]).to_numpy(dtype=bool)
    seen_name, seen_row = first["name"], first["row"]
    return [
        Problem(
            f"Der Schlüssel {r.id} steht für zwei verschiedene Gebiete: „{seen}“ (Zeile {at}) und „{r.name}“.",
            int(r.row),
            cols.name,
        )
        for r, seen, at in zip(
            keyed[differs].itertuples(), seen_name[differs], seen_row[differs], strict=True
        )
    ]


def _districts(recs: pd.DataFrame, cols: Columns) -> pd.DataFrame:
    """One row per stored area, in the order of their first row, with the values of their last."""
    areas = recs[(recs["id"] != TOTAL_KEY) & ~recs["skip"]]
    order = areas.drop_duplicates("id")["id"]
    last = areas.drop_duplicates("id", keep="last").set_index("id").loc[order]
    districts = pd.DataFrame(
        {
            "district_id": order.tolist(),
            "name": last["stored_name"].tolist(),
            "level": last["level"].tolist(),
            "parent_id": last["parent"].tolist(),
            "row": last["row"].tolist(),
        },
        columns=["district_id", "name", "level", "parent_id", "row"],
    )
    districts.attrs.update(name_column=cols.name, key_column=cols.key)
    return districts


def _check_boundaries(districts: pd.DataFrame, known: pd.DataFrame, cols: Columns) -> list[Problem]:
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
    payload = payload if payload is not None else read_bytes(path)
    table = validate_population(path, db_path, municipality, reference_date, payload, mapping, level, sheet)
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
    over = []  # (position, field) of every stored count above the new population, in row order
    for order, fld in enumerate(("foreigners", "migration_background", "immigration_history")):
        above = (counts[fld] > counts["population"]).fillna(False).to_numpy(dtype=bool)
        over += [(pos, order, fld) for pos in np.flatnonzero(above).tolist()]
    for pos, _, fld in sorted(over):
        rec = counts.iloc[pos]
        problems.append(
            Problem(
                f"Die gespeicherten {MAPPABLE[fld]} ({rec[fld]}) zum Stichtag {rec['reference_date']:%d.%m.%Y} "
                f"übersteigen die neue Einwohnerzahl ({rec['population']}) von {rec['district_id'] or 'der Gesamtzahl'}; "
                f"bitte die Datei mit der Spalte „{MAPPABLE[fld]}“ liefern."
            )
        )
    return PopulationTable(table.districts, counts, problems, table.fields)
