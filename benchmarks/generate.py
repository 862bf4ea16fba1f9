"""A large synthetic municipality for the benchmarks, generated with numpy straight into DuckDB.

"Benchstadt" is the size of Berlin: by default 550 Planungsräume (Stadtteile) in 12 Stadtbezirke,
40 half-yearly Stichtage (30.06. and 31.12.) and detail counts by 190 nationalities × 20 age groups ×
2 sexes × migration status. Like real register data the detail is sparse: Germans fill nearly every
age/sex cell of every district, the ~190 foreign nationalities only a few — about 1,100 of the 15,200
possible cells per district and Stichtag, some 24 million rows in all.

Everything here is invented. The output is deterministic for a seed. Generation is vectorised per
Stichtag (one chunk of ~600,000 rows each); the chunks go into the database through the app's own
write path (`data.store.writing` + `Writer.insert`), and the `population` totals are derived from the
detail by one SQL aggregation — the same way a detail import fills them. Boundaries are a wobbled
Voronoi tessellation, simplified with `geo.boundaries.simplify_boundaries` as the boundary importer
does, so the map benchmark draws real-looking geometry.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.demo import GERMANY, NATIONALITIES
from data.store import Writer, writing
from geo.boundaries import simplify_boundaries, to_wkb

MUNICIPALITY = "Benchstadt"
AGS = "11999999"  # "11" is Berlin's Land key; "999999" is no real municipality
SOURCE = "Synthetische Benchmarkdaten (Integrationsmonitor), keine realen Personen"
DEFAULT_SEED = 7
METRIC_CRS = "EPSG:25833"  # ETRS89 / UTM 33N, where Berlin lies
CENTRE = (391_000.0, 5_820_000.0)  # about lon 13.40, lat 52.52
HALF_AXES = (21_000.0, 17_000.0)  # a city of about 42 × 34 km (Berlin: 45 × 38 km, 891 km²)

#: 20 age groups, split at 18 so that minors can be summed from them
AGE_GROUPS = (
    "0-2", "3-5", "6-9", "10-14", "15-17", "18-24", "25-29", "30-34", "35-39", "40-44",
    "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
)  # fmt: skip
MINOR_AGE_GROUPS = AGE_GROUPS[:5]
AGE_WIDTHS = np.array([3, 3, 4, 5, 3, 7, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 10], dtype=float)
SEXES = ("m", "w")
STATUSES = ("mit", "ohne")
PREFIXES = (
    "Alt", "Neu", "Ober", "Unter", "Nieder", "Groß", "Klein", "Süd", "Nord", "West", "Ost", "Schön",
    "Lichten", "Grün", "Wald", "Birken", "Linden", "Mühlen", "Rosen", "Eichen", "Buchen", "Tannen",
    "Heide", "Wiesen", "Fischer", "Schloss", "Kirch", "Marien", "Johannis", "Friedrichs",
)  # fmt: skip
SUFFIXES = (
    "dorf", "feld", "au", "hagen", "heide", "berg", "see", "garten", "hof", "weide", "brück", "thal",
    "kamp", "grund", "viertel", "horst", "wiese", "park", "hain", "winkel",
)  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    """How big the municipality is. The defaults are the issue's full size."""

    districts: int = 550
    stichtage: int = 40
    nationalities: int = 190  # including Deutschland
    bezirke: int = 12
    mean_residents: float = 7_000.0  # Berlin: 3.9 million / 542 Planungsräume

    @property
    def cells(self) -> int:
        """Possible detail cells per district and Stichtag."""
        return self.nationalities * len(AGE_GROUPS) * len(SEXES) * len(STATUSES)


FULL = Sizes()
QUICK = Sizes(districts=60, stichtage=4, nationalities=20, bezirke=4)


@dataclass
class Generated:
    """What `generate` wrote and how long each step took (seconds)."""

    path: Path
    sizes: Sizes
    detail_rows: int = 0
    population_rows: int = 0
    persons_last: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def reference_dates(n: int) -> list[pd.Timestamp]:
    """n half-yearly Stichtage ending 31.12.2024: …, 30.06.2024, 31.12.2024."""
    ends = pd.date_range(end="2024-12-31", periods=n, freq="6ME")
    return [pd.Timestamp(d) for d in ends]


def nationality_names(n: int) -> list[str]:
    """Deutschland first, then the demo's nationalities, then numbered ones ("Staat 029")."""
    names = [GERMANY, *(nat[0] for nat in NATIONALITIES)]
    names += [f"Staat {i:03d}" for i in range(len(names), n)]
    return names[:n]


def district_names(n: int, rng: np.random.Generator) -> list[str]:
    """n unique German-looking names ("Lindenfeld"); beyond 600 numbered variants ("Lindenfeld 2")."""
    base = [str(name) for name in rng.permutation([p + s for p in PREFIXES for s in SUFFIXES])]
    return [base[i % len(base)] + ("" if i < len(base) else f" {i // len(base) + 1}") for i in range(n)]


