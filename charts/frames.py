"""Frames for the charts and tables of the population pages: pure functions, tested alone.

German column headers for reading come from the catalogue; frames carry raw numbers, never text,
except where a function says it formats (`extremes`, `profile_table`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from charts.formatting import fmt_indicator, fmt_int, fmt_number
from charts.protect import hidden_cells
from charts.sentences import metric_delta
from indicators.catalogue import CATALOGUE, OTHER_LABEL, RANK, TOTAL_LABEL, get
from indicators.disclosure import SUPPRESSED
from indicators.nationalities import GERMAN, age_pyramid, largest_nationalities
from indicators.shares import german_sort_key

KEY_SHARES = ("foreigner_share_pct", "migration_background_share_pct")


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
    each with its German change against the previous Stichtag (none without one). The second share is
    the Migrationshintergrund, or the Einwanderungsgeschichte where only that is known."""
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
    origin = ("migration_background_share_pct", "Mit Migrationshintergrund")
    other = ("immigration_history_share_pct", "Mit Einwanderungsgeschichte")
    if pd.isna(_float(city.get(origin[0]))) and pd.notna(_float(city.get(other[0]))):
        origin = other  # a municipality that delivers Einwanderungsgeschichte only
    for share, label in (("foreigner_share_pct", "Ausländeranteil"), origin):
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


def _keep_unit(text: str) -> str:
    """No line break between a number and its unit ("15,1 %" stays on one line in narrow tables)."""
    return text.replace(" %", "\u00a0%").replace(" Pp.", "\u00a0Pp.")


def _float(value: object) -> float:
    try:
        return float(value) if value is not None and pd.notna(value) else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _sort_key(column: pd.Series) -> pd.Series:
    return column.map(german_sort_key) if column.name == "district" else column
