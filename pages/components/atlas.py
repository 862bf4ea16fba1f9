"""The Karte as an atlas: a map that selects the Stadtteil a reader clicks (or taps), and the full
table beside it — sortable, searchable, the chosen Stadtteile highlighted, hidden cells `•`."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote_plus, urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from charts.atlas_views import AtlasTable
from charts.figures import rewrap_for_width
from charts.reads import shared
from charts.sentences import markdown_safe
from charts.view import ChartView
from indicators.disclosure import SUPPRESSED
from pages.components.downloads import chart_downloads
from pages.components.setup import PLOTLY_CONFIG, Page, chart_summary, chart_table, data_grid
from pages.components.state import select_from_chart, select_from_table

CHOSEN = "background-color: #dbe9f4; font-weight: 600"
#: the map's column beside the full table, in a 1024 px window with the sidebar open (3/5 of ~570 px):
#: its title and source line are wrapped for it, not for the page's full width
BESIDE_WIDTH = 340


def atlas_chart(
    page: Page,
    view: ChartView,
    key: str,
    below: DeltaGenerator,
    names: dict[str, str] | None = None,
    beside: tuple | None = None,
) -> None:
    """The chart with its summary and notes; its table and downloads (as `show_charts` has them) go
    `below` — under the map and the full table, where the numbers have the page's width. With `names`
    (key → name of the districts) a click or tap on a district (a bar of the ranking) makes it the
    selection of every page. `beside`: the chart stands in a column beside the full table — its title
    and source line are wrapped for that width (`BESIDE_WIDTH`); the tuple names the choice the view
    was built for (the narrow copy is built once per choice, like the view)."""
    chart_key = f"{key}-auswahl"
    select = {"on_select": partial(select_from_chart, chart_key, names), "selection_mode": ("points",)}
    figure = view.figure
    if beside is not None:
        figure = shared(page.source, ("beside", repr(page.filters), *beside, BESIDE_WIDTH),
                        lambda: rewrap_for_width(go.Figure(view.figure), BESIDE_WIDTH))  # fmt: skip
    st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=chart_key, **(select if names else {}))
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
    its district; a link per row opens its Stadtteilprofil. Numbers stay numbers (sorting by value);
    the only empty cells are hidden ones, shown `•` (the grid's placeholder)."""
    f = page.filters
    city = table.city_line()
    if city:
        st.markdown(markdown_safe(city))
    query = st.text_input(f"{f.level} suchen", key=f"{key}-suche", placeholder="Name oder Schlüssel")
    data, hidden, ids = table.districts(query)
    unknown = bool((data.isna() & ~hidden).to_numpy().any())
    kept = urlencode({**_kept_params(), "stadtteile": ""})  # as urlencode writes each row's link
    links = [f"profil?{kept}{quote_plus(i)}" for i in ids]
    chosen = [i in f.districts for i in ids]
    styler = data.assign(Profil=links).style.format({c: partial(table.cell_text, c) for c in data.columns})
    if any(chosen):  # no style at all where nothing is chosen (styling 550 rows one by one is slow)
        styler = styler.apply(partial(_chosen_rows, chosen), axis=None)
    order = [data.columns[0], table.value, "Rang", table.change]
    data_grid(  # with a skip link: the keyboard need not step through every row
        styler, key=f"{key}-tabelle", hide_index=True, height=min(38 + 35 * len(data), 560), placeholder=SUPPRESSED,
        on_select=partial(select_from_table, f"{key}-tabelle", ids), selection_mode="multi-row",
        selection_default={"selection": {"rows": [n for n, c in enumerate(chosen) if c]}},
        column_config={"Profil": st.column_config.LinkColumn("Profil", display_text="Profil öffnen")},
        column_order=[c for c in order if c in data] + [c for c in data.columns if c not in order] + ["Profil"],
    )  # fmt: skip
    empty = "nicht ausgewiesen oder kein Wert" if unknown else "nicht ausgewiesen"
    st.caption(
        f"Sortieren: Klick auf eine Spaltenüberschrift. Eine Zeile wählen wählt den {f.level} aus "
        f"(hervorgehoben); {SUPPRESSED} = {empty}. Die Tabelle enthält alle Werte der Karte."
    )
    for note in table.notes:
        st.caption(markdown_safe(note))
    names = dict(zip(table.ids, table.data.iloc[:, 0], strict=True))
    for district_id in [d for d in f.districts if d in names]:
        st.page_link(
            "pages/profil.py", label=f"Stadtteilprofil: {names[district_id]}", icon=":material/person_pin:"
        )


def _chosen_rows(chosen: list[bool], frame: pd.DataFrame) -> pd.DataFrame:
    """The highlight of the chosen rows, for the whole table at once."""
    css = [[CHOSEN if hit else ""] * len(frame.columns) for hit in chosen]
    return pd.DataFrame(css, index=frame.index, columns=frame.columns)


def _kept_params() -> dict[str, str]:
    """The parameters of this page's link that a Stadtteilprofil link keeps."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in ("gemeinde", "stichtag", "ebene")}
