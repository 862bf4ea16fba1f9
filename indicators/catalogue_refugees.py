"""Catalogue entries for allocations, quota and accommodation (Flucht und Unterbringung).

Defined here; `indicators.catalogue` includes them in `CATALOGUE`, so every reader of the catalogue
sees them.
Keys are the column names of `indicators.allocations` and `indicators.occupancy`.
"""

from __future__ import annotations

from indicators.indicator import PERCENT, PERSONS, Indicator

ALLOCATIONS_SOURCE = "Zuweisungslisten der Kommune (Zuweisungen der Bezirksregierung Arnsberg nach FlüAG NRW)"
QUOTA_SOURCE = "Bezirksregierung Arnsberg, Aufnahmeverpflichtung und Erfüllungsquote nach FlüAG NRW"
OCCUPANCY_SOURCE = "Belegungslisten der Unterkünfte (Sozialamt der Kommune)"

_PERIOD_CAVEAT = (
    "Gezählt wird im Zeitraum der Zuweisung (Jahr oder Monat), nicht nach Einreise oder Wohnsitznahme. "
    "Zugewiesene Personen können später umziehen; die Zahl ist kein Bestand."
)
_MINORS_CAVEAT = (
    "Nicht jede Zuweisungsliste nennt die Kinder. Fehlende Angaben bleiben unbekannt: Die Summe enthält "
    "nur die bekannten Zahlen (wie in den Ratsvorlagen, z. B. Kamp-Lintfort 2021: 27 Kinder), der Anteil "
    "bezieht sich nur auf die Personen, für die die Kinderzahl bekannt ist."
)
_CHANGE_CAVEAT = (
    "Verglichen wird mit demselben Zeitraum ein Jahr zuvor (Jahr mit Vorjahr, Monat mit Vorjahresmonat). "
    "Ein Zeitraum ohne Zuweisungen innerhalb der gelieferten Daten zählt als 0; vor dem ersten "
    "gelieferten Zeitraum gibt es keinen Vergleich."
)
_OCCUPANCY_CAVEAT = (
    "Stichtagszahlen der Unterkünfte. Belegungen über 100 % kommen vor, wenn Unterkünfte verdichtet "
    "werden (mehr Personen als regulär vorgesehene Plätze)."
)
_FEHLBELEGER_CAVEAT = (
    "Fehlbeleger haben bereits eine Aufenthaltserlaubnis und könnten eine eigene Wohnung mieten, finden "
    "aber keine. Nicht jede Liste nennt sie; fehlende Angaben bleiben unbekannt, der Anteil der "
    "Gesamtstadt bezieht sich nur auf Unterkünfte mit Angabe."
)
#: How the projection on the Unterbringung page is made; shown under it and on the Methodik page.
PROJECTION_METHOD = (
    "Vorausschätzung: Trendgerade (kleinste Quadrate) der Belegung aller Unterkünfte über die Stichtage "
    "der letzten 12 Monate, fortgeschrieben vom zuletzt gemeldeten Stand bei gleichbleibender Platzzahl. "
    "Die Spanne ergibt sich aus der Unsicherheit der Trendgeraden (etwa 95 %). Mit weniger als 6 "
    "Stichtagen oder ohne Zunahme der Belegung wird keine Vorausschätzung gezeigt. Neue Zuweisungswellen "
    "(wie 2015/16 und 2022) kündigen sich in früheren Zahlen nicht an."
)

