"""Methodik: what every indicator means, which Stichtage exist, where the data come from."""

import pandas as pd
import streamlit as st

from charts.formatting import fmt_date
from charts.index_views import method_text as index_method_text
from charts.reads import own_catalogue
from charts.region_views import METHOD as REGION_METHOD
from charts.sentences import markdown_safe
from charts.tables import csv_bytes, imports_table, sources_table
from charts.zensus_views import METHOD, zensus_comparison
from indicators.catalogue import ORIGIN_DEFINITIONS_TEXT, OTHER_LABEL, for_municipality
from indicators.disclosure import SUPPRESSED
from indicators.own import is_own
from pages.components.access import load
from pages.components.setup import data_grid, page_setup

page = page_setup("Methodik", needs=None)
f = page.filters
catalogue = for_municipality(own_catalogue(page.source, f))  # with the municipality's own indicators

st.header("Kennzahlen")
st.markdown(
    "Alle Kennzahlen werden je Stadtteil und Stichtag aus den Zählungen des Melderegisters berechnet. "
    "Anteile in Prozent (%), Veränderungen und Abweichungen in Prozentpunkten (Pp.)."
)
overview = pd.DataFrame(
    [{"Kennzahl": i.label, "Einheit": i.unit, "Berechnung": i.formula} for i in catalogue.values()]
)
data_grid(overview, key="methodik-kennzahlen", hide_index=True, width="stretch", height="content")
if own := [i for i in catalogue.values() if is_own(i.key)]:
    st.markdown(
        f"**Eigene Kennzahlen von {markdown_safe(f.municipality)}:** "
        + ", ".join(markdown_safe(i.label) for i in own)
        + ". Die Stadt hat sie mit Quelle und Hinweis geladen (unten nach Datenquelle); ihre Fallzahlen "
        "werden wie die der Ausländer:innen geschützt, Anteile daraus ebenfalls."
    )
st.markdown(
    "**Gesamtzahlen der Stadt.** Enthält eine geladene Tabelle eine Gesamtzeile, zeigt das Dashboard "
    "für die Stadt als Ganzes diese veröffentlichte Zahl, auch wenn sie von der Summe der Stadtteile "
    "abweicht (etwa um Personen, die keinem Stadtteil zugeordnet werden können, oder durch Rundung und "
    "Geheimhaltung); Anteile der Stadt und die Abweichungen der Stadtteile davon beziehen sich dann auf "
    "die veröffentlichte Zahl. Die Abweichung steht als Hinweis im Importprotokoll; Abweichungen über "
    "2 % der Gesamtzahl werden als fehlerhafte Datei abgelehnt. Ohne Gesamtzeile ist die Stadt die "
    "Summe ihrer Stadtteile. Zeilen für Stadtbezirke werden als eigene Ebene gespeichert und nie ein "
    "zweites Mal mitgezählt."
)
st.subheader("Migrationshintergrund und Einwanderungsgeschichte")
st.markdown(ORIGIN_DEFINITIONS_TEXT)
st.subheader("Schutz kleiner Fallzahlen")
st.markdown(
    f"""
In der öffentlichen Ansicht, in Präsentationen, Downloads und im Sitzungsbericht erscheint keine
Fallzahl von 1 bis {page.filters.threshold - 1} Personen. Sie wird durch `{SUPPRESSED}` ersetzt und in den Dateien leer
gelassen; daraus berechnete Anteile, Veränderungen und Ränge ebenfalls.

- **Sekundäre Sperrung:** Wo sich ein gesperrter Wert aus Summen oder Differenzen zurückrechnen ließe
  (Stadt = Summe der Stadtteile, Stadtbezirk = Summe seiner Stadtteile, Deutsche = Einwohner:innen −
  Ausländer:innen, Kinder ≤ Personen), wird mindestens ein weiterer Wert gesperrt. Stadtteile,
  Stadtbezirke und die Stadt werden dabei **gemeinsam** geprüft, denn man kann die Tabellen beider
  Ebenen herunterladen und voneinander abziehen. Geprüft wird mit einer linearen Optimierung: Jeder
  gesperrte Wert muss sich aus allem Veröffentlichten nur auf eine Spanne von mindestens
  {page.filters.threshold} Personen eingrenzen lassen (bei sehr großen Tabellen mit über 200 kleinen Werten wird
  nur geprüft, dass kein gesperrter Wert eindeutig bestimmbar ist).
- **Alter und Staatsangehörigkeit:** Die Alterspyramiden und Staatsangehörigkeiten aller Stadtteile,
  Stadtbezirke und der ganzen Stadt werden ebenfalls gemeinsam geschützt: Ein Balken eines
  Stadtbezirks ist die Summe der Balken seiner Stadtteile, also wird er gesperrt oder ein weiterer
  Balken eines Stadtteils, wo sonst ein gesperrter Wert herauskäme. Bei einer Auswahl mehrerer
  Stadtteile erscheint ein Wert nur, wenn er für jeden von ihnen erscheint.
- **Übrige:** Herkunftsländer und Staatsangehörigkeiten mit weniger als {page.filters.threshold} Personen werden
  nicht einzeln genannt, sondern unter „{OTHER_LABEL}“ zusammengefasst; diese Gruppe umfasst
  mindestens {page.filters.threshold} Personen, und ihre Mitglieder werden nirgends aufgelistet. Auch eine größere
  Gruppe kommt unter „{OTHER_LABEL}“, wo ihre Zahl zusammen mit der Zahl für die ganze Stadt oder den
  Stadtbezirk verriete, wie viele Personen einer Staatsangehörigkeit in einem anderen Stadtteil leben.
- **Unterkünfte:** Belegung und Fehlbeleger einer Unterkunft unter der Grenze werden gesperrt; die
  Summen der Stadt bleiben sichtbar, die Zahl der Plätze auch.
- **Gesamtzahlen** je Zeitraum (Zuweisungen) und Stichtag (Unterbringung) werden wie in den
  Ratsvorlagen veröffentlicht.

Angemeldete Redakteur:innen können für die interne Arbeit exakte Werte einschalten; Präsentation
und Bilder bleiben auch dann geschützt. Die Anmeldung gilt nur mit einem vom Server signierten,
ablaufenden Nachweis, Fehlversuche werden begrenzt und protokolliert.
"""
)
st.subheader("Einzelheiten, nach Datenquelle")
for source in dict.fromkeys(i.source for i in catalogue.values()):
    st.markdown(f"**{source}**")
    for indicator in (i for i in catalogue.values() if i.source == source):
        with st.expander(indicator.label):
            st.markdown(f"**Berechnung:** {indicator.formula}  \n**Einheit:** {indicator.unit}")
            if indicator.numerator:
                st.markdown(f"**Zähler:** {indicator.numerator}  \n**Nenner:** {indicator.denominator}")
            st.caption(f"Hinweis: {indicator.caveat}")

