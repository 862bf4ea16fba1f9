"""German number and date formatting for the UI."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from charts.formatting import (
    MINUS,
    MISSING,
    PLOTLY_SEPARATORS,
    fmt_date,
    fmt_indicator,
    fmt_int,
    fmt_number,
    fmt_pct,
    fmt_pp,
    fmt_value,
)

MISSING_VALUES = [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float64("nan"), float("inf")]


def test_published_figures():
    assert fmt_int(87815) == "87.815"
    assert fmt_int(13259) == "13.259"
    assert fmt_pct(15.0987, 1) == "15,1 %"
    assert fmt_pct(13259 / 87815 * 100) == "15,1 %"
    assert fmt_pct(30179 / 87815 * 100) == "34,4 %"
    assert fmt_pp(0.4) == "+0,4 Pp."
    assert fmt_date(dt.date(2020, 12, 31)) == "31.12.2020"


def test_negative_numbers_use_the_unicode_minus():
    assert MINUS == "\u2212"
    assert fmt_pp(-0.4) == "−0,4 Pp."
    assert fmt_int(-1234) == "−1.234"
    assert fmt_number(-2.5, 1) == "−2,5"


def test_zero_points_are_plus_minus_and_never_negative_zero():
    assert fmt_pp(0) == "±0,0 Pp."
    assert fmt_pp(-0.04) == "±0,0 Pp."
    assert fmt_pp(0.04) == "±0,0 Pp."
    assert fmt_number(-0.04, 1) == "0,0"
    assert fmt_int(-0.4) == "0"


def test_commercial_rounding_on_the_written_number():
    assert fmt_pct(0.25) == "0,3 %"
    assert fmt_pct(2.35) == "2,4 %"  # the float 2.35 is 2.34999…; a reader rounds up
    assert fmt_int(2.5) == "3"
    assert fmt_pp(-0.25) == "−0,3 Pp."


def test_number_decimals_and_thousands():
    assert fmt_number(1234567.891, 2) == "1.234.567,89"
    assert fmt_number(1.5, 0) == "2"
    assert fmt_number(7, 1) == "7,0"
    assert fmt_number(np.int64(87815), 0) == "87.815"
    assert fmt_int(pd.array([87815], dtype="Int64")[0]) == "87.815"


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_missing_is_an_en_dash(value):
    assert MISSING == "–"
    for formatter in (fmt_int, fmt_pct, fmt_pp, fmt_number, fmt_date):
        assert formatter(value) == "–"
    assert fmt_value(value, "%") == "–"


def test_dates():
    assert fmt_date(pd.Timestamp("2020-12-31")) == "31.12.2020"
    assert fmt_date(dt.datetime(2021, 3, 1, 12, 30)) == "01.03.2021"
    assert fmt_date(np.datetime64("2019-12-31")) == "31.12.2019"
    assert fmt_date("2022-06-30") == "30.06.2022"


def test_value_by_catalogue_unit():
    assert fmt_value(87815, "Personen") == "87.815"
    assert fmt_value(15.0987, "%") == "15,1 %"
    assert fmt_value(-0.4, "Pp.") == "−0,4 Pp."
    assert fmt_value(24.7986, "Index", 1) == "24,8"
    assert fmt_value(3, "Rang") == "3"
    assert fmt_value(4.5, "Plätze", 1) == "4,5 Plätze"


def test_value_by_indicator_key():
    assert fmt_indicator(22.55 / 15.10, "foreigner_share_lq") == "1,49"
    assert fmt_indicator(4344 / 19265 * 100, "foreigner_share_pct") == "22,5 %"
    assert fmt_indicator(12, "foreigners_change") == "+12"
    assert fmt_indicator(0.99, "foreigner_share_change_pp") == "+1,0 Pp."
    assert fmt_indicator(24.7986, "dissimilarity") == "24,8"


def test_plotly_separators():
    assert PLOTLY_SEPARATORS == ",."


def test_non_numbers_are_rejected():
    with pytest.raises(TypeError):
        fmt_int("87815")


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_fmt_int_round_trips(n):
    text = fmt_int(n)
    assert int(text.replace(".", "").replace(MINUS, "-")) == n
    groups = text.lstrip(MINUS).split(".")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_fmt_pct_reads_back_close(x):
    text = fmt_pct(x, 1)
    assert text.endswith(" %")
    number = float(text.removesuffix(" %").replace(".", "").replace(",", ".").replace(MINUS, "-"))
    assert math.isclose(number, x, abs_tol=0.05 + 1e-9 * abs(x))


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_fmt_pp_always_signed(x):
    assert fmt_pp(x)[0] in "+−±"
