"""Integration indicators per Stadtteil: pure pandas, counts in, indicators out.

No streamlit, no duckdb. Functions never mutate their input; zero or missing denominators give NaN.
The catalogue (`indicators.catalogue.CATALOGUE`) describes every indicator column once.
"""

from indicators.catalogue import CATALOGUE, Indicator, get, map_indicators
from indicators.nationalities import age_pyramid, largest_nationalities, minors_from_detail
from indicators.segregation import dissimilarity_by_date, dissimilarity_index
from indicators.shares import changes, municipality_series, municipality_totals, shares

__all__ = [
    "CATALOGUE",
    "Indicator",
    "age_pyramid",
    "changes",
    "dissimilarity_by_date",
    "dissimilarity_index",
    "get",
    "largest_nationalities",
    "map_indicators",
    "minors_from_detail",
    "municipality_series",
    "municipality_totals",
    "shares",
]
