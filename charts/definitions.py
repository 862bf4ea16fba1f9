"""Which definition of origin a municipality delivers — Migrationshintergrund, Einwanderungsgeschichte or
both — and so which indicators the pages offer, and the sentence that says which.

The two definitions are not comparable (`indicators.catalogue.ORIGIN_DEFINITIONS_TEXT`): each has its
own columns and indicators, and a selector lists the indicators of the definitions the municipality
has figures for. A municipality with neither keeps the Migrationshintergrund entries (its pages say
"no data" there, as before).
"""

from __future__ import annotations

from collections.abc import Iterable

from charts.reads import population
from charts.view import Filters, Source
from indicators.catalogue import ORIGIN_DEFINITIONS, definition_of

DEFAULT_DEFINITION = "migration_background"
#: the shares of the two definitions, and the shares the Übersicht and the Zeitreihen offer
ORIGIN_SHARES = ("migration_background_share_pct", "immigration_history_share_pct")
SHARE_KEYS = ("foreigner_share_pct", *ORIGIN_SHARES)


def definitions(src: Source, f: Filters) -> tuple[str, ...]:
    """The definitions (count columns, in ORIGIN_DEFINITIONS order) with at least one figure at any
    Stichtag of the municipality at the chosen level; once per database version."""

    def build() -> tuple[str, ...]:
        counts = population(src, f, None)
        return tuple(c for c in ORIGIN_DEFINITIONS if c in counts and counts[c].notna().any())

    return src.memo(("origin_definitions", f.municipality, f.level), build)


def offered(keys: Iterable[str], have: Iterable[str]) -> list[str]:
    """`keys` without the indicators of a definition the municipality has no figures for (with none
    at all, the Migrationshintergrund ones stay)."""
    have = tuple(have) or (DEFAULT_DEFINITION,)
    return [key for key in keys if (definition := definition_of(key)) is None or definition in have]


def offered_keys(src: Source, f: Filters, keys: Iterable[str]) -> list[str]:
    """`offered` for the chosen municipality: what a selector of the page lists."""
    return offered(keys, definitions(src, f))


def definitions_note(have: Iterable[str], municipality: str) -> str | None:
    """Which definition of origin the pages show for the municipality, in German; None where it
    delivers Migrationshintergrund only (every label says so already) or neither."""
    have = tuple(have)
    if "immigration_history" not in have:
        return None
    if "migration_background" in have:
        return (
            f"{municipality} liefert beide Definitionen der Herkunft: Migrationshintergrund und "
            "Einwanderungsgeschichte. Sie sind nicht vergleichbar und stehen nie in einer Zeitreihe oder "
            "einem Vergleich zusammen (siehe Methodik)."
        )
    return (
        f"{municipality} liefert Zahlen zur Einwanderungsgeschichte, nicht zum Migrationshintergrund; "
        "die beiden Definitionen sind nicht vergleichbar (siehe Methodik)."
    )


def note_for(src: Source, f: Filters) -> str | None:
    """`definitions_note` for the chosen municipality."""
    return definitions_note(definitions(src, f), f.municipality)
