"""What the figure builders show, checked against the demo city's numbers: labels, values, hover texts,
colours, the source line and the house style. The builders create each figure once from plain dicts
(issue 17); these tests pin what a reader sees, whichever way the figure is put together."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from charts.figures import (
    ACCENT,
    FONT,
    NO_DATA_COLOUR,
    class_breaks,
    class_labels,
    contrast_ratio,
    district_map,
    hover_texts,
    palette,
)
from charts.formatting import PLOTLY_SEPARATORS, fmt_date, fmt_indicator, fmt_int, fmt_number, fmt_pct
from charts.population_figures import (
    LINE_COLOURS,
    MUTED,
    REFERENCE_COLOUR,
    age_pyramid_chart,
    nationality_bar,
    ranking_highlight,
    time_series,
)
from charts.reads import indicator_values
from data.store import Store
from geo.boundaries import from_wkb
from indicators.catalogue import get
from indicators.shares import shares

CITY = "Musterstadt"
STICHTAGE = (date(2020, 12, 31), date(2024, 12, 31))
SOURCE = "Quelle: Melderegister · Stichtag 31.12.2024"


@pytest.fixture(scope="module")
def demo(demo_db):
    store = Store(demo_db)
    try:
        tables = {when: shares(store.population(CITY, when)) for when in STICHTAGE}
        series = shares(store.population(CITY))
        shapes = from_wkb(store.boundaries(CITY))
    finally:
        store.close()
    return tables, series, shapes


def _house_style(layout, title: str, presentation: bool = False) -> None:
    size = 20 if presentation else 13
    assert layout.separators == PLOTLY_SEPARATORS == ",."
    assert layout.title.text == f"<b>{title}</b>" and layout.title.font.size == size + (
        8 if presentation else 4
    )
    assert layout.font.family == FONT and layout.font.size == size
    assert layout.paper_bgcolor == layout.plot_bgcolor == "white"
    assert layout.xaxis.automargin is True and layout.yaxis.automargin is True
    assert layout.xaxis.tickfont.size == layout.yaxis.tickfont.size == size


def _source_line(layout, source: str = SOURCE):
    (line,) = [
        a for a in layout.annotations if a.text.replace(",<br>", ", ").replace("<br>", " · ") == source
    ]
    assert line.xref == line.yref == "paper" and line.yanchor == "top" and line.showarrow is False
    return line


@pytest.mark.parametrize("when", STICHTAGE)
@pytest.mark.parametrize("compact", [False, True])
def test_map_classes_colours_and_hover(demo, when, compact):
    tables, _, shapes = demo
    indicator = get("foreigner_share_pct")
    values = indicator_values(tables[when], indicator.key)
    fig = district_map(shapes, values, indicator, title="Karte", source=SOURCE, compact=compact, k=5)
    by_id = values.set_index("district_id")
    breaks = class_breaks(values["value"], "quantiles", 5)
    colours = palette("Blues", len(breaks))
    labels = class_labels(breaks, float(values["value"].min()), indicator)
    choropleths = [t for t in fig.data if t.type == "choropleth"]
    for trace in choropleths:  # white lines between districts; a pale fill gets an outline one can see
        pale = contrast_ratio(trace.colorscale[0][1], "white") < 1.25
        assert (trace.marker.line.color == "white") is not pale, trace.name
        assert pale <= (contrast_ratio(trace.marker.line.color, "white") >= 3), trace.name
    assert sorted(loc for t in choropleths for loc in t.locations) == sorted(shapes["district_id"])
    for trace in choropleths:
        colour = trace.colorscale[0][1]
        assert trace.colorscale[-1][1] == colour and trace.showlegend
        assert {f["id"] for f in trace.geojson["features"]} == set(trace.locations)
        for district_id, row in zip(trace.locations, trace.customdata, strict=True):
            value = by_id.loc[district_id, "value"]
            # every district sits in the class its value falls into, in that class's colour
            assert colour == colours[int(np.searchsorted(breaks, value, side="left"))]
            assert list(row[:3]) == [
                by_id.loc[district_id, "district"],
                fmt_indicator(value, indicator),
                fmt_int(by_id.loc[district_id, "population"]),
            ]
            rank = int((values["value"] > value).sum()) + 1
            assert row[-1] == f"Rang {rank} von {len(values)}"
        assert trace.name == labels[colours.index(colour)]  # "12,3 % – 15,0 %" in the legend
    assert choropleths[0].hovertemplate.startswith(
        "<b>%{customdata[0]}</b><br>Ausländeranteil: %{customdata[1]}"
    )
    layout = fig.layout
    _house_style(layout, "Karte")
    assert layout.geo.fitbounds == "locations" and layout.geo.visible is False
    assert layout.legend.title.text == indicator.short_label and layout.legend.itemclick is False
    assert layout.margin.l == layout.margin.r == 0
    line = _source_line(layout)
    # on a phone the source line goes under the legend, one part a line, each line with room of its own
    more = round(line.text.count("<br>") * 11 * 1.3)
    assert line.yshift == (-38 - 90 if compact else -38) and layout.margin.b == (
        56 + 90 + more if compact else 56
    )
    assert layout.height == 600 + (more if compact else 0)
    assert (layout.legend.orientation == "h") is compact
    assert ("<br>" in line.text) is compact


def test_map_marks_hidden_and_unselected_districts(demo):
    tables, _, shapes = demo
    indicator = get("foreigner_share_pct")
    values = indicator_values(tables[STICHTAGE[1]], indicator.key)
    values["hidden"] = False
    values.loc[values.index[0], ["value", "hidden"]] = [np.nan, True]
    chosen = values["district_id"].iloc[:6].tolist()
    fig = district_map(shapes, values, indicator, title="Karte", source=SOURCE, selected=chosen)
    by_name = {t.name: t for t in fig.data}
    secret = by_name[f"• gesperrt (kleine Fallzahl): {values['district'].iloc[0]}"]
    assert secret.colorscale[0][1] == NO_DATA_COLOUR and list(secret.locations) == [chosen[0]]
    assert secret.customdata[0][1] == "•"
    assert sorted(by_name["nicht ausgewählt"].locations) == sorted(set(shapes["district_id"]) - set(chosen))
    labels = [t for t in fig.data if t.type == "scattergeo"]
    assert labels and list(labels[0].text) == values["district"].iloc[:6].tolist()
    assert labels[0].mode == "text" and labels[0].textfont.family == FONT


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("compact", [False, True])
def test_ranking_bars_labels_hover_and_reference(demo, presentation, compact):
    tables, _, _ = demo
    indicator = get("foreigner_share_pct")
    values = indicator_values(tables[STICHTAGE[1]], indicator.key)
    highlight = values["district"].iloc[4]
    city = float(values["value"].mean())
    fig = ranking_highlight(values, indicator, highlight, title="Rang", source=SOURCE, reference=city,
                            reference_label="Musterstadt", presentation=presentation, compact=compact)  # fmt: skip
    (bar,) = fig.data
    shown = values.dropna(subset=["value"]).sort_values("value")
    if compact:
        assert fig.layout.meta == {"excerpt": True} and highlight in bar.y and len(bar.y) <= 11
        shown = shown[shown["district"].isin(bar.y)]
    else:
        assert fig.layout.meta is None
    assert list(bar.y) == shown["district"].tolist()  # lowest at the bottom, highest on top
    assert list(bar.x) == shown["value"].tolist()
    assert list(bar.text) == [fmt_indicator(v, indicator) for v in shown["value"]]
    assert list(bar.hovertext) == hover_texts(shown, indicator)
    assert list(bar.marker.color) == [ACCENT if n == highlight else MUTED for n in shown["district"]]
    assert bar.orientation == "h" and bar.textposition == "outside" and bar.cliponaxis is False
    layout = fig.layout
    _house_style(layout, "Rang", presentation)
    (shape,) = layout.shapes
    assert shape.x0 == shape.x1 == city and shape.line.dash == "dash" and shape.yref == "y domain"
    assert f"Musterstadt: {fmt_pct(city)}" in [a.text for a in layout.annotations]
    assert layout.xaxis.title.text == "Ausländeranteil (%)" and layout.xaxis.range[1] == pytest.approx(
        shown["value"].max() * 1.15
    )
    # the source line below the axis title: moved once by the ranking and once by the highlight
    extra = 30 if presentation else 22
    base_shift, base_margin = (-44, 70) if presentation else (-38, 56)
    assert _source_line(layout).yshift == base_shift - 2 * extra
    assert layout.margin.b == base_margin + 2 * extra
    assert layout.height == max(420, 34 * len(shown) + 160)


@pytest.mark.parametrize("indexed", [False, True])
def test_time_series_lines_hover_and_ticks(demo, indexed):
    _, series, _ = demo
    indicator = get("foreigner_share_pct")
    names = series["district"].drop_duplicates().iloc[:3].tolist()
    frame = series[series["district"].isin(names)][["reference_date", "district", indicator.key]]
    frame = frame.rename(columns={indicator.key: "value"})
    if indexed:
        first = frame.sort_values("reference_date").groupby("district")["value"].transform("first")
        frame = frame.assign(raw=frame["value"], value=frame["value"] / first * 100)
    fig = time_series(frame, indicator, title="Verlauf", source=SOURCE, reference=names[0],
                      index_base="31.12.2010" if indexed else None)  # fmt: skip
    assert [t.name for t in fig.data] == names
    reference, *others = fig.data
    assert reference.line.color == REFERENCE_COLOUR and reference.line.dash == "dash"
    assert [t.line.color for t in others] == list(LINE_COLOURS[: len(others)])
    for trace in fig.data:
        part = frame[frame["district"] == trace.name].sort_values("reference_date")
        assert list(trace.y) == part["value"].tolist()
        expected = [
            f"<b>{trace.name}</b><br>{fmt_date(row.reference_date)}<br>"
            + (
                f"Ausländeranteil: {fmt_pct(row.raw)}<br>Index (31.12.2010 = 100): {fmt_number(row.value, 1)}"
                if indexed
                else f"Ausländeranteil: {fmt_pct(row.value)}"
            )
            for row in part.itertuples()
        ]
        assert list(trace.hovertext) == expected
    layout = fig.layout
    _house_style(layout, "Verlauf")
    years = sorted(frame["reference_date"].dt.year.unique())
    ticks = [int(t) for t in layout.xaxis.ticktext]  # at most 8 years, evenly spaced, the latest kept
    assert ticks[-1] == years[-1] and len(ticks) <= 8 and set(ticks) <= set(years)
    assert (
        len({b - a for a, b in zip(ticks[:-1], ticks[1:], strict=True)}) == 1
        and ticks[0] - years[0] < ticks[1] - ticks[0]
    )
    assert layout.xaxis.title.text == "Stichtag (jeweils 31.12.)"
    assert _source_line(layout).yshift == -38 - 22 and layout.margin.b == 56 + 22
    if indexed:
        assert layout.yaxis.title.text == "Index (31.12.2010 = 100)" and layout.shapes[0].y0 == 100
    else:
        assert layout.yaxis.ticksuffix == " %" and not layout.shapes


def test_nationality_bars_and_age_pyramid():
    frame = pd.DataFrame(
        {
            "nationality": ["Türkei", "Polen", "Syrien", "Übrige"],
            "persons": [1234, 56, 2, 300],
            "share_pct": [77.1, 3.5, 0.1, 19.3],
            "hidden": [False, False, True, False],
        }
    )
    fig = nationality_bar(frame, title="Nationalitäten", source=SOURCE)
    (bar,) = fig.data
    assert list(bar.y) == ["Übrige", "Syrien", "Polen", "Türkei"]
    assert list(bar.text) == ["300 (19,3 %)", "•", "56 (3,5 %)", "1.234 (77,1 %)"]
    assert bar.hovertext[-1] == "<b>Türkei</b><br>1.234 Personen<br>77,1 % der Ausländer:innen"
    assert list(bar.x) == [300.0, 0.0, 56.0, 1234.0]
    assert bar.marker.color[0] == MUTED and bar.marker.color[-1] == ACCENT
    assert fig.layout.xaxis.range[1] == pytest.approx(1234 * 1.3)
    _house_style(fig.layout, "Nationalitäten")

    ages = pd.DataFrame(
        [(a, s, m, p, a == "0-5" and s == "w" and m == "mit") for a, p in (("0-5", 12), ("6-17", 150))
         for s in ("m", "w") for m in ("mit", "ohne")],
        columns=["age_group", "sex", "migration_status", "persons", "hidden"],
    )  # fmt: skip
    fig = age_pyramid_chart(ages, title="Alter", source=SOURCE)
    assert [(t.name, t.showlegend) for t in fig.data] == [
        ("mit Migrationshintergrund", True), ("ohne Migrationshintergrund", True),
        ("mit Migrationshintergrund", False), ("ohne Migrationshintergrund", False),
    ]  # fmt: skip
    men_with, _, women_with, _ = fig.data
    assert list(men_with.x) == [-12, -150] and list(men_with.y) == ["0–5", "6–17"]
    assert women_with.x[0] is None and women_with.hovertext[0].endswith(": •")
    assert women_with.hovertext[1] == "<b>Frauen, 6–17 Jahre</b><br>mit Migrationshintergrund: 150"
    texts = [a.text for a in fig.layout.annotations]
    assert texts[1:] == ["<b>◀ Männer</b>", "<b>Frauen ▶</b>"]
    assert fig.layout.margin.t == 56 + 16 and fig.layout.barmode == "relative"
    _house_style(fig.layout, "Alter")
