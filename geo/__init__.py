"""Pure geopandas helpers: read, repair, simplify and match district boundaries (EPSG:4326)."""

from geo.boundaries import (
    BoundaryError,
    BoundaryFile,
    MatchResult,
    bounds_of,
    from_wkb,
    match_districts,
    normalise_key,
    normalise_name,
    orient_for_plotly,
    read_boundaries,
    read_boundary_file,
    simplify_boundaries,
    to_wkb,
)

__all__ = [
    "BoundaryError",
    "BoundaryFile",
    "MatchResult",
    "bounds_of",
    "from_wkb",
    "match_districts",
    "normalise_key",
    "normalise_name",
    "orient_for_plotly",
    "read_boundaries",
    "read_boundary_file",
    "simplify_boundaries",
    "to_wkb",
]
