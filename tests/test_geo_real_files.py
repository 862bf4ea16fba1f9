"""Boundary files as GIS offices send them: districts in parts, several layers, other spellings, the wrong
city or CRS. Every fixture is built here, around Lünen (lon 7.52, lat 51.61); Köln's files are used as
they are."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from data.boundaries import import_boundaries
from data.errors import DataImportError
from data.population import import_population
from data.store import Store
from geo import BoundaryError, from_wkb, match_districts, read_boundaries, read_boundary_file

REPO = Path(__file__).resolve().parents[1]
LUENEN_CSV = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"
LUENEN_NAMES = [
    "Alstedde",
    "Beckinghausen",
    "Brambauer",
    "Gahmen",
    "Geistviertel & Lippolthausen",
    "Horstmar",
    "Lünen-Mitte",
    "Lünen-Nord",
    "Lünen-Süd",
    "Niederaden",
    "Nordlünen",
    "Osterfeld",
    "Wethmar",
]
CELL = 0.02  # degrees: a 5 × 3 grid of squares over Lünen


def cell(i: int, lon: float = 7.47, lat: float = 51.58) -> shapely.Polygon:
    return box(
        lon + (i % 5) * CELL, lat + (i // 5) * CELL, lon + (i % 5 + 1) * CELL, lat + (i // 5 + 1) * CELL
    )


def luenen(names: list[str] | None = None, keys: list[str] | None = None, **where: float) -> gpd.GeoDataFrame:
    """Lünen's 13 Stadtteile as squares in EPSG:4326 (``lon``/``lat`` move the grid)."""
    names = names or LUENEN_NAMES
    frame = {"STT_NAME": names} if keys is None else {"STT_NR": keys, "STT_NAME": names}
    return gpd.GeoDataFrame(frame, geometry=[cell(i, **where) for i in range(len(names))], crs=4326)


def write_zip(path: Path, shapefiles: dict[str, gpd.GeoDataFrame]) -> Path:
    """A ZIP with one Shapefile per entry of ``shapefiles`` (name → frame), each in its own folder."""
    folder = path.parent / f"{path.stem}_parts"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in shapefiles.items():
            (folder / name).mkdir(parents=True, exist_ok=True)
            frame.to_file(folder / name / f"{name}.shp", encoding="utf-8")
            for part in sorted((folder / name).iterdir()):
                archive.write(part, f"{name}/{part.name}")
    return path


def problems_of(frame: gpd.GeoDataFrame, path: Path) -> list[str]:
    """What read_boundaries finds wrong with ``frame`` written to ``path`` (it must refuse it)."""
    frame.to_file(path)
    with pytest.raises(BoundaryError) as err:
        read_boundaries(path)
    return err.value.problems


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def luenen_db(db_path: Path) -> Path:
    """A database with Lünen's 13 Stadtteile (population 31.12.2020), no boundaries yet."""
    import_population(LUENEN_CSV, db_path, "Lünen", date(2020, 12, 31))
    return db_path


@pytest.fixture
def koeln_db(koeln_dir: Path, db_path: Path) -> Path:
    """Köln's 86 Stadtteile and 9 Stadtbezirke from the counts, no boundaries yet."""
    import_population(koeln_dir / "koeln_bevoelkerung_wide.csv", db_path, "Köln")
    return db_path


def stored_boundaries(db: Path, municipality: str, level: str = "Stadtteil") -> gpd.GeoDataFrame:
    store = Store(db)
    try:
        return from_wkb(store.boundaries(municipality, level))
    finally:
        store.close()


# --- one district drawn as several features -------------------------------------------------------


