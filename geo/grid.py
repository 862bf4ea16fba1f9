"""INSPIRE grid cells (Zensus 2022, EPSG:3035) assigned to districts by the centroid rule.

A cell id reads `CRS3035RES100mN2689100E4337000`: grid EPSG:3035 (ETRS89-LAEA), resolution 100 m,
the cell's lower left corner at northing 2,689,100 m and easting 4,337,000 m; its centre is half a
cell further. A cell belongs to the district that contains its centre. A cell whose square crosses a
district boundary is counted wholly on one side: that is the error of the method, measured here as
the cells (and persons) whose centre lies less than half a cell (50 m) from a boundary.

Pure geopandas/shapely; no streamlit, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

GRID_CRS = 3035  # ETRS89-LAEA Europe, the INSPIRE grid of the Zensus


def parse_cell_ids(ids: pd.Series) -> pd.DataFrame:
    """resolution (m), x and y of the cell centre (EPSG:3035) per id; NaN where an id does not parse.
    Arrow's regular expressions: a 100 m file of all Germany has some three million ids."""
    text = pc.utf8_trim_whitespace(pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True))
    parts = pc.extract_regex(text, r"^CRS3035RES(?P<res>\d+)mN(?P<north>\d+)E(?P<east>\d+)$")
    res, north, east = (
        pd.Series(
            pc.cast(pc.struct_field(parts, [i]), pa.float64()).to_numpy(zero_copy_only=False), index=ids.index
        )
        for i in range(3)
    )
    return pd.DataFrame({"resolution": res, "x": east + res / 2, "y": north + res / 2}, index=ids.index)


def cell_id(x_centre: float, y_centre: float, resolution: int) -> str:
    """The id of the cell with this centre: `cell_id(4337050, 2689150, 100)` → `CRS3035RES100mN2689100E4337000`."""
    half = resolution / 2
    return f"CRS3035RES{resolution}mN{int(round(y_centre - half))}E{int(round(x_centre - half))}"


@dataclass
class Assignment:
    """Where each cell went: `district_id` (None outside every district), `near_boundary` (its centre
    lies less than half a cell — 50 m for the 100 m grid — from a district boundary, so the boundary
    may split it), `near_city` (outside every district, but that close to the city's edge)."""

    cells: pd.DataFrame  # the input rows plus district_id, near_boundary, near_city


def districts_in_grid_crs(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """district_id and geometry, reprojected to EPSG:3035."""
    return boundaries[["district_id", "geometry"]].to_crs(GRID_CRS)


def assign_cells(cells: pd.DataFrame, districts: gpd.GeoDataFrame, resolution: int) -> Assignment:
    """Assign cells (columns x, y: centres in EPSG:3035) to `districts` (district_id, geometry in
    EPSG:3035) by centroid in polygon, with geopandas' spatial join. A centre on a shared edge (both
    polygons "intersect" it) goes to the district with the smallest key, so no cell is counted twice."""
    points = gpd.GeoDataFrame(cells.copy(), geometry=gpd.points_from_xy(cells["x"], cells["y"]), crs=GRID_CRS)
    joined = gpd.sjoin(points, districts[["district_id", "geometry"]], how="left", predicate="intersects")
    joined = joined.sort_values("district_id", na_position="last")
    joined = joined[~joined.index.duplicated(keep="first")].reindex(points.index)
    centres = points.geometry.values
    edges = shapely.union_all(shapely.boundary(districts.geometry.values))
    outline = shapely.boundary(shapely.union_all(districts.geometry.values))
    half = resolution / 2
    crossed = shapely.distance(centres, edges) < half if len(cells) else np.zeros(0, dtype=bool)
    at_edge = shapely.distance(centres, outline) < half if len(cells) else np.zeros(0, dtype=bool)
    out = pd.DataFrame(cells).copy()
    out["district_id"] = joined["district_id"].astype(object).where(joined["district_id"].notna(), None)
    out["near_boundary"] = np.asarray(crossed, dtype=bool)
    out["near_city"] = np.asarray(at_edge, dtype=bool) & out["district_id"].isna().to_numpy()
    return Assignment(out)


def city_window(districts: gpd.GeoDataFrame, margin_m: float) -> tuple[float, float, float, float]:
    """The bounding box of the districts in EPSG:3035, widened by `margin_m`: cells beyond it belong
    to other municipalities and are left out before the join."""
    x0, y0, x1, y1 = districts.total_bounds
    return x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m
