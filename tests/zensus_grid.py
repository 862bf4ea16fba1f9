"""A small Zensus 2022 grid over the demo city Musterstadt, written as Destatis publishes the files.

Layout of the files (checked against published column lists, see tests/data/README.md): `;`-separated,
decimal comma, `GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner` (Zensus2022_Bevoelkerungszahl),
`…;AnteilAuslaender;werterlaeuternde_Zeichen` (Zensus2022_Anteil_Auslaender),
`…;Insgesamt_Bevoelkerung;Deutschland;Ausland_Sonstige` (Zensus2022_Staatsangehoerigkeit), the same with
`_1km` for the 1 km grid. Cell ids `CRS3035RES100mN…E…` name the lower left corner in EPSG:3035.

Every cell records the Stadtteil its centre lies in, decided here cell by cell with shapely
(`Polygon.contains(Point)`): the hand computation the import's spatial join is checked against. The
counts are invented (fixed seed); the boundaries are the synthetic demo city's.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from geo.boundaries import from_wkb

# Stadtteile the grid covers, and the pairs whose shared boundary gets cells on both sides
COVERED = ("011", "032", "041")
SHARED = (("011", "012"), ("032", "033"))


@dataclass
class Cell:
    x: float  # centre, EPSG:3035
    y: float
    persons: int | None  # None: secret ("–")
    foreigners: int
    district: str | None  # the Stadtteil containing the centre, None outside the city
    share_secret: str | None = None  # the text written instead of the share ("–" or "")
    near_boundary: bool = False

    def id(self, res: int = 100) -> str:
        return f"CRS3035RES{res}mN{int(self.y - res / 2)}E{int(self.x - res / 2)}"


def shapes_3035(boundaries: pd.DataFrame) -> dict[str, shapely.Geometry]:
    """district_id → polygon in EPSG:3035, from `Store.boundaries` (WKB, EPSG:4326)."""
    gdf = from_wkb(boundaries).to_crs(3035)
    return dict(zip(gdf["district_id"], gdf.geometry, strict=True))


def _containing(shapes: dict[str, shapely.Geometry], x: float, y: float) -> str | None:
    hits = [k for k, g in shapes.items() if g.contains(Point(x, y))]
    return hits[0] if len(hits) == 1 else None


def _snap(v: float, res: int = 100) -> float:
    return np.floor(v / res) * res + res / 2


def build_cells(boundaries: pd.DataFrame, seed: int = 7) -> list[Cell]:
    """Cells deep inside three Stadtteile, cells on both sides of two shared boundaries, secret cells,
    inhabited cells outside the city (near it, and 40 km away)."""
    rng = np.random.default_rng(seed)
    shapes = shapes_3035(boundaries)
    cells: list[Cell] = []
    taken: set[tuple[float, float]] = set()

    def add(x: float, y: float, near: bool = False) -> Cell | None:
        if (x, y) in taken:
            return None
        taken.add((x, y))
        persons = int(rng.integers(3, 90))
        cell = Cell(
            x,
            y,
            persons,
            int(rng.integers(0, persons // 2 + 1)),
            _containing(shapes, x, y),
            near_boundary=near,
        )
        cells.append(cell)
        return cell

    for key in COVERED:
        p = shapes[key].representative_point()
        for dx in range(-3, 4):
            for dy in range(-3, 4):
                x, y = _snap(p.x) + 100 * dx, _snap(p.y) + 100 * dy
                if shapes[key].contains(shapely.box(x - 100, y - 100, x + 100, y + 100)):
                    add(x, y)
    for a, b in SHARED:
        line = shapely.intersection(shapes[a].boundary, shapes[b].boundary)
        m = line.interpolate(0.5, normalized=True)
        for dx in range(-3, 4):
            for dy in range(-3, 4):
                x, y = _snap(m.x) + 100 * dx, _snap(m.y) + 100 * dy
                d = shapely.distance(Point(x, y), line)
                if 1.0 < d < 50.0 and _containing(shapes, x, y) in (a, b):
                    add(x, y, near=True)
    # secret values: a cell without Einwohner, cells without share (dash and empty)
    inside = [c for c in cells if c.district == COVERED[0] and not c.near_boundary]
    inside[0].persons = None
    inside[1].share_secret = "–"
    inside[2].share_secret = ""
    # outside the city: near a corner of its bounding box (outside every Stadtteil), and far away
    city = shapely.union_all(list(shapes.values()))
    x0, y0, x1, y1 = city.bounds
    for cx, cy in ((x0 + 150, y0 + 150), (x1 - 150, y1 - 150), (x0 + 150, y1 - 150)):
        x, y = _snap(cx), _snap(cy)
        if not city.intersects(Point(x, y).buffer(80)):
            add(x, y)
    add(_snap(x1 + 40_000), _snap(y1 + 40_000))
    return cells


def _num(v: float) -> str:
    return f"{v:.1f}".replace(".", ",")


def write_files(cells: list[Cell], folder, res: int = 100) -> dict[str, object]:
    """The Destatis files of `cells`: Bevölkerungszahl, Anteil Ausländer, Staatsangehörigkeit."""
    tag = f"{res}m" if res < 1000 else f"{res // 1000}km"
    head = f"GITTER_ID_{tag};x_mp_{tag};y_mp_{tag}"

    def lead(c: Cell) -> str:
        return f"{c.id(res)};{int(c.x)};{int(c.y)}"

    people = [head + ";Einwohner"] + [f"{lead(c)};{'–' if c.persons is None else c.persons}" for c in cells]
    share = [head + ";AnteilAuslaender;werterlaeuternde_Zeichen"]
    for c in cells:
        if c.share_secret is not None:
            share.append(f"{lead(c)};{c.share_secret};")
        elif c.persons:
            note = "KLAMMERN" if c.persons < 5 else ""
            share.append(f"{lead(c)};{_num(100 * c.foreigners / c.persons)};{note}")
    nations = [head + ";Insgesamt_Bevoelkerung;Deutschland;Ausland_Sonstige"]
    for c in cells:
        if c.persons is not None:
            nations.append(f"{lead(c)};{c.persons};{c.persons - c.foreigners};{c.foreigners}")
    out = {}
    for name, lines in (
        (f"Zensus2022_Bevoelkerungszahl_{tag}-Gitter.csv", people),
        (f"Zensus2022_Anteil_Auslaender_{tag}-Gitter.csv", share),
        (f"Zensus2022_Staatsangehoerigkeit_{tag}-Gitter.csv", nations),
    ):
        path = folder / name
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        out[name.split("_")[1]] = path
    return out


def cells_1km(boundaries: pd.DataFrame, seed: int = 11) -> list[Cell]:
    """1 km cells whose centre lies in a Stadtteil (one per Stadtteil where the centre falls inside)."""
    rng = np.random.default_rng(seed)
    shapes = shapes_3035(boundaries)
    city = gpd.GeoSeries(list(shapes.values()), crs=3035).union_all()
    x0, y0, x1, y1 = city.bounds
    cells = []
    for x in np.arange(np.floor(x0 / 1000) * 1000 + 500, x1, 1000):
        for y in np.arange(np.floor(y0 / 1000) * 1000 + 500, y1, 1000):
            persons = int(rng.integers(50, 2000))
            cells.append(Cell(float(x), float(y), persons, int(persons * 0.1), _containing(shapes, x, y)))
    return cells
