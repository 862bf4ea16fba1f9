"""Largest nationalities, age pyramid and minors on hand-made detail frames."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.nationalities import (
    age_bounds,
    age_pyramid,
    largest_nationalities,
    minors_from_detail,
    sort_age_groups,
)

COLUMNS = ["reference_date", "district_id", "nationality", "age_group", "sex", "migration_status", "persons"]

# Lünen 2020 (seed 002): 87,815 residents, 13,259 foreigners; largest groups Türkei 5,199, Syrien 1,570,
# Polen 948, Rumänien 695, Serbien 370. The remaining 4,477 foreigners are spread here over 15 made-up
# smaller nationalities ("Staat 01" …) and the split over districts is invented.
PUBLISHED_TOP = [("Türkei", 5199), ("Syrien", 1570), ("Polen", 948), ("Rumänien", 695), ("Serbien", 370)]
OTHERS = [(f"Staat {i:02d}", 298) for i in range(1, 15)] + [("Staat 15", 305)]


def row(date: str, district: str, nationality: str, persons: int, age: str = "25-64", sex: str = "w") -> list:
    status = "ohne" if nationality == "Deutschland" else "mit"
    return [pd.Timestamp(date), district, nationality, age, sex, status, persons]


@pytest.fixture
def luenen_detail() -> pd.DataFrame:
    rows = [
        row("2020-12-31", "01", "Türkei", 3000),
        row("2020-12-31", "02", "Türkei", 2199, sex="m"),
        row("2020-12-31", "02", "Syrien", 1570),
        row("2020-12-31", "01", "Deutschland", 40000),
        row("2020-12-31", "02", "Deutschland", 34556),
        # an earlier Stichtag that must not be added to the latest one
        row("2019-12-31", "01", "Türkei", 5100),
        row("2019-12-31", "01", "Polen", 9999),
    ]
    rows += [row("2020-12-31", "01", name, persons) for name, persons in PUBLISHED_TOP[2:] + OTHERS]
    return pd.DataFrame(rows, columns=COLUMNS)


def test_largest_nationalities_reproduce_luenen(luenen_detail):
    before = luenen_detail.copy(deep=True)
    result = largest_nationalities(luenen_detail)
    pd.testing.assert_frame_equal(luenen_detail, before)
    assert result.columns.tolist() == ["nationality", "persons", "share_pct"]
    assert list(zip(result["nationality"], result["persons"], strict=True)) == PUBLISHED_TOP
    # Shares are of all foreigners (13,259), Germans excluded.
    assert result["share_pct"].iloc[0] == pytest.approx(5199 / 13259 * 100)
    assert round(result["share_pct"].iloc[0], 1) == 39.2


def test_rest_grouped_under_other_label(luenen_detail):
    result = largest_nationalities(luenen_detail, n=3, other_label="Übrige")
    assert result["nationality"].tolist() == ["Türkei", "Syrien", "Polen", "Übrige"]
    assert result["persons"].tolist() == [5199, 1570, 948, 13259 - 5199 - 1570 - 948]
    assert result["share_pct"].sum() == pytest.approx(100.0)


def test_germans_included_on_request(luenen_detail):
    result = largest_nationalities(luenen_detail, n=2, exclude_german=False)
    assert result["nationality"].tolist() == ["Deutschland", "Türkei"]
    assert result["share_pct"].iloc[0] == pytest.approx(74556 / 87815 * 100)


def test_one_district_and_an_earlier_stichtag(luenen_detail):
    district = largest_nationalities(luenen_detail, district_id="02")
    assert list(zip(district["nationality"], district["persons"], strict=True)) == [
        ("Türkei", 2199),
        ("Syrien", 1570),
    ]
    earlier = largest_nationalities(luenen_detail, reference_date="2019-12-31")
    assert earlier["nationality"].tolist() == ["Polen", "Türkei"]
    assert largest_nationalities(luenen_detail, district_id="99").empty


def test_ties_sorted_by_name_and_n_validated(luenen_detail):
    result = largest_nationalities(luenen_detail, n=20)
    assert result["nationality"].tolist()[5:8] == ["Staat 15", "Staat 01", "Staat 02"]
    with pytest.raises(ValueError, match="n must be"):
        largest_nationalities(luenen_detail, n=0)


@pytest.fixture
def pyramid_detail() -> pd.DataFrame:
    d = "2020-12-31"
    return pd.DataFrame(
        [
            row(d, "01", "Deutschland", 40, age="80+", sex="w"),
            row(d, "01", "Deutschland", 10, age="6-17", sex="m"),
            row(d, "01", "Türkei", 7, age="6-17", sex="m"),
            row(d, "02", "Türkei", 3, age="6-17", sex="m"),
            row(d, "01", "Syrien", 5, age="0-5", sex="w"),
            row(d, "01", "Deutschland", 20, age="18-24", sex="w"),
            row(d, "02", "Deutschland", 30, age="65-79", sex="m"),
            row(d, "02", "Deutschland", 8, age="0-5", sex="m"),
        ],
        columns=COLUMNS,
    )


def test_age_pyramid_is_complete_and_in_natural_order(pyramid_detail):
    result = age_pyramid(pyramid_detail)
    assert result.columns.tolist() == ["age_group", "sex", "migration_status", "persons"]
    assert result["age_group"].unique().tolist() == ["0-5", "6-17", "18-24", "65-79", "80+"]
    assert len(result) == 5 * 2 * 2  # every combination, missing ones with 0
    assert result["persons"].sum() == pyramid_detail["persons"].sum()
    cell = result.set_index(["age_group", "sex", "migration_status"])["persons"]
    assert cell[("6-17", "m", "mit")] == 10
    assert cell[("80+", "m", "mit")] == 0


def test_age_pyramid_of_one_district(pyramid_detail):
    result = age_pyramid(pyramid_detail, district_id="02")
    assert result["age_group"].unique().tolist() == ["0-5", "6-17", "65-79"]
    assert result["persons"].sum() == 41


def test_sort_age_groups():
    labels = ["80+", "18-24", "6-17", "65-79", "0-5", "25-64", "6-17"]
    assert sort_age_groups(labels) == ["0-5", "6-17", "18-24", "25-64", "65-79", "80+"]


def test_minors_from_detail(pyramid_detail):
    result = minors_from_detail(pyramid_detail)
    assert result.columns.tolist() == [
        "reference_date",
        "district_id",
        "minors",
        "minors_migration_background",
    ]
    by_district = result.set_index("district_id")
    # 01: 0-5 Syrien 5 (mit), 6-17 Deutschland 10 (ohne) and Türkei 7 (mit); 18-24 and 80+ are adults
    assert by_district.loc["01", "minors"] == 22
    assert by_district.loc["01", "minors_migration_background"] == 12
    # 02: 6-17 Türkei 3 (mit), 0-5 Deutschland 8 (ohne)
    assert by_district.loc["02", "minors"] == 11
    assert by_district.loc["02", "minors_migration_background"] == 3


def test_district_without_minors_gets_zero():
    detail = pd.DataFrame([row("2020-12-31", "03", "Deutschland", 9, age="18-24")], columns=COLUMNS)
    result = minors_from_detail(detail)
    assert result["minors"].tolist() == [0] and result["minors_migration_background"].tolist() == [0]


@pytest.mark.parametrize(
    ("label", "bounds"),
    [
        ("0-5", (0, 5)),
        ("6–17", (6, 17)),
        ("18 - 24", (18, 24)),
        ("80+", (80, None)),
        ("80 und älter", (80, None)),
        ("unter 6", (0, 5)),
        ("6 bis unter 18", (6, 17)),
        ("6 bis 17 Jahre", (6, 17)),
        ("17", (17, 17)),
    ],
)
def test_age_bounds(label, bounds):
    assert age_bounds(label) == bounds


def test_age_group_across_18_cannot_give_minors():
    detail = pd.DataFrame([row("2020-12-31", "01", "Türkei", 9, age="15-19")], columns=COLUMNS)
    with pytest.raises(ValueError, match="both minors and adults"):
        minors_from_detail(detail)
    detail["age_group"] = "Kinder"
    with pytest.raises(ValueError, match="cannot read age group"):
        minors_from_detail(detail)
