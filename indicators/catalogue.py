"""The catalogue: every indicator described once (German label, unit, formula, source, caveat).

Pages, figure builders, the Methodik page and the CLI read labels and units from here; no German
indicator text is written anywhere else. Keys are the column names the indicator functions produce.
"""

from __future__ import annotations

from collections.abc import Iterable

from indicators.catalogue_refugees import REFUGEE_INDICATORS
from indicators.indicator import (  # noqa: F401 - re-exported: the catalogue is where readers look
    INDEX,
    OTHER_LABEL,
    PERCENT,
    PERSONS,
    POINTS,
    RANK,
    TOTAL_LABEL,
    UNITS,
    Indicator,
)

REGISTER = "Melderegister der Kommune, Stichtagsauswertung je Stadtteil"
REGISTER_MH = "Melderegister der Kommune, Auswertung Migrationshintergrund (z. B. mit MigraPro)"
DERIVED = "berechnet aus den Zahlen des Melderegisters je Stadtteil"

_RESIDENTS_CAVEAT = (
    "Gezählt werden in der Regel Einwohner:innen mit Hauptwohnsitz. Manche Städte veröffentlichen "
    "Zahlen einschließlich Nebenwohnsitzen (z. B. Köln); solche Zahlen sind höher und nicht direkt "
    "vergleichbar."
)
_FOREIGNERS_CAVEAT = (
    "Maßgeblich ist die Staatsangehörigkeit laut Melderegister. Wer neben der deutschen eine weitere "
    "Staatsangehörigkeit hat, zählt als Deutsche:r, nicht als Ausländer:in."
)
_MH_CAVEAT = (
    "Der Migrationshintergrund steht nicht direkt im Melderegister, sondern wird aus mehreren Merkmalen "
    "abgeleitet. Das Ergebnis hängt vom Verfahren ab: Mit MigraPro zählen auch (Spät-)Aussiedler:innen "
    "und Kinder, deren Eltern einen Migrationshintergrund haben. Werte verschiedener Städte oder "
    "Verfahren nur vorsichtig vergleichen."
)
#: true in every municipality; the Sitzungsbericht adds its own smallest Stadtteil as the example
_SMALL_CAVEAT = "In kleinen Stadtteilen verändern wenige Personen den Anteil deutlich."
_CHANGE_CAVEAT = (
    "Verglichen wird mit dem vorherigen Stichtag desselben Stadtteils. Geänderte Stadtteilgrenzen, "
    "Registerbereinigungen oder ein geändertes Verfahren können Sprünge erzeugen, die keine echte "
    "Veränderung sind."
)
_RANK_CAVEAT = "Platz 1 = höchster Anteil. Gleiche Werte erhalten denselben Platz."


def _count(key: str, label: str, short_label: str, source: str, caveat: str) -> Indicator:
    return Indicator(key, label, short_label, PERSONS, f"Anzahl {label}", None, None, source, caveat)


def _change(key: str, label: str, short_label: str, base: Indicator) -> Indicator:
    return Indicator(
        key,
        label,
        short_label,
        PERSONS,
        f"{base.label} am Stichtag − {base.label} am vorherigen Stichtag",
        None,
        None,
        base.source,
        _CHANGE_CAVEAT,
        signed=True,
    )


def _rank(key: str, share: Indicator) -> Indicator:
    return Indicator(
        key,
        f"Rang: {share.label}",
        f"Rang {share.short_label}",
        RANK,
        f"Platz des Stadtteils nach {share.label}, absteigend",
        None,
        None,
        DERIVED,
        _RANK_CAVEAT,
    )


