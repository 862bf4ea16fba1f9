"""A synthetic Kreis around the demo city (issue 19), so the page "Kommunen im Vergleich" has something
to show on the first start.

Everything here is invented, like Musterstadt itself: "Kreis Musterland" (AGS 05999, a Kreis key that
does not exist in NRW, see `data.demo`), the towns Beispielhausen and Fiktivdorf with counts per
Gemeinde, Erfundenbach with quota figures only (no population counts: it is listed, not drawn), their
boundaries (boxes beside the demo city's outline) and a reference row "NRW (Demo)" with invented
numbers — no real figure of NRW. Musterstadt's own counts are not repeated here: the store counts
it from its Stadtteile (`Store.region_counts`). The numbers come from their own random stream
(`seed` and 19), so the demo city's numbers stay exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from data.demo import CENTRE, DEMO_AGS, DEMO_NAME, DEMO_SOURCE, MAP_CRS, METRIC_CRS, YEARS, DemoData

KREIS_AGS, KREIS_NAME = DEMO_AGS[:5], "Kreis Musterland"
LAND_AGS, LAND_NAME = "05", "NRW (Demo)"
SOURCE = DEMO_SOURCE  # one source line for the city and its Kreis
REFUGEE_ONLY = "Erfundenbach"
# ags, name, residents at the start, yearly change, foreigner share first and last year, box (km from the
# city's centre: west, south, east, north; the city is cut out of them)
TOWNS = (
    ("05999004", "Beispielhausen", 24_300, -0.002, 0.058, 0.112, (0.0, -7.0, 15.0, 7.0)),
    ("05999008", "Fiktivdorf", 9_100, -0.004, 0.029, 0.066, (-15.0, -7.0, 0.0, 7.0)),
    ("05999012", REFUGEE_ONLY, 6_600, -0.003, 0.035, 0.071, (-15.0, -14.0, 15.0, -7.0)),
)
LAND = (17_850_000, 0.003, 0.105, 0.165)  # residents, yearly change, foreigner share first and last year


@dataclass
class DemoKreis:
    regions: pd.DataFrame  # ags, name, level, synthetic, geometry, area_km2
    counts: pd.DataFrame  # ags, reference_date, population, foreigners, migration_background, source
    quotas: pd.DataFrame  # the quota figures of the town without counts


def build_demo_kreis(demo: DemoData, seed: int) -> DemoKreis:
    rng = np.random.default_rng([seed, 19])
    dates = pd.to_datetime([f"{y}-12-31" for y in YEARS])
    city = _city_outline(demo)
    rows, counts, hidden_totals = [], [], []
    for ags, name, start, trend, first, last, (w, s, e, n) in TOWNS:
        cx, cy = CENTRE
        area = box(cx + w * 1000, cy + s * 1000, cx + e * 1000, cy + n * 1000).difference(city.buffer(1))
        rows.append((ags, name, "Gemeinde", area))
        frame = _series(rng, ags, dates, start, trend, first, last)
        (hidden_totals if name == REFUGEE_ONLY else counts).append(frame)
    kreis_parts = [*counts, *hidden_totals, _city_counts(demo, dates)]
    kreis = (
        pd.concat(kreis_parts).groupby("reference_date", as_index=False)[["population", "foreigners"]].sum()
    )
    counts.append(kreis.assign(ags=KREIS_AGS))
    counts.append(_series(rng, LAND_AGS, dates, *LAND))
    regions = pd.DataFrame(rows, columns=["ags", "name", "level", "shape"])
    shapes = gpd.GeoSeries(regions.pop("shape"), crs=METRIC_CRS)
    regions["area_km2"] = shapes.area.to_numpy() / 1e6
    regions["geometry"] = shapely.to_wkb(shapes.to_crs(MAP_CRS).to_numpy())
    city_row = (DEMO_AGS, DEMO_NAME, "Gemeinde", shapely.to_wkb(_to_map(city)), city.area / 1e6)
    regions.loc[len(regions)] = dict(
        zip(["ags", "name", "level", "geometry", "area_km2"], city_row, strict=True)
    )
    regions.loc[len(regions)] = {"ags": KREIS_AGS, "name": KREIS_NAME, "level": "Kreis"}
    regions.loc[len(regions)] = {"ags": LAND_AGS, "name": LAND_NAME, "level": "Land"}
    regions["synthetic"] = True
    table = pd.concat(counts, ignore_index=True).assign(migration_background=pd.NA, source=SOURCE)
    table = table[["ags", "reference_date", "population", "foreigners", "migration_background", "source"]]
    return DemoKreis(regions, table.astype({"migration_background": "Int64"}), _quotas(rng))


def _series(rng, ags: str, dates, start: float, trend: float, first: float, last: float) -> pd.DataFrame:
    """Residents and foreigners per Stichtag: a trend with some noise, the share rising from first to last."""
    years = np.arange(len(dates))
    population = np.round(start * (1 + trend) ** years * rng.lognormal(0, 0.002, len(dates))).astype(np.int64)
    share = np.interp(years, [0, len(dates) - 1], [first, last]) * rng.lognormal(0, 0.02, len(dates))
    foreigners = np.round(population * share).astype(np.int64)
    return pd.DataFrame(
        {"ags": ags, "reference_date": dates, "population": population, "foreigners": foreigners}
    )


def _city_counts(demo: DemoData, dates) -> pd.DataFrame:
    """Musterstadt per Stichtag, summed from its Stadtteile (as the store reads it)."""
    stadtteile = demo.districts.loc[demo.districts["level"] == "Stadtteil", "district_id"]
    rows = demo.population[demo.population["district_id"].isin(stadtteile)]
    sums = rows.groupby("reference_date", as_index=False)[["population", "foreigners"]].sum()
    sums["reference_date"] = pd.to_datetime(sums["reference_date"])
    return sums[sums["reference_date"].isin(dates)]


def _city_outline(demo: DemoData) -> shapely.Geometry:
    """The demo city's outline in metres (the union of its Stadtteile)."""
    stadtteile = demo.districts[demo.districts["level"] == "Stadtteil"]
    shapes = gpd.GeoSeries(shapely.from_wkb(stadtteile["geometry"].to_numpy()), crs=MAP_CRS).to_crs(
        METRIC_CRS
    )
    return shapely.union_all(shapes.buffer(5).to_numpy()).buffer(-5)


