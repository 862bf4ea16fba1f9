"""geo.boundaries on the real Köln boundaries and on small broken files built in tmp_path."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo import (
    BoundaryError,
    bounds_of,
    from_wkb,
    match_districts,
    normalise_name,
    orient_for_plotly,
    read_boundaries,
    simplify_boundaries,
    to_wkb,
)

# README: the reprojected Stadtteil shapefile covers lon 6.7725–7.1620, lat 50.8304–51.0850.
KOELN_BOX = (6.77, 50.83, 7.17, 51.09)
KOELN_README_BOUNDS = (6.7725, 50.8304, 7.1620, 51.0850)
KOELN_KM2 = 405.0


@pytest.fixture(scope="module")
def stadtteile(koeln_dir: Path) -> gpd.GeoDataFrame:
    return read_boundaries(koeln_dir / "raw" / "Stadtteil.shp")


@pytest.fixture(scope="module")
def koeln_counts(koeln_dir: Path) -> pd.DataFrame:
    wide = pd.read_csv(koeln_dir / "koeln_bevoelkerung_wide.csv", dtype={"raum_id": str})
    return wide.loc[wide["jahr"] == wide["jahr"].max()]


def districts_of(counts: pd.DataFrame, level: str) -> pd.DataFrame:
    rows = counts.loc[counts["ebene"] == level]
    return pd.DataFrame({"district_id": rows["raum_id"], "name": rows["raum"]}).reset_index(drop=True)


def inside(bounds: tuple[float, float, float, float], frame: tuple[float, float, float, float]) -> bool:
    return frame[0] <= bounds[0] < bounds[2] <= frame[2] and frame[1] <= bounds[1] < bounds[3] <= frame[3]


def write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def feature(props: dict, geom: shapely.Geometry | None) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else geom.__geo_interface__,
    }


def assert_koeln_stadtteile(gdf: gpd.GeoDataFrame) -> None:
    assert list(gdf.columns) == ["district_id", "name", "area_km2", "geometry"]
    assert len(gdf) == 86
    assert gdf.crs.to_epsg() == 4326
    assert all(isinstance(k, str) and len(k) == 3 and k.isdigit() for k in gdf["district_id"])
    assert {"101", "905", "716"} <= set(gdf["district_id"])
    names = dict(zip(gdf["district_id"], gdf["name"], strict=True))
    assert names["905"] == "Dellbrück" and names["101"] == "Altstadt/Süd" and names["302"] == "Sülz"
    assert gdf.geometry.is_valid.all()
    bounds = bounds_of(gdf)
    assert inside(bounds, KOELN_BOX)
    assert bounds == pytest.approx(KOELN_README_BOUNDS, abs=1e-3)
    assert gdf["area_km2"].sum() == pytest.approx(KOELN_KM2, rel=0.03)


# --- the real Köln files ---------------------------------------------------------------------------


def test_koeln_stadtteil_shapefile(stadtteile: gpd.GeoDataFrame) -> None:
    assert_koeln_stadtteile(stadtteile)
    # Marienburg (202) has a ring self-intersection in the source and comes back repaired.
    assert stadtteile.loc[stadtteile["district_id"] == "202", "area_km2"].item() > 1


def test_koeln_stadtteil_zipped_in_subfolder(koeln_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "stadtteile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted((koeln_dir / "raw").glob("Stadtteil.*")):
            zf.write(part, f"koeln/{part.name}")
    assert_koeln_stadtteile(read_boundaries(archive))


def test_cp1252_dbf_read_as_utf8_is_retried(koeln_dir: Path, tmp_path: Path) -> None:
    # A .cpg claiming UTF-8 makes GDAL hand over the raw Windows-1252 bytes: 'Dellbr\xfcck'.
    for part in (koeln_dir / "raw").glob("Stadtteil.*"):
        shutil.copyfile(part, tmp_path / part.name)
    (tmp_path / "Stadtteil.cpg").write_text("UTF-8")
    gdf = read_boundaries(tmp_path / "Stadtteil.shp")
    assert "Dellbrück" in set(gdf["name"]) and "Weiß" in set(gdf["name"])


def test_utf8_dbf_without_cpg_is_not_mojibake(tmp_path: Path) -> None:
    # QGIS writes UTF-8 plus a .cpg; without the .cpg GDAL assumes ISO-8859-1 and yields 'DellbrÃ¼ck'.
    frame = gpd.GeoDataFrame(
        {"NR": ["905"], "NAME": ["Dellbrück"]}, geometry=[box(7, 51, 7.1, 51.1)], crs=4326
    )
    frame.to_file(tmp_path / "utf8.shp", encoding="utf-8")
    (tmp_path / "utf8.cpg").unlink()
    assert read_boundaries(tmp_path / "utf8.shp")["name"].tolist() == ["Dellbrück"]


def test_koeln_stadtbezirk_shapefile_matches_counts(koeln_dir: Path, koeln_counts: pd.DataFrame) -> None:
    bezirke = read_boundaries(koeln_dir / "raw" / "Stadtbezirk.shp")
    assert len(bezirke) == 9 and bezirke.geometry.is_valid.all()
    assert sorted(bezirke["district_id"]) == [str(i) for i in range(1, 10)]  # the file has no zeros
    assert bezirke["area_km2"].sum() == pytest.approx(KOELN_KM2, rel=0.03)
    result = match_districts(bezirke, districts_of(koeln_counts, "stadtbezirk"))
    assert result.by == "key" and not result.unmatched_boundaries and not result.unmatched_districts
    assert sorted(result.matched["district_id"]) == [f"00{i}" for i in range(1, 10)]


def test_koeln_geojson_matches_shapefile(koeln_dir: Path, stadtteile: gpd.GeoDataFrame) -> None:
    geojson = read_boundaries(koeln_dir / "koeln_stadtteile.geojson")
    assert_koeln_stadtteile(geojson)
    assert set(geojson["district_id"]) == set(stadtteile["district_id"])
    both = geojson.merge(stadtteile, on="district_id", suffixes=("_json", "_shp"))
    assert (both["name_json"] == both["name_shp"]).all()
    assert ((both["area_km2_json"] / both["area_km2_shp"] - 1).abs() < 0.01).all()


def test_simplify_keeps_a_gapless_coverage(stadtteile: gpd.GeoDataFrame) -> None:
    simple = simplify_boundaries(stadtteile, tolerance_m=15)
    before = int(shapely.get_num_coordinates(stadtteile.geometry.values).sum())
    after = int(shapely.get_num_coordinates(simple.geometry.values).sum())
    assert after < 0.4 * before  # measured: 38,864 → 7,723
    assert len(simple) == 86 and simple.geometry.is_valid.all() and not simple.geometry.is_empty.any()
    assert list(simple["district_id"]) == list(stadtteile["district_id"])
    assert inside(bounds_of(simple), KOELN_BOX)

    metric = simple.to_crs(25832).geometry
    assert ((metric.area / 1e6 / stadtteile["area_km2"] - 1).abs() < 0.01).all()  # measured max 0.13 %
    union = shapely.union_all(metric.values)
    assert union.area == pytest.approx(metric.area.sum(), rel=1e-3)  # no overlaps
    assert union.area == pytest.approx(stadtteile.to_crs(25832).area.sum(), rel=1e-3)
    original_holes = shapely.union_all(
        [Polygon(r) for r in shapely.union_all(stadtteile.to_crs(25832).geometry.values).interiors]
    )
    new_holes = [Polygon(r) for p in shapely.get_parts(union) for r in p.interiors]
    assert all(hole.intersects(original_holes) for hole in new_holes)  # no new gaps


def test_orient_for_plotly_makes_exteriors_clockwise(stadtteile: gpd.GeoDataFrame) -> None:
    oriented = orient_for_plotly(stadtteile)
    polygons = shapely.get_parts(oriented.geometry.values)
    assert not shapely.is_ccw(shapely.get_exterior_ring(polygons)).any()
    assert oriented.geometry.geom_equals(stadtteile.geometry).all()


def test_match_koeln_by_key(stadtteile: gpd.GeoDataFrame, koeln_counts: pd.DataFrame) -> None:
    districts = districts_of(koeln_counts, "stadtteil")
    result = match_districts(stadtteile, districts)
    assert len(result.matched) == 86 and result.by == "key"
    assert result.unmatched_boundaries == [] and result.unmatched_districts == []
    assert "Nicht zugeordnet" not in result.report()

    fewer = districts.loc[districts["district_id"] != "101"]
    result = match_districts(stadtteile, fewer)
    assert result.unmatched_boundaries == ["101"] and len(result.matched) == 85
    assert "Nicht zugeordnet aus der Datei: 101" in result.report()


def test_match_koeln_by_name(stadtteile: gpd.GeoDataFrame, koeln_counts: pd.DataFrame) -> None:
    unkeyed = stadtteile.assign(district_id=pd.NA)
    districts = districts_of(koeln_counts, "stadtteil")
    districts = districts.loc[districts["name"] != "Libur"]
    districts.loc[districts["name"] == "Finkenberg", "name"] = "Finkenburg"
    districts.loc[districts["name"] == "Mülheim", "name"] = "Muelheim"
    result = match_districts(unkeyed, districts)
    assert result.by == "name" and len(result.matched) == 84
    assert sorted(result.unmatched_boundaries) == ["Finkenberg", "Libur"]
    assert result.unmatched_districts == ["716"]
    report = result.report()
    assert "Nicht zugeordnet aus der Datei: " in report and "Libur" in report and "Finkenberg" in report
    assert "Ohne Grenze: 716" in report
    muelheim = result.matched.loc[result.matched["district_id"] == "901"]
    assert muelheim["name"].item() == "Muelheim"


def test_normalise_name_variants() -> None:
    assert normalise_name("Mülheim") == normalise_name(" MUELHEIM ")
    assert normalise_name("Weiß") == normalise_name("Weiss")
    assert normalise_name("Rath/Heumar") == normalise_name("Rath-Heumar") == normalise_name("rath heumar")
    assert normalise_name("St. Georg") == normalise_name("Sankt-Georg") == normalise_name("St.Georg")
    assert normalise_name("Mu\u0308lheim") == normalise_name("Mülheim")  # decomposed umlaut
    assert normalise_name("Stammheim") != normalise_name("Sanktammheim")


def test_wkb_round_trip(stadtteile: gpd.GeoDataFrame) -> None:
    blobs = to_wkb(stadtteile.to_crs(25832))  # reprojected back to 4326 on the way out
    assert len(blobs) == 86 and all(isinstance(b, bytes) for b in blobs)
    frame = pd.DataFrame(
        {"district_id": stadtteile["district_id"], "geometry": [bytearray(b) for b in blobs]}
    )
    back = from_wkb(frame)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.geom_equals_exact(stadtteile.geometry, tolerance=1e-9).all()


# --- small files built here --------------------------------------------------------------------------


def test_empty_geometry_names_file_and_feature(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "leer.geojson",
        [
            feature({"NR": "1", "NAME": "Nord"}, box(7, 51, 7.1, 51.1)),
            feature({"NR": "2", "NAME": "Süd"}, None),
        ],
    )
    with pytest.raises(BoundaryError, match=r"leer\.geojson.*Objekt 2 \(2, Süd\).*keine Geometrie"):
        read_boundaries(path)


def test_bow_tie_is_repaired(tmp_path: Path) -> None:
    bow_tie = Polygon([(7.0, 51.0), (7.1, 51.1), (7.1, 51.0), (7.0, 51.1), (7.0, 51.0)])
    assert not bow_tie.is_valid
    path = write_geojson(tmp_path / "schleife.geojson", [feature({"NR": 7, "NAME": " Schleife "}, bow_tie)])
    gdf = read_boundaries(path)
    geom = gdf.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and geom.area == pytest.approx(0.005)
    assert gdf["district_id"].tolist() == ["7"] and gdf["name"].tolist() == ["Schleife"]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs_and_projected_coordinates(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"NR": ["1"]}, geometry=[box(356000, 5645000, 357000, 5646000)], crs=None)
    frame.to_file(tmp_path / "ohne_prj.shp")
    assert not (tmp_path / "ohne_prj.prj").exists()
    with pytest.raises(BoundaryError, match=r"ohne_prj\.shp.*kein Koordinatensystem \(\.prj fehlt\)"):
        read_boundaries(tmp_path / "ohne_prj.shp")
    # GeoJSON always means WGS 84 to GDAL: projected numbers in it must not pass either.
    path = write_geojson(
        tmp_path / "utm.geojson", [feature({"NR": "1"}, box(356000, 5645000, 357000, 5646000))]
    )
    with pytest.raises(BoundaryError, match=r"utm\.geojson.*keine Längen-/Breitengrade"):
        read_boundaries(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs_but_lon_lat_is_assumed_wgs84(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"Nummer": ["0101"]}, geometry=[box(6.9, 50.9, 7.0, 51.0)], crs=None)
    frame.to_file(tmp_path / "lonlat.shp")
    gdf = read_boundaries(tmp_path / "lonlat.shp")
    assert gdf.crs.to_epsg() == 4326 and gdf["district_id"].tolist() == ["0101"]
    assert bounds_of(gdf) == pytest.approx((6.9, 50.9, 7.0, 51.0))


def test_declared_crs_is_honoured_and_area_in_km2(tmp_path: Path) -> None:
    square = box(356000, 5645000, 358000, 5646000)  # 2 km² in EPSG:25832
    path = write_geojson(
        tmp_path / "etrs.geojson", [feature({"STT_NR": "001", "Stadtteil": "A"}, square)], crs="EPSG:25832"
    )
    gdf = read_boundaries(path)
    assert gdf["area_km2"].item() == pytest.approx(2.0, rel=1e-6)
    assert inside(bounds_of(gdf), KOELN_BOX) and gdf["district_id"].item() == "001"


def test_numeric_keys_and_field_detection(tmp_path: Path) -> None:
    path = tmp_path / "zahlen.gpkg"
    gpd.GeoDataFrame(
        {"OBJECTID": [1, 2, 3], "Bez_Nr": [101.0, 102.0, 103.0], "Bezirk": ["Nord ", "Süd", None]},
        geometry=[box(7, 51, 7.1, 51.1), box(7.1, 51, 7.2, 51.1), box(7.2, 51, 7.3, 51.1)],
        crs=4326,
    ).to_file(path)
    gdf = read_boundaries(path)
    assert gdf["district_id"].tolist() == ["101", "102", "103"]
    assert gdf["name"].tolist() == ["Nord", "Süd", "103"]  # a missing name falls back to the key
    named = read_boundaries(path, id_field="objectid", name_field="BEZIRK")
    assert named["district_id"].tolist() == ["1", "2", "3"]


def test_duplicate_keys(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "doppelt.geojson",
        [
            feature({"STT_NR": "101", "STT_NAME": n}, box(7 + i / 10, 51, 7.1 + i / 10, 51.1))
            for i, n in enumerate("ABC")
        ]
        + [feature({"STT_NR": "101", "STT_NAME": "D"}, box(7.5, 51, 7.6, 51.1))],
    )
    with pytest.raises(BoundaryError, match=r"doppelt\.geojson.*„101“ \(Objekte 1, 2, 3, 4\)"):
        read_boundaries(path)


def test_unknown_field_lists_available_fields(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "felder.geojson", [feature({"NR": "1", "NAME": "A"}, box(7, 51, 7.1, 51.1))]
    )
    with pytest.raises(BoundaryError, match=r"„GEBIET“.*felder\.geojson.*Vorhandene Felder: NR, NAME"):
        read_boundaries(path, id_field="GEBIET")


def test_without_id_field_matching_goes_by_name(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "namen.geojson",
        [
            feature({"Stadtteil": "Köln-Mülheim"}, box(7, 51, 7.1, 51.1)),
            feature({"Stadtteil": "St. Georg"}, box(7.1, 51, 7.2, 51.1)),
        ],
    )
    gdf = read_boundaries(path)
    assert gdf["district_id"].isna().all()
    districts = pd.DataFrame({"district_id": ["0901", "0902"], "name": ["Koeln Muelheim", "Sankt Georg"]})
    result = match_districts(gdf, districts)
    assert result.matched["district_id"].tolist() == ["0901", "0902"] and result.by == "name"


def test_zip_without_shapefile(tmp_path: Path) -> None:
    archive = tmp_path / "kein_shape.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("liesmich.txt", "nur Text")
    with pytest.raises(BoundaryError, match=r"kein_shape\.zip.*keine \.shp-Datei"):
        read_boundaries(archive)
    (tmp_path / "kaputt.zip").write_bytes(b"PK\x03\x04 kaputt")
    with pytest.raises(BoundaryError, match=r"kaputt\.zip"):
        read_boundaries(tmp_path / "kaputt.zip")


@pytest.mark.parametrize(
    "content", [b"\x00\xff\xfe{garbage", b'{"type": "FeatureCollection", "features": [', b""]
)
def test_garbage_geojson(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "muell.geojson"
    path.write_bytes(content)
    with pytest.raises(BoundaryError, match=r"muell\.geojson"):
        read_boundaries(path)


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(BoundaryError, match=r"„fehlt\.geojson“ wurde nicht gefunden"):
        read_boundaries(tmp_path / "fehlt.geojson")
    (tmp_path / "gebiete.csv").write_text("a,b\n1,2\n")
    with pytest.raises(BoundaryError, match=r"gebiete\.csv.*nicht unterstützt"):
        read_boundaries(tmp_path / "gebiete.csv")
