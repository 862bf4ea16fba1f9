"""The floor between the pages and the indicators: what a view is asked for, and what it answers.

- `Filters`: the reader's choice (municipality, Stichtag, Stadtteile, level, public or exact values).
- `Source`: where a view reads from — the `Store` or anything with its read methods (the app passes
  a cached wrapper) — and how it may memoise work (the app passes a Streamlit cache; the command line
  none). A view function never imports Streamlit.
- `ChartView`: one chart as a description — title, figure, the table behind it, notes, source line and,
  for readers, which cells are hidden and why a chart is withheld. Pages, downloads, image exports and
  the Sitzungsbericht all take their charts from here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.formatting import fmt_date, fmt_int, fmt_number
from data.store import STADTTEIL
from indicators.disclosure import SUPPRESSED, default_threshold

T = TypeVar("T")


@dataclass(frozen=True)
class Filters:
    municipality: str
    reference_date: date | None
    dates: list[date]
    level: str = STADTTEIL
    districts: list[str] = field(default_factory=list)  # selected district ids; empty = all
    presentation: bool = False
    synthetic: bool = False
    source: str | None = None
    public: bool = True  # small counts suppressed; off only for a signed-in editor who asks for exact values
    threshold: int = field(default_factory=default_threshold)
    # Stichtage whose counts come from elsewhere than the register (the Zensus 2022): (date, source)
    stichtag_sources: tuple[tuple[date, str], ...] = ()

    def source_at(self, when: date | None) -> str | None:
        """The source of the counts at `when`: the Stichtag's own where it has one, else the municipality's."""
        return dict(self.stichtag_sources).get(when, self.source)

    def other_sources(self, dates: list[date]) -> str:
        """`" · 15.05.2022: Zensus 2022 …"` for the Stichtage among `dates` with a source of their own, to
        follow the source line of a chart over several Stichtage; "" where there is none."""
        own = dict(self.stichtag_sources)
        return "".join(f" · {fmt_date(d)}: {own[d]}" for d in sorted(set(dates)) if d in own)

    @property
    def previous_date(self) -> date | None:
        earlier = [d for d in self.dates if self.reference_date and d < self.reference_date]
        return earlier[-1] if earlier else None

    @property
    def date_text(self) -> str:
        return fmt_date(self.reference_date) if self.reference_date else ""


def stichtag_sources(frame: pd.DataFrame) -> tuple[tuple[date, str], ...]:
    """`Store.population_sources` as the `Filters.stichtag_sources` tuple."""
    return tuple(zip(frame["reference_date"], frame["source"], strict=True))


def _build(key: tuple, build: Callable[[], T]) -> T:
    return build()


@dataclass(frozen=True)
class Source:
    """The store's reads (`Store` or a wrapper with the same methods) and a memo for finished work.

    memo(key, build) returns build(), possibly from a cache; key names everything the result depends
    on except the database version, which the memo adds itself."""

    reads: Any
    memo: Callable[[tuple, Callable[[], Any]], Any] = _build


@dataclass
class ChartView:
    """One chart, decided once: what the page shows, the downloads hold and the report prints.

    table: the numbers behind the chart — German headers, raw numbers (no formatted text); cells hidden
    from readers are empty. hidden: same index and columns, True where a cell is hidden (as opposed to
    not known). withheld: a German sentence when the whole chart may not be shown to readers; the figure
    is None then. summary: two to four plain German sentences about what the chart shows, made from
    `table` and `hidden` alone (`charts.summaries`), so they name no hidden value."""

    key: str
    title: str
    figure: go.Figure | None
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = ""
    hidden: pd.DataFrame | None = None
    withheld: str | None = None
    summary: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.hidden is None:
            self.hidden = pd.DataFrame(False, index=self.table.index, columns=self.table.columns)
        else:
            self.hidden = (
                self.hidden.reindex(index=self.table.index, columns=self.table.columns)
                .fillna(False)
                .astype(bool)
            )

    @property
    def shown(self) -> bool:
        return self.figure is not None and self.withheld is None

    def text_table(self) -> pd.DataFrame:
        """The table as German text for reading (slides, PDF, the accessible table): `15,1 %`,
        `87.815`, `31.12.2020`; hidden cells `•`, unknown ones `–`.

        Worked out once per view (a shared view is shown to every session on every rerun); each
        caller gets its own frame (copy-on-write: changing it leaves the view's alone)."""
        cached = self.__dict__.get("_text_table")
        if cached is None or cached[0] is not self.table or cached[1] is not self.hidden:
            out = pd.DataFrame(index=self.table.index)
            for column in self.table.columns:
                texts = _column_text(column, self.table[column])
                hidden = self.hidden[column].to_numpy()
                out[column] = [SUPPRESSED if h else t for t, h in zip(texts, hidden, strict=True)]
            cached = (self.table, self.hidden, out.reset_index(drop=True))
            self.__dict__["_text_table"] = cached
        return cached[2].copy(deep=False)


def _column_text(header: object, values: pd.Series) -> list[str]:
    """`_cell_text` for every value of one column: the header's format decided once."""
    if pd.api.types.is_float_dtype(values.dtype):  # floats only: no objects to tell apart
        cell = _number_text(str(header))
        numbers = values.to_numpy(dtype="float64", na_value=np.nan).tolist()
        return ["–" if math.isnan(v) else cell(v) for v in numbers]
    return [_cell_text(header, value) for value in values]


def _cell_text(header: object, value: object) -> str:
    if type(value) in _NUMBERS and value == value:  # a number (not NaN): the same text every rerun
        return _known_number_text(str(header), value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | date):
        return fmt_date(value)
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return _number_text(str(header))(float(value))


_NUMBERS = (float, int, np.float64, np.int64)


@functools.lru_cache(maxsize=65536, typed=True)
def _known_number_text(header: str, value: float | int) -> str:
    """A grid formats every cell on every rerun (`AtlasTable.cell_text` in a Styler): the text of a
    number under a header is kept (equal values of one type have one text; 0.0 and −0.0 too)."""
    return _number_text(header)(float(value))


@functools.lru_cache(maxsize=1024)
def _number_text(header: str) -> Callable[[float], str]:
    """How a number under this header is written: %, Pp., a count, an index or a quotient."""
    signed = header.startswith("Veränderung")
    if header.endswith("(%)"):
        return lambda number: f"{fmt_number(number, 1, signed=signed)} %"
    if header.endswith("(Pp.)"):
        return lambda number: f"{fmt_number(number, 1, signed=True)} Pp."
    decimals = 2 if "Quotient" in header else 1
    whole = "Index" not in header and "Quotient" not in header

    def text(number: float) -> str:
        if whole and number.is_integer():  # an integral float is written as the count it is
            return fmt_int(int(number), signed=signed)
        return fmt_number(number, decimals, signed=signed)

    return text
