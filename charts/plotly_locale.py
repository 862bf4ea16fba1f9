"""German for the frame plotly.js draws around a chart in the browser, shipped with the app.

Streamlit's plotly.js bundle holds only the English locales, and no file may be fetched from the
internet. plotly.js also takes locale definitions inline, in the chart's config (`locales`, looked up
before its own registry; `locale` picks one): `PLOTLY_LOCALE_CONFIG` is that pair, merged into every
`st.plotly_chart` config by `pages.components.setup.PLOTLY_CONFIG`.

`dictionary` translates the texts plotly.js puts through its `localize` (modebar button titles, which
it also writes to their aria-label; the notices while an image is prepared; the zoom hint), keyed by
the exact English string of the bundled plotly.js. `format` is the German d3 locale: month and day
names for date axes and date hover labels, decimal comma and thousands dot where a figure sets no
`layout.separators` of its own (ours do, see `charts.figures.style`). Pure data, no Streamlit.
"""

from __future__ import annotations

LOCALE = "de"

#: English text of plotly.js (as in the bundle Streamlit ships) → German
DICTIONARY: dict[str, str] = {
    # modebar buttons (title and aria-label)
    "Download plot as a PNG": "Grafik als PNG herunterladen",
    "Download plot": "Grafik herunterladen",
    "Download plot as JSON": "Grafik als JSON herunterladen",
    "Zoom": "Ausschnitt vergrößern",
    "Pan": "Verschieben",
    "Zoom in": "Vergrößern",
    "Zoom out": "Verkleinern",
    "Autoscale": "Automatisch skalieren",
    "Reset axes": "Achsen zurücksetzen",
    "Reset": "Zurücksetzen",
    "Reset view": "Ansicht zurücksetzen",
    "Reset views": "Ansichten zurücksetzen",
    "Toggle Spike Lines": "Hilfslinien ein-/ausschalten",
    "Show closest data on hover": "Beim Überfahren den nächsten Wert zeigen",
    "Compare data on hover": "Beim Überfahren Werte vergleichen",
    "Toggle show closest data on hover": "Anzeige des nächsten Werts ein-/ausschalten",
    "Box Select": "Rechteck auswählen",
    "Lasso Select": "Lasso-Auswahl",
    "Orbital rotation": "Orbitdrehung",
    "Turntable rotation": "Drehtellerdrehung",
    "Reset camera to default": "Kamera auf Standard zurücksetzen",
    "Reset camera to last save": "Kamera auf letzte Speicherung zurücksetzen",
    "Produced with Plotly.js": "Erstellt mit Plotly.js",
    # notices while an image is prepared
    "Preparing image - this may take a few seconds": "Bild wird erstellt – das kann einige Sekunden dauern",
    "Image download succeeded": "Bild heruntergeladen",
    "Sorry, there was a problem downloading your image!": "Das Bild konnte leider nicht heruntergeladen werden.",
    "JSON download succeeded": "JSON-Datei heruntergeladen",
    "Sorry, there was a problem downloading your JSON file!": "Die JSON-Datei konnte leider nicht heruntergeladen werden.",
    # hints in the chart
    "Double-click to zoom back out": "Doppelklick: wieder verkleinern",
    "Double-click on legend to isolate one trace": "Doppelklick auf einen Legendeneintrag zeigt nur diesen",
    "trace": "Datenreihe",
    "new text": "neuer Text",
    "lat:": "Breite:",
    "lon:": "Länge:",
    "min:": "Min.:",
    "max:": "Max.:",
    "mean:": "Mittelwert:",
    "mean ± σ:": "Mittelwert ± σ:",
    "median:": "Median:",
    "q1:": "1. Quartil:",
    "q3:": "3. Quartil:",
    "lower fence:": "Untere Grenze:",
    "upper fence:": "Obere Grenze:",
}

#: the German d3 locale (plotly.js `lib/locales/de.js`, with the date patterns plotly.js's English
#: locale adds for axis ticks and hover labels)
FORMAT: dict[str, object] = {
    "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    "months": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "shortMonths": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    "periods": ["", ""],  # 24-hour clock
    "dateTime": "%A, %-d. %B %Y, %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["", "\u00a0€"],
    "year": "%Y",
    "month": "%b %Y",
    "dayMonth": "%-d. %b",
    "dayMonthYear": "%-d. %b %Y",
}

#: the keys of a `st.plotly_chart` config that make plotly.js speak German
PLOTLY_LOCALE_CONFIG: dict[str, object] = {
    "locale": LOCALE,
    "locales": {LOCALE: {"dictionary": DICTIONARY, "format": FORMAT}},
}