def test_parts_with_same_key_and_name_are_dissolved(tmp_path: Path) -> None:
    frame = luenen(keys=[f"{i + 1:02d}" for i in range(13)])
    island = gpd.GeoDataFrame({"STT_NR": ["01"], "STT_NAME": ["Alstedde"]}, geometry=[cell(14)], crs=4326)
    path = tmp_path / "mehrteilig.geojson"
    pd.concat([frame, island]).to_file(path)
    read = read_boundary_file(path)
    gdf = read.boundaries
    assert len(gdf) == 13 and gdf["district_id"].is_unique
    alstedde = gdf.loc[gdf["district_id"] == "01"].iloc[0]
    assert alstedde["name"] == "Alstedde" and alstedde.geometry.geom_type == "MultiPolygon"
    single = gdf.loc[gdf["district_id"] == "02", "area_km2"].item()
    assert alstedde["area_km2"] == pytest.approx(2 * single, rel=0.01)
    assert read.warnings == [
        "Schlüssel „01“ (Alstedde) steht in „mehrteilig.geojson“ in 2 Objekten (Objekte 1, 14); "
        "sie wurden zu einer Fläche zusammengefasst."
    ]


def test_parts_without_keys_are_dissolved_by_name(tmp_path: Path) -> None:
    path = tmp_path / "namen.gpkg"
    luenen(LUENEN_NAMES + ["Wethmar"]).to_file(path)
    read = read_boundary_file(path)
    assert len(read.boundaries) == 13 and read.boundaries["district_id"].isna().all()
    assert read.warnings == [
        "Name „Wethmar“ steht in „namen.gpkg“ in 2 Objekten (Objekte 13, 14); sie wurden zu einer Fläche "
        "zusammengefasst."
    ]


def test_same_key_with_different_names_is_refused_naming_both(tmp_path: Path) -> None:
    keys = [f"{i + 1:02d}" for i in range(13)]
    keys[7] = "07"  # Lünen-Nord gets the key of Lünen-Mitte
    assert problems_of(luenen(keys=keys), tmp_path / "verwechselt.geojson") == [
        "In „verwechselt.geojson“ kommen Schlüssel mehrfach mit verschiedenen Namen vor: „07“ (Objekte 7, 8) "
        "heißt „Lünen-Mitte“, „Lünen-Nord“. Ein Schlüssel darf nur ein Gebiet bezeichnen; bitte Schlüssel "
        "oder Namen in der Datei berichtigen."
    ]


# --- several layers ------------------------------------------------------------------------------


def test_geopackage_with_several_layers_asks_which(tmp_path: Path) -> None:
    path = tmp_path / "lünen.gpkg"
    luenen().to_file(path, layer="stadtteile")
    luenen(["Nord", "Süd"]).to_file(path, layer="bezirke")
    gpd.GeoDataFrame({"name": ["Rathaus"]}, geometry=[cell(0).centroid], crs=4326).to_file(path, layer="poi")
    with pytest.raises(BoundaryError) as err:
        read_boundaries(path)
    assert str(err.value) == (
        "„lünen.gpkg“ enthält mehrere Ebenen mit Flächen: „stadtteile“ (Flächen), „bezirke“ (Flächen), "
        "„poi“ (Punkte). Bitte die Ebene mit den Grenzen angeben (--layer NAME)."
    )
    read = read_boundary_file(path, layer="Bezirke")  # case does not matter
    assert read.layer == "bezirke" and read.boundaries["name"].tolist() == ["Nord", "Süd"]
    assert read.warnings == []
    with pytest.raises(BoundaryError, match=r"Die Ebene „grenzen“ gibt es in „lünen\.gpkg“ nicht\. "):
        read_boundaries(path, layer="grenzen")


def test_only_layer_with_areas_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "mit_punkten.gpkg"
    gpd.GeoDataFrame({"name": ["Rathaus"]}, geometry=[cell(0).centroid], crs=4326).to_file(path, layer="poi")
    luenen().to_file(path, layer="stadtteile")
    read = read_boundary_file(path)
    assert read.layer == "stadtteile" and len(read.boundaries) == 13
    assert read.warnings == [
        "„mit_punkten.gpkg“ hat mehrere Ebenen; gelesen wurde „stadtteile“, die einzige mit Flächen."
    ]


