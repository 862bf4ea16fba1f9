"""The Karte as an atlas: a map that selects the Stadtteil a reader clicks (or taps), and the full
table beside it — sortable, searchable, the chosen Stadtteile highlighted, hidden cells `•`."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from charts.atlas_views import AtlasTable
from charts.sentences import markdown_safe
from charts.view import ChartView
from indicators.disclosure import SUPPRESSED
from pages.components.downloads import chart_downloads
from pages.components.setup import PLOTLY_CONFIG, Page, chart_summary, chart_table, data_grid
from pages.components.state import select_from_chart, select_from_table

CHOSEN = "background-color: #dbe9f4; font-weight: 600"


def atlas_chart(
    page: Page, view: ChartView, key: str, below: DeltaGenerator, names: dict[str, str] | None = None
) -> None:
    """The chart with its summary and notes; its table and downloads (as `show_charts` has them) go
    `below` — under the map and the full table, where the numbers have the page's width. With `names`
    (key → name of the districts) a click or tap on a district (a bar of the ranking) makes it the
    selection of every page."""
    chart_key = f"{key}-auswahl"
    select = {"on_select": partial(select_from_chart, chart_key, names), "selection_mode": ("points",)}
    st.plotly_chart(view.figure, config=PLOTLY_CONFIG, theme=None, key=chart_key, **(select if names else {}))
    chart_summary(view.summary)  # right under the chart, as on every page
    if names:
        st.caption("Klick oder Tippen auf ein Gebiet wählt es aus; Doppelklick daneben hebt die Auswahl auf.")
    for note in view.notes:
        st.caption(markdown_safe(note))
    with below:
        chart_table(view, key=f"{key}-{view.key}")
        chart_downloads(view, key=f"{key}-{view.key}", images=page.filters.public)
        if not page.filters.public:
            st.caption("Bilder zum Herunterladen gibt es nur in der öffentlichen Ansicht (exakte Werte aus).")


def full_table(page: Page, table: AtlasTable, key: str) -> None:
    """Every district with the indicator, counts, rank and change; a search box; a chosen row selects
    its district; a link per row opens its Stadtteilprofil."""
    f = page.filters
    query = st.text_input(f"{f.level} suchen", key=f"{key}-suche", placeholder="Name oder Schlüssel")
    data, hidden, ids = table.data, table.hidden, pd.Series(table.ids, dtype=object)
    if query.strip():
        wanted = query.strip().casefold()
        rows = (
            data.iloc[:, 0].astype(str).str.casefold().str.contains(wanted, regex=False)
            | data.iloc[:, 1].astype(str).str.casefold().str.contains(wanted, regex=False)
        ).to_numpy()
        data, hidden, ids = data[rows], hidden[rows], ids[rows]
    data, hidden, ids = data.reset_index(drop=True), hidden.reset_index(drop=True), ids.reset_index(drop=True)
    links = [None if i is None else "profil?" + urlencode(_profile_params(page, i)) for i in ids]
    shown = data.assign(Profil=links)
    styler = shown.style.format({c: partial(table.cell_text, c) for c in data.columns}, na_rep="–")
    for column in hidden.columns[hidden.any()]:
        styler = styler.format(
            lambda _: SUPPRESSED, subset=pd.IndexSlice[hidden.index[hidden[column]], column]
        )
    chosen = ids.isin(f.districts).to_numpy()
    styler = styler.apply(lambda row: [CHOSEN if chosen[row.name] else ""] * len(row), axis=1)
    data_grid(  # with a skip link: the keyboard need not step through every row
        styler, key=f"{key}-tabelle", hide_index=True, height=min(38 + 35 * len(shown), 560),
        on_select=partial(select_from_table, f"{key}-tabelle", ids.tolist()), selection_mode="multi-row",
        selection_default={"selection": {"rows": [int(i) for i in ids.index[chosen]]}},
        column_config={"Profil": st.column_config.LinkColumn("Profil", display_text="Profil öffnen")},
        column_order=[data.columns[0], table.value, "Rang", *([table.change] if table.change else []),
                      *[c for c in data.columns[1:] if c not in (table.value, "Rang", table.change)], "Profil"],
    )  # fmt: skip
    st.caption(
        f"Sortieren: Klick auf eine Spaltenüberschrift. Eine Zeile wählen wählt den {f.level} aus "
        f"(hervorgehoben); {SUPPRESSED} = nicht ausgewiesen. Die Tabelle enthält alle Werte der Karte."
    )
    for note in table.notes:
        st.caption(markdown_safe(note))
    names = dict(zip(table.ids, table.data.iloc[:, 0], strict=True))
    for district_id in [d for d in f.districts if d in names]:
        st.page_link(
            "pages/profil.py", label=f"Stadtteilprofil: {names[district_id]}", icon=":material/person_pin:"
        )


def _profile_params(page: Page, district_id: str) -> dict[str, str]:
    params = {k: v for k, v in st.query_params.to_dict().items() if k in ("gemeinde", "stichtag", "ebene")}
    return {**params, "stadtteile": district_id}