# --- Boundaries ---------------------------------------------------------------------------------------


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    angles = np.linspace(0.0, 2 * np.pi, 160, endpoint=False)
    radius = 1.0 + sum(amp * np.sin(k * angles + rng.uniform(0, 2 * np.pi))
                       for k, amp in ((2, 0.06), (3, 0.05), (5, 0.03), (7, 0.02), (13, 0.01)))  # fmt: skip
    return shapely.Polygon(np.column_stack([CENTRE[0] + HALF_AXES[0] * radius * np.cos(angles),
                                            CENTRE[1] + HALF_AXES[1] * radius * np.sin(angles)]))  # fmt: skip


def _wobble(geometries: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bend the straight Voronoi edges with one smooth field, so neighbours keep identical edges."""
    phase = rng.uniform(0, 2 * np.pi, 4)

    def shift(xy: np.ndarray) -> np.ndarray:
        u, v = (xy[:, 0] - CENTRE[0]) / 800, (xy[:, 1] - CENTRE[1]) / 800
        dx = 60 * np.sin(1.3 * v + phase[0]) + 40 * np.sin(0.9 * u + 2.1 * v + phase[1])
        dy = 60 * np.sin(1.1 * u + phase[2]) + 40 * np.sin(0.8 * v - 1.7 * u + phase[3])
        dx += 12 * np.sin(9 * v + 4 * u + phase[2])  # small bends, like streets and canals
        dy += 12 * np.sin(8 * u - 3 * v + phase[0])
        return xy + np.column_stack([dx, dy])

    return shapely.transform(shapely.segmentize(geometries, 40.0), shift)


def districts_frame(sizes: Sizes, rng: np.random.Generator) -> pd.DataFrame:
    """Stadtbezirke and Stadtteile with WKB geometry (EPSG:4326), simplified as the importer does."""
    outline = _outline(rng)
    lo, hi = np.array(CENTRE) - HALF_AXES, np.array(CENTRE) + HALF_AXES
    points = np.empty((0, 2))
    while len(points) < sizes.districts:  # uniform inside the outline ...
        candidates = rng.uniform(lo, hi, (sizes.districts * 2, 2))
        inside = shapely.contains_xy(outline, candidates[:, 0], candidates[:, 1])
        points = np.vstack([points, candidates[inside]])
    points = points[: sizes.districts]
    for _ in range(3):  # ... then Lloyd steps, so the cells are of similar size like real districts
        cells = _cells(points, outline)
        centroids = shapely.centroid(cells)
        points = np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])
    cells = shapely.set_precision(_wobble(_cells(points, outline), rng), 0.01)
    cells = shapely.make_valid(cells)
    # Stadtbezirke: the nearest of a few seeds, ordered west → east for readable keys
    seeds = points[rng.choice(len(points), sizes.bezirke, replace=False)]
    seeds = seeds[np.argsort(seeds[:, 0])]
    bezirk = np.argmin(((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2), axis=1)
    order = np.lexsort((points[:, 1], bezirk))
    cells, bezirk = cells[order], bezirk[order]
    names = district_names(sizes.districts, rng)
    within = np.zeros(len(cells), dtype=int)
    for b in range(sizes.bezirke):
        within[bezirk == b] = np.arange((bezirk == b).sum()) + 1
    ids = [f"{b + 1:02d}{i:06d}" for b, i in zip(bezirk, within, strict=True)]
    stadtteile = gpd.GeoDataFrame(
        {
            "district_id": ids,
            "name": names,
            "level": "Stadtteil",
            "parent_id": [f"{b + 1:02d}" for b in bezirk],
        },
        geometry=gpd.GeoSeries(cells, crs=METRIC_CRS),
    )
    bezirke = gpd.GeoDataFrame(
        {
            "district_id": [f"{b + 1:02d}" for b in range(sizes.bezirke)],
            "name": [f"Bezirk {b + 1}" for b in range(sizes.bezirke)],
            "level": "Stadtbezirk",
            "parent_id": None,
        },
        geometry=gpd.GeoSeries(
            [shapely.coverage_union_all(cells[bezirk == b]) for b in range(sizes.bezirke)], crs=METRIC_CRS
        ),
    )
    frames = []
    for gdf in (bezirke, stadtteile):  # each level is a coverage of its own, simplified like an import
        area = gdf.geometry.area.to_numpy() / 1e6
        simple = simplify_boundaries(gdf.to_crs(4326))
        frames.append(
            pd.DataFrame(gdf.drop(columns="geometry")).assign(
                geometry=to_wkb(simple), area_km2=np.round(area, 3)
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(municipality=MUNICIPALITY)[
        ["municipality", "district_id", "name", "level", "parent_id", "geometry", "area_km2"]
    ]


def _cells(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=outline, ordered=True)
    return shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)


# --- Detail counts -----------------------------------------------------------------------------------


def _lognormal(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.lognormal(-(sigma**2) / 2, sigma, shape)


@dataclass
class _Model:
    """The expected counts that stay fixed over time; each Stichtag scales them and draws persons."""

    residents: np.ndarray  # (district,) at the first Stichtag
    growth: np.ndarray  # (district,) per half year
    foreign_share: np.ndarray  # (district,) at the first Stichtag
    nationality_mix: np.ndarray  # (district, foreign nationality), rows sum to 1
    german_ages: np.ndarray  # (district, age, sex), sums to 1 per district
    foreign_ages: np.ndarray  # (nationality, age, sex), sums to 1 per nationality
    german_mh: np.ndarray  # (district, age) share of Germans with migration background


def _model(sizes: Sizes, rng: np.random.Generator) -> _Model:
    d, n_foreign, a = sizes.districts, sizes.nationalities - 1, len(AGE_GROUPS)
    residents = sizes.mean_residents * _lognormal(rng, 0.45, (d,))
    foreign_share = np.clip(rng.beta(2.0, 8.0, d) * 1.3, 0.02, 0.6)  # Berlin: 4 % … 55 %
    popularity = 1.0 / np.arange(1, n_foreign + 1) ** 1.1  # a few large groups, a long tail
    mix = popularity[None, :] * _lognormal(rng, 0.9, (d, n_foreign)) * (1 + 2 * foreign_share[:, None])
    mix /= mix.sum(axis=1, keepdims=True)
    german = np.interp(np.arange(a), [0, 5, 9, 13, 16, 19], [1.0, 0.9, 1.3, 1.5, 1.1, 0.25]) * AGE_WIDTHS
    german = german[None, :] * _lognormal(rng, 0.15, (d, a))
    male = np.interp(np.arange(a), [0, 10, 15, 19], [0.51, 0.50, 0.47, 0.32])
    german_ages = german[:, :, None] * np.stack([male, 1 - male], axis=-1)[None]
    german_ages /= german_ages.sum(axis=(1, 2), keepdims=True)
    young = np.interp(np.arange(a), [0, 5, 8, 12, 16, 19], [1.1, 1.0, 1.8, 1.2, 0.4, 0.1]) * AGE_WIDTHS
    foreign = young[None, :] * _lognormal(rng, 0.4, (n_foreign, a))
    male_f = np.clip(rng.normal(0.53, 0.06, (n_foreign, 1)), 0.3, 0.75) * np.ones((1, a))
    foreign_ages = foreign[:, :, None] * np.stack([male_f, 1 - male_f], axis=-1)
    foreign_ages /= foreign_ages.sum(axis=(1, 2), keepdims=True)
    german_mh = np.clip(np.interp(np.arange(a), [0, 5, 10, 19], [0.4, 0.3, 0.15, 0.05])[None, :]
                        * (0.5 + 2.5 * foreign_share[:, None]), 0, 0.8)  # fmt: skip
    return _Model(
        residents, rng.normal(0.002, 0.004, d), foreign_share, mix, german_ages, foreign_ages, german_mh
    )


def detail_chunks(sizes: Sizes, seed: int = DEFAULT_SEED) -> Iterator[pd.DataFrame]:
    """One frame per Stichtag in population_detail's columns; strings as categoricals (cheap to build)."""
    rng = np.random.default_rng(seed)
    model = _model(sizes, rng)
    keys = _district_ids(sizes, seed)
    categories = {
        "district_id": keys,
        "nationality": nationality_names(sizes.nationalities),
        "age_group": list(AGE_GROUPS),
        "sex": list(SEXES),
        "migration_status": list(STATUSES),
    }
    dims = (sizes.districts, sizes.nationalities, len(AGE_GROUPS), len(SEXES), len(STATUSES))
    for t, when in enumerate(reference_dates(sizes.stichtage)):
        residents = model.residents * (1 + model.growth) ** t
        share = np.clip(model.foreign_share * (1 + 0.012 * t), 0, 0.7)  # foreigners grow faster
        expected = np.zeros(dims[:4], dtype=np.float64)  # (district, nationality, age, sex)
        expected[:, 0] = (residents * (1 - share))[:, None, None] * model.german_ages
        foreign = (residents * share)[:, None] * model.nationality_mix  # (district, nationality)
        expected[:, 1:] = foreign[:, :, None, None] * model.foreign_ages[None]
        persons = rng.poisson(expected)
        with_mh = np.zeros_like(persons)
        with_mh[:, 0] = rng.binomial(persons[:, 0], model.german_mh[:, :, None])
        with_mh[:, 1:] = persons[:, 1:]  # foreigners always have a migration background
        counts = np.stack([with_mh, persons - with_mh], axis=-1)
        flat = counts.reshape(-1)
        index = np.flatnonzero(flat)
        codes = np.unravel_index(index, dims)
        n = len(index)
        frame = {
            "municipality": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [MUNICIPALITY]),
            "reference_date": np.full(n, when.to_datetime64().astype("datetime64[ns]")),
        }
        for (column, labels), code in zip(categories.items(), codes, strict=True):
            frame[column] = pd.Categorical.from_codes(code.astype(np.int16), labels)
        frame["persons"] = flat[index].astype(np.int64)
        yield pd.DataFrame(frame)