POPULATION = _count("population", "Einwohner:innen", "Einwohner:innen", REGISTER, _RESIDENTS_CAVEAT)
FOREIGNERS = _count("foreigners", "Ausländer:innen", "Ausländer:innen", REGISTER, _FOREIGNERS_CAVEAT)
MIGRATION_BACKGROUND = _count(
    "migration_background",
    "Personen mit Migrationshintergrund",
    "mit Migrationshintergrund",
    REGISTER_MH,
    _MH_CAVEAT,
)
MINORS = _count("minors", "Minderjährige (unter 18 Jahre)", "unter 18", REGISTER, _RESIDENTS_CAVEAT)
MINORS_MIGRATION_BACKGROUND = _count(
    "minors_migration_background",
    "Minderjährige mit Migrationshintergrund",
    "unter 18 mit MH",
    REGISTER_MH,
    _MH_CAVEAT,
)
FOREIGNER_SHARE = Indicator(
    "foreigner_share_pct",
    "Ausländeranteil",
    "Ausländeranteil",
    PERCENT,
    "Ausländer:innen / Einwohner:innen × 100",
    "Ausländer:innen",
    "Einwohner:innen",
    REGISTER,
    f"{_FOREIGNERS_CAVEAT} {_SMALL_CAVEAT}",
    decimals=1,
    on_map=True,
)
MIGRATION_BACKGROUND_SHARE = Indicator(
    "migration_background_share_pct",
    "Anteil mit Migrationshintergrund",
    "Anteil MH",
    PERCENT,
    "Personen mit Migrationshintergrund / Einwohner:innen × 100",
    "Personen mit Migrationshintergrund",
    "Einwohner:innen",
    REGISTER_MH,
    f"{_MH_CAVEAT} {_SMALL_CAVEAT}",
    decimals=1,
    on_map=True,
)
MINORS_MIGRATION_BACKGROUND_SHARE = Indicator(
    "minors_migration_background_share_pct",
    "Anteil mit Migrationshintergrund unter Minderjährigen",
    "Anteil MH unter 18",
    PERCENT,
    "Minderjährige mit Migrationshintergrund / Minderjährige × 100",
    "Minderjährige mit Migrationshintergrund",
    "Minderjährige (unter 18 Jahre)",
    REGISTER_MH,
    f"{_MH_CAVEAT} Minderjährig heißt: jünger als 18 Jahre am Stichtag. {_SMALL_CAVEAT}",
    decimals=1,
    on_map=True,
)


def _deviation(key: str, share: Indicator) -> Indicator:
    return Indicator(
        key,
        f"Abweichung {share.label} von der Gesamtstadt",
        f"Abw. {share.short_label}",
        POINTS,
        f"{share.label} im Stadtteil − {share.label} der Gesamtstadt",
        share.numerator,
        share.denominator,
        share.source,
        "Positiv: höherer Anteil als in der Gesamtstadt, negativ: niedrigerer. Angabe in "
        "Prozentpunkten (Pp.), nicht in Prozent. " + share.caveat,
        decimals=1,
        signed=True,
        on_map=True,
    )


def _quotient(key: str, share: Indicator) -> Indicator:
    return Indicator(
        key,
        f"Standortquotient {share.label}",
        f"SQ {share.short_label}",
        INDEX,
        f"{share.label} im Stadtteil / {share.label} der Gesamtstadt",
        share.numerator,
        share.denominator,
        share.source,
        "1 = wie in der Gesamtstadt; 1,5 = anderthalbmal so hoher Anteil; 0,5 = halb so hoher Anteil. "
        + share.caveat,
        decimals=2,
        on_map=True,
    )


def _share_change(key: str, share: Indicator) -> Indicator:
    return Indicator(
        key,
        f"Veränderung {share.label}",
        f"Veränd. {share.short_label}",
        POINTS,
        f"{share.label} am Stichtag − {share.label} am vorherigen Stichtag",
        share.numerator,
        share.denominator,
        share.source,
        "Angabe in Prozentpunkten (Pp.), nicht in Prozent. " + _CHANGE_CAVEAT,
        decimals=1,
        signed=True,
        on_map=True,
    )