def _to_map(shape: shapely.Geometry) -> shapely.Geometry:
    return gpd.GeoSeries([shape], crs=METRIC_CRS).to_crs(MAP_CRS).iloc[0]


def _quotas(rng) -> pd.DataFrame:
    """Quota figures (Soll, Ist) of the town without counts, yearly."""
    dates = pd.to_datetime([f"{y}-12-31" for y in range(2016, 2025)])
    target = np.round(np.linspace(95, 160, len(dates))).astype(np.int64)
    actual = np.round(target * rng.uniform(0.88, 1.02, len(dates))).astype(np.int64)
    return pd.DataFrame(
        {
            "municipality": REFUGEE_ONLY,
            "reference_date": dates,
            "quota_target": target,
            "quota_actual": actual,
        }
    )


def install(w, demo: DemoData, seed: int, import_id: int) -> None:
    """Replace the synthetic regions of an earlier demo; regions loaded from real files stay (a real NRW
    row is never overwritten by the demo's)."""
    kreis = build_demo_kreis(demo, seed)
    w.execute("DELETE FROM region_counts WHERE ags IN (SELECT ags FROM regions WHERE synthetic)")
    w.execute("DELETE FROM regions WHERE synthetic")
    w.execute("DELETE FROM quotas WHERE municipality = ?", [REFUGEE_ONLY])
    real = set(w.fetch("SELECT ags FROM regions")["ags"])
    w.insert("regions", kreis.regions[~kreis.regions["ags"].isin(real)], import_id)
    w.insert("region_counts", kreis.counts[~kreis.counts["ags"].isin(real)], import_id)
    w.insert("quotas", kreis.quotas, import_id)
