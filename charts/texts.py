"""German texts of the user interface that more than one page uses."""

from __future__ import annotations

APP_TITLE = "Integrationsmonitor"
NO_DATA = "Für diese Auswahl liegen keine Daten vor."
SYNTHETIC_NOTE = (
    "**Demodaten:** „Musterstadt“ ist eine erfundene Stadt. Alle Zahlen sind synthetisch erzeugt und "
    "beschreiben keine realen Personen."
)
PAGE_FAILED = (
    "Diese Seite kann gerade nicht angezeigt werden. Der Fehler ist protokolliert. Bitte wählen Sie eine "
    "andere Seite oder Kommune oder laden Sie die Seite später neu."
)
SCHEMES = {
    "quantiles": "Quantile (gleich viele Gebiete je Klasse)",
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


def missing_text(municipality: str, what: str) -> str:
    """What a page lacks for the chosen municipality, for readers: `Für Kamp-Lintfort sind keine
    Einwohnerzahlen geladen. …`."""
    return (
        f"Für {municipality} sind keine {what} geladen; diese Seite hat deshalb nichts zu zeigen. "
        "In der Seitenleiste lässt sich eine andere Kommune wählen."
    )


def no_geometry_note(level: str, levels: str) -> str:
    """Why a ranking stands where a map should: `level` "Stadtteil", `levels` its plural."""
    return (
        f"Für diese Kommune sind keine {level}grenzen geladen; statt einer Karte zeigt die Grafik die "
        f"{levels} sortiert nach ihrem Wert."
    )


def level_title(title: str, level: str) -> str:
    """A heading on the chosen level: "Stadtteilprofil" → "Stadtbezirksprofil"."""
    return title.replace("Stadtteil", level + ("s" if level.endswith("k") else ""))
