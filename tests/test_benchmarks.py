"""The benchmark generator at a tiny size: structure and consistency only, never timings."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks import generate as gen
from benchmarks import measure, report
from data.store import Store
from indicators.shares import SHARES

TINY = gen.Sizes(districts=8, stichtage=2, nationalities=6, bezirke=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tiny.duckdb"
    result = gen.generate(path, TINY)
    store = Store(path)
    yield result, store
    store.close()


def test_row_counts_are_consistent(tiny):
    result, store = tiny
    counts = store.query(
        """SELECT (SELECT count(*) FROM population_detail) AS detail,
                  (SELECT count(*) FROM population) AS population,
                  (SELECT count(*) FROM districts WHERE level = 'Stadtteil') AS stadtteile,
                  (SELECT count(*) FROM districts WHERE level = 'Stadtbezirk') AS bezirke,
                  (SELECT count(DISTINCT reference_date) FROM population_detail) AS dates"""
    ).iloc[0]
    assert counts["detail"] == result.detail_rows > 0
    assert counts["population"] == result.population_rows == TINY.districts * TINY.stichtage
    assert (counts["stadtteile"], counts["bezirke"], counts["dates"]) == (8, 2, 2)
    assert counts["detail"] <= TINY.districts * TINY.stichtage * TINY.cells  # sparse: zeros are not stored
    assert store.reference_dates(gen.MUNICIPALITY) == [date(2024, 6, 30), date(2024, 12, 31)]
    assert store.levels(gen.MUNICIPALITY) == ["Stadtteil", "Stadtbezirk"]
    detail = store.detail(gen.MUNICIPALITY)
    assert (detail["persons"] > 0).all()
    assert set(detail["age_group"]) <= set(gen.AGE_GROUPS)
    assert set(detail["sex"]) <= {"m", "w"} and set(detail["migration_status"]) <= {"mit", "ohne"}
    assert not detail.duplicated(["reference_date", "district_id", "nationality", "age_group", "sex",
                                  "migration_status"]).any()  # fmt: skip
    germans = detail[detail["nationality"] == "Deutschland"]
    foreigners = detail[detail["nationality"] != "Deutschland"]
    assert (foreigners["migration_status"] == "mit").all()
    assert set(germans["migration_status"]) == {"mit", "ohne"}


def test_totals_are_the_sums_of_the_detail(tiny):
    _, store = tiny
    mismatches = store.query(
        """WITH sums AS (
               SELECT reference_date, district_id, sum(persons) AS population,
                      sum(persons) FILTER (WHERE nationality <> 'Deutschland') AS foreigners,
                      sum(persons) FILTER (WHERE migration_status = 'mit') AS migration_background,
                      sum(persons) FILTER (WHERE age_group IN ('0-2', '3-5', '6-9', '10-14', '15-17')) AS minors,
                      sum(persons) FILTER (WHERE age_group IN ('0-2', '3-5', '6-9', '10-14', '15-17')
                                           AND migration_status = 'mit') AS minors_mh
               FROM population_detail GROUP BY ALL)
           SELECT * FROM population p FULL JOIN sums s USING (reference_date, district_id)
           WHERE p.population IS DISTINCT FROM s.population OR p.foreigners IS DISTINCT FROM s.foreigners
              OR p.migration_background IS DISTINCT FROM s.migration_background
              OR p.minors IS DISTINCT FROM s.minors
              OR p.minors_migration_background IS DISTINCT FROM s.minors_mh"""
    )
    assert mismatches.empty, mismatches
    totals = store.population(gen.MUNICIPALITY)
    assert (totals["foreigners"] < totals["population"]).all()
    assert (totals["minors_migration_background"] <= totals["minors"]).all()


def test_districts_have_valid_geometry_in_berlin(tiny):
    _, store = tiny
    districts = store.query("SELECT * FROM districts")
    geoms = shapely.from_wkb(districts["geometry"].map(bytes).tolist())
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}  # Polygon, MultiPolygon
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(geoms)
    assert 12.9 < lon_min < lon_max < 13.9 and 52.2 < lat_min < lat_max < 52.8
    stadtteile = districts[districts["level"] == "Stadtteil"]
    assert set(stadtteile["parent_id"]) == set(
        districts.loc[districts["level"] == "Stadtbezirk", "district_id"]
    )
    assert stadtteile["district_id"].str.fullmatch(r"\d{8}").all()
    assert stadtteile["name"].is_unique and (stadtteile["area_km2"] > 0).all()
    bezirke_area = districts.loc[districts["level"] == "Stadtbezirk", "area_km2"].sum()
    assert stadtteile["area_km2"].sum() == pytest.approx(bezirke_area, rel=0.01)


def test_the_same_seed_gives_the_same_detail():
    first = pd.concat(gen.detail_chunks(TINY, seed=5), ignore_index=True)
    again = pd.concat(gen.detail_chunks(TINY, seed=5), ignore_index=True)
    pd.testing.assert_frame_equal(first, again)
    other = pd.concat(gen.detail_chunks(TINY, seed=6), ignore_index=True)
    assert not first["persons"].equals(other["persons"])


def test_pandas_path_computes_the_same_shares_as_the_app(tiny):
    _, store = tiny
    when = date(2024, 12, 31)
    app = measure.app_shares(store, when).set_index("district_id").sort_index()
    names = dict(zip(app.index, app["district"], strict=True))
    plain = measure.pandas_shares(store.detail(gen.MUNICIPALITY), pd.Timestamp(when), names)
    plain = plain.set_index("district_id").sort_index()
    # person counts by migration status know no Einwanderungsgeschichte: the three register shares
    compared = [column for column in SHARES if column in plain]
    assert compared == [c for c in SHARES if not c.startswith("immigration_history")]
    for column in compared:
        np.testing.assert_allclose(app[column].to_numpy(float), plain[column].to_numpy(float))


def test_register_extract_is_importable(tiny, tmp_path):
    _, store = tiny
    names = store.districts(gen.MUNICIPALITY)["district"].tolist()
    extract = tmp_path / "register.csv"
    measure.register_extract(extract, 2_000, names, date(2025, 6, 30))
    target = tmp_path / "register.duckdb"
    measure.districts_only_db(target, store)
    result = measure.import_register_once(extract, target, date(2025, 6, 30))
    check = Store(target)
    try:
        assert check.population(gen.MUNICIPALITY)["population"].sum() == 2_000
        assert result["cells"] == len(check.detail(gen.MUNICIPALITY))
    finally:
        check.close()


def test_report_marks_goals():
    ok = report.Measurement("shares", "Shares", [0.01, 0.02, 0.03], "s", goal=("≤", 0.05))
    slow = report.Measurement("sessions", "Sessions", [0.5] * 17 + [3.0] * 3, "s", goal=("p95 ≤", 1.0))
    assert ok.met() and not slow.met()
    assert report.fmt(0.0123, "s") == "12.3 ms" and report.fmt(274_036, "B") == "274 KB"