DISSIMILARITY = Indicator(
    "dissimilarity",
    "Segregationsindex (Dissimilaritätsindex)",
    "Segregationsindex",
    INDEX,
    "½ × Σ über alle Stadtteile |Ausländer:innen im Stadtteil / Ausländer:innen gesamt − "
    "Deutsche im Stadtteil / Deutsche gesamt| × 100",
    "Ausländer:innen je Stadtteil",
    "Deutsche je Stadtteil (Einwohner:innen − Ausländer:innen)",
    DERIVED,
    "0 = beide Gruppen sind gleich über die Stadtteile verteilt, 100 = vollständig getrennt. Der Wert "
    "gibt an, wie viel Prozent einer Gruppe umziehen müssten, damit die Verteilung gleich wäre. Er hängt "
    "vom Gebietszuschnitt ab (viele kleine Gebiete ergeben höhere Werte) und sagt nichts über die "
    "Verteilung innerhalb eines Stadtteils; nur bei gleicher Gebietseinteilung vergleichen. Ebenso "
    "berechenbar für Personen mit und ohne Migrationshintergrund.",
    higher_is="worse",
    decimals=1,
)

_ALL: tuple[Indicator, ...] = (
    POPULATION,
    FOREIGNERS,
    MIGRATION_BACKGROUND,
    MINORS,
    MINORS_MIGRATION_BACKGROUND,
    FOREIGNER_SHARE,
    MIGRATION_BACKGROUND_SHARE,
    MINORS_MIGRATION_BACKGROUND_SHARE,
    _deviation("foreigner_share_deviation_pp", FOREIGNER_SHARE),
    _deviation("migration_background_share_deviation_pp", MIGRATION_BACKGROUND_SHARE),
    _quotient("foreigner_share_lq", FOREIGNER_SHARE),
    _quotient("migration_background_share_lq", MIGRATION_BACKGROUND_SHARE),
    _rank("foreigner_share_rank", FOREIGNER_SHARE),
    _rank("migration_background_share_rank", MIGRATION_BACKGROUND_SHARE),
    _rank("minors_migration_background_share_rank", MINORS_MIGRATION_BACKGROUND_SHARE),
    _change("population_change", "Veränderung Einwohner:innen", "Veränd. Einwohner:innen", POPULATION),
    _change("foreigners_change", "Veränderung Ausländer:innen", "Veränd. Ausländer:innen", FOREIGNERS),
    _change(
        "migration_background_change",
        "Veränderung Personen mit Migrationshintergrund",
        "Veränd. MH",
        MIGRATION_BACKGROUND,
    ),
    _share_change("foreigner_share_change_pp", FOREIGNER_SHARE),
    _share_change("migration_background_share_change_pp", MIGRATION_BACKGROUND_SHARE),
    DISSIMILARITY,
)

# --- Einwanderungsgeschichte: a second definition of origin, beside Migrationshintergrund -----------------

