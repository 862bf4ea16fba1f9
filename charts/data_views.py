"""The tables of the Daten page: indicators at the Stichtag, the time series and the nationalities
of the chosen districts, each followed by the municipality, protected like the charts.

`data_tables` decides what a reader may see (once); `table_view` filters a table by a search text and
turns it into what the page shows and the files hold: German display text with `•`, the raw download
with hidden cells empty, the footnotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from charts.frames import nationality_table, text_filter
from charts.protect import displayed, hidden_cells, notes_for, public_nationality_table
from charts.reads import city_row, city_series, detail, detail_protection, indicator_table, series
from charts.tables import formatted, german_headers, public_download, tidy
from charts.view import Filters, Source
from indicators.catalogue import OTHER_LABEL


@dataclass
class DataTable:
    name: str
    frame: pd.DataFrame  # raw, internal column names; hidden cells missing in the public view
    hidden: pd.DataFrame  # same index and columns: True where a value is hidden from readers
    search: list[str]  # columns the text filter looks in
    notes: list[str] = field(default_factory=list)  # besides the footnote (e.g. what "Übrige" holds)


@dataclass
class TableView:
    name: str
    display: pd.DataFrame  # German text, hidden cells `•`
    download: pd.DataFrame  # raw numbers, German headers, hidden cells empty
    notes: list[str]


def data_tables(src: Source, f: Filters) -> list[DataTable]:
    """Kennzahlen at the Stichtag, Zeitreihen up to it, Staatsangehörigkeiten; empty list without data."""
    table = indicator_table(src, f)
    if table.empty:
        return []
    names = dict(zip(table["district_id"], table["district"], strict=True))
    chosen = f.districts or list(names)
    city = city_row(src, f)
    now, now_hidden = _with_city(table, chosen, city.to_frame().T if city is not None else table.iloc[:0])
    now = now.assign(reference_date=pd.Timestamp(f.reference_date))
    now_hidden = now_hidden.assign(reference_date=False)
    over_time, over_hidden = _with_city(series(src, f), chosen, city_series(src, f))
    until = (over_time["reference_date"] <= pd.Timestamp(f.reference_date)).to_numpy()
    nations = nationality_table(detail(src, f), names)
    nations_hidden = pd.DataFrame(False, index=nations.index, columns=nations.columns)
    if f.public and not nations.empty:
        # a district whose foreigners are hidden shows no nationality counts: they would add up to it
        flags = hidden_cells(table).get("foreigners", pd.Series(False, index=table.index))
        hidden_foreigners = set(table.loc[flags.to_numpy(dtype=bool), "district_id"])
        nations, nations_hidden = public_nationality_table(
            nations, f.threshold, hidden_foreigners, detail_protection(src, f)
        )
    rows = nations["district_id"].isin(chosen).to_numpy()
    residual = []
    if f.public and (nations.loc[rows, "nationality"] == OTHER_LABEL).any():
        residual = [
            f"Staatsangehörigkeiten mit weniger als {f.threshold} Personen im {f.level} sind unter "
            f"„{OTHER_LABEL}“ zusammengefasst (dort mindestens {f.threshold} Personen), wie in der Grafik."
        ]
    return [
        DataTable(f"Kennzahlen {f.date_text}", now, now_hidden, ["district"]),
        DataTable("Zeitreihen", over_time[until], over_hidden[until], ["district"]),
        DataTable(
            "Staatsangehörigkeiten",
            nations[rows],
            nations_hidden[rows],
            ["district", "nationality"],
            residual,
        ),  # fmt: skip
    ]


def table_view(data: DataTable, search: str, f: Filters) -> TableView:
    """The rows matching the search text, tidied, as display text and as raw download."""
    frame = text_filter(data.frame, search, data.search)
    hidden = data.hidden.loc[frame.index]
    frame = tidy(frame, hidden)
    hidden = hidden.reset_index(drop=True)[frame.columns]
    return TableView(
        data.name,
        german_headers(displayed(formatted(frame), hidden), f.level),
        german_headers(public_download(frame, hidden), f.level),
        data.notes + notes_for(hidden, f.threshold),  # only in the public view is anything hidden
    )


def _with_city(
    frame: pd.DataFrame, chosen: list[str], city: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of the chosen districts, then the municipality (published as a whole, nothing hidden)."""
    hidden = hidden_cells(frame)
    rows = frame["district_id"].isin(chosen).to_numpy()
    city = city[[c for c in frame.columns if c in city]]
    out = pd.concat([frame[rows], city], ignore_index=True)
    mask = pd.concat(
        [hidden[rows], pd.DataFrame(False, index=city.index, columns=hidden.columns)], ignore_index=True
    )
    return out, mask.reindex(columns=out.columns).fillna(False).astype(bool)
