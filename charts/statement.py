"""The Erklärung zur Barrierefreiheit (BITV 2.0 § 7) as a template the municipality completes.

Pure text: `statement(legal)` takes the operator's entries from `.streamlit/secrets.toml` `[legal]`
(see `setup.legal_links`) and returns Markdown; what is not entered stays a visible placeholder.
"""

from __future__ import annotations

from charts.sentences import markdown_safe

TODO = "[bitte ergänzen]"

#: English texts built into Streamlit that the app cannot translate (plotly.js speaks German from
#: charts/plotly_locale.py, except the fullscreen button Streamlit adds to its modebar)
FIXED_ENGLISH = [
    "Statusanzeige beim Rechnen: „Running…“, „Stop“",
    "Datei-Upload (Seite „Daten laden“): „Drag and drop file here“, „Browse files“, „Limit 50MB per file“",
    "Auswahllisten: „No results“, „Clear all“ und die Vorlesetexte der Pfeile",
    "Datumsauswahl: Monatsnamen und Vorlesetexte („year“, „month“) des Kalenders",
    "Zahlenfelder: Vorlesetexte „Increment“, „Decrement“; Passwortfeld: „Show password“",
    "Tabellen-Werkzeugleiste: „Search“, „Download as CSV“, „Fullscreen“",
    "Seitenleiste: Vorlesetexte „Open sidebar“, „Close sidebar“; App-Menü oben rechts",
    "Werkzeugleiste der Grafiken: die Schaltfläche „Fullscreen“ („Close fullscreen“), die Streamlit "
    "hinzufügt (die übrigen Schaltflächen und Hinweise der Grafiken sind deutsch)",
]

KNOWN_LIMITS = [
    "Karten und Diagramme sind Grafiken. Was jede Grafik zeigt, steht direkt unter ihr in zwei bis vier "
    "Sätzen (je nach Grafik höchster und niedrigster Wert, Entwicklung über die Zeit, Vergleich mit der "
    "ganzen Kommune; im Präsentationsmodus der erste Satz); darunter ihre Zahlen als Tabelle („Tabelle "
    "zur Grafik: …“, mit der Tastatur aufklappbar; lange Tabellen zeigen auf der Seite die ersten 60 "
    "Zeilen; zeigt eine Rangliste auf dem Smartphone nur einen Ausschnitt, stehen alle Gebiete darunter "
    "in einer Datentabelle mit dem Sprunglink „Tabelle überspringen“) und zum "
    "Herunterladen als CSV- und Excel-Datei mit allen Zeilen.",
    "Die Hinweise beim Überfahren einer Grafik (Hover) erscheinen nur mit der Maus; dieselben Werte "
    "stehen in der Tabelle zur Grafik.",
    "Die Farbklassen der Karten unterscheiden sich untereinander und von den weißen Grenzlinien und "
    "dem weißen Hintergrund meist mit weniger als 3:1 Kontrast; die hellsten Klassen sind vom "
    "Hintergrund kaum zu unterscheiden. Die Karte selbst hat keinen zweiten Kanal: sie ist nicht "
    "schraffiert, und die Beschriftung nennt nur den Namen jedes Gebiets, nicht seinen Wert (mit "
    "mindestens 4,5:1 Kontrast; bei mehr als 30 Gebieten zunächst ausgeschaltet). Den Wert jedes "
    "Gebiets nennt die Tabelle zur Grafik, die Klassengrenzen stehen als Text in der Legende; der Text "
    "unter der Karte nennt den höchsten und den niedrigsten Wert.",
    "Die Seitensprache wird beim Laden auf Deutsch gesetzt; für einen Augenblick meldet die Seite "
    "Englisch (fest in Streamlit).",
    "Feste englische Texte der Anwendungsumgebung (Streamlit), die wir nicht übersetzen können: "
    + "; ".join(FIXED_ENGLISH)
    + ".",
    "Die Dateien zum Herunterladen (Excel, Bilder, Sitzungsbericht als PDF/PowerPoint) wurden nicht "
    "auf Barrierefreiheit geprüft.",
]


def statement(legal: dict[str, str]) -> str:
    """The Erklärung zur Barrierefreiheit as Markdown, completed with the operator's entries."""
    operator = markdown_safe(legal.get("operator", TODO))
    email = legal.get("contact_email")
    phone = legal.get("contact_phone")
    contact = [f"E-Mail: [{email}](mailto:{email})" if email else f"E-Mail: {TODO}"]
    contact.append(f"Telefon: {markdown_safe(phone)}" if phone else f"Telefon: {TODO}")
    contact_lines = "  \n".join([operator, *contact])  # two spaces: a line break in Markdown
    limits = "\n".join(f"- {markdown_safe(limit)}" for limit in KNOWN_LIMITS)
    return f"""
{operator} ist bemüht, den Integrationsmonitor im Einklang mit den Vorschriften zur barrierefreien
Informationstechnik barrierefrei zugänglich zu machen (§ 7 BITV 2.0; in Nordrhein-Westfalen BGG NRW und
BITNRW; Maßstab: EN 301 549, WCAG 2.1 Stufe AA).

## Stand der Vereinbarkeit mit den Anforderungen

Diese Anwendung ist **teilweise** mit den Anforderungen vereinbar. Die nicht barrierefreien Inhalte
sind unten aufgeführt.

Grundlage ist eine Selbstbewertung: eine automatische Prüfung aller Seiten in Normal- und
Präsentationsmodus mit axe-core (Regeln WCAG 2.0/2.1, Stufen A und AA) bei jeder Änderung der Software
und eine Prüfung der Bedienung mit der Tastatur. Eine Prüfung durch eine unabhängige Stelle: {TODO}.
Erstellt am: {markdown_safe(legal.get("statement_date", TODO))}.

## Nicht barrierefreie Inhalte

{limits}

## Barrieren melden: Kontakt zu den Feedback-Ansprechpartnern

Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen, oder brauchen Sie Zahlen in einer anderen
Form? Schreiben Sie uns oder rufen Sie an:

{contact_lines}

## Durchsetzungsverfahren

Wenn Sie auf Ihre Rückmeldung an uns innerhalb von sechs Wochen keine zufriedenstellende Antwort
erhalten, können Sie sich an die **Ombudsstelle für barrierefreie Informationstechnik des Landes
Nordrhein-Westfalen** wenden. Sie vermittelt kostenlos zwischen Ihnen und der öffentlichen Stelle.
Kontaktdaten der Ombudsstelle: {markdown_safe(legal.get("ombudsstelle", TODO))}.
"""
