"""Compose frames for the Übersicht, Stadtteilprofil, Zeitreihen, Daten and Methodik pages.

Two kinds of functions: readers that take the store and the filters (cached reads via `load`) and
pure functions on frames (tested alone). German column headers for the downloads come from the
catalogue; downloads carry raw numbers, never formatted strings.
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from data.store import STADTTEIL, Store
from indicators.catalogue import CATALOGUE, OTHER_LABEL, PERSONS, RANK, TOTAL_LABEL, get
from indicators.disclosure import (
    COUNTS,
    IMPLICIT,
    SUPPRESSED,
    PublicTable,
    footnote,
    is_sensitive,
    public_view,
    suppress_crosstab,
    suppress_parts,
)
from indicators.nationalities import GERMAN, age_pyramid, largest_nationalities
from indicators.segregation import dissimilarity_index
from indicators.shares import changes, german_sort_key, municipality_series
from pages.components.access import load
from pages.components.formatting import fmt_date, fmt_indicator, fmt_int, fmt_number
from pages.components.sentences import metric_delta
from pages.components.state import Filters

KEY_SHARES = ("foreigner_share_pct", "migration_background_share_pct")
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
}
IMPORT_KINDS = {
    "population": "Einwohnerzahlen",
    "boundaries": "Stadtteilgrenzen",
    "allocations": "Zuweisungen",
    "quota": "Aufnahmeverpflichtung",
    "occupancy": "Belegung der Unterkünfte",
    "demo": "Demodaten",
}
#: licences of known open data sources, where the municipalities table names none
KNOWN_SOURCES = {"Köln": "Stadt Köln, Offene Daten Köln, Lizenz CC-BY"}


# --- readers (store + filters) -------------------------------------------------------------------


def series(store: Store, filters: Filters) -> pd.DataFrame:
    """Counts, shares and changes per district and Stichtag (every Stichtag of the municipality).

    In the public view each Stichtag is protected on its own (`public_series`): hidden values are
    missing and ``attrs["suppressed"]`` marks them, as `views.indicator_table` does.
    """
    counts = load(store, "population", filters.municipality, None, filters.level)
    if counts.empty:
        return counts
    if not filters.public:
        return changes(counts)
    key = (str(store.path), store.stamp, filters.municipality, filters.level)
    masked, mask = _public_series_cached(counts, key, filters.threshold)
    masked.attrs["suppressed"] = {c: mask[c].tolist() for c in mask.columns if mask[c].any()}
    return masked


@st.cache_data(max_entries=32, show_spinner=False)
def _public_series_cached(_counts: pd.DataFrame, key: tuple, threshold: int) -> PublicTable:
    """`public_series` of all Stichtage, once per database file, municipality, level and threshold."""
    return public_series(changes(_counts), threshold)


def city_series(store: Store, filters: Filters) -> pd.DataFrame:
    """The municipality as a whole per Stichtag (`district` = the municipality's name)."""
    counts = load(store, "population", filters.municipality, None, filters.level)
    if counts.empty:
        return counts
    published = load(store, "published_totals", filters.municipality)
    return municipality_series(counts, filters.municipality, published)


def segregation(store: Store, filters: Filters) -> tuple[float, float | None]:
    """Dissimilarity index of foreigners at the Stichtag and at the previous one (None if none)."""
    now = load(store, "population", filters.municipality, filters.reference_date, filters.level)
    value = dissimilarity_index(now) if not now.empty else float("nan")
    before = None
    if filters.previous_date is not None:
        then = load(store, "population", filters.municipality, filters.previous_date, filters.level)
        before = dissimilarity_index(then) if not then.empty else None
    return value, before


def detail(
    store: Store, filters: Filters, when: date | None = None, district_id: str | None = None
) -> pd.DataFrame:
    """The detail counts at the Stichtag, keyed by the districts of the chosen level.

    Detail is stored per Stadtteil; for a Stadtbezirk level the Stadtteile are relabelled with
    their parent's key. Empty where no detail was loaded. With `district_id` only that district
    is read (a city keeps hundreds of thousands of detail rows per Stichtag; a profile needs one).
    """
    districts = load(store, "districts", filters.municipality, None)
    wanted = None
    if district_id is not None:
        children = districts.loc[districts["parent_id"] == district_id, "district_id"].tolist()
        wanted = [district_id, *children]
    frame = load(store, "detail", filters.municipality, when or filters.reference_date, wanted)
    if frame.empty or filters.level == STADTTEIL:
        return frame
    parents = districts.dropna(subset=["parent_id"]).set_index("district_id")["parent_id"]
    levels = districts.set_index("district_id")["level"]
    own = frame["district_id"].map(levels) == filters.level
    mapped = frame["district_id"].where(own, frame["district_id"].map(parents))
    return frame.assign(district_id=mapped).dropna(subset=["district_id"])


# --- pure functions on frames --------------------------------------------------------------------


def public_series(table: pd.DataFrame, threshold: int) -> PublicTable:
    """`public_view` per Stichtag of a `changes` frame (all districts of the municipality), each with
    the previous Stichtag's counts, so a change is hidden when either of its counts is. Same index."""
    masked, masks = [], []
    before, before_clean = None, True
    for _, rows in table.groupby("reference_date", sort=True):
        clean = _nothing_sensitive(rows, threshold)
        if clean and before_clean:  # nothing to hide, nor any change from a hidden count
            view = PublicTable(rows, pd.DataFrame(False, index=rows.index, columns=rows.columns))
        else:
            view = public_view(rows, threshold, previous=before)
        masked.append(view.masked)
        masks.append(view.mask)
        before, before_clean = rows, clean
    out = pd.concat(masked).reindex(table.index)
    mask = pd.concat(masks).reindex(index=table.index, columns=table.columns).fillna(False).astype(bool)
    return PublicTable(out, mask)


def _nothing_sensitive(rows: pd.DataFrame, threshold: int) -> bool:
    """No count of these districts, of their sum, nor any implicit difference (e.g. Germans) lies in
    1 … threshold − 1: then `public_view` hides nothing and need not run (it takes a while)."""
    counts = rows[[c for c in COUNTS if c in rows]].apply(pd.to_numeric).astype("Float64")
    columns = [counts[c] for c in counts]
    columns += [counts[w] - counts[p] for w, p in IMPLICIT.values() if w in counts and p in counts]
    for column in columns:
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        if any(is_sensitive(v, threshold) for v in [*values, np.nansum(values)]):
            return False
    return True


def hidden_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The cells of a table that the public may not see (from ``attrs["suppressed"]`` as set by
    `views.indicator_table` and `series`), as a boolean frame of the same index and columns.
    Call it before filtering rows: the attrs hold one flag per row position."""
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for column, flags in table.attrs.get("suppressed", {}).items():
        if column in mask and len(flags) == len(mask):
            mask[column] = list(flags)
    return mask


def hidden_keys(table: pd.DataFrame, district_id: str) -> set[str]:
    """The columns hidden for one district of an `indicator_table`."""
    mask = hidden_cells(table)
    rows = mask[(table["district_id"] == district_id).to_numpy()]
    return set(rows.columns[rows.any()]) if not rows.empty else set()


def notes_for(mask: pd.DataFrame | pd.Series | bool, threshold: int) -> list[str]:
    """The disclosure footnote where anything is hidden, else nothing."""
    hit = mask if isinstance(mask, bool) else bool(np.asarray(mask).any())
    return [footnote(threshold)] if hit else []


def displayed(text: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """Formatted text with `SUPPRESSED` where the mask (same index) says hidden."""
    return PublicTable(text, mask.reindex(index=text.index).fillna(False).astype(bool)).display(text)


def largest(table: pd.DataFrame, n: int = 5) -> list[str]:
    """The ids of the n districts with the most residents."""
    ordered = table.sort_values(["population", "district"], ascending=[False, True], kind="stable")
    return ordered["district_id"].head(n).tolist()


def extremes(table: pd.DataFrame, key: str, n: int = 3) -> pd.DataFrame:
    """The n districts with the highest and the n with the lowest value, from highest to lowest.

    Columns: Rang (1 = highest value), Stadtteil, value (raw), Wert (German text). With fewer than
    2n districts every district is listed once.
    """
    ranked = table[["district", key]].dropna().sort_values(key, ascending=False, kind="stable")
    ranked = ranked.assign(Rang=ranked[key].rank(ascending=False, method="min").astype(int))
    if len(ranked) > 2 * n:
        ranked = pd.concat([ranked.head(n), ranked.tail(n)])
    out = ranked.rename(columns={"district": "Stadtteil", key: "value"}).reset_index(drop=True)
    out["Wert"] = [fmt_indicator(v, key) for v in out["value"]]
    return out[["Rang", "Stadtteil", "value", "Wert"]]


def profile_table(
    table: pd.DataFrame,
    city: pd.Series | None,
    district_id: str,
    place: str,
    hidden: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Every catalogue indicator of one district beside the municipality, formatted in German.

    Columns: key, Kennzahl, <place>, Gesamtstadt (text) and district_value, city_value (raw).
    Ranks read "3 von 13" (of the districts with a shown value); the municipality has no rank,
    deviation or quotient of its own ("–"). hidden: keys suppressed for this district (shown `•`).
    """
    row = table.loc[table["district_id"] == district_id]
    if row.empty:
        raise KeyError(f"district {district_id!r} not in the table")
    row = row.iloc[0]
    districts = table.loc[table["district_id"].notna()]
    records = []
    for key, indicator in CATALOGUE.items():
        if key not in table.columns:
            continue
        value = row[key]
        city_value = (
            city.get(key) if city is not None and not key.endswith(("_lq", "_deviation_pp")) else None
        )
        if key in hidden:
            text = SUPPRESSED
        elif indicator.unit == RANK:
            n = int(districts[key].notna().sum())  # the public view ranks among the shown values
            text = f"{fmt_int(value)} von {n}" if pd.notna(value) else fmt_indicator(value, key)
        else:
            text = fmt_indicator(value, key)
        records.append(
            {
                "key": key,
                "Kennzahl": indicator.label,
                place: _keep_unit(text),
                TOTAL_LABEL: _keep_unit(fmt_indicator(city_value, key)),
                "district_value": float("nan") if key in hidden else _float(value),
                "city_value": _float(city_value),
            }
        )
    return pd.DataFrame(records)


def line_frame(
    district_series: pd.DataFrame, city: pd.DataFrame, key: str, district_ids: list[str], city_name: str
) -> pd.DataFrame:
    """Long frame for a line chart: reference_date, district, value, hidden; the municipality last.

    hidden: True where the public view suppressed the value (see `series`); the value is missing there.
    """
    hidden = hidden_cells(district_series)
    chosen = district_series["district_id"].isin(district_ids)
    parts = district_series.loc[chosen]
    flags = hidden.loc[chosen, key] if key in hidden else False
    frame = parts[["reference_date", "district", key]].rename(columns={key: "value"}).assign(hidden=flags)
    frame = frame.sort_values(["district", "reference_date"], key=_sort_key, kind="stable")
    if not city.empty and key in city:
        city_part = city[["reference_date", key]].rename(columns={key: "value"}).assign(district=city_name)
        city_part = city_part.assign(hidden=False)[["reference_date", "district", "value", "hidden"]]
        frame = pd.concat([frame, city_part], ignore_index=True)
    frame["hidden"] = frame["hidden"].fillna(False).astype(bool)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame["reference_date"] = pd.to_datetime(frame["reference_date"])
    return frame.reset_index(drop=True)


def indexed(frame: pd.DataFrame, base: date) -> pd.DataFrame:
    """Each line divided by its own value at the base Stichtag × 100 (the original kept as `raw`).

    A line without a (non-zero) value at the base Stichtag gets NaN throughout.
    """
    base_ts = pd.Timestamp(base)
    at_base = frame.loc[frame["reference_date"] == base_ts].set_index("district")["value"]
    base_values = frame["district"].map(at_base).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(base_values > 0, frame["value"] / base_values * 100, np.nan)
    return frame.assign(raw=frame["value"], value=values)


def nationality_mix(detail_frame: pd.DataFrame, district_id: str | None = None, n: int = 8) -> pd.DataFrame:
    """The n largest foreign nationalities and the rest as "Übrige" (empty without detail)."""
    if detail_frame.empty:
        return pd.DataFrame(columns=["nationality", "persons", "share_pct"])
    return largest_nationalities(detail_frame, n=n, district_id=district_id, other_label=OTHER_LABEL)


def pyramid(detail_frame: pd.DataFrame, district_id: str | None = None) -> pd.DataFrame:
    """Persons by age group, sex and migration status (empty without detail)."""
    if detail_frame.empty:
        return pd.DataFrame(columns=["age_group", "sex", "migration_status", "persons"])
    return age_pyramid(detail_frame, district_id=district_id)


def public_mix(mix: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`nationality_mix` as the public may see it: `suppress_parts` against the sum of all foreigners
    (published), hidden persons and shares missing, a ``hidden`` column; hidden rows after the shown
    ones in alphabetical order (their order would tell which is larger), "Übrige" last."""
    if mix.empty:
        return mix.assign(hidden=pd.Series(dtype=bool))
    view = suppress_parts(mix["persons"], total=float(mix["persons"].sum()), threshold=threshold)
    hidden = view.mask["persons"].to_numpy()
    out = mix.assign(
        persons=mix["persons"].astype("Float64").mask(hidden),
        share_pct=mix["share_pct"].astype(float).mask(hidden),
        hidden=hidden,
    )
    other = out["nationality"] == OTHER_LABEL
    shown = out[~hidden & ~other]
    secret = out[hidden & ~other].sort_values("nationality", key=lambda c: c.map(german_sort_key))
    return pd.concat([shown, secret, out[other]]).reset_index(drop=True)


def public_pyramid(ages: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`pyramid` as the public may see it: age group × (sex, migration status) protected as a cross
    table with its margins (`suppress_crosstab`); hidden persons missing, a ``hidden`` column."""
    if ages.empty:
        return ages.assign(hidden=pd.Series(dtype=bool))
    wide = ages.pivot_table(
        index="age_group", columns=["sex", "migration_status"], values="persons", aggfunc="sum", sort=False
    )
    wide.columns = [f"{sex}|{status}" for sex, status in wide.columns]
    view = suppress_crosstab(wide.fillna(0), threshold, total_label="__total__")
    mask = view.mask.drop(index="__total__", columns="__total__")
    hidden = [
        bool(mask.at[a, f"{s}|{m}"]) if a in mask.index and f"{s}|{m}" in mask.columns else False
        for a, s, m in zip(ages["age_group"], ages["sex"], ages["migration_status"], strict=True)
    ]
    return ages.assign(persons=ages["persons"].astype("Float64").mask(hidden), hidden=hidden)


def public_nationality_table(
    nations: pd.DataFrame, threshold: int, hidden_districts: set[str] | frozenset[str] = frozenset()
) -> PublicTable:
    """`nationality_table` as the public may see it: per district `suppress_parts` against the
    district's foreigners (taken as published); every row of a district whose foreigners are hidden
    in the public table is hidden too (the parts would add up to it). Masks persons and share_pct."""
    mask = pd.DataFrame(False, index=nations.index, columns=nations.columns)
    for district_id, rows in nations.groupby("district_id", sort=False):
        if district_id in hidden_districts:
            hidden = np.ones(len(rows), bool)
        else:
            view = suppress_parts(rows["persons"], total=float(rows["persons"].sum()), threshold=threshold)
            hidden = view.mask["persons"].to_numpy()
        for column in ("persons", "share_pct"):
            if column in mask:
                mask.loc[rows.index, column] = hidden
    masked = nations.copy()
    for column in mask.columns[mask.any()]:
        masked[column] = masked[column].astype("Float64").mask(mask[column])
    return PublicTable(masked, mask)


def nationality_table(detail_frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Foreigners per district and nationality with their share of the district's foreigners."""
    foreign = detail_frame.loc[detail_frame["nationality"] != GERMAN]
    if foreign.empty:
        return pd.DataFrame(columns=["reference_date", "district_id", "district", "nationality", "persons"])
    grouped = foreign.groupby(["reference_date", "district_id", "nationality"], as_index=False)[
        "persons"
    ].sum()
    totals = grouped.groupby("district_id")["persons"].transform("sum")
    grouped["share_pct"] = grouped["persons"] / totals.where(totals > 0) * 100
    grouped.insert(2, "district", grouped["district_id"].map(names))
    return grouped.sort_values(["district", "persons"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def text_filter(frame: pd.DataFrame, text: str, columns: list[str]) -> pd.DataFrame:
    """Rows where any of the columns contains the text (case-insensitive); all rows for empty text."""
    text = (text or "").strip()
    if not text or frame.empty:
        return frame
    mask = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame:
            mask |= frame[column].astype(str).str.contains(text, case=False, regex=False, na=False)
    return frame.loc[mask]


def key_figures(
    city: dict, dissimilarity: float, dissimilarity_change: float | None, previous: date | None
) -> list[dict]:
    """Keyword arguments for four `st.metric` calls: residents, the two shares and the segregation index,
    each with its German change against the previous Stichtag (none without one)."""
    figures = [
        {
            "label": "Einwohner:innen",
            "value": fmt_int(city.get("population")),
            **metric_delta(
                city.get("population_change"),
                fmt_indicator(city.get("population_change"), "population_change"),
                previous,
            ),
        }
    ]
    for share, label in zip(KEY_SHARES, ("Ausländeranteil", "Mit Migrationshintergrund"), strict=True):
        change = city.get(share.removesuffix("_pct") + "_change_pp")
        figures.append(
            {
                "label": label,
                "value": fmt_indicator(city.get(share), share),
                "help": f"{get(share).label} = {get(share).formula}",
                **metric_delta(change, fmt_indicator(change, "foreigner_share_change_pp"), previous),
            }
        )
    figures.append(
        {
            "label": "Segregationsindex",
            "value": fmt_number(dissimilarity, 1),
            "help": f"{get('dissimilarity').label}: 0 = gleich verteilt, 100 = vollständig getrennt.",
            **metric_delta(dissimilarity_change, fmt_number(dissimilarity_change, 1, signed=True), previous),
        }
    )
    return figures


# --- German tables for reading and for downloads -------------------------------------------------


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


def csv_bytes(frame: pd.DataFrame, notes: list[str] | None = None) -> bytes:
    """CSV that Excel (German) opens as is: UTF-8 with BOM, `;` separator, decimal comma.

    notes (e.g. the disclosure footnote) follow the table after an empty line, one per row."""
    frame = frame.apply(_numeric_if_possible)
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


def excel_bytes(sheets: dict[str, pd.DataFrame], notes: list[str] | None = None) -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet per frame, raw numbers, dates as dates; with
    notes (e.g. the disclosure footnote) a last sheet "Hinweise" holds them."""
    if notes:
        sheets = {**sheets, "Hinweise": pd.DataFrame({"Hinweis": list(notes)})}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format="DD.MM.YYYY") as writer:
        for name, frame in sheets.items():
            out = frame.copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = out[column].dt.tz_localize(None) if out[column].dt.tz else out[column]
                elif isinstance(out[column].dtype, pd.core.dtypes.dtypes.BaseMaskedDtype):
                    out[column] = out[column].astype(object).where(out[column].notna(), None)
            out.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for cells in sheet.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in cells)
                sheet.column_dimensions[cells[0].column_letter].width = min(60, max(10, width + 2))
                for cell in cells[1:]:
                    if hasattr(cell.value, "year"):
                        cell.number_format = "DD.MM.YYYY"
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


def _keep_unit(text: str) -> str:
    """No line break between a number and its unit ("15,1 %" stays on one line in narrow tables)."""
    return text.replace(" %", "\u00a0%").replace(" Pp.", "\u00a0Pp.")


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    """Object columns holding only numbers (e.g. after adding the municipality row) become numeric."""
    if column.dtype != object:
        return column
    try:
        return pd.to_numeric(column)
    except (TypeError, ValueError):
        return column


def _float(value: object) -> float:
    try:
        return float(value) if value is not None and pd.notna(value) else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _sort_key(column: pd.Series) -> pd.Series:
    return column.map(german_sort_key) if column.name == "district" else column
