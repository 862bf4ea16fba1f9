"""Pure geopandas helpers: read, repair, simplify and match district boundaries (EPSG:4326)."""

from geo.boundaries import (
    BoundaryError,
    MatchResult,
    bounds_of,
    from_wkb,
    match_districts,
    normalise_key,
    normalise_name,
    orient_for_plotly,
    read_boundaries,
    simplify_boundaries,
    to_wkb,
)

__all__ = [
    "BoundaryError",
    "MatchResult",
    "bounds_of",
    "from_wkb",
    "match_districts",
    "normalise_key",
    "normalise_name",
    "orient_for_plotly",
    "read_boundaries",
    "simplify_boundaries",
    "to_wkb",
]