def _district_ids(sizes: Sizes, seed: int) -> list[str]:
    """The Stadtteil keys in the order of the model's districts (same as in `districts_frame`)."""
    return _geometry(sizes, seed).query("level == 'Stadtteil'")["district_id"].tolist()


_GEOMETRY_CACHE: dict[tuple[Sizes, int], pd.DataFrame] = {}


def _geometry(sizes: Sizes, seed: int) -> pd.DataFrame:
    key = (sizes, seed)
    if key not in _GEOMETRY_CACHE:
        _GEOMETRY_CACHE[key] = districts_frame(sizes, np.random.default_rng([seed, 1]))
    return _GEOMETRY_CACHE[key]


# --- Into the database -------------------------------------------------------------------------------

TOTALS_SQL = f"""
INSERT INTO population (municipality, reference_date, district_id, population, foreigners,
                        migration_background, minors, minors_migration_background, import_id)
SELECT municipality, reference_date, district_id,
       sum(persons),
       coalesce(sum(persons) FILTER (WHERE nationality <> ?), 0),
       coalesce(sum(persons) FILTER (WHERE migration_status = 'mit'), 0),
       coalesce(sum(persons) FILTER (WHERE age_group IN ({", ".join("?" * len(MINOR_AGE_GROUPS))})), 0),
       coalesce(sum(persons) FILTER (WHERE age_group IN ({", ".join("?" * len(MINOR_AGE_GROUPS))})
                                     AND migration_status = 'mit'), 0),
       ?
FROM population_detail WHERE municipality = ? AND import_id = ?
GROUP BY ALL
"""


