"""What an indicator is: its metadata and units. The catalogues (`indicators.catalogue`, which
also holds the entries of `indicators.catalogue_refugees`) describe each one."""

from __future__ import annotations

from dataclasses import dataclass

#: Label of the row / line for the municipality as a whole.
TOTAL_LABEL = "Gesamtstadt"
#: Suggested label for the grouped rest in `largest_nationalities` (``other_label=OTHER_LABEL``).
OTHER_LABEL = "Übrige"

PERSONS = "Personen"
PERCENT = "%"
POINTS = "Pp."
INDEX = "Index"
RANK = "Rang"
UNITS: tuple[str, ...] = (PERSONS, PERCENT, POINTS, INDEX, RANK)


@dataclass(frozen=True)
class Indicator:
    """Metadata of one indicator; ``key`` is the column name in the indicator frames.

    ``higher_is`` is ``"better"``, ``"worse"`` or ``None`` (neutral: a higher share of foreigners is
    a fact about a district, not a judgement — colour scales must not suggest one).
    ``decimals`` is the number of decimals shown, ``signed`` whether a "+" is shown for positive values,
    ``on_map`` whether the indicator suits a Stadtteil map (shares and relative measures, not counts).
    """

    key: str
    label: str
    short_label: str
    unit: str
    formula: str
    numerator: str | None
    denominator: str | None
    source: str
    caveat: str
    higher_is: str | None = None
    decimals: int = 0
    signed: bool = False
    on_map: bool = False
