"""Occupancy indicators and the capacity projection on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from charts.refugee_figures import projection_text
from indicators.catalogue import CATALOGUE
from indicators.occupancy import TOTAL, latest_date, occupancy_table, project_capacity

NA = pd.NA


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (reference_date, facility, capacity, occupants, fehlbeleger)."""
    out = pd.DataFrame(rows, columns=["reference_date", "facility", "capacity", "occupants", "fehlbeleger"])
    out["fehlbeleger"] = pd.array([NA if f is None else f for f in out["fehlbeleger"]], dtype="Int64")
    return out


def kamp_lintfort() -> pd.DataFrame:
    return frame([("2022-10-31", "Zentralunterkunft Friedrichstraße", 150, 158, 61),
                  ("2022-10-31", "Unterkunft Am Drehmannshof", 80, 71, 18),
                  ("2022-10-31", "angemietete Wohnungen", 95, 85, 42)])  # fmt: skip


def series(occupants: list[int], capacity: int = 400, start: str = "2023-01-31") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(occupants), freq="ME")
    return occupancy_table(
        frame([(d, "A", capacity, o, None) for d, o in zip(dates, occupants, strict=True)])
    )


def test_kamp_lintfort_fehlbeleger_share():
    table = occupancy_table(kamp_lintfort())
    total = table[table["facility"] == TOTAL].iloc[0]
    assert (total["occupants"], total["fehlbeleger"]) == (314, 121)
    assert total["fehlbeleger_share_pct"] == pytest.approx(38.535, abs=0.001)  # "knapp 40 Prozent"
    assert round(total["fehlbeleger_share_pct"], 1) == 38.5
    friedrich = table.set_index("facility").loc["Zentralunterkunft Friedrichstraße"]
    assert friedrich["occupancy_rate_pct"] > 100 and friedrich["free_places"] == -8  # Verdichtung
    assert total["free_places"] == 325 - 314
    assert table["facility"].tolist()[-1] == TOTAL


def test_unknown_fehlbeleger_stay_unknown():
    table = occupancy_table(frame([("2024-01-31", "A", 10, 8, 2), ("2024-01-31", "B", 10, 6, None)]))
    total = table[table["facility"] == TOTAL].iloc[0]
    assert total["fehlbeleger"] == 2
    assert total["fehlbeleger_share_pct"] == pytest.approx(25.0)  # 2 of the 8 in A, B not known
    none = occupancy_table(frame([("2024-01-31", "B", 10, 6, None)]))
    assert pd.isna(none[none["facility"] == TOTAL]["fehlbeleger"].iloc[0])


def test_zero_capacity_gives_nan_not_a_crash():
    table = occupancy_table(frame([("2024-01-31", "A", 0, 0, 0)]))
    assert np.isnan(table["occupancy_rate_pct"]).all() and np.isnan(table["fehlbeleger_share_pct"]).all()


def test_latest_date_on_or_before():
    table = series([100, 110, 120])
    assert latest_date(table, pd.Timestamp("2023-03-15")) == pd.Timestamp("2023-02-28")
    assert latest_date(table, pd.Timestamp("2022-01-01")) is None
    assert latest_date(table) == pd.Timestamp("2023-03-31")


def test_projection_of_a_steady_intake():
    p = project_capacity(series([250 + 10 * i for i in range(12)]))  # +10 per month, 360 at the end
    assert p.status == "ok" and p.per_month == pytest.approx(10, rel=0.02)
    # 40 free places at 31.12.2023, about 4 months at 10 a month
    assert pd.Timestamp("2024-04-20") <= p.full_date <= pd.Timestamp("2024-05-10")
    p = project_capacity(series([200 + 10 * i + (3 if i % 2 else -3) for i in range(12)]))
    assert p.status == "ok" and p.free_places == 400 - 313
    assert p.earliest <= p.full_date <= p.latest
    months = (p.full_date - p.last_date).days / 30.44
    assert months == pytest.approx(87 / p.per_month, abs=0.1)
    text = projection_text(p)
    assert "Bei der Zunahme der letzten 12 Monate" in text and "Spanne" in text and "400 Plätze" in text


def test_no_projection_when_thin_or_not_increasing():
    assert project_capacity(series([100, 110, 120, 130, 140])).status == "too_few"
    assert "mindestens 6" in projection_text(project_capacity(series([100])))
    flat = project_capacity(series([300, 298, 301, 297, 299, 296, 298]))
    assert flat.status == "not_increasing"
    assert projection_text(flat).startswith("Die Belegung nimmt nicht zu")
    assert project_capacity(series([395, 398, 401, 402, 405, 410])).status == "full"
    assert project_capacity(series([100, 100, 101, 101, 101, 102], capacity=4000)).status == "far"


def test_projection_only_uses_data_up_to_the_stichtag():
    table = series([100 + 10 * i for i in range(18)])
    p = project_capacity(table, pd.Timestamp("2023-08-31"))
    assert p.last_date == pd.Timestamp("2023-08-31") and p.occupants == 170


@given(st.lists(st.integers(0, 500), min_size=1, max_size=30), st.integers(1, 600))
def test_projection_never_crashes_and_ranges_are_ordered(occupants, capacity):
    p = project_capacity(series(occupants, capacity))
    assert p.status in {"ok", "far", "full", "not_increasing", "too_few"}
    if p.status == "ok":
        assert p.earliest <= p.full_date and (p.latest is None or p.full_date <= p.latest)
    assert projection_text(p)


def test_every_column_is_catalogued():
    assert set(occupancy_table(kamp_lintfort()).columns) - {"reference_date", "facility"} <= set(CATALOGUE)