st.subheader("Gesamtindex: Status und Dynamik")  # issue 20
st.markdown(markdown_safe(index_method_text(page.source, f)))

st.subheader("Kommunen im Vergleich")  # issue 19
st.markdown(REGION_METHOD)

st.header(f"Stichtage für {markdown_safe(f.municipality)}")
if f.dates:
    st.markdown(
        f"{len(f.dates)} Stichtag{'e' if len(f.dates) > 1 else ''} geladen, "
        f"vom {fmt_date(f.dates[0])} bis zum {fmt_date(f.dates[-1])}: "
        + ", ".join(fmt_date(d) for d in f.dates)
    )
else:
    st.info("Für diese Kommune sind noch keine Einwohnerzahlen geladen.")

st.markdown(METHOD)
for row in load(page.store, "population_sources", f.municipality).itertuples():
    st.subheader(f"Stichtag {fmt_date(row.reference_date)}: {markdown_safe(row.source)}")
    st.markdown(markdown_safe(row.caveat or ""))
    comparison = zensus_comparison(page.source, f, row.reference_date)
    if comparison is not None:
        st.markdown(f"**{markdown_safe(comparison.title)}**")
        data_grid(
            comparison.display, key=f"methodik-zensus-{row.reference_date}", hide_index=True, width="stretch"
        )
        for note in [comparison.source, *comparison.notes]:
            st.caption(markdown_safe(note))
        st.download_button(
            "Tabelle als CSV herunterladen",
            csv_bytes(comparison.table, [comparison.source, *comparison.notes]),
            file_name=f"zensus_melderegister_{f.municipality}.csv".replace(" ", "_"),
            mime="text/csv",
            key=f"methodik-zensus-csv-{row.reference_date}",
        )

st.header("Datenquellen und Lizenzen")
data_grid(
    sources_table(load(page.store, "municipalities")),
    key="methodik-quellen",
    hide_index=True,
    width="stretch",
)
st.caption(
    "Gespeichert werden nur zusammengefasste Zahlen je Stadtteil, keine Angaben zu einzelnen Personen. "
    "Bei Weitergabe von Grafiken und Tabellen bitte die Quelle nennen."
)

st.header("Importprotokoll")
data_grid(
    imports_table(load(page.store, "imports")), key="methodik-importe", hide_index=True, width="stretch"
)
