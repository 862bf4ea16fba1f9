"""Daten: the tables behind the charts, filtered like the charts, to read and to download."""

import pandas as pd
import streamlit as st

from indicators.disclosure import SUPPRESSED
from pages.components.formatting import fmt_date
from pages.components.profile_views import (
    city_series,
    csv_bytes,
    detail,
    displayed,
    excel_bytes,
    formatted,
    german_headers,
    hidden_cells,
    nationality_table,
    notes_for,
    public_download,
    public_nationality_table,
    series,
    text_filter,
    tidy,
)
from pages.components.setup import page_setup
from pages.components.texts import NO_DATA, source_line
from pages.components.views import city_row, indicator_table

page = page_setup("Daten")
f = page.filters
table = indicator_table(page.store, f)  # in the public view: hidden cells missing, marked in attrs
if table.empty:
    st.warning(NO_DATA)
    st.stop()
search = page.controls.text_input(
    "Textfilter", key="data_filter", placeholder="z. B. Namen eines Stadtteils oder einer Staatsangehörigkeit"
)
names = dict(zip(table["district_id"], table["district"], strict=True))
chosen = f.districts or list(names)


def with_city(
    frame: pd.DataFrame, hidden: pd.DataFrame, city: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of the chosen districts, then the municipality (published as a whole, nothing hidden)."""
    rows = frame["district_id"].isin(chosen).to_numpy()
    city = city[[c for c in frame.columns if c in city]]
    out = pd.concat([frame[rows], city], ignore_index=True)
    mask = pd.concat(
        [hidden[rows], pd.DataFrame(False, index=city.index, columns=hidden.columns)], ignore_index=True
    )
    return out, mask.reindex(columns=out.columns).fillna(False).astype(bool)


city = city_row(page.store, f)
stichtag, stichtag_hidden = with_city(
    table, hidden_cells(table), city.to_frame().T if city is not None else table.iloc[:0]
)
stichtag = stichtag.assign(reference_date=pd.Timestamp(f.reference_date))
stichtag_hidden = stichtag_hidden.assign(reference_date=False)
over_time = series(page.store, f)  # in the public view protected per Stichtag
over_time, over_time_hidden = with_city(over_time, hidden_cells(over_time), city_series(page.store, f))
until = (over_time["reference_date"] <= pd.Timestamp(f.reference_date)).to_numpy()
over_time, over_time_hidden = over_time[until], over_time_hidden[until]
nations = nationality_table(detail(page.store, f), names)
nations_hidden = pd.DataFrame(False, index=nations.index, columns=nations.columns)
if f.public and not nations.empty:
    # a district whose foreigners are hidden shows no nationality counts: they would add up to it
    flags = hidden_cells(table).get("foreigners", pd.Series(False, index=table.index))
    hidden_foreigners = set(table.loc[flags.to_numpy(dtype=bool), "district_id"])
    nations, nations_hidden = public_nationality_table(nations, f.threshold, hidden_foreigners)
rows = nations["district_id"].isin(chosen).to_numpy()
nations, nations_hidden = nations[rows], nations_hidden[rows]

tables = {
    f"Kennzahlen {f.date_text}": (stichtag, stichtag_hidden, ["district"]),
    "Zeitreihen": (over_time, over_time_hidden, ["district"]),
    "Staatsangehörigkeiten": (nations, nations_hidden, ["district", "nationality"]),
}
slug = f"{f.municipality}_{f.reference_date.isoformat() if f.reference_date else ''}".replace(" ", "_")
excel_sheets = {}
excel_notes = []
for (name, (frame, hidden, columns)), tab in zip(tables.items(), st.tabs(list(tables)), strict=True):
    frame = text_filter(frame, search, columns)
    hidden = hidden.loc[frame.index]
    frame = tidy(frame, hidden)
    hidden = hidden.reset_index(drop=True)[frame.columns]
    notes = notes_for(hidden, f.threshold)  # only in the public view is anything hidden
    raw = german_headers(public_download(frame, hidden), f.level)  # hidden cells stay empty
    excel_sheets[name] = raw
    excel_notes = excel_notes or notes
    with tab:
        if frame.empty:
            st.info(
                "Keine Zahlen nach Staatsangehörigkeit geladen."
                if name == "Staatsangehörigkeiten" and nations.empty
                else "Keine Zeilen für diesen Filter."
            )
            continue
        st.caption(f"{len(frame)} Zeilen · {source_line(f.source, f.date_text)}")
        st.dataframe(
            german_headers(displayed(formatted(frame), hidden), f.level),
            hide_index=True,
            width="stretch",
            key=f"data-{name}",
        )
        for note in notes:
            st.caption(note)
        st.download_button(
            "CSV herunterladen (Excel, deutsch)",
            csv_bytes(raw, notes),
            file_name=f"{slug}_{name.split()[0].lower()}.csv",
            mime="text/csv",
            key=f"csv-{name}",
            icon=":material/download:",
        )
st.download_button(
    "Alle Tabellen als Excel-Datei (.xlsx)",
    excel_bytes(excel_sheets, excel_notes),
    file_name=f"{slug}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
    icon=":material/table:",
)
st.caption(
    "Die Downloads enthalten die ungerundeten Zahlen; Anteile in Prozent, Veränderungen in Prozentpunkten. "
    f"Stichtag der Auswahl: {fmt_date(f.reference_date)}."
    + (
        f" Nicht ausgewiesene Werte ({SUPPRESSED}) bleiben in den Dateien leer; die Fußnote steht am Ende "
        "der CSV-Datei bzw. im Blatt „Hinweise“."
        if excel_notes
        else ""
    )
)
