"""Kommunen im Vergleich: the Gemeinden of a Kreis on a map, ranked and over time, the Kreis and NRW
as reference (issue 19). Views in `charts.region_views`; this page only chooses and renders."""

from datetime import date

import streamlit as st

from charts.formatting import fmt_date
from charts.region_views import KEYS, comparison, kreis_of, kreise
from charts.sentences import markdown_safe
from indicators.catalogue import get
from pages.components.setup import data_grid, page_setup, show_charts

page = page_setup("Kommunen im Vergleich", needs=None)
f = page.filters
known = kreise(page.source)
if known.empty:
    st.info(
        "Es sind noch keine Gemeinden eines Kreises geladen. Redakteur:innen laden sie unter „Daten laden“ "
        "(Art „Gemeinden, Kreis und Land“, z. B. ein GENESIS-Export von IT.NRW) oder mit "
        "`python -m data import gemeinden DATEI`."
    )
    st.stop()
names = dict(zip(known["ags"], known["name"], strict=True))
own = kreis_of(page.source, f.municipality)
left, mid, right = page.controls.columns([3, 3, 2])
if st.session_state.get("kommunen_kreis") not in names:
    st.session_state["kommunen_kreis"] = own if own in names else known["ags"].iloc[0]
kreis = left.selectbox("Kreis", list(names), format_func=names.get, key="kommunen_kreis")
key = mid.selectbox("Kennzahl", KEYS, format_func=lambda k: get(k).label, key="kommunen_key")
first = comparison(page.source, f, kreis, key)
when = None
if first is not None and len(first.dates) > 1:
    iso = [d.isoformat() for d in first.dates]
    if st.session_state.get("kommunen_date") not in iso:
        st.session_state["kommunen_date"] = iso[-1]
    chosen = right.selectbox(
        "Stichtag", iso, key="kommunen_date", format_func=lambda d: fmt_date(date.fromisoformat(d))
    )
    when = date.fromisoformat(chosen)
view = comparison(page.source, f, kreis, key, when) if when else first
if view is None:
    st.warning("Für diesen Kreis liegen keine Daten vor.")
    st.stop()
show_charts(page, view.charts, key="kommunen")
for note in view.notes:
    st.caption(markdown_safe(note))
st.subheader(f"Alle Gemeinden: {view.kreis}")
data_grid(view.members, key="kommunen-liste", hide_index=True)
