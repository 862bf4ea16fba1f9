"""Shares, deviations, location quotients and changes, checked against Lünen's published table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indicators.shares import changes, municipality_series, municipality_totals, shares

# Lünen, Stadtteile, register data (council paper on KIM, 2021; see /work/shared/DOMAIN.md, seed 002):
# Stadtteil, Einwohner, Ausländer, published Anteil, MH, published Anteil MH.
LUENEN = [
    ("Alstedde", 6417, 538, 8.4, 1453, 22.6),
    ("Beckinghausen", 959, 72, 7.5, 211, 22.0),
    ("Brambauer", 19265, 4344, 22.5, 8072, 41.9),
    ("Gahmen", 3839, 894, 23.3, 1813, 47.2),
    ("Geistviertel & Lippolthausen", 5425, 816, 15.0, 2497, 46.0),
    ("Horstmar", 7488, 563, 7.5, 1845, 24.6),
    ("Lünen-Mitte", 2989, 636, 21.3, 1224, 41.0),
    ("Lünen-Nord", 10004, 2302, 23.0, 4382, 43.8),
    ("Lünen-Süd", 7896, 1258, 15.9, 2546, 32.2),
    ("Niederaden", 2212, 50, 2.3, 313, 14.2),
    ("Nordlünen", 9727, 467, 4.8, 1848, 19.0),
    ("Osterfeld", 7014, 895, 12.8, 2682, 38.2),
    ("Wethmar", 4580, 424, 9.3, 1293, 28.2),
]


def counts_frame(rows: list[tuple], reference_date: str = "2020-12-31") -> pd.DataFrame:
    """A counts frame as the data layer hands it over (ids as strings, nullable counts)."""
    frame = pd.DataFrame(
        {
            "district_id": [f"{i:02d}" for i in range(1, len(rows) + 1)],
            "district": [r[0] for r in rows],
            "population": pd.array([r[1] for r in rows], dtype="Int64"),
            "foreigners": pd.array([r[2] for r in rows], dtype="Int64"),
            "migration_background": pd.array([r[4] for r in rows], dtype="Int64"),
        }
    )
    frame["reference_date"] = pd.Timestamp(reference_date)
    return frame


@pytest.fixture
def luenen() -> pd.DataFrame:
    return counts_frame(LUENEN)


def test_municipality_totals_match_published_city(luenen):
    totals = municipality_totals(luenen)
    assert totals["population"] == 87815
    assert totals["foreigners"] == 13259
    assert totals["migration_background"] == 30179
    assert str(totals.dtype) == "Int64"


def test_municipality_total_is_missing_when_one_district_is_missing(luenen):
    luenen.loc[3, "migration_background"] = pd.NA
    totals = municipality_totals(luenen)
    assert pd.isna(totals["migration_background"])
    assert totals["population"] == 87815
    assert pd.isna(municipality_totals(luenen.iloc[0:0])["population"])


def test_every_published_share_is_reproduced(luenen):
    result = shares(luenen)
    for (name, *_, share, _, share_mh), (_, row) in zip(LUENEN, result.iterrows(), strict=True):
        assert row["district"] == name
        assert round(row["foreigner_share_pct"], 1) == pytest.approx(share), name
        assert round(row["migration_background_share_pct"], 1) == pytest.approx(share_mh), name


def test_city_row_reproduces_published_city_shares(luenen):
    result = shares(luenen, municipality_name="Lünen")
    city = result.iloc[-1]
    assert city["district"] == "Lünen"
    assert pd.isna(city["district_id"])
    assert city["population"] == 87815 and city["foreigners"] == 13259
    assert round(city["foreigner_share_pct"], 1) == 15.1
    assert round(city["migration_background_share_pct"], 1) == 34.4
    assert city["foreigner_share_pct"] == pytest.approx(13259 / 87815 * 100)
    assert city["foreigner_share_deviation_pp"] == 0
    assert city["foreigner_share_lq"] == pytest.approx(1.0)
    assert pd.isna(city["foreigner_share_rank"])
    assert city["reference_date"] == pd.Timestamp("2020-12-31")


def test_publication_table_sorts_districts_by_german_name_and_ends_with_city():
    rows = [
        ("Östliche Altstadt", 100, 10, 0, 20, 0),
        ("Zentrum", 100, 5, 0, 10, 0),
        ("Ahsen", 50, 1, 0, 2, 0),
    ]
    result = shares(counts_frame(rows), municipality_name="Musterstadt")
    assert result["district"].tolist() == ["Ahsen", "Östliche Altstadt", "Zentrum", "Musterstadt"]
    assert result.index.tolist() == [0, 1, 2, 3]


def test_location_quotient_and_deviation(luenen):
    result = shares(luenen).set_index("district")
    city_share = 13259 / 87815 * 100
    brambauer = result.loc["Brambauer"]
    assert brambauer["foreigner_share_lq"] == pytest.approx((4344 / 19265 * 100) / city_share)
    assert brambauer["foreigner_share_lq"] == pytest.approx(22.55 / 15.10, abs=1e-3)
    assert brambauer["foreigner_share_deviation_pp"] == pytest.approx(22.5487 - 15.0988, abs=1e-3)
    # Above the city share: positive deviation, quotient above 1; below: negative, below 1.
    assert brambauer["foreigner_share_deviation_pp"] > 0 and brambauer["foreigner_share_lq"] > 1
    niederaden = result.loc["Niederaden"]
    assert niederaden["foreigner_share_deviation_pp"] < 0 and niederaden["foreigner_share_lq"] < 1
    assert niederaden["migration_background_share_deviation_pp"] == pytest.approx(
        313 / 2212 * 100 - 30179 / 87815 * 100
    )
    # Geistviertel: foreigner share at the city level (15.04 vs 15.10), MH share far above.
    geist = result.loc["Geistviertel & Lippolthausen"]
    assert geist["foreigner_share_deviation_pp"] < 0 < geist["migration_background_share_deviation_pp"]


def test_ranks_highest_first(luenen):
    result = shares(luenen).set_index("district")
    assert result.loc["Gahmen", "foreigner_share_rank"] == 1
    assert result.loc["Niederaden", "foreigner_share_rank"] == 13
    assert result.loc["Gahmen", "migration_background_share_rank"] == 1
    assert result.loc["Niederaden", "migration_background_share_rank"] == 13


def test_ties_share_the_lowest_rank():
    rows = [("A", 100, 20, 0, 40, 0), ("B", 200, 40, 0, 10, 0), ("C", 100, 5, 0, 10, 0)]
    assert shares(counts_frame(rows))["foreigner_share_rank"].tolist() == [1, 1, 3]


def test_zero_population_gives_nan_not_inf():
    rows = [("Leer", 0, 0, 0, 0, 0), ("Voll", 100, 10, 0, 30, 0)]
    result = shares(counts_frame(rows), municipality_name="Stadt")
    empty = result.iloc[0]
    for column in ("foreigner_share_pct", "migration_background_share_pct", "foreigner_share_lq"):
        assert math.isnan(empty[column]), column
    assert pd.isna(empty["foreigner_share_rank"])
    assert result.iloc[1]["foreigner_share_rank"] == 1
    numeric = result.select_dtypes("number").astype("float64")
    assert not np.isinf(numeric.to_numpy()).any()


def test_whole_municipality_without_foreigners_gives_nan_quotient():
    rows = [("A", 100, 0, 0, 5, 0), ("B", 100, 0, 0, 0, 0)]
    result = shares(counts_frame(rows))
    assert (result["foreigner_share_pct"] == 0).all()
    assert result["foreigner_share_lq"].isna().all()
    assert (result["foreigner_share_deviation_pp"] == 0).all()


def test_unknown_migration_background_stays_missing(luenen):
    luenen.loc[0, "migration_background"] = pd.NA
    result = shares(luenen, municipality_name="Lünen")
    assert math.isnan(result.iloc[0]["migration_background_share_pct"])
    assert result.iloc[1]["migration_background_share_pct"] == pytest.approx(211 / 959 * 100)
    # The city total is unknown, so no district can be compared with it.
    assert result["migration_background_share_lq"].isna().all()
    assert result["migration_background_share_deviation_pp"].isna().all()
    assert result["foreigner_share_lq"].notna().all()


def test_minors_share_where_columns_exist(luenen):
    assert "minors_migration_background_share_pct" not in shares(luenen).columns
    luenen["minors"] = pd.array([100] * 12 + [0], dtype="Int64")
    luenen["minors_migration_background"] = pd.array([50] * 12 + [0], dtype="Int64")
    result = shares(luenen, municipality_name="Lünen")
    assert result["minors_migration_background_share_pct"].iloc[0] == 50.0
    assert math.isnan(result["minors_migration_background_share_pct"].iloc[12])
    assert result.iloc[-1]["minors"] == 1200


def test_input_is_not_mutated(luenen):
    before = luenen.copy(deep=True)
    shares(luenen, municipality_name="Lünen")
    municipality_totals(luenen)
    pd.testing.assert_frame_equal(luenen, before)


def test_missing_column_raises_clear_error(luenen):
    with pytest.raises(KeyError, match="foreigners"):
        shares(luenen.drop(columns="foreigners"))


def two_stichtage() -> pd.DataFrame:
    first = counts_frame([("A", 1000, 100, 0, 300, 0), ("B", 500, 50, 0, 100, 0)], "2019-12-31")
    second = counts_frame([("A", 1010, 111, 0, 310, 0), ("B", 490, 49, 0, 100, 0)], "2020-12-31")
    # Newest first and shuffled: the order of the rows must not matter.
    return pd.concat([second.iloc[[1, 0]], first.iloc[[1, 0]]], ignore_index=True)


def test_changes_against_previous_stichtag_by_hand():
    series = two_stichtage()
    before = series.copy(deep=True)
    result = changes(series)
    pd.testing.assert_frame_equal(series, before)
    assert result.index.equals(series.index)
    by_key = result.set_index(["district", "reference_date"])

    a = by_key.loc[("A", pd.Timestamp("2020-12-31"))]
    assert a["population_change"] == 10
    assert a["foreigners_change"] == 11
    assert a["migration_background_change"] == 10
    assert a["foreigner_share_change_pp"] == pytest.approx(111 / 1010 * 100 - 10.0)  # 0.99 pp
    assert a["migration_background_share_change_pp"] == pytest.approx(310 / 1010 * 100 - 30.0)
    assert a["previous_reference_date"] == pd.Timestamp("2019-12-31")

    b = by_key.loc[("B", pd.Timestamp("2020-12-31"))]
    assert b["population_change"] == -10 and b["foreigners_change"] == -1
    assert b["foreigner_share_change_pp"] == pytest.approx(0.0, abs=1e-12)  # 10 % both years
    assert b["migration_background_share_change_pp"] == pytest.approx(100 / 490 * 100 - 20.0)

    first = result[result["reference_date"] == pd.Timestamp("2019-12-31")]
    assert first["foreigners_change"].isna().all()
    assert first["foreigner_share_change_pp"].isna().all()


def test_changes_bridge_a_missing_stichtag():
    series = pd.concat(
        [
            counts_frame([("A", 100, 10, 0, 20, 0)], "2018-12-31"),
            counts_frame([("A", 100, 12, 0, 20, 0)], "2020-12-31"),
        ],
        ignore_index=True,
    )
    result = changes(series)
    assert result["foreigners_change"].tolist()[1] == 2
    assert result["previous_reference_date"].iloc[1] == pd.Timestamp("2018-12-31")


def test_changes_reject_duplicate_rows():
    series = two_stichtage()
    with pytest.raises(ValueError, match="same district and Stichtag"):
        changes(pd.concat([series, series.iloc[[0]]]))


def test_municipality_series_sums_and_changes():
    result = municipality_series(two_stichtage(), municipality_name="Stadt")
    assert result["reference_date"].tolist() == [pd.Timestamp("2019-12-31"), pd.Timestamp("2020-12-31")]
    assert result["population"].tolist() == [1500, 1500]
    assert result["foreigners"].tolist() == [150, 160]
    assert (result["district"] == "Stadt").all() and result["district_id"].isna().all()
    assert result["foreigner_share_pct"].tolist() == pytest.approx([10.0, 160 / 1500 * 100])
    assert math.isnan(result["foreigner_share_change_pp"].iloc[0])
    assert result["foreigner_share_change_pp"].iloc[1] == pytest.approx(160 / 1500 * 100 - 10.0)
    assert result["foreigners_change"].iloc[1] == 10
