"""The Stadtteilprofil's composite view: every share of the municipality's catalogue at once, as the
district's deviation from the municipality in percentage points (Pp.), as a `ChartView`.

Percentage points, not z-scores: "+5 Pp." reads as "20 % here, 15 % in the city" without a word of
statistics, where a z-score needs the spread across the Stadtteile explained first. No combined index:
the shares stand side by side; adding them up would need weights that only the municipality may set
(none are configured). The public view decides once (`charts.reads.indicator_table`): a share hidden
for the district draws no bar, and its table cells are `•`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from charts.composite_figures import deviation_bars
from charts.index_views import index_note
from charts.protect import hidden_keys, notes_for
from charts.reads import city_row, indicator_table
from charts.summaries import deviation_summary
from charts.texts import source_line
from charts.view import ChartView, Filters, Source
from indicators.catalogue import CATALOGUE, PERCENT, Indicator
from indicators.disclosure import SUPPRESSED

KEY = "profil-abweichungen"
DEVIATION = "Abweichung (Pp.)"
NOTE_READING = (
    "Jeder Balken zeigt, um wie viele Prozentpunkte (Pp.) ein Anteil in {place} über (nach rechts) oder "
    "unter (nach links) dem Anteil in {municipality} insgesamt liegt: +5 Pp. heißt zum Beispiel 20 % "
    "statt 15 %. Die Farben zeigen nur die Richtung, keine Bewertung."
)
NOTE_NO_INDEX = (
    "Kein Gesamtindex: Die Anteile werden nicht zu einem Wert zusammengefasst. Das ginge nur mit "
    "Gewichten, die die Kommune festlegt; für {municipality} sind keine Gewichte eingestellt."
)
NOTE_POINTS = (
    "Gezeigt werden Prozentpunkte, keine standardisierten Werte (z-Werte): Bei kleinen Anteilen fallen "
    "auch die Abweichungen kleiner aus."
)


def share_indicators(
    table: pd.DataFrame, catalogue: Mapping[str, Indicator] | None = None
) -> list[Indicator]:
    """The share indicators (unit %) of the catalogue that the indicator table holds, in catalogue
    order; `catalogue`: the municipality's (the general one without)."""
    indicators = (catalogue if catalogue is not None else CATALOGUE).values()
    return [i for i in indicators if i.unit == PERCENT and i.key in table.columns]


def deviation_frame(
    table: pd.DataFrame,
    city: pd.Series | None,
    district_id: str,
    hidden: set[str] | frozenset[str] = frozenset(),
    indicators: list[Indicator] | None = None,
) -> pd.DataFrame:
    """One row per share: key, label, short (label), value (the district's), city, deviation (Pp.)
    and hidden.

    hidden: the keys the public view hides for this district; a share is hidden where it or its
    deviation is, and then neither value nor deviation is read. A share that no district and not the
    municipality has (not delivered) is left out."""
    row = table.loc[table["district_id"] == district_id]
    if row.empty:
        raise KeyError(f"district {district_id!r} not in the table")
    row = row.iloc[0]
    records = []
    for indicator in indicators if indicators is not None else share_indicators(table):
        key = indicator.key
        secret = key in hidden or f"{key.removesuffix('_pct')}_deviation_pp" in hidden
        city_value = _number(city.get(key)) if city is not None else float("nan")
        anywhere = pd.to_numeric(table[key], errors="coerce").notna().any() or pd.notna(city_value)
        if not (anywhere or secret):
            continue
        value = float("nan") if secret else _number(row[key])
        records.append({"key": key, "label": indicator.label, "short": indicator.short_label, "value": value,
                        "city": city_value, "deviation": value - city_value, "hidden": secret})  # fmt: skip
    return pd.DataFrame(records, columns=["key", "label", "short", "value", "city", "deviation", "hidden"])


def _number(value: object) -> float:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return float(number) if pd.notna(number) else float("nan")


def deviations(
    src: Source,
    f: Filters,
    district_id: str,
    *,
    compact: bool = False,
    catalogue: Mapping[str, Indicator] | None = None,
) -> ChartView | None:
    """The district's shares as deviations from the municipality (diverging bars), the table behind
    them (Kennzahl, the district's and the municipality's share, the deviation), a summary and the
    notes. None where the municipality has no share at all."""
    table, city = indicator_table(src, f), city_row(src, f)
    if table.empty:
        return None
    place = str(table.loc[table["district_id"] == district_id, "district"].iloc[0])
    hidden = hidden_keys(table, district_id) if f.public else set()
    frame = deviation_frame(table, city, district_id, hidden, share_indicators(table, catalogue))
    if frame.empty:
        return None
    title = f"{place} im Vergleich mit {f.municipality}: alle Anteile"
    source = source_line(f.source, f.date_text)
    figure = deviation_bars(frame, place=place, municipality=f.municipality, title=title, source=source,
                            presentation=f.presentation, compact=compact)  # fmt: skip
    columns = ["Kennzahl", f"{place} (%)", f"{f.municipality} insgesamt (%)", DEVIATION]
    secret = frame["hidden"].astype(bool)
    data = pd.DataFrame({
        columns[0]: frame["label"],
        columns[1]: frame["value"].astype(object).where(~secret, None),
        columns[2]: frame["city"],
        columns[3]: frame["deviation"].astype(object).where(~secret, None),
    })  # fmt: skip
    mask = pd.DataFrame({columns[0]: False, columns[1]: secret, columns[2]: False, columns[3]: secret})
    notes = [
        NOTE_READING.format(place=place, municipality=f.municipality),
        NOTE_POINTS,
        index_note(src, f) or NOTE_NO_INDEX.format(municipality=f.municipality),
    ]
    if secret.any():
        labels = ", ".join(frame.loc[secret, "label"])
        notes.append(f"Ohne Balken ({SUPPRESSED}): {labels}.")
    notes += notes_for(mask, f.threshold)
    summary = deviation_summary(data, mask, place, f.municipality)
    return ChartView(KEY, title, figure, data, notes, source, mask, summary=summary)
