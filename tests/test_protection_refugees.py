"""Zuweisungen and Unterbringung as readers see them: no country or facility with 1 or 2 persons.

The real Kamp-Lintfort list (tests/data) has "Algerien 1", "Mali 1" and children among small groups;
readers get those countries only inside "Übrige" (at least 3 persons), small numbers of children
hidden (•) with complements, and the totals as the council paper prints them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from charts.protect import public_allocations, public_occupancy
from charts.refugee_views import allocations, occupancy
from charts.tables import csv_bytes
from charts.view import Filters, Source
from data.allocations import import_allocations
from data.occupancy import import_occupancy
from data.store import Store
from indicators.allocations import TOTAL, allocation_table
from indicators.catalogue import OTHER_LABEL
from indicators.disclosure import SUPPRESSED
from indicators.occupancy import occupancy_table

FIXTURES = Path(__file__).parent / "data"
SMALL = ("Algerien", "Mali", "Eritrea", "Angola", "Somalia", "Ägypten")  # 1 or 2 persons in a year


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    db = tmp_path_factory.mktemp("kl") / "kl.duckdb"
    import_allocations(FIXTURES / "kamp_lintfort_zuweisungen_2021_2022.csv", db, "Kamp-Lintfort")
    import_occupancy(FIXTURES / "kamp_lintfort_unterbringung.csv", db, "Kamp-Lintfort")
    return Source(Store(db))


def test_readers_never_see_a_country_with_one_or_two_persons(source):
    view = allocations(source, Filters("Kamp-Lintfort", None, []))
    files = [view.table, view.latest, *(c.table for c in view.charts)]
    text = " ".join(csv_bytes(frame).decode("utf-8-sig") for frame in files)
    for country in SMALL:
        assert country not in text
    for frame in files:
        if "Herkunftsland" in frame:
            persons = pd.to_numeric(frame.filter(like="Personen").iloc[:, 0], errors="coerce")
            assert not persons.between(1, 2).any()
    latest = view.latest.set_index("Herkunftsland")
    assert latest.loc["Gesamt", ["Personen", "davon Kinder"]].tolist() == [445, 155]
    assert latest.loc[OTHER_LABEL, "Personen"] >= 3
    shown = view.latest_view.text_table().set_index("Herkunftsland")
    assert shown.loc["Russland", "davon Kinder"] == SUPPRESSED  # 4 persons, 2 children
    assert shown.loc["Ukraine", "davon Kinder"] == "135"
    assert any("Geheimhaltung" in n for n in view.notes) and any(OTHER_LABEL in n for n in view.notes)
    kinder = view.charts[1].table
    assert kinder.iloc[:, 1].tolist() == [61, 445] and kinder.iloc[:, 2].tolist() == [27, 155]


def test_editors_with_exact_values_see_every_country(source):
    view = allocations(source, Filters("Kamp-Lintfort", None, [], public=False))
    assert "Algerien" in set(view.latest["Herkunftsland"]) and not view.latest_hidden.to_numpy().any()


def test_hidden_children_cannot_be_recovered_from_the_period_totals():
    """Per period the attacker knows the children's total, each row's persons with known children
    (children ≤ those), and the shown cells: every hidden count keeps a range of at least 3 (or of
    the row's persons where fewer)."""
    from tests.test_indicators_allocations import kamp_lintfort

    table, mask = public_allocations(allocation_table(kamp_lintfort()), 3, TOTAL, OTHER_LABEL)
    exact = allocation_table(kamp_lintfort())
    for _, rows in table.groupby("period_start"):
        parts = rows[(rows["country"] != TOTAL) & rows["minors_known_persons"].gt(0)]
        parts = parts[parts["allocated_minors"].notna() | mask.loc[parts.index, "allocated_minors"]]
        known = parts["minors_known_persons"].astype(float).to_numpy()
        hidden = mask.loc[parts.index, "allocated_minors"].to_numpy()
        total = float(rows.loc[rows["country"] == TOTAL, "allocated_minors"].iloc[0])
        bounds = [
            (0, k) if h else (v, v)
            for k, h, v in zip(known, hidden, parts["allocated_minors"].fillna(0), strict=True)
        ]
        for i in np.flatnonzero(hidden):
            c = np.zeros(len(parts))
            c[i] = 1
            low = linprog(c, A_eq=np.ones((1, len(parts))), b_eq=[total], bounds=bounds, method="highs")
            high = linprog(-c, A_eq=np.ones((1, len(parts))), b_eq=[total], bounds=bounds, method="highs")
            assert -high.fun - low.fun >= min(3, known[i]) - 1e-6, parts.iloc[i]["country"]
    assert set(exact["country"]) - set(table["country"]) >= {"Algerien", "Mali"}


def test_a_facility_with_two_occupants_is_hidden_with_a_complement():
    rows = pd.DataFrame(
        {
            "reference_date": pd.to_datetime(["2024-12-31"] * 4),
            "facility": ["A", "B", "C", "Wohnung Nord"],
            "capacity": [150, 80, 95, 4],
            "occupants": [158, 71, 85, 2],
            "fehlbeleger": [61, 18, 42, 1],
        }
    )
    table, mask = public_occupancy(occupancy_table(rows), 3, TOTAL)
    flat = mask.set_index(table["facility"])
    assert flat.loc["Wohnung Nord", ["occupants", "fehlbeleger", "occupancy_rate_pct", "free_places"]].all()
    assert flat.loc["Wohnung Nord", "capacity"] == False  # noqa: E712  places are not persons
    assert flat["occupants"].sum() >= 2 and flat["fehlbeleger"].sum() >= 2
    assert not flat.loc[TOTAL].any()
    assert table.loc[table["facility"] == TOTAL, "occupants"].iloc[0] == 316


def test_occupancy_view_of_kamp_lintfort_is_published_as_is(source):
    view = occupancy(source, Filters("Kamp-Lintfort", None, []))
    assert not view.history_hidden.to_numpy().any() and view.notes == []
    assert int(view.now["occupants"]) == 314 and int(view.now["fehlbeleger"]) == 121
