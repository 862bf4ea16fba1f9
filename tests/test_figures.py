"""The shared figure builders on the demo city: German hover, classes, the screen copy of the boundaries."""

from __future__ import annotations

from datetime import date

import shapely

from charts.figures import district_map, hover_texts
from charts.reads import indicator_values, screen_shapes
from data.store import Store
from geo.boundaries import from_wkb
from indicators.catalogue import get
from indicators.shares import shares

STICHTAG = date(2024, 12, 31)


def _inputs(demo_db):
    store = Store(demo_db)
    try:
        table = shares(store.population("Musterstadt", STICHTAG))
        shapes = from_wkb(store.boundaries("Musterstadt"))
    finally:
        store.close()
    return table, shapes


def test_map_hover_is_german_and_complete(demo_db):
    table, shapes = _inputs(demo_db)
    values = indicator_values(table, "foreigner_share_pct")
    fig = district_map(shapes, values, get("foreigner_share_pct"), title="t", source="Quelle: x")
    traces = [t for t in fig.data if t.type == "choropleth"]
    assert sum(len(t.locations) for t in traces) == len(shapes) == 16
    template = traces[0].hovertemplate
    assert "Einwohner:innen: %{customdata[2]}" in template and "<extra></extra>" in template
    rows = {row[0]: row for t in traces for row in t.customdata}
    altstadt = table.set_index("district").loc["Altstadt"]
    assert rows["Altstadt"][2] == f"{altstadt['population']:,}".replace(",", ".")
    assert rows["Altstadt"][1].endswith(" %") and "," in rows["Altstadt"][1]
    assert sorted(int(r[-1].split()[1]) for r in rows.values()) == list(range(1, 17))  # "Rang k von 16"
    # the finished strings for bar charts say the same
    text = hover_texts(values, get("foreigner_share_pct"))[values["district"].tolist().index("Altstadt")]
    assert text.startswith("<b>Altstadt</b><br>Ausländeranteil: ") and "Rang " in text


def test_screen_copy_of_boundaries_is_smaller_and_keeps_every_district(demo_db):
    _, shapes = _inputs(demo_db)
    screen = screen_shapes(shapes)
    assert len(screen) == len(shapes) and screen.geometry.is_valid.all()
    assert (
        shapely.get_num_coordinates(screen.geometry.values).sum()
        < shapely.get_num_coordinates(shapes.geometry.values).sum()
    )
    # no gaps: the union is as large as the sum of the parts (within rounding)
    metric = screen.to_crs(25832).geometry
    union = shapely.union_all(metric.values).area
    assert abs(union - metric.area.sum()) / union < 0.001


def test_axis_labels_push_the_margin_out_instead_of_being_cut_off():
    """The page shows the figure as built (theme=None): with `style`'s narrow 10 px side margins,
    tick labels like "400" were cut to "0" on screen unless the axes grow their own margin."""
    import plotly.graph_objects as go

    from charts.figures import style

    fig = style(go.Figure(go.Bar(x=["2021", "2022"], y=[61, 445])), "Zuweisungen", "Quelle: Test")
    assert fig.layout.xaxis.automargin is True and fig.layout.yaxis.automargin is True
