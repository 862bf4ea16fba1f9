"""The synthetic demo city: shapes, sums and the stories the numbers should tell. Pure, no database."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.demo import COLUMNS, DEMO_AGS, DEMO_NAME, GERMANY, DemoData, build_demo

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "schema.sql"
KEYS = ["reference_date", "district_id"]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo()


@pytest.fixture(scope="module")
def stadtteile(demo: DemoData) -> gpd.GeoDataFrame:
    """The Stadtteile with their geometry decoded, in metres (EPSG:25832)."""
    rows = demo.districts[demo.districts["level"] == "Stadtteil"]
    geometry = gpd.GeoSeries(shapely.from_wkb(rows["geometry"].to_numpy()), crs="EPSG:4326")
    return gpd.GeoDataFrame(rows.drop(columns="geometry"), geometry=geometry.values).to_crs("EPSG:25832")


def city_shares(demo: DemoData) -> pd.DataFrame:
    totals = demo.population.groupby(demo.population["reference_date"].dt.year)[
        ["population", "foreigners"]
    ].sum()
    return totals.assign(share=totals["foreigners"] / totals["population"] * 100)


def nationals(demo: DemoData, nationality: str) -> pd.Series:
    detail = demo.population_detail
    rows = detail[detail["nationality"] == nationality]
    return rows.groupby(rows["reference_date"].dt.year)["persons"].sum()


def test_same_seed_gives_identical_frames(demo: DemoData) -> None:
    again = build_demo(2024)
    for name, frame in demo.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name])


def test_another_seed_gives_other_numbers(demo: DemoData) -> None:
    other = build_demo(seed=7)
    assert not other.population["population"].equals(demo.population["population"])


def test_columns_follow_the_schema(demo: DemoData) -> None:
    schema = SCHEMA.read_text(encoding="utf-8")
    for table, frame in demo.tables().items():
        body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", schema, re.S).group(1)
        columns = [
            line.split()[0]
            for line in body.splitlines()
            if line.strip() and not line.strip().startswith(("PRIMARY", "--"))
        ]
        expected = tuple(c for c in columns if c != "import_id")
        assert COLUMNS[table] == expected
        assert tuple(frame.columns) == expected, table


def test_municipality_is_marked_synthetic(demo: DemoData) -> None:
    row = demo.municipalities.iloc[0]
    assert len(demo.municipalities) == 1
    assert (row["name"], row["ags"], bool(row["synthetic"])) == (DEMO_NAME, DEMO_AGS, True)
    assert re.fullmatch(r"\d{8}", row["ags"]) and row["ags"].startswith("05")
    assert "Synthetische" in row["source"]
    for frame in demo.tables().values():
        if "municipality" in frame:
            assert (frame["municipality"] == DEMO_NAME).all()


def test_district_keys_and_hierarchy(demo: DemoData) -> None:
    districts = demo.districts
    bezirke = districts[districts["level"] == "Stadtbezirk"]
    teile = districts[districts["level"] == "Stadtteil"]
    assert 12 <= len(teile) <= 20
    assert bezirke["district_id"].tolist() == ["01", "02", "03", "04"]
    assert teile["district_id"].str.fullmatch(r"0\d{2}").all()
    assert districts["district_id"].is_unique and districts["name"].is_unique
    assert bezirke["parent_id"].isna().all()
    assert (teile["parent_id"] == teile["district_id"].str[:2]).all()
    assert set(teile["parent_id"]) == set(bezirke["district_id"])


def test_stadtteile_tile_the_city_without_gaps_or_overlaps(stadtteile: gpd.GeoDataFrame) -> None:
    geometry = stadtteile.geometry.to_numpy()
    assert shapely.is_valid(geometry).all()
    assert (shapely.get_type_id(geometry) == 3).all()  # Polygon
    assert shapely.coverage_is_valid(geometry)  # edges match exactly, nothing overlaps
    union = shapely.union_all(geometry)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no holes between Stadtteile
    assert abs(union.area - shapely.area(geometry).sum()) < 0.001 * union.area
    assert 60 < union.area / 1e6 < 130  # about 12 × 9 km
    assert np.allclose(stadtteile["area_km2"], shapely.area(geometry) / 1e6, atol=0.001)


def test_stadtbezirk_is_the_union_of_its_stadtteile(demo: DemoData) -> None:
    districts = demo.districts.assign(shape=shapely.from_wkb(demo.districts["geometry"].to_numpy()))
    for _, bezirk in districts[districts["level"] == "Stadtbezirk"].iterrows():
        children = shapely.union_all(districts.loc[districts["parent_id"] == bezirk["district_id"], "shape"])
        assert bezirk["shape"].geom_type == "Polygon"  # one contiguous piece
        assert shapely.symmetric_difference(bezirk["shape"], children).area < 1e-9 * bezirk["shape"].area
    children_area = districts.loc[districts["level"] == "Stadtteil", "area_km2"].sum()
    bezirke_area = districts.loc[districts["level"] == "Stadtbezirk", "area_km2"].sum()
    assert bezirke_area == pytest.approx(children_area, rel=1e-3)


def test_geometry_is_wgs84_in_nrw(demo: DemoData) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds(shapely.from_wkb(demo.districts["geometry"].to_numpy()))
    assert 5.8 < minx < maxx < 9.5 and 50.3 < miny < maxy < 52.6


def test_nationalities_and_stichtage(demo: DemoData) -> None:
    detail = demo.population_detail
    assert detail["nationality"].nunique() >= 26
    assert GERMANY in set(detail["nationality"])
    expected = pd.to_datetime([f"{year}-12-31" for year in range(2010, 2025)])
    assert sorted(detail["reference_date"].unique()) == list(expected)
    assert sorted(demo.population["reference_date"].unique()) == list(expected)
    assert set(detail["age_group"]) == {"0-5", "6-17", "18-24", "25-44", "45-64", "65-79", "80+"}
    assert set(detail["sex"]) == {"m", "w"}
    assert set(detail["migration_status"]) == {"mit", "ohne"}


def test_detail_is_sparse_and_has_small_cells(demo: DemoData) -> None:
    persons = demo.population_detail["persons"]
    assert (persons > 0).all()
    assert (persons < 3).any()
    assert not demo.population_detail.duplicated(subset=list(COLUMNS["population_detail"][:-1])).any()


def test_foreigners_always_have_migration_background(demo: DemoData) -> None:
    detail = demo.population_detail
    foreign = detail[detail["nationality"] != GERMANY]
    assert (foreign["migration_status"] == "mit").all()
    germans = detail[detail["nationality"] == GERMANY]
    share = germans.loc[germans["migration_status"] == "mit", "persons"].sum() / germans["persons"].sum()
    assert 0.1 < share < 0.4


def test_population_equals_the_detail_sums(demo: DemoData) -> None:
    detail = demo.population_detail
    minors = detail["age_group"].isin(["0-5", "6-17"])
    mh = detail["migration_status"] == "mit"
    expected = pd.DataFrame(
        {
            "population": detail.groupby(KEYS)["persons"].sum(),
            "foreigners": detail[detail["nationality"] != GERMANY].groupby(KEYS)["persons"].sum(),
            "migration_background": detail[mh].groupby(KEYS)["persons"].sum(),
            "minors": detail[minors].groupby(KEYS)["persons"].sum(),
            "minors_migration_background": detail[minors & mh].groupby(KEYS)["persons"].sum(),
        }
    )
    actual = demo.population.set_index(KEYS)[expected.columns]
    assert len(actual) == 15 * 16
    assert set(actual.index.get_level_values("district_id")) == set(
        demo.districts.loc[demo.districts["level"] == "Stadtteil", "district_id"]
    )
    pd.testing.assert_frame_equal(actual.sort_index(), expected.fillna(0).astype("int64").sort_index())


def test_migration_background_at_least_foreigners(demo: DemoData) -> None:
    population = demo.population
    assert (population["migration_background"] >= population["foreigners"]).all()
    assert (population["minors_migration_background"] <= population["minors"]).all()
    assert (population["minors"] <= population["population"]).all()


def test_city_size_and_foreigner_share(demo: DemoData) -> None:
    shares = city_shares(demo)
    assert (shares["population"].between(85_000, 95_000)).all()
    assert 10 <= shares.loc[2010, "share"] <= 12
    assert 16 <= shares.loc[2024, "share"] <= 18
    assert shares.loc[2024, "share"] > shares.loc[2010, "share"]


def test_district_profiles_differ(demo: DemoData) -> None:
    latest = demo.population[demo.population["reference_date"].dt.year == 2024]
    share = latest["foreigners"] / latest["population"] * 100
    assert 2 <= (share >= 25).sum() <= 4  # inner and industrial Stadtteile
    assert share.min() <= 6  # leafy outskirts
    assert latest["population"].min() < 1_500  # the village


def test_refugee_waves_show_in_the_register(demo: DemoData) -> None:
    syrians, ukrainians = nationals(demo, "Syrien"), nationals(demo, "Ukraine")
    assert syrians[2016] > 1.5 * syrians[2015] and syrians[2015] > 2 * syrians[2014]
    assert ukrainians[2022] > 5 * ukrainians[2021]
    romanians = nationals(demo, "Rumänien")
    assert romanians[2024] > 5 * romanians[2013]


def test_allocations(demo: DemoData) -> None:
    allocations = demo.allocations
    assert (allocations["period_type"] == "month").all()
    assert (allocations["period_start"].dt.day == 1).all()
    assert allocations["period_start"].min() == pd.Timestamp("2014-01-01")
    assert allocations["period_start"].max() == pd.Timestamp("2024-12-01")
    assert (allocations["persons"] > 0).all()
    known = allocations["minors"].notna()
    assert (~known).any() and known.mean() > 0.9
    assert (allocations.loc[known, "minors"] <= allocations.loc[known, "persons"]).all()
    ukraine = allocations["country"] == "Ukraine"
    assert (allocations.loc[ukraine, "legal_basis"] == "§24 AufenthG").all()
    assert (allocations.loc[ukraine, "period_start"] >= pd.Timestamp("2022-03-01")).all()
    assert {"FlüAG", "§12a AufenthG"} <= set(allocations["legal_basis"])
    per_year = allocations.groupby(allocations["period_start"].dt.year)["persons"].sum()
    assert per_year[[2015, 2016, 2022]].min() > 3 * per_year[[2019, 2020]].max()


def test_quotas_hover_around_fulfilment(demo: DemoData) -> None:
    quotas = demo.quotas
    assert quotas["reference_date"].dt.year.between(2016, 2024).all()
    assert quotas["reference_date"].is_unique
    rate = quotas["quota_actual"] / quotas["quota_target"] * 100
    assert rate.between(85, 105).all()


def test_facilities_lie_in_stadtteile(demo: DemoData) -> None:
    teile = demo.districts.loc[demo.districts["level"] == "Stadtteil", "district_id"]
    assert len(demo.facilities) == 5
    assert demo.facilities["district_id"].isin(teile).all()
    assert set(demo.occupancy["facility"]) == set(demo.facilities["facility"])


def test_occupancy(demo: DemoData) -> None:
    occupancy = demo.occupancy
    assert not occupancy.duplicated(["reference_date", "facility"]).any()
    assert (occupancy["capacity"] > 0).all()
    known = occupancy["fehlbeleger"].notna()
    assert (~known).any()
    assert (occupancy.loc[known, "fehlbeleger"] <= occupancy.loc[known, "occupants"]).all()
    overfull = occupancy[occupancy["occupants"] > occupancy["capacity"]]
    assert len(overfull) > 0 and overfull["reference_date"].dt.year.isin([2022, 2023]).all()
    latest = occupancy[occupancy["reference_date"].dt.year == 2024]
    assert 0.25 < latest["fehlbeleger"].sum() / latest["occupants"].sum() < 0.45


def test_a_facility_closes_and_reopens(demo: DemoData) -> None:
    months = demo.occupancy.groupby("facility")["reference_date"].apply(lambda dates: dates.dt.year.unique())
    assert any(2020 not in years and 2018 in years and 2023 in years for years in months)
