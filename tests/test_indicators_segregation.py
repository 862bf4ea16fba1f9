"""Index of dissimilarity on hand-computed examples and on Lünen's Stadtteile."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indicators.segregation import dissimilarity_by_date, dissimilarity_index
from tests.test_indicators_shares import LUENEN, counts_frame


def frame(*districts: tuple[int, int, int]) -> pd.DataFrame:
    """Districts as (population, foreigners, migration_background)."""
    return counts_frame([(f"D{i}", p, f, 0, m, 0) for i, (p, f, m) in enumerate(districts)])


def test_two_districts_by_hand():
    # A: 100 residents, 30 foreigners, 70 Germans; B: 100 residents, 10 foreigners, 90 Germans.
    # Foreigners 30/40 and 10/40, Germans 70/160 and 90/160:
    # D = ½ (|0.75 − 0.4375| + |0.25 − 0.5625|) × 100 = 31.25
    assert dissimilarity_index(frame((100, 30, 0), (100, 10, 0))) == pytest.approx(31.25)


def test_identical_distribution_is_zero():
    assert dissimilarity_index(frame((100, 10, 0), (300, 30, 0), (50, 5, 0))) == pytest.approx(0.0)


def test_complete_separation_is_hundred():
    assert dissimilarity_index(frame((100, 100, 0), (300, 0, 0))) == pytest.approx(100.0)


def test_no_foreigners_or_no_germans_is_nan():
    assert math.isnan(dissimilarity_index(frame((100, 0, 0), (300, 0, 0))))
    assert math.isnan(dissimilarity_index(frame((100, 100, 0), (300, 300, 0))))
    assert math.isnan(dissimilarity_index(frame()))


def test_missing_count_is_nan():
    counts = frame((100, 30, 40), (100, 10, 20))
    counts.loc[1, "migration_background"] = pd.NA
    assert math.isnan(dissimilarity_index(counts, group="migration_background"))
    assert not math.isnan(dissimilarity_index(counts))


def test_zero_population_district_does_not_matter():
    with_empty = frame((100, 30, 0), (100, 10, 0), (0, 0, 0))
    assert dissimilarity_index(with_empty) == pytest.approx(31.25)


def test_more_foreigners_than_residents_is_an_error():
    with pytest.raises(ValueError, match="more foreigners than population"):
        dissimilarity_index(frame((100, 130, 0), (100, 10, 0)))


def test_unknown_group_is_an_error():
    with pytest.raises(ValueError, match="group"):
        dissimilarity_index(frame((100, 30, 0)), group="germans")


def hand_d(rows: list[tuple], group_index: int) -> float:
    """D written out term by term from the published counts."""
    group_total = sum(r[group_index] for r in rows)
    rest_total = sum(r[1] - r[group_index] for r in rows)
    return 50 * sum(abs(r[group_index] / group_total - (r[1] - r[group_index]) / rest_total) for r in rows)


def test_luenen_dissimilarity():
    counts = counts_frame(LUENEN)
    before = counts.copy(deep=True)
    d_foreigners = dissimilarity_index(counts)
    d_mh = dissimilarity_index(counts, group="migration_background")
    pd.testing.assert_frame_equal(counts, before)
    assert 0 < d_foreigners < 100 and 0 < d_mh < 100
    assert d_foreigners == pytest.approx(hand_d(LUENEN, 2))
    assert d_mh == pytest.approx(hand_d(LUENEN, 4))
    # Values measured on the published table: moderate segregation, foreigners more than MH.
    assert d_foreigners == pytest.approx(24.80, abs=0.01)
    assert d_mh == pytest.approx(20.14, abs=0.01)


def test_dissimilarity_per_stichtag():
    series = pd.concat(
        [
            counts_frame([("A", 100, 30, 0, 0, 0), ("B", 100, 10, 0, 0, 0)], "2020-12-31"),
            counts_frame([("A", 100, 10, 0, 0, 0), ("B", 100, 10, 0, 0, 0)], "2019-12-31"),
        ],
        ignore_index=True,
    )
    result = dissimilarity_by_date(series)
    assert result.columns.tolist() == ["reference_date", "dissimilarity"]
    assert result["reference_date"].tolist() == [pd.Timestamp("2019-12-31"), pd.Timestamp("2020-12-31")]
    assert result["dissimilarity"].tolist() == pytest.approx([0.0, 31.25])