ALLOCATED_PERSONS = Indicator(
    "allocated_persons",
    "Zugewiesene Personen",
    "Zuweisungen",
    PERSONS,
    "Anzahl der zugewiesenen Personen im Zeitraum",
    None,
    None,
    ALLOCATIONS_SOURCE,
    _PERIOD_CAVEAT,
)
ALLOCATED_MINORS = Indicator(
    "allocated_minors",
    "Zugewiesene Kinder (unter 18 Jahre)",
    "davon Kinder",
    PERSONS,
    "Anzahl der zugewiesenen Minderjährigen im Zeitraum (Summe der bekannten Angaben)",
    None,
    None,
    ALLOCATIONS_SOURCE,
    _MINORS_CAVEAT,
)
MINORS_KNOWN_PERSONS = Indicator(
    "minors_known_persons",
    "Zugewiesene Personen mit bekannter Kinderzahl",
    "Personen mit Kinderangabe",
    PERSONS,
    "Anzahl der zugewiesenen Personen in Zeilen, die die Zahl der Kinder nennen",
    None,
    None,
    ALLOCATIONS_SOURCE,
    _MINORS_CAVEAT,
)
ALLOCATED_MINORS_SHARE = Indicator(
    "allocated_minors_share_pct",
    "Anteil der Kinder an den Zuweisungen",
    "Anteil Kinder",
    PERCENT,
    "Zugewiesene Kinder / zugewiesene Personen mit bekannter Kinderzahl × 100",
    "Zugewiesene Kinder (unter 18 Jahre)",
    "Zugewiesene Personen mit bekannter Kinderzahl",
    ALLOCATIONS_SOURCE,
    _MINORS_CAVEAT,
    decimals=1,
)
ALLOCATED_CUMULATIVE = Indicator(
    "allocated_persons_cumulative",
    "Zugewiesene Personen, kumuliert",
    "Zuweisungen kumuliert",
    PERSONS,
    "Summe der zugewiesenen Personen vom ersten gelieferten Zeitraum bis zum Zeitraum",
    None,
    None,
    ALLOCATIONS_SOURCE,
    "Die Summe beginnt mit dem ersten Zeitraum, für den Zuweisungen geladen sind. " + _PERIOD_CAVEAT,
)
ALLOCATED_CHANGE = Indicator(
    "allocated_persons_change",
    "Veränderung der Zuweisungen gegenüber dem Vorjahreszeitraum",
    "Veränd. Zuweisungen",
    PERSONS,
    "Zugewiesene Personen im Zeitraum − zugewiesene Personen im selben Zeitraum ein Jahr zuvor",
    None,
    None,
    ALLOCATIONS_SOURCE,
    _CHANGE_CAVEAT,
    signed=True,
)
ALLOCATED_CHANGE_PCT = Indicator(
    "allocated_persons_change_pct",
    "Veränderung der Zuweisungen gegenüber dem Vorjahreszeitraum in Prozent",
    "Veränd. Zuweisungen in %",
    PERCENT,
    "(Zuweisungen im Zeitraum − Zuweisungen ein Jahr zuvor) / Zuweisungen ein Jahr zuvor × 100",
    "Veränderung der Zuweisungen gegenüber dem Vorjahreszeitraum",
    "Zugewiesene Personen im selben Zeitraum ein Jahr zuvor",
    ALLOCATIONS_SOURCE,
    _CHANGE_CAVEAT + " Ohne Zuweisungen im Vorjahreszeitraum gibt es keinen Prozentwert.",
    decimals=1,
    signed=True,
)
QUOTA_TARGET = Indicator(
    "quota_target",
    "Aufnahmeverpflichtung (Soll)",
    "Soll",
    PERSONS,
    "Anzahl der Personen, die die Kommune nach dem Verteilschlüssel des FlüAG NRW aufnehmen muss",
    None,
    None,
    QUOTA_SOURCE,
    "Das Soll ändert sich mit jeder Neuberechnung der Bezirksregierung Arnsberg.",
)
QUOTA_ACTUAL = Indicator(
    "quota_actual",
    "Aufgenommene Personen (Ist)",
    "Ist",
    PERSONS,
    "Anzahl der Personen, die auf die Aufnahmeverpflichtung angerechnet werden",
    None,
    None,
    QUOTA_SOURCE,
    "Angerechnet werden nach den Regeln der Bezirksregierung Arnsberg; das Ist ist nicht die Summe der "
    "Zuweisungen eines Jahres.",
)
FULFILMENT_RATE = Indicator(
    "fulfilment_rate_pct",
    "Erfüllungsquote",
    "Erfüllungsquote",
    PERCENT,
    "Ist / Soll × 100",
    "Aufgenommene Personen (Ist)",
    "Aufnahmeverpflichtung (Soll)",
    QUOTA_SOURCE,
    "Unter 100 % heißt: Die Kommune hat weniger Menschen aufgenommen, als sie müsste; die "
    "Bezirksregierung weist weitere Personen zu. Über 100 %: vorerst weniger Zuweisungen.",
    decimals=1,
)
QUOTA_OUTSTANDING = Indicator(
    "quota_outstanding",
    "Bis zur Erfüllung zu erwartende Zuweisungen",
    "offene Zuweisungen",
    PERSONS,
    "Soll − Ist, mindestens 0",
    None,
    None,
    QUOTA_SOURCE,
    "So viele Personen fehlen bis zu einer Erfüllungsquote von 100 % beim heutigen Soll; ein neues Soll "
    "ändert die Zahl.",
)
CAPACITY = Indicator(
    "capacity",
    "Plätze in Unterkünften",
    "Plätze",
    PERSONS,
    "Anzahl der regulären Plätze der Unterkunft am Stichtag",
    None,
    None,
    OCCUPANCY_SOURCE,
    _OCCUPANCY_CAVEAT,
)
OCCUPANTS = Indicator(
    "occupants",
    "Untergebrachte Personen",
    "Belegung",
    PERSONS,
    "Anzahl der in der Unterkunft untergebrachten Personen am Stichtag",
    None,
    None,
    OCCUPANCY_SOURCE,
    _OCCUPANCY_CAVEAT,
)
OCCUPANCY_RATE = Indicator(
    "occupancy_rate_pct",
    "Belegungsquote",
    "Belegungsquote",
    PERCENT,
    "Untergebrachte Personen / Plätze × 100",
    "Untergebrachte Personen",
    "Plätze in Unterkünften",
    OCCUPANCY_SOURCE,
    _OCCUPANCY_CAVEAT,
    higher_is="worse",
    decimals=1,
)
FEHLBELEGER = Indicator(
    "fehlbeleger",
    "Fehlbeleger",
    "Fehlbeleger",
    PERSONS,
    "Anzahl der untergebrachten Personen mit Aufenthaltserlaubnis, die keine Wohnung finden",
    None,
    None,
    OCCUPANCY_SOURCE,
    _FEHLBELEGER_CAVEAT,
)
FEHLBELEGER_SHARE = Indicator(
    "fehlbeleger_share_pct",
    "Anteil der Fehlbeleger",
    "Anteil Fehlbeleger",
    PERCENT,
    "Fehlbeleger / untergebrachte Personen × 100",
    "Fehlbeleger",
    "Untergebrachte Personen (in Unterkünften mit Angabe zu Fehlbelegern)",
    OCCUPANCY_SOURCE,
    _FEHLBELEGER_CAVEAT,
    higher_is="worse",
    decimals=1,
)
FREE_PLACES = Indicator(
    "free_places",
    "Freie Plätze",
    "frei",
    PERSONS,
    "Plätze − untergebrachte Personen (negativ: Überbelegung)",
    None,
    None,
    OCCUPANCY_SOURCE,
    "Für die Gesamtstadt verrechnet über alle Unterkünfte, da Personen verlegt werden können. "
    + PROJECTION_METHOD,
    higher_is="better",
)

REFUGEE_INDICATORS: tuple[Indicator, ...] = (
    ALLOCATED_PERSONS,
    ALLOCATED_MINORS,
    MINORS_KNOWN_PERSONS,
    ALLOCATED_MINORS_SHARE,
    ALLOCATED_CUMULATIVE,
    ALLOCATED_CHANGE,
    ALLOCATED_CHANGE_PCT,
    QUOTA_TARGET,
    QUOTA_ACTUAL,
    FULFILMENT_RATE,
    QUOTA_OUTSTANDING,
    CAPACITY,
    OCCUPANTS,
    OCCUPANCY_RATE,
    FEHLBELEGER,
    FEHLBELEGER_SHARE,
    FREE_PLACES,
)
