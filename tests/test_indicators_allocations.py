"""Allocation indicators on hand-made frames and the Kamp-Lintfort table (seed 000)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.allocations import (
    TOTAL,
    MonthsUnavailable,
    allocation_table,
    fulfilment,
    group_countries,
    yearly_only,
)
from indicators.catalogue import CATALOGUE

NA = pd.NA
# Kamp-Lintfort, Zuweisungen 2021 and 2022: country → (persons, minors); None = blank in the paper
KL_2021 = {"Algerien": (1, None), "Syrien": (4, 1), "Iran": (3, 0), "Türkei": (2, 1), "Irak": (21, 11),
           "Russland": (2, 1), "Afghanistan": (21, 11), "Angola": (2, 1), "Ägypten": (2, None),
           "Somalia": (2, 1), "Eritrea": (1, None)}  # fmt: skip
KL_2022 = {"Algerien": (1, None), "Syrien": (15, None), "Iran": (3, 1), "Türkei": (3, 0), "Russland": (4, 2),
           "Afghanistan": (21, 13), "Serbien": (3, 2), "Mali": (1, None), "Aserbajdschan": (6, 2),
           "Ukraine": (388, 135)}  # fmt: skip


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (period_start, period_type, country, persons, minors)."""
    out = pd.DataFrame(rows, columns=["period_start", "period_type", "country", "persons", "minors"])
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["minors"] = pd.array([NA if m is None else m for m in out["minors"]], dtype="Int64")
    return out


def kamp_lintfort() -> pd.DataFrame:
    rows = [
        (f"{y}-01-01", "year", c, p, m)
        for y, t in ((2021, KL_2021), (2022, KL_2022))
        for c, (p, m) in t.items()
    ]
    return frame(rows)


def test_kamp_lintfort_totals_as_published():
    table = allocation_table(kamp_lintfort()).set_index(["period", "country"])
    assert table.loc[("2021", TOTAL), ["allocated_persons", "allocated_minors"]].tolist() == [61, 27]
    assert table.loc[("2022", TOTAL), ["allocated_persons", "allocated_minors"]].tolist() == [445, 155]
    assert table.loc[("2022", "Ukraine"), ["allocated_persons", "allocated_minors"]].tolist() == [388, 135]
    # the share divides by the persons whose minors are known: 27 / (61 − 4)
    assert table.loc[("2021", TOTAL), "minors_known_persons"] == 57
    assert table.loc[("2021", TOTAL), "allocated_minors_share_pct"] == pytest.approx(27 / 57 * 100)
    assert pd.isna(table.loc[("2021", "Ägypten"), "allocated_minors"])
    assert np.isnan(table.loc[("2021", "Ägypten"), "allocated_minors_share_pct"])
    assert table.loc[("2022", TOTAL), "allocated_persons_cumulative"] == 506
    assert table.loc[("2022", TOTAL), "allocated_persons_change"] == 384
    assert table.loc[("2022", "Ukraine"), "allocated_persons_change"] == 388  # none in 2021: counted as 0
    assert np.isnan(table.loc[("2022", "Ukraine"), "allocated_persons_change_pct"])
    assert np.isnan(table.loc[("2021", TOTAL), "allocated_persons_change"])  # before the data: unknown


def test_order_countries_by_german_name_total_last():
    table = allocation_table(kamp_lintfort())
    first = table[table["period"] == "2021"]["country"].tolist()
    assert first[:3] == ["Afghanistan", "Ägypten", "Algerien"] and first[-1] == TOTAL


def test_all_minors_unknown_stays_unknown():
    table = allocation_table(
        frame([("2020-01-01", "year", "A", 3, None), ("2020-01-01", "year", "B", 2, None)])
    )
    total = table[table["country"] == TOTAL].iloc[0]
    assert pd.isna(total["allocated_minors"]) and np.isnan(total["allocated_minors_share_pct"])


def test_monthly_data_aggregate_to_years_and_compare_with_the_same_month():
    rows = [("2022-03-01", "month", "Ukraine", 10, 4), ("2022-04-01", "month", "Ukraine", 5, None),
            ("2022-04-15", "day", "Syrien", 1, 0), ("2023-03-01", "month", "Ukraine", 2, 1)]  # fmt: skip
    data = frame(rows)
    years = allocation_table(data).set_index(["period", "country"])
    assert years.loc[("2022", TOTAL), "allocated_persons"] == 16
    assert years.loc[("2022", TOTAL), "allocated_minors"] == 4
    months = allocation_table(data, "month").set_index(["period", "country"])
    assert months.loc[("2022-04", TOTAL), "allocated_persons"] == 6  # the day falls into its month
    assert months.loc[("2023-03", "Ukraine"), "allocated_persons_change"] == -8
    assert months.loc[("2023-03", "Ukraine"), "allocated_persons_change_pct"] == pytest.approx(-80.0)


def test_yearly_data_cannot_be_split_into_months():
    assert yearly_only(kamp_lintfort()) == [2021, 2022]
    with pytest.raises(MonthsUnavailable, match="2021, 2022"):
        allocation_table(kamp_lintfort(), "month")


def test_input_is_not_mutated():
    data = kamp_lintfort()
    copy = data.copy()
    allocation_table(data)
    pd.testing.assert_frame_equal(data, copy)


def test_group_countries_names_the_largest_and_sums_the_rest():
    grouped = group_countries(allocation_table(kamp_lintfort()), n=2, other_label="Übrige")
    y2022 = grouped[grouped["period"] == "2022"].set_index("country")
    assert list(y2022.index) == ["Ukraine", "Afghanistan", "Übrige"]
    assert y2022.loc["Übrige", "allocated_persons"] == 445 - 388 - 21
    assert grouped.groupby("period")["allocated_persons"].sum().tolist() == [61, 445]


def test_fulfilment_rate_and_outstanding():
    quotas = pd.DataFrame({"reference_date": ["2023-12-31", "2022-12-31"], "quota_target": [500, 520],
                           "quota_actual": [510, 498]})  # fmt: skip
    out = fulfilment(quotas)
    assert out["fulfilment_rate_pct"].tolist() == pytest.approx([498 / 520 * 100, 102.0])
    assert out["quota_outstanding"].tolist() == [22, 0]
    zero = fulfilment(
        pd.DataFrame({"reference_date": ["2022-12-31"], "quota_target": [0], "quota_actual": [3]})
    )
    assert np.isnan(zero["fulfilment_rate_pct"].iloc[0])


def test_every_column_is_catalogued():
    produced = set(allocation_table(kamp_lintfort()).columns) | set(
        fulfilment(
            pd.DataFrame({"reference_date": ["2022-12-31"], "quota_target": [1], "quota_actual": [1]})
        ).columns
    )
    assert produced - {"period", "period_start", "country", "reference_date"} <= set(CATALOGUE)