def test_zip_with_several_shapefiles_asks_which(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "grenzen.zip",
        {"Stadtteile": luenen(), "Bezirke": luenen(["Nord", "Süd"])},
    )
    with pytest.raises(BoundaryError) as err:
        read_boundaries(archive)
    assert str(err.value) == (
        "„grenzen.zip“ enthält mehrere Ebenen mit Flächen: „Stadtteile“ (Flächen), „Bezirke“ (Flächen). "
        "Bitte die Ebene mit den Grenzen angeben (--layer NAME)."
    )
    read = read_boundary_file(archive, layer="Stadtteile")
    assert read.layer == "Stadtteile" and read.boundaries["name"].tolist() == LUENEN_NAMES


def test_cli_layer_option(tmp_path: Path, luenen_db: Path) -> None:
    from tests.test_cli import run

    path = tmp_path / "lünen.gpkg"
    luenen().to_file(path, layer="stadtteile")
    luenen(["Nord", "Süd"]).to_file(path, layer="bezirke")
    before = digest(luenen_db)
    refused = run("data", "import", "boundaries", str(path), "--municipality", "Lünen", db=luenen_db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "„stadtteile“ (Flächen), „bezirke“ (Flächen)" in refused.stderr and "--layer" in refused.stderr
    assert digest(luenen_db) == before
    done = run(
        "data",
        "import",
        "boundaries",
        str(path),
        "--layer",
        "stadtteile",
        "--municipality",
        "Lünen",
        db=luenen_db,
    )
    assert done.returncode == 0, done.stderr
    assert "13 Zeilen importiert" in done.stdout
    assert len(stored_boundaries(luenen_db, "Lünen")) == 13


# --- names spelled differently ---------------------------------------------------------------------


def test_names_match_forgivingly_and_every_inexact_match_is_listed(luenen_db: Path, tmp_path: Path) -> None:
    spelled = [f"{i + 1:02d} {n}" for i, n in enumerate(LUENEN_NAMES)]  # "03 Brambauer"
    spelled[4] = "Geistviertel u. Lippolthausen"
    spelled[7] = "LÜNEN - NORD"
    spelled[8] = "Luenen-Sued"
    spelled[12] = "Wethmar"  # exact: not listed
    path = tmp_path / "gis_export.geojson"
    luenen(spelled).to_file(path)
    report = import_boundaries(path, luenen_db, "Lünen")
    assert report.rows == 13
    notes = [w.message for w in report.warnings]
    assert notes[0] == "13 Gebiete über Namen zugeordnet."
    assert notes[1:] == [
        f"„{s}“ aus der Datei wurde „{n}“ (Schlüssel {n}) zugeordnet."
        for s, n in zip(spelled, LUENEN_NAMES, strict=True)
        if s != n
    ]
    assert len(notes) == 13  # the report line and 12 loose matches
    assert (
        "„Geistviertel u. Lippolthausen“ aus der Datei wurde „Geistviertel & Lippolthausen“"
        in report.render()
    )
    shapes = stored_boundaries(luenen_db, "Lünen")
    assert sorted(shapes["district"]) == sorted(LUENEN_NAMES)


def test_number_prefix_is_not_stripped_where_it_matches_as_it_is() -> None:
    boundaries = luenen(["1. Bezirk", "Bezirk"]).rename(columns={"STT_NAME": "name"}).assign(district_id=None)
    districts = pd.DataFrame({"district_id": ["a", "b"], "name": ["1. Bezirk", "Bezirk"]})
    result = match_districts(boundaries, districts)
    assert result.matched["district_id"].tolist() == ["a", "b"] and result.inexact == []


def test_koeln_names_match_the_stadtteil_not_the_stadtbezirk(koeln_dir: Path, koeln_db: Path, tmp_path: Path):
    doc = json.loads((koeln_dir / "koeln_stadtteile.geojson").read_text(encoding="utf-8"))
    for feat in doc["features"]:  # a file with names only
        feat["properties"] = {"Stadtteil": feat["properties"]["STT_NAME"]}
    path = tmp_path / "stadtteile_ohne_nummer.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = import_boundaries(path, koeln_db, "Köln")
    assert report.rows == 86 and report.warnings[0].message == "86 Gebiete über Namen zugeordnet."
    shapes = stored_boundaries(koeln_db, "Köln").set_index("district_id")
    assert shapes.loc["802", "district"] == "Kalk" and shapes.loc["901", "district"] == "Mülheim"
    assert stored_boundaries(koeln_db, "Köln", "Stadtbezirk").empty  # Kalk 008 kept no boundary


# --- the real Köln files --------------------------------------------------------------------------


def test_koeln_geojson_into_koeln(koeln_dir: Path, koeln_db: Path) -> None:
    report = import_boundaries(koeln_dir / "koeln_stadtteile.geojson", koeln_db, "Köln")
    assert report.rows == 86
    assert report.warnings[0].message == "86 Gebiete über Schlüssel zugeordnet."
    shapes = stored_boundaries(koeln_db, "Köln")
    assert len(shapes) == 86 and shapes.geometry.is_valid.all()
    assert shapes.loc[shapes["district_id"] == "905", "district"].item() == "Dellbrück"
    bezirke = import_boundaries(
        koeln_dir / "koeln_stadtbezirke.geojson", koeln_db, "Köln", level="Stadtbezirk"
    )
    assert bezirke.rows == 9 and len(stored_boundaries(koeln_db, "Köln", "Stadtbezirk")) == 9


def test_koeln_stadtbezirke_as_stadtteile_are_refused_naming_the_level(koeln_dir: Path, koeln_db: Path):
    before = digest(koeln_db)
    with pytest.raises(DataImportError) as err:
        import_boundaries(koeln_dir / "koeln_stadtbezirke.geojson", koeln_db, "Köln")
    assert "Nur 8 der 86 Gebiete der Ebene Stadtteil von Köln kommen in der Datei vor" in str(err.value)
    assert "aber 9 der 9 Gebiete der Ebene Stadtbezirk. Bitte mit --level Stadtbezirk importieren." in str(
        err.value
    )
    assert digest(koeln_db) == before


def test_koeln_file_into_luenen_is_refused(koeln_dir: Path, luenen_db: Path) -> None:
    before = digest(luenen_db)
    with pytest.raises(DataImportError) as err:
        import_boundaries(koeln_dir / "koeln_stadtteile.geojson", luenen_db, "Lünen")
    message = str(err.value)
    assert message.splitlines() == [
        "Die Datei koeln_stadtteile.geojson wurde nicht importiert; es wurde nichts geändert.",
        "Datei koeln_stadtteile.geojson: Nur 0 der 13 Gebiete der Ebene Stadtteil von Lünen kommen in der "
        "Datei vor (sie hat 86 Gebiete, z. B. „Altstadt/Süd“, „Neustadt/Süd“, „Altstadt/Nord“). Die Grenzen "
        "gehören wohl zu einer anderen Kommune: bitte die Datei prüfen oder die richtige Kommune mit "
        "--municipality angeben.",
    ]
    assert digest(luenen_db) == before
    store = Store(luenen_db)
    try:
        assert len(store.districts("Lünen")) == 13
    finally:
        store.close()


def test_koeln_file_into_a_city_with_stored_boundaries_only_elsewhere(
    koeln_dir: Path, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "luenen.geojson"
    luenen().to_file(path)
    import_boundaries(path, db_path, "Lünen")  # no counts yet: the file's names become the districts
    before = digest(db_path)
    with pytest.raises(DataImportError) as err:
        import_boundaries(koeln_dir / "koeln_stadtteile.geojson", db_path, "Lünen")
    lines = str(err.value).splitlines()
    assert len(lines) == 3 and "Nur 0 der 13 Gebiete" in lines[1]
    assert lines[2] == (
        "Datei koeln_stadtteile.geojson: Die Grenzen liegen außerhalb des Gebiets, das für Lünen schon "
        "gespeichert ist (nur 0 % ihrer Fläche liegen darin; gespeichert: Länge 7,47–7,57, Breite "
        "51,58–51,64, Datei: Länge 6,77–7,16, Breite 50,83–51,08). Bitte prüfen, ob die Datei zu Lünen "
        "gehört und ihr Koordinatensystem stimmt."
    )
    assert digest(db_path) == before


def test_same_names_in_the_wrong_place_are_refused(luenen_db: Path, tmp_path: Path) -> None:
    first = tmp_path / "luenen.geojson"
    luenen().to_file(first)
    import_boundaries(first, luenen_db, "Lünen")
    moved = tmp_path / "verschoben.geojson"
    luenen(lon=7.40, lat=51.45).to_file(moved)  # Dortmund: right names, wrong place
    before = digest(luenen_db)
    with pytest.raises(DataImportError, match=r"nur 0 % ihrer Fläche liegen darin") as err:
        import_boundaries(moved, luenen_db, "Lünen")
    assert len(str(err.value).splitlines()) == 2
    assert digest(luenen_db) == before
    import_boundaries(first, luenen_db, "Lünen")  # the same file again is fine


# --- coordinates that do not fit ---------------------------------------------------------------------


def test_degrees_declared_as_utm_are_refused(tmp_path: Path) -> None:
    assert problems_of(luenen().set_crs(25832, allow_override=True), tmp_path / "grad_als_utm.gpkg") == [
        "Die Koordinaten in „grad_als_utm.gpkg“ sind Längen-/Breitengrade (Länge 7,47 bis 7,57, Breite "
        "51,58 bis 51,64), die Datei gibt aber ein metrisches Koordinatensystem an (ETRS89 / UTM zone 32N, "
        "EPSG:25832); so lägen die Gebiete als winzige Flächen bei 0° Länge/0° Breite. Bitte die Datei als "
        "EPSG:4326 exportieren oder die .prj-Datei bzw. crs-Angabe berichtigen."
    ]


@pytest.mark.parametrize("crs", [4326, 25832])
def test_swapped_axes_are_named(tmp_path: Path, crs: int) -> None:
    frame = luenen().to_crs(crs)
    frame.geometry = shapely.transform(frame.geometry.values, lambda xy: xy[:, ::-1])
    (problem,) = problems_of(frame, tmp_path / "vertauscht.gpkg")
    assert problem.startswith(
        "In „vertauscht.gpkg“ sind Rechts- und Hochwert (bzw. Länge und Breite) vertauscht"
    )
    assert problem.endswith("(Länge zuerst, z. B. EPSG:4326 als GeoJSON).")


def test_boundaries_outside_germany_are_refused(tmp_path: Path) -> None:
    assert problems_of(luenen(lon=2.30, lat=48.80), tmp_path / "paris.geojson") == [
        "Die Grenzen in „paris.geojson“ liegen nicht in Deutschland (Länge 2,30 bis 2,40, Breite 48,80 bis "
        "48,86). Bitte prüfen, ob das Koordinatensystem (.prj oder crs-Angabe) zur Datei passt, und sie in "
        "EPSG:4326 oder EPSG:25832 exportieren."
    ]


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path, luenen_db: Path) -> None:
    keys = [f"{i + 1:02d}" for i in range(13)]
    keys[1] = "01"
    frame = luenen(keys=keys)
    frame.loc[5, "geometry"] = None
    frame.loc[9, "geometry"] = cell(9).exterior  # a line, not an area
    path = tmp_path / "viele_fehler.geojson"
    frame.to_file(path)
    before = digest(luenen_db)
    with pytest.raises(DataImportError) as err:
        import_boundaries(path, luenen_db, "Lünen")
    lines = str(err.value).splitlines()
    assert lines[1:] == [
        "Datei viele_fehler.geojson: In „viele_fehler.geojson“ hat Objekt 6 (06, Horstmar) keine Geometrie.",
        "Datei viele_fehler.geojson: In „viele_fehler.geojson“ ist Objekt 10 (10, Niederaden) keine Fläche "
        "(LineString).",
        "Datei viele_fehler.geojson: In „viele_fehler.geojson“ kommen Schlüssel mehrfach mit verschiedenen "
        "Namen vor: „01“ (Objekte 1, 2) heißt „Alstedde“, „Beckinghausen“. Ein Schlüssel darf nur ein Gebiet "
        "bezeichnen; bitte Schlüssel oder Namen in der Datei berichtigen.",
    ]
    assert digest(luenen_db) == before