def write_chunks(w: Writer, chunks: Iterator[pd.DataFrame] | list[pd.DataFrame], import_id: int) -> int:
    """Insert the detail chunks, then derive the totals per Stichtag and district by SQL."""
    rows = 0
    for chunk in chunks:
        rows += w.insert("population_detail", chunk, import_id)
    w.execute(TOTALS_SQL, [GERMANY, *MINOR_AGE_GROUPS, *MINOR_AGE_GROUPS, import_id, MUNICIPALITY, import_id])
    return rows


def install(path: str | Path, sizes: Sizes, chunks: Iterator[pd.DataFrame] | list[pd.DataFrame],
            seed: int = DEFAULT_SEED) -> Generated:  # fmt: skip
    """One all-or-nothing write of Benchstadt (districts, detail, totals) into the database at `path`."""
    path = Path(path)
    result = Generated(path, sizes)
    districts = _geometry(sizes, seed)
    with writing(path) as w:
        import_id = w.start_import(
            "benchmark", MUNICIPALITY, f"python -m benchmarks (seed {seed})", None, None
        )
        for table in ("population_detail", "population", "districts"):
            w.execute(f"DELETE FROM {table} WHERE municipality = ?", [MUNICIPALITY])
        w.ensure_municipality(MUNICIPALITY, AGS, synthetic=True, source=SOURCE)
        w.execute("UPDATE municipalities SET synthetic = TRUE WHERE name = ?", [MUNICIPALITY])
        w.insert("districts", districts)
        started = time.perf_counter()
        result.detail_rows = write_chunks(w, chunks, import_id)
        result.seconds["insert"] = time.perf_counter() - started
        result.population_rows = int(
            w.fetch("SELECT count(*) AS n FROM population WHERE import_id = ?", [import_id])["n"].iloc[0]
        )
        w.finish_import(import_id, result.detail_rows, "")
    return result


def generate(path: str | Path, sizes: Sizes = FULL, seed: int = DEFAULT_SEED) -> Generated:
    """Build Benchstadt into the database at `path` (created or replaced), streaming chunk by chunk."""
    started = time.perf_counter()
    _geometry(sizes, seed)
    geometry_s = time.perf_counter() - started
    started = time.perf_counter()
    result = install(path, sizes, detail_chunks(sizes, seed), seed)
    result.seconds["geometry"] = geometry_s
    result.seconds["total"] = time.perf_counter() - started + geometry_s
    return result
