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


# --- the same strings as babel ------------------------------------------------------------------------
# charts.formatting writes numbers and dates with Python's own formatting; until issue 17 it called
# babel for each value. The babel path is kept here as the reference the fast path must equal.


def _babel_number(value, decimals: int, signed: bool = False) -> str:
    """The former `fmt_number`: half-up rounding in a local decimal context, then babel's de_DE pattern."""
    from decimal import ROUND_HALF_UP, Decimal, localcontext

    from babel.numbers import format_decimal

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    number = Decimal(int(value)) if isinstance(value, int | np.integer) else Decimal(repr(float(value)))
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP
        context.prec = max(28, len(number.as_tuple().digits) + decimals + 2)
        rounded = number.quantize(Decimal(1).scaleb(-decimals))
    number = abs(rounded) if rounded == 0 else rounded
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(abs(number), format=pattern, locale="de_DE", decimal_quantization=True)
    if number < 0:
        return MINUS + text
    if signed:
        return ("±" if number == 0 else "+") + text
    return text


NUMBERS = (
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False).map(float)  # x,xx5 ties
)


@given(NUMBERS, st.integers(min_value=0, max_value=4), st.booleans())
def test_numbers_equal_babel(value, decimals, signed):
    assert fmt_number(value, decimals, signed=signed) == _babel_number(value, decimals, signed)


@given(NUMBERS)
def test_every_value_kind_equals_babel(value):
    """Counts, percentages, percentage points and index numbers, as the figures and tables use them."""
    assert fmt_int(value) == _babel_number(value, 0)
    assert fmt_int(value, signed=True) == _babel_number(value, 0, signed=True)
    assert fmt_pct(value) == _babel_number(value, 1) + " %"
    assert fmt_pp(value) == _babel_number(value, 1, signed=True) + " Pp."
    assert fmt_value(value, "Index") == _babel_number(value, 2)
    assert fmt_indicator(value, "foreigner_share_lq") == _babel_number(value, 2)
    for numpy_value in (np.float64(value), np.int64(int(value))):
        assert fmt_number(numpy_value, 1) == _babel_number(numpy_value, 1)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_equal_babel(day):
    from babel.dates import format_date

    expected = format_date(day, format="dd.MM.yyyy", locale="de_DE")
    assert fmt_date(day) == expected
    if dt.date(1678, 1, 1) <= day <= dt.date(2262, 1, 1):  # pandas' Timestamp range
        assert fmt_date(pd.Timestamp(day)) == expected
        assert fmt_date(np.datetime64(day)) == expected
        assert fmt_date(day.isoformat()) == expected
