"""German text formatting for everything a person reads (locale de_DE).

Conventions, chosen once here:
- Rounding is commercial (half away from zero, "kaufmännisch") on the shortest decimal form of the
  number, so 0.25 → "0,3" and 2.35 → "2,4" as a reader would do by hand.
- Negative numbers use the typographic minus U+2212 ("−0,4 Pp."), like plotly's axis labels, so table
  and chart look the same. `MINUS` holds it; downloads carry raw numbers, never these strings.
- Percentage points always carry a sign: "+0,4 Pp.", "−0,4 Pp.", and "±0,0 Pp." when the rounded
  value is zero (also for tiny negatives: no "−0,0").
- Number and unit are separated by a plain space ("15,1 %"), as in the council papers.
- Missing values (None, NaN, NA, NaT, ±inf) are shown as an en dash `MISSING` ("keine Angabe").

The strings are those of babel's `format_decimal`/`format_date` for de_DE (tests/test_formatting.py
compares both on generated values), written here with Python's own formatting: babel looks the locale
up again on every call, which cost ~40 µs per number — a tenth of a second per map of 550 districts.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
from decimal import ROUND_HALF_UP, Context, Decimal

import pandas as pd

from indicators.catalogue import INDEX, PERCENT, PERSONS, POINTS, RANK, Indicator, get

LOCALE = "de_DE"
MISSING = "–"
MINUS = "\u2212"
PLUS_MINUS = "±"
#: plotly ``layout.separators`` for German: decimal comma, thousands dot.
PLOTLY_SEPARATORS = ",."
#: Python's "1,234.5" → German "1.234,5"
_GERMAN = str.maketrans({",": ".", ".": ","})


def fmt_number(value: object, decimals: int = 1, signed: bool = False) -> str:
    """A number with German separators and exactly ``decimals`` decimals: 1234.5 → "1.234,5"."""
    if isinstance(value, numbers.Integral) and decimals >= 0:  # a count: no rounding to do
        number = int(value)
        text = f"{abs(number):,}".replace(",", ".") + ("," + "0" * decimals if decimals else "")
    else:
        number = _decimal(value, decimals)
        if number is None:
            return MISSING
        text = format(abs(number), f",.{max(decimals, 0)}f").translate(_GERMAN)
    if number < 0:
        return MINUS + text
    if signed:
        return (PLUS_MINUS if number == 0 else "+") + text
    return text


def fmt_int(value: object, signed: bool = False) -> str:
    """A count: 87815 → "87.815"; floats are rounded to whole numbers."""
    return fmt_number(value, 0, signed=signed)


def fmt_pct(value: object, decimals: int = 1) -> str:
    """A share in percent: 15.0987 → "15,1 %"."""
    text = fmt_number(value, decimals)
    return text if text == MISSING else f"{text} %"


def fmt_pp(value: object, decimals: int = 1) -> str:
    """A difference in percentage points, always signed: 0.4 → "+0,4 Pp.", 0 → "±0,0 Pp."."""
    text = fmt_number(value, decimals, signed=True)
    return text if text == MISSING else f"{text} Pp."


def fmt_date(value: object) -> str:
    """A date as "31.12.2020" (date, datetime, pandas Timestamp, numpy datetime64 or ISO string)."""
    if _is_missing(value):
        return MISSING
    timestamp = pd.Timestamp(value)
    if pd.isna(timestamp):
        return MISSING
    return f"{timestamp.day:02d}.{timestamp.month:02d}.{timestamp.year:04d}"


def fmt_value(value: object, unit: str, decimals: int | None = None, signed: bool = False) -> str:
    """Format by catalogue unit: "Personen" → count, "%" → share, "Pp." → signed points,
    "Index" → number (2 decimals unless given), "Rang" → whole number; other units are appended."""
    if unit in (PERSONS, RANK):
        return fmt_int(value, signed=signed)
    if unit == PERCENT:
        return fmt_pct(value, 1 if decimals is None else decimals)
    if unit == POINTS:
        return fmt_pp(value, 1 if decimals is None else decimals)
    text = fmt_number(value, 2 if decimals is None else decimals, signed=signed)
    return text if unit == INDEX or text == MISSING else f"{text} {unit}"


def fmt_indicator(value: object, indicator: str | Indicator) -> str:
    """Format a value of a catalogue indicator (key or Indicator) with its unit, decimals and sign."""
    ind = get(indicator) if isinstance(indicator, str) else indicator
    return fmt_value(value, ind.unit, ind.decimals, ind.signed)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | int) and not isinstance(value, bool):
        return not math.isfinite(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _decimal(value: object, decimals: int) -> Decimal | None:
    """The value rounded half-up to ``decimals`` places, without negative zero; None when missing."""
    if _is_missing(value):
        return None
    if isinstance(value, dt.date | str):
        raise TypeError(f"not a number: {value!r}")
    number = Decimal(int(value)) if isinstance(value, numbers.Integral) else Decimal(repr(float(value)))
    rounded = number.quantize(
        _step(decimals), context=_context(max(28, len(number.as_tuple().digits) + decimals + 2))
    )
    return abs(rounded) if rounded == 0 else rounded


@functools.cache
def _step(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


@functools.cache
def _context(precision: int) -> Context:
    """Half-up rounding with enough digits (one context per precision instead of one per number)."""
    return Context(prec=precision, rounding=ROUND_HALF_UP)