IMMIGRATION_HISTORY_SOURCE = (
    "Definition des Statistischen Bundesamts (seit dem Mikrozensus 2023; so auch IT.NRW und das "
    "Teilhabe- und Integrationsgesetz NRW 2022), Zahlen der Kommune oder von IT.NRW"
)
_EG_CAVEAT = (
    "Eine Einwanderungsgeschichte hat, wer selbst seit 1950 nach Deutschland eingewandert ist oder wessen "
    "beide Elternteile eingewandert sind. Der Migrationshintergrund ist anders abgegrenzt (die Person oder "
    "mindestens ein Elternteil wurde ohne deutsche Staatsangehörigkeit geboren): Wer hier als Kind eines "
    "eingewanderten und eines hier geborenen Elternteils zur Welt kam, hat einen Migrationshintergrund, "
    "aber keine Einwanderungsgeschichte. Beide Zahlen sind nicht vergleichbar; das Dashboard zeigt sie "
    "nie in einer Zeitreihe oder einem Vergleich zusammen."
)
#: the two definitions of origin, count column → name; never mixed in one series or comparison
ORIGIN_DEFINITIONS: dict[str, str] = {
    "migration_background": "Migrationshintergrund",
    "immigration_history": "Einwanderungsgeschichte",
}
ORIGIN_DEFINITIONS_TEXT = (
    "Die Herkunft wird in zwei Definitionen gezählt, die **nicht vergleichbar** sind. "
    "**Migrationshintergrund** (Ableitung aus dem Melderegister, z. B. mit MigraPro): die Person oder "
    "mindestens ein Elternteil wurde ohne deutsche Staatsangehörigkeit geboren. "
    "**Einwanderungsgeschichte** (Statistisches Bundesamt seit dem Mikrozensus 2023, IT.NRW, Teilhabe- "
    "und Integrationsgesetz NRW 2022): die Person ist selbst seit 1950 eingewandert, oder beide "
    "Elternteile sind es. Jede Kommune zeigt, was sie geliefert hat; liefert sie beides, stehen beide "
    "nebeneinander, aber nie in einer Zeitreihe, einer Veränderung oder einem Vergleich zusammen — eine "
    "Reihe endet, wo ihre Definition fehlt, statt mit der anderen weiterzulaufen."
)
IMMIGRATION_HISTORY = _count(
    "immigration_history",
    "Personen mit Einwanderungsgeschichte",
    "mit Einwanderungsgeschichte",
    IMMIGRATION_HISTORY_SOURCE,
    _EG_CAVEAT,
)
IMMIGRATION_HISTORY_SHARE = Indicator(
    "immigration_history_share_pct",
    "Anteil mit Einwanderungsgeschichte",
    "Anteil EG",
    PERCENT,
    "Personen mit Einwanderungsgeschichte / Einwohner:innen × 100",
    "Personen mit Einwanderungsgeschichte",
    "Einwohner:innen",
    IMMIGRATION_HISTORY_SOURCE,
    f"{_EG_CAVEAT} {_SMALL_CAVEAT}",
    decimals=1,
    on_map=True,
)
_IMMIGRATION_HISTORY: tuple[Indicator, ...] = (
    IMMIGRATION_HISTORY,
    IMMIGRATION_HISTORY_SHARE,
    _deviation("immigration_history_share_deviation_pp", IMMIGRATION_HISTORY_SHARE),
    _quotient("immigration_history_share_lq", IMMIGRATION_HISTORY_SHARE),
    _rank("immigration_history_share_rank", IMMIGRATION_HISTORY_SHARE),
    _change(
        "immigration_history_change",
        "Veränderung Personen mit Einwanderungsgeschichte",
        "Veränd. EG",
        IMMIGRATION_HISTORY,
    ),
    _share_change("immigration_history_share_change_pp", IMMIGRATION_HISTORY_SHARE),
)

CATALOGUE: dict[str, Indicator] = {
    indicator.key: indicator for indicator in (*_ALL, *_IMMIGRATION_HISTORY, *REFUGEE_INDICATORS)
}


def get(key: str) -> Indicator:
    """The indicator with this key; KeyError naming the known keys otherwise."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown indicator {key!r}; known indicators: {', '.join(CATALOGUE)}") from None


def map_indicators(own: Iterable[Indicator] = ()) -> list[str]:
    """Keys of the indicators suitable for a Stadtteil map, in catalogue order; then those of a
    municipality's own indicators (`own`, see `for_municipality`)."""
    return [key for key, indicator in for_municipality(own).items() if indicator.on_map]


# --- a municipality's own indicators (`indicators.own`) -------------------------------------------

#: the keys of the indicators every municipality has
BUILT_IN: frozenset[str] = frozenset(CATALOGUE)


def register(own: Iterable[Indicator]) -> None:
    """Make a municipality's own indicators (keys ``own_…``) known to `get` and to every reader of
    `CATALOGUE` (table headers, number formats), as they are read from the database. A key names one
    indicator in the whole database (the importer refuses a second meaning), so registering is safe
    for every municipality and session."""
    for indicator in own:
        if indicator.key in BUILT_IN:
            raise ValueError(f"own indicator {indicator.key!r} would replace a built-in one")
        CATALOGUE[indicator.key] = indicator


def for_municipality(own: Iterable[Indicator] = ()) -> dict[str, Indicator]:
    """The catalogue of one municipality: the built-in indicators, then its own (registered)."""
    own = list(own)
    register(own)
    return {**{k: v for k, v in CATALOGUE.items() if k in BUILT_IN}, **{i.key: i for i in own}}


def definition_of(key: str) -> str | None:
    """The definition of origin an indicator is built on (a key of ORIGIN_DEFINITIONS: its count
    column), None for indicators built on neither (population, foreigners, refugees …)."""
    stem = key.removeprefix("minors_")
    return next((count for count in ORIGIN_DEFINITIONS if stem.startswith(count)), None)
