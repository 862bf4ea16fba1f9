"""The Sitzungsbericht's selection and methodology notes: which Stadtteile the reader asked for.

Pure pandas. What the report shows, and what it withholds, is decided by the same views as the pages
(`charts.population_views`); the PPTX/PDF files are written in `charts.report`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from indicators.catalogue import get
from indicators.disclosure import footnote

#: the shares the report shows, one chart each
REPORT_SHARES: tuple[str, ...] = ("foreigner_share_pct", "migration_background_share_pct")


class SelectionError(ValueError):
    """A German message naming the Stadtteile that could not be found."""


def resolve_districts(districts: pd.DataFrame, wanted: Iterable[str] | None) -> list[str]:
    """District ids for names or ids as a person types them (``"Altstadt"``, ``"011"``); [] = all.

    districts: district_id, district (as from `Store.districts`).
    """
    wanted = [w.strip() for w in (wanted or []) if w and w.strip()]
    by_id = dict(zip(districts["district_id"].astype(str), districts["district_id"], strict=True))
    by_name = {
        str(n).casefold(): i for i, n in zip(districts["district_id"], districts["district"], strict=True)
    }
    ids, unknown = [], []
    for item in wanted:
        found = by_id.get(item) or by_name.get(item.casefold())
        (ids if found is not None else unknown).append(found if found is not None else item)
    if unknown:
        known = ", ".join(districts["district"].astype(str))
        raise SelectionError(f"Unbekannte Stadtteile: {', '.join(unknown)}. Vorhanden: {known}.")
    return list(dict.fromkeys(ids))


def methodology(
    keys: Iterable[str] = REPORT_SHARES,
    threshold: int = 3,
    synthetic: bool = False,
    smallest: tuple[str, str, int] | None = None,
) -> list[tuple[str, str]]:
    """(heading, text) pairs for the methodology notes: each indicator from the catalogue, then the
    disclosure rule and, for the demo city, the note that its numbers are invented.

    smallest: (municipality, Stadtteil, Einwohner:innen) of the report's own smallest Stadtteil, the
    example for how few people move a share there."""
    example = ""
    if smallest is not None:
        city, name, people = smallest
        people_text = f"{people:,}".replace(",", ".")  # German thousands: 1.084
        example = f" In {city} ist {name} mit {people_text} Einwohner:innen der kleinste Stadtteil."
    notes = []
    for key in keys:
        ind = get(key)
        notes.append((ind.label, f"{ind.formula}. Quelle: {ind.source}. {ind.caveat}{example}"))
    notes.append(
        (
            "Geheimhaltung",
            f"{footnote(threshold)} Gesperrt wird in allen Tabellen, Grafiken und Dateien dieses Berichts; "
            "Summen über alle Stadtteile bleiben sichtbar.",
        )
    )
    if synthetic:
        notes.append(
            ("Demodaten", "Die Zahlen sind synthetisch erzeugt und beschreiben keine realen Personen.")
        )
    return notes
