"""The numbers of the Sitzungsbericht, disclosure-controlled: counts in, public tables out.

Pure pandas. The figures and the PPTX/PDF files are made in `pages.components.report` (the figure
builders live in `pages/components`); this module decides what the report may show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from indicators.catalogue import OTHER_LABEL, get
from indicators.disclosure import PublicTable, footnote, public_view, suppress_parts
from indicators.nationalities import largest_nationalities
from indicators.shares import shares

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


def public_shares(
    counts: pd.DataFrame,
    municipality: str,
    threshold: int,
    previous: pd.DataFrame | None = None,
) -> PublicTable:
    """The shares table of all districts plus the municipality row, protected as a whole."""
    table = shares(counts, municipality_name=municipality)
    return public_view(table, threshold, previous=previous)


def public_series(
    series: pd.DataFrame, municipality: str, district_ids: Sequence[str], key: str, threshold: int
) -> pd.DataFrame:
    """reference_date, district, value (hidden values missing) of one share for the chosen districts
    and the municipality, each Stichtag protected on its own full table."""
    frames = []
    for when, counts in series.groupby("reference_date", sort=True):
        masked, _ = public_shares(counts, municipality, threshold)
        rows = masked[masked["district_id"].isin(district_ids) | masked["district_id"].isna()]
        frames.append(rows.assign(reference_date=when)[["reference_date", "district", key]])
    if not frames:
        return pd.DataFrame(columns=["reference_date", "district", "value"])
    out = pd.concat(frames, ignore_index=True).rename(columns={key: "value"})
    return out.assign(value=pd.to_numeric(out["value"], errors="coerce").astype(float))


def public_nationalities(
    detail: pd.DataFrame, district_ids: Sequence[str], threshold: int, n: int = 8
) -> PublicTable | None:
    """The largest nationalities of the chosen districts (all when empty) with "Übrige", protected
    against their published sum (all foreigners of the selection). None without detail data."""
    if detail.empty:
        return None
    chosen = detail[detail["district_id"].isin(district_ids)] if district_ids else detail
    if chosen.empty:
        return None
    top = largest_nationalities(chosen, n=n, other_label=OTHER_LABEL)
    if top.empty:
        return None
    total = float(top["persons"].sum())
    view = suppress_parts(top.set_index("nationality")["persons"], total=total, threshold=threshold)
    frame = top.set_index("nationality")
    frame["persons"] = view.masked["persons"]
    frame["share_pct"] = frame["share_pct"].mask(view.mask["persons"])
    mask = pd.DataFrame({"persons": view.mask["persons"], "share_pct": view.mask["persons"]})
    return PublicTable(frame.reset_index(), mask.reset_index(drop=True))


def methodology(
    keys: Iterable[str] = REPORT_SHARES, threshold: int = 3, synthetic: bool = False
) -> list[tuple[str, str]]:
    """(heading, text) pairs for the methodology notes: each indicator from the catalogue, then the
    disclosure rule and, for the demo city, the note that its numbers are invented."""
    notes = []
    for key in keys:
        ind = get(key)
        notes.append((ind.label, f"{ind.formula}. Quelle: {ind.source}. {ind.caveat}"))
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
