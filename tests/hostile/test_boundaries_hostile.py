"""Hostile and broken boundary files: refused with a German message naming the file, before anything is
unpacked, and the database stays as it was."""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from data.boundaries import import_boundaries
from data.errors import DataImportError
from tests.test_cli import run
from tests.test_geo_real_files import digest, luenen, luenen_db  # noqa: F401 (fixture)

ENGLISH = re.compile(r"GDAL|Unable|not recognized|SHAPE_RESTORE|vsizip|vsimem|Traceback|Error", re.I)
MB = 1024**2


def shapefile_parts(folder: Path) -> dict[str, bytes]:
    """The parts of a valid Lünen Shapefile: name → content."""
    folder.mkdir(exist_ok=True)
    luenen().to_file(folder / "stadtteile.shp", encoding="utf-8")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def archive(path: Path, extra: Callable[[zipfile.ZipFile], None] = lambda z: None, skip: str = "") -> Path:
    """A ZIP with the valid Shapefile (without the part ending in ``skip``), then whatever ``extra`` adds."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in shapefile_parts(path.parent / "teile").items():
            if not (skip and name.endswith(skip)):
                zf.writestr(name, content)
        extra(zf)
    return path


def zeros(name: str, size: int) -> Callable[[zipfile.ZipFile], None]:
    def add(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as entry:
            block = bytes(MB)
            for _ in range(size // MB):
                entry.write(block)

    return add


def entries(*names: str) -> Callable[[zipfile.ZipFile], None]:
    def add(zf: zipfile.ZipFile) -> None:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), b"x")

    return add


def symlink(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("stadtteile.prj.link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(info, "/etc/passwd")


def encrypted(tmp: Path) -> Path:
    """A ZIP whose .dbf entry carries the 'encrypted' flag (in both headers)."""
    path = archive(tmp / "verschluesselt.zip")
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        starts = [m.start() for m in re.finditer(re.escape(signature), bytes(data))]
        for start in starts:
            name_at = start + (30 if offset == 6 else 46)
            if bytes(data[name_at : name_at + 14]) == b"stadtteile.dbf":
                data[start + offset] |= 0x01
    path.write_bytes(bytes(data))
    return path


def truncated_shp(tmp: Path) -> Path:
    parts = shapefile_parts(tmp / "teile")
    parts["stadtteile.shp"] = parts["stadtteile.shp"][:120]  # header intact, polygons cut off
    with zipfile.ZipFile(tmp / "abgeschnitten.zip", "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return tmp / "abgeschnitten.zip"


def loose_shapefile_without_shx(tmp: Path) -> Path:
    for name, content in shapefile_parts(tmp / "lose").items():
        if not name.endswith(".shx"):
            (tmp / name).write_bytes(content)
    return tmp / "stadtteile.shp"


def written(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(content)
        return tmp / name

    return make


def sparse_geojson(tmp: Path) -> Path:
    path = tmp / "riesig.geojson"
    with path.open("wb") as handle:
        handle.write(b'{"type": "FeatureCollection", "features": [')
        handle.truncate(201 * MB)
    return path


CASES = {
    "path traversal": (
        lambda t: archive(t / "ausbruch.zip", entries("../../ausbruch.txt")),
        ["„ausbruch.zip“ enthält den Eintrag „../../ausbruch.txt“, der aus dem Archiv heraus zeigt"],
    ),
    "absolute path": (
        lambda t: archive(t / "absolut.zip", entries("/tmp/stadtteile.shp", "C:/gis/stadtteile.dbf")),
        ["den Eintrag „/tmp/stadtteile.shp“, der aus", "den Eintrag „C:/gis/stadtteile.dbf“, der aus"],
    ),
    "backslash traversal": (
        lambda t: archive(t / "windows.zip", entries("..\\..\\stadtteile.shp")),
        ["den Eintrag „..\\..\\stadtteile.shp“, der aus dem Archiv heraus zeigt"],
    ),
    "zip bomb by ratio": (
        lambda t: archive(t / "bombe.zip", zeros("bombe.dbf", 20 * MB)),
        ["Der Eintrag „bombe.dbf“ in „bombe.zip“ ist", "-fach gepackt (ZIP-Bombe?)"],
    ),
    "too large unpacked": (
        lambda t: archive(t / "gross.zip", zeros("gross.dbf", 201 * MB)),
        ["„gross.zip“ wäre entpackt 201 MB groß; erlaubt sind höchstens 200 MB.", "ZIP-Bombe?"],
    ),
    "too many entries": (
        lambda t: archive(t / "viele.zip", entries(*(f"leer/{i}.txt" for i in range(1001)))),
        [
            "„viele.zip“ enthält 1006 Einträge; ein Shapefile braucht nur wenige (erlaubt sind höchstens 1000)."
        ],
    ),
    "symbolic link": (
        lambda t: archive(t / "link.zip", symlink),
        ["„link.zip“ enthält die Verknüpfung „stadtteile.prj.link“; das ist nicht erlaubt."],
    ),
    "encrypted entry": (
        encrypted,
        ["Der Eintrag „stadtteile.dbf“ in „verschluesselt.zip“ ist verschlüsselt"],
    ),
    "zip without .shx": (
        lambda t: archive(t / "ohne_index.zip", skip=".shx"),
        ["Zum Shapefile „stadtteile.shp“ in „ohne_index.zip“ fehlt .shx."],
    ),
    "shapefile without .shx": (
        loose_shapefile_without_shx,
        ["Datei stadtteile.shp: Zum Shapefile „stadtteile.shp“ fehlt .shx."],
    ),
    "truncated .shp": (
        truncated_shp,
        [
            "In „abgeschnitten.zip“ hat kein Objekt eine Geometrie; die Datei ist beschädigt oder enthält nur Sachdaten."
        ],
    ),
    "broken zip": (
        written("kaputt.zip", b"PK\x03\x04" + bytes(200)),
        ["„kaputt.zip“ ist kein gültiges ZIP-Archiv oder ist beschädigt."],
    ),
    "text as geopackage": (
        written("grenzen.gpkg", "Stadtteil;Fläche\nNord;1\n".encode()),
        ["Die Datei „grenzen.gpkg“ ist keine GeoPackage-Datei, auch wenn ihr Name so endet."],
    ),
    "pdf as geojson": (
        written("grenzen.geojson", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        ["Die Datei „grenzen.geojson“ ist keine GeoJSON-Datei, auch wenn ihr Name so endet."],
    ),
    "json that is no geojson": (
        written("daten.json", '{"Stadtteile": ["Nord", "Süd"]}'.encode()),
        ["Die Datei „daten.json“ konnte nicht als Geodatei gelesen werden"],
    ),
    "xml vrt as geojson": (
        written("umweg.geojson", b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'),
        ["Die Datei „umweg.geojson“ ist keine GeoJSON-Datei"],
    ),
    "too large file": (
        sparse_geojson,
        ["„riesig.geojson“ ist 201 MB groß; Grenzdateien dürfen höchstens 200 MB groß sein."],
    ),
    "empty file": (written("leer.gpkg", b""), ["Die Datei „leer.gpkg“ ist leer."]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_and_nothing_changes(case: str, tmp_path: Path, luenen_db: Path) -> None:  # noqa: F811
    make, expected = CASES[case]
    source = tmp_path / "eingang"
    source.mkdir()
    path = make(source)
    before, files = digest(luenen_db), sorted(tmp_path.rglob("*"))
    with pytest.raises(DataImportError) as err:
        import_boundaries(path, luenen_db, "Lünen")
    message = str(err.value)
    assert message.startswith(f"Die Datei {path.name} wurde nicht importiert; es wurde nichts geändert.\n")
    for text in expected:
        assert text in message
    assert not ENGLISH.search(message), message
    assert digest(luenen_db) == before
    assert sorted(tmp_path.rglob("*")) == files  # nothing unpacked, nothing written beside it
    assert not (tmp_path.parent / "ausbruch.txt").exists()


def test_every_problem_of_an_archive_is_listed_at_once(tmp_path: Path) -> None:
    from geo import BoundaryError, read_boundaries

    path = archive(tmp_path / "alles.zip", lambda z: (entries("../x.shp")(z), zeros("x.dbf", 2 * MB)(z)))
    with pytest.raises(BoundaryError) as err:
        read_boundaries(path)
    assert len(err.value.problems) == 2
    assert "„../x.shp“" in err.value.problems[0] and "„x.dbf“" in err.value.problems[1]


def test_cli_hostile_file_gives_german_message_and_exit_code(tmp_path: Path, luenen_db: Path) -> None:  # noqa: F811
    path = loose_shapefile_without_shx(tmp_path)
    before = digest(luenen_db)
    done = run("data", "import", "boundaries", str(path), "--municipality", "Lünen", db=luenen_db)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "Die Datei stadtteile.shp wurde nicht importiert; es wurde nichts geändert.",
        "Datei stadtteile.shp: Zum Shapefile „stadtteile.shp“ fehlt .shx. Ein Shapefile "
        "besteht aus mehreren Dateien (.shp, .shx, .dbf, .prj); bitte alle zusammen liefern, am besten als ZIP.",
    ]
    assert digest(luenen_db) == before
