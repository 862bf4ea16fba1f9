"""German texts of the user interface that more than one page uses."""

from __future__ import annotations

APP_TITLE = "Integrationsmonitor"
NO_DATA = "Für diese Auswahl liegen keine Daten vor."
SYNTHETIC_NOTE = (
    "**Demodaten:** „Musterstadt“ ist eine erfundene Stadt. Alle Zahlen sind synthetisch erzeugt und "
    "beschreiben keine realen Personen."
)
NO_GEOMETRY_NOTE = (
    "Für diese Kommune sind keine Stadtteilgrenzen geladen; statt einer Karte zeigt die Grafik die "
    "Stadtteile sortiert nach ihrem Wert. Grenzen lassen sich mit `python -m data import boundaries` laden."
)
SCHEMES = {
    "quantiles": "Quantile (gleich viele Stadtteile je Klasse)",
    "natural_breaks": "Natürliche Unterbrechungen (Jenks)",
    "equal_interval": "Gleiche Intervalle",
}
PALETTES = {
    "Blues": "Blau (einfarbig)",
    "Viridis": "Viridis (farbenblind-sicher)",
    "YlOrBr": "Gelb–Braun",
    "Cividis": "Cividis (farbenblind-sicher)",
}
DIVERGING_PALETTE = "PuOr"


def source_line(source: str | None, reference_date_text: str | None) -> str:
    """`Quelle: Stadt Lünen, Melderegister · Stichtag 31.12.2020`."""
    parts = [f"Quelle: {source or 'Melderegister der Kommune'}"]
    if reference_date_text:
        parts.append(f"Stichtag {reference_date_text}")
    return " · ".join(parts)
