"""Zuweisungen: allocations by period and country of origin, the children among them, and the quota."""

import pandas as pd
import streamlit as st

from indicators.allocations import TOTAL, allocation_table, fulfilment, group_countries, yearly_only
from indicators.catalogue import OTHER_LABEL
from indicators.catalogue_refugees import ALLOCATIONS_SOURCE, QUOTA_SOURCE
from pages.components.access import load
from pages.components.formatting import fmt_date, fmt_int, fmt_pct
from pages.components.refugee_figures import allocations_by_country, minors_chart, quota_chart
from pages.components.setup import Chart, page_setup, show_charts
from pages.components.texts import source_line

page = page_setup("Zuweisungen")
f = page.filters
rows = load(page.store, "table", "allocations", f.municipality)
if f.reference_date is not None:
    rows = rows[pd.to_datetime(rows["period_start"]) <= pd.Timestamp(f.reference_date)]
if rows.empty:
    st.info(
        f"Für {f.municipality} sind bis zum gewählten Stichtag keine Zuweisungen geladen. Zuweisungslisten "
        "lassen sich mit `python -m data import allocations DATEI --municipality NAME` laden."
    )
    st.stop()

left, right = page.controls.columns([2, 3])
units = {"year": "Jahre", "month": "Monate (letzte 3 Jahre)"}
if yearly_only(rows):
    by = "year"
    left.caption("Nur Jahreszahlen geladen; eine Aufteilung auf Monate ist nicht möglich.")
else:
    by = left.radio("Zeiteinheit", list(units), format_func=units.get, horizontal=True, key="alloc_by")
n = right.slider("Herkunftsländer einzeln zeigen", 3, 10, 6, key="alloc_countries")

table = allocation_table(rows, by)
if by == "month":
    table = table[table["period_start"] > table["period_start"].max() - pd.DateOffset(years=3)]
total = table[table["country"] == TOTAL]
periods = f"Zeitraum {total['period'].iloc[0]} bis {total['period'].iloc[-1]}"
source = source_line(f.source if f.synthetic else ALLOCATIONS_SOURCE, None) + f" · {periods}"

last = total.iloc[-1]
cols = st.columns(4)
cols[0].metric(f"Zuweisungen {last['period']}", fmt_int(last["allocated_persons"]))
cols[1].metric("davon Kinder", fmt_int(last["allocated_minors"]))
cols[2].metric("Anteil Kinder", fmt_pct(last["allocated_minors_share_pct"]))
cols[3].metric("seit Beginn der Daten", fmt_int(last["allocated_persons_cumulative"]))

grouped = group_countries(table, n=n, other_label=OTHER_LABEL)
charts = [
    Chart(
        f"Zuweisungen nach Herkunftsland, {f.municipality}",
        allocations_by_country(
            grouped,
            title=f"Zuweisungen nach Herkunftsland, {f.municipality}",
            source=source,
            other_label=OTHER_LABEL,
            presentation=f.presentation,
        ),
        grouped,
        [f"Die {n} Herkunftsländer mit den meisten Zuweisungen einzeln, die übrigen als „{OTHER_LABEL}“."],
    ),
    Chart(
        f"Zugewiesene Personen und Kinder, {f.municipality}",
        minors_chart(
            total,
            title=f"Zugewiesene Personen und Kinder, {f.municipality}",
            source=source,
            presentation=f.presentation,
        ),
        total,
        [
            "Kinder: Summe der bekannten Angaben; der Anteil bezieht sich auf die Personen, für die die "
            f"Kinderzahl bekannt ist ({fmt_int(last['minors_known_persons'])} von "
            f"{fmt_int(last['allocated_persons'])} Personen in {last['period']})."
        ],
    ),
]

quotas = load(page.store, "table", "quotas", f.municipality)
if f.reference_date is not None:
    quotas = quotas[pd.to_datetime(quotas["reference_date"]) <= pd.Timestamp(f.reference_date)]
if not quotas.empty:
    quota = fulfilment(quotas)
    now = quota.iloc[-1]
    quota_source = source_line(f.source if f.synthetic else QUOTA_SOURCE, fmt_date(now["reference_date"]))
    title = f"Erfüllungsquote der Aufnahmeverpflichtung, {f.municipality}"
    note = (
        f"Am {fmt_date(now['reference_date'])}: Soll {fmt_int(now['quota_target'])}, Ist "
        f"{fmt_int(now['quota_actual'])}, Erfüllungsquote {fmt_pct(now['fulfilment_rate_pct'])}"
        + (
            f"; bis 100 % sind noch {fmt_int(now['quota_outstanding'])} Zuweisungen zu erwarten."
            if now["quota_outstanding"]
            else "; das Soll ist erfüllt."
        )
    )
    figure = quota_chart(quota, title=title, source=quota_source, presentation=f.presentation)
    charts.append(Chart(title, figure, quota, [note]))

show_charts(page, charts, key="zuweisungen")

if not f.presentation:
    st.subheader(f"Zuweisungen {last['period']} nach Herkunftsland")
    latest = table[table["period"] == last["period"]]
    st.dataframe(
        pd.DataFrame(
            {
                "Herkunftsland": latest["country"].replace({TOTAL: "Gesamt"}),
                "Personen": latest["allocated_persons"].map(fmt_int),
                "davon Kinder": latest["allocated_minors"].map(fmt_int),
                "Anteil Kinder": latest["allocated_minors_share_pct"].map(fmt_pct),
                "Veränderung zum Vorjahreszeitraum": latest["allocated_persons_change"].map(
                    lambda v: fmt_int(v, signed=True)
                ),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption("„–“: nicht bekannt. Kinder ohne Angabe zählen nicht als 0.")
    st.download_button(
        "Tabelle herunterladen (CSV)",
        table.to_csv(index=False).encode("utf-8"),
        file_name=f"zuweisungen_{f.municipality}_{by}.csv",
        mime="text/csv",
        key="alloc_download",
    )
