"""`ChartView.text_table`: the German text of a chart's table, worked out once per view."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from charts.formatting import fmt_int, fmt_number
from charts.view import ChartView
from indicators.disclosure import SUPPRESSED


def _view() -> ChartView:
    table = pd.DataFrame(
        {
            "Stadtteil": ["Altstadt", "Neustadt", "Hafen"],
            "Einwohner:innen": [87815.0, np.nan, 2.0],  # counts arrive as floats after a concat
            "Ausländeranteil (%)": [15.0987, 0.05, np.nan],
            "Veränderung Ausländeranteil (Pp.)": [0.4, -0.04, 0.0],
            "Veränderung Einwohner:innen": pd.array([-120, 0, 3], dtype="Int64"),
            "Index": [100.0, 102.25, 99.0],
            "Lokalisationsquotient": [1.005, 0.999, np.nan],
            "Stichtag": [date(2020, 12, 31), pd.Timestamp("2024-12-31"), None],
            "Gemeldet": [True, False, None],
        }
    )
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    hidden.loc[2, ["Einwohner:innen", "Ausländeranteil (%)"]] = True
    return ChartView("test", "Test", None, table, hidden=hidden)


def test_text_table_writes_every_kind_of_cell_in_german():
    text = _view().text_table()
    assert text.to_dict("list") == {
        "Stadtteil": ["Altstadt", "Neustadt", "Hafen"],
        "Einwohner:innen": ["87.815", "–", SUPPRESSED],
        "Ausländeranteil (%)": ["15,1 %", "0,1 %", SUPPRESSED],
        "Veränderung Ausländeranteil (Pp.)": ["+0,4 Pp.", "±0,0 Pp.", "±0,0 Pp."],
        "Veränderung Einwohner:innen": ["−120", "±0", "+3"],
        "Index": ["100,0", "102,3", "99,0"],
        "Lokalisationsquotient": [fmt_number(1.005, 1), fmt_number(0.999, 1), "–"],
        "Stichtag": ["31.12.2020", "31.12.2024", "–"],
        "Gemeldet": ["ja", "nein", "–"],
    }


def test_integral_floats_are_written_as_the_counts_they_are():
    values = [0.0, -0.0, 7.0, 1234567.0, -98765.0, 2.0**52]
    table = pd.DataFrame({"Personen": values, "Veränderung Personen": values})
    text = ChartView("t", "", None, table).text_table()
    assert text["Personen"].tolist() == [fmt_int(v) for v in values]
    assert text["Veränderung Personen"].tolist() == [fmt_int(v, signed=True) for v in values]


def test_a_changed_copy_leaves_the_view_alone():
    view = _view()
    first = view.text_table()
    first.loc[0, "Stadtteil"] = "geändert"
    first["Index"] = "x"
    again = view.text_table()
    assert again.loc[0, "Stadtteil"] == "Altstadt" and again["Index"].tolist() == ["100,0", "102,3", "99,0"]
    # a new table (views are replaced, not changed in place) is written anew
    view.table = view.table.assign(Index=[1.0, 2.0, 3.0])
    assert view.text_table()["Index"].tolist() == ["1,0", "2,0", "3,0"]
