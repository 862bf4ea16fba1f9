"""Plotly figure builders: frames in, `go.Figure` out. No Streamlit here, so they are testable alone.

German separators are set once, in `house_layout()` (`style()` for a figure built trace by trace);
every hover text is pre-formatted in German.
Maps are `go.Choropleth` on a hidden base map fitted to the municipality: no tiles, no outside server
(the app points plotly's `topojsonURL` at an empty local file, see `static/README.md`).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from charts.formatting import MISSING, PLOTLY_SEPARATORS, fmt_indicator, fmt_int
from charts.labels import text_width
from indicators.catalogue import POINTS, Indicator
from indicators.disclosure import SUPPRESSED

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
NO_DATA_COLOUR = "#d4d4d4"
OTHER_COLOUR = "#eeeeee"  # districts outside the selection: the city around it, not a class
TEXT_COLOUR = "#1b1f23"
ACCENT = "#1f5f8b"
TEXT_CONTRAST = 4.5  # WCAG 2.1 AA, normal text
#: The width a chart gets on screen, conservatively: a 1024 px window with the sidebar open (or the
#: presentation mode) leaves the chart 700–900 px; title and source line are wrapped to fit 700.
SCREEN_WIDTH = 700
LINE_SPACING = 1.3  # plotly's line height for `<br>`, in em
SOURCE_NAME = "source"  # the source line's annotation `name`: found by it once its text is wrapped


def wrap_text(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` on lines no wider than `width` px at font size `size`, broken at spaces (and where it
    has a `<br>` already); a single word longer than the width keeps a line of its own."""
    lines: list[str] = []
    for part in text.split("<br>"):
        start = len(lines)
        for word in part.split():
            if len(lines) > start and text_width(f"{lines[-1]} {word}", size, bold) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        if len(lines) == start:
            lines.append("")
    return lines


def _title_room(width: float) -> float:
    return width * 0.98 - 20  # the title starts at x = 0.01 of the width; 10 px margin each side


def _source_room(width: float) -> float:
    return width - 40  # from the plot area's left edge (margin.l and axis labels can take some)


def _lines_px(lines: int, size: float) -> int:
    return round(lines * size * LINE_SPACING)


def _place_title(title: dict, lines: int, top: float, height: float) -> None:
    """A title of several lines from the top down: plotly puts the first line's baseline where it
    puts a one-line title's (the middle of the top margin) and lets the others hang below it, over
    the plot; so the first baseline goes where a one-line title's would be in the margin without the
    extra lines (`top`), and the caller makes the margin that much taller."""
    if lines > 1:
        title.update({"yref": "container", "yanchor": "bottom", "y": 1 - top / 2 / height})


def wrap_title_and_source(layout: dict, title: str, source: str, width: float) -> dict:
    """Title and source line of a `house_layout` dict wrapped to a chart `width` px wide, with room
    for the extra lines: the top margin grows by the title's, the bottom margin by the source's (the
    source hangs from its anchor under the plot area), and the chart by both, so the plot keeps its
    size."""
    size = layout["title"]["font"]["size"]
    title_lines = wrap_text(title, size, _title_room(width), bold=True)
    layout["title"]["text"] = "<b>" + "<br>".join(title_lines) + "</b>"
    (note,) = [a for a in layout["annotations"] if a.get("name") == SOURCE_NAME]
    source_lines = wrap_text(source, note["font"]["size"], _source_room(width))
    note["text"] = "<br>".join(source_lines)
    above = _lines_px(len(title_lines) - 1, size)
    below = _lines_px(len(source_lines) - 1, note["font"]["size"])
    layout["height"] += above + below
    _place_title(layout["title"], len(title_lines), layout["margin"]["t"], layout["height"])
    layout["margin"]["t"] += above
    layout["margin"]["b"] += below
    return layout


def _plain(text: str) -> str:
    return " ".join(text.replace("<b>", "").replace("</b>", "").replace("<br>", " ").split())


def rewrap_for_width(fig: go.Figure, width: float, source: bool = True) -> go.Figure:
    """Title and source line of a built figure (in place) wrapped again for a picture `width` px wide
    (an export of fixed height), the margins changed by as many lines as they got more or fewer.
    `source=False`: the source line back on one line (the export wraps it together with its notes)."""
    layout = fig.layout
    size = layout.title.font.size or 17
    old = str(layout.title.text or "")
    if old.startswith("<b>"):
        lines = wrap_text(_plain(old), size, _title_room(width), bold=True)
        top = (layout.margin.t if layout.margin.t is not None else 56) - _lines_px(old.count("<br>"), size)
        layout.title.text = "<b>" + "<br>".join(lines) + "</b>"
        title = {}
        _place_title(title, len(lines), top, layout.height or 520)
        layout.title.update(title)
        layout.margin.t = top + _lines_px(len(lines) - 1, size)
    for note in layout.annotations:
        if note.name == SOURCE_NAME:
            text, note_size = str(note.text), note.font.size or 11
            lines = wrap_text(_plain(text), note_size, _source_room(width)) if source else [_plain(text)]
            note.text = "<br>".join(lines)
            extra = len(lines) - 1 - text.count("<br>")
            layout.margin.b = (layout.margin.b if layout.margin.b is not None else 56) + _lines_px(
                extra, note_size
            )
    return fig


def house_layout(title: str, source: str, presentation: bool = False, height: int | None = None) -> dict:
    """The house style as a plain layout dict: title, source line under the chart, German separators,
    legible type (large for the beamer).

    The builders start from it and create their figure once, `go.Figure(data=[…], layout=…)`: plotly
    validates every property there in one pass, where chained `update_layout`/`update_xaxes`/
    `add_annotation` calls parsed and validated the whole layout again each time (~50 ms per figure)."""
    size = 20 if presentation else 13

    def axis() -> dict:
        # automargin: tick labels and axis titles push the margin out instead of being cut off at the
        # left edge (the page shows the figure as built, theme=None, as the exports do)
        return {"tickfont": {"size": size}, "title": {"font": {"size": size}}, "gridcolor": "#e6e6e6",
                "automargin": True}  # fmt: skip

    layout = {
        "title": {
            "text": f"<b>{title}</b>",
            "font": {"size": size + 8 if presentation else size + 4},
            "x": 0.01,
        },
        "font": {"family": FONT, "size": size, "color": TEXT_COLOUR},
        "separators": PLOTLY_SEPARATORS,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 10, "r": 10, "t": 70 if presentation else 56, "b": 70 if presentation else 56},
        "legend": {"font": {"size": size}},
        "hoverlabel": {"font": {"family": FONT, "size": size}},
        "height": height or (560 if presentation else 520),
        "annotations": [
            {
                "name": SOURCE_NAME,
                "text": source,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "yshift": -44 if presentation else -38,
                "xanchor": "left",
                "yanchor": "top",
                "align": "left",
                "showarrow": False,
                "font": {"size": size - 2, "color": "#4a4f55"},
            }
        ],
        "xaxis": axis(),
        "yaxis": axis(),
    }
    return wrap_title_and_source(layout, title, source, SCREEN_WIDTH)


def merge(base: dict, extra: dict) -> dict:
    """`extra` merged into `base` (in place, returned): nested dicts key by key, as `update_layout` does."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def style(
    fig: go.Figure, title: str, source: str, presentation: bool = False, height: int | None = None
) -> go.Figure:
    """`house_layout` applied to a figure built trace by trace (one layout update)."""
    layout = house_layout(title, source, presentation, height)
    layout["annotations"] = [*fig.layout.annotations, *layout["annotations"]]
    fig.update_layout(layout)
    return fig


def axis_title_room(layout: dict, source: str, presentation: bool) -> dict:
    """Move the source line below an x-axis title (`house_layout` puts it where the title would be)."""
    extra = 30 if presentation else 22
    for annotation in layout.get("annotations", []):
        if annotation.get("name") == SOURCE_NAME:
            annotation["yshift"] = (annotation.get("yshift") or 0) - extra
    layout["margin"]["b"] = layout["margin"]["b"] + extra
    return layout


def figure_axis_title_room(fig: go.Figure, presentation: bool) -> go.Figure:
    """`axis_title_room` for a figure built trace by trace (through `style`)."""
    layout = {
        "annotations": [a.to_plotly_json() for a in fig.layout.annotations],
        "margin": {"b": fig.layout.margin.b},
    }
    return fig.update_layout(axis_title_room(layout, "", presentation))


def bar_label_room(layout: dict, values: pd.Series) -> dict:
    """Widen the value axis so the text beside the longest bar is not cut off."""
    top = pd.to_numeric(values, errors="coerce").max()
    if pd.notna(top) and top > 0:
        layout["xaxis"]["range"] = [0, float(top) * 1.15]
    return layout


def class_breaks(
    values: pd.Series, scheme: str = "quantiles", k: int = 5, neutral: float | None = None
) -> np.ndarray:
    """Upper bounds of the classes (mapclassify); fewer classes when there are fewer distinct values.

    With a `neutral` value (0 Pp., location quotient 1) the classes are symmetric around it and one
    class, in the middle, contains it: the scheme classes the distances from the neutral value, each
    class above the middle one has its mirror below; an even `k` becomes the next odd number."""
    y = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if neutral is not None and len(y):
        distances = class_breaks(pd.Series(np.abs(y - neutral)), scheme, k // 2 + 1)
        return np.concatenate([neutral - distances[-2::-1], neutral + distances])
    distinct = np.unique(y)
    if len(distinct) == 0:
        return np.array([])
    k = max(1, min(k, len(distinct)))
    if k == 1:
        return np.array([distinct[-1]])
    classifier = {
        "quantiles": mapclassify.Quantiles,
        "natural_breaks": mapclassify.FisherJenks,
        "equal_interval": mapclassify.EqualInterval,
    }[scheme]
    return np.unique(classifier(y, k=k).bins)


def lowest_bound(values: pd.Series, breaks: np.ndarray, neutral: float | None = None) -> float:
    """Where the lowest class starts: the smallest value, or the mirror of the largest for classes
    symmetric around `neutral`."""
    low = float(pd.to_numeric(values, errors="coerce").min())
    return low if neutral is None else min(low, 2 * neutral - float(breaks[-1]))


def class_labels(breaks: np.ndarray, lowest: float, indicator: Indicator) -> list[str]:
    lows = [lowest, *breaks[:-1]]
    return [
        f"{fmt_indicator(lo, indicator)} – {fmt_indicator(hi, indicator)}"
        for lo, hi in zip(lows, breaks, strict=True)
    ]


def neutral_value(indicator: Indicator) -> float | None:
    """The middle of a diverging indicator: no deviation (0 Pp.) or a quotient of 1; else None."""
    if indicator.unit == POINTS:
        return 0.0
    return 1.0 if indicator.key.endswith("_lq") else None


def is_diverging(indicator: Indicator) -> bool:
    """Changes, deviations and quotients have a meaningful middle: use a two-sided palette."""
    return neutral_value(indicator) is not None


def _rgb(colour: str) -> tuple[float, float, float]:
    """`#rrggbb`, `rgb(r, g, b)` or `rgba(…)` as three numbers 0–255."""
    if colour == "white":
        return (255.0, 255.0, 255.0)
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(float(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance (sRGB, 0 = black, 1 = white)."""
    channels = [c / 255 for c in _rgb(colour)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21 (text needs 4.5, large text and shapes 3)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def label_colour(fill: str) -> str:
    """The text colour for a label on `fill`: the house text colour or white, whichever has more
    contrast; black where neither reaches 4.5:1 (WCAG AA for text)."""
    best = max((TEXT_COLOUR, "white"), key=lambda text: contrast_ratio(text, fill))
    return best if contrast_ratio(best, fill) >= TEXT_CONTRAST else "#000000"


def palette(name: str, k: int) -> list[str]:
    if k == 1:
        return sample_colorscale(name, [0.7])
    return sample_colorscale(name, list(np.linspace(0.12 if name != "PuOr" else 0.0, 1.0, k)))


HOVER_COUNTS = (
    ("population", "Einwohner:innen"),
    ("foreigners", "Ausländer:innen"),
    ("migration_background", "mit Migrationshintergrund"),
)


def hover_fields(frame: pd.DataFrame, indicator: Indicator) -> tuple[list[list[str]], str]:
    """Per district its German hover parts (name, value, counts, rank) and the template joining them.

    The labels stand once in the template, not 550 times in the data: the map stays small.
    """
    ranked = frame["value"].rank(ascending=False, method="min")
    n = int(frame["value"].notna().sum())
    hidden = (
        frame["hidden"].fillna(False).astype(bool)
        if "hidden" in frame
        else pd.Series(False, index=frame.index)
    )
    columns = [
        frame["district"].astype(str).tolist(),
        [
            SUPPRESSED if h else fmt_indicator(v, indicator)
            for v, h in zip(frame["value"], hidden, strict=True)
        ],
    ]
    lines = ["<b>%{customdata[0]}</b>", f"{indicator.short_label}: %{{customdata[1]}}"]
    for col, label in HOVER_COUNTS:
        if col in frame:
            columns.append([
                fmt_int(v) if pd.notna(v) else SUPPRESSED if h else MISSING
                for v, h in zip(frame[col], hidden, strict=True)
            ])  # fmt: skip
            lines.append(f"{label}: %{{customdata[{len(columns) - 1}]}}")
    columns.append([f"Rang {int(r)} von {n}" if pd.notna(r) else "" for r in ranked])
    lines.append(f"%{{customdata[{len(columns) - 1}]}}")
    return [list(row) for row in zip(*columns, strict=True)], "<br>".join(lines) + "<extra></extra>"


def hover_texts(frame: pd.DataFrame, indicator: Indicator) -> list[str]:
    """The same hover, as one finished string per district (for charts with few bars)."""
    rows, template = hover_fields(frame, indicator)
    body = template.removesuffix("<extra></extra>")
    texts = []
    for row in rows:
        text = body
        for i, part in enumerate(row):
            text = text.replace(f"%{{customdata[{i}]}}", part)
        texts.append(text.removesuffix("<br>"))
    return texts


def district_map(
    boundaries: gpd.GeoDataFrame,
    data: pd.DataFrame,
    indicator: Indicator,
    *,
    title: str,
    source: str,
    scheme: str = "quantiles",
    k: int = 5,
    colours: str = "Blues",
    labels: bool = True,
    presentation: bool = False,
    compact: bool = False,
    selected: list[str] | None = None,
) -> go.Figure:
    """A classed choropleth of one indicator per district.

    boundaries: district_id, district, geometry (EPSG:4326). data: district_id, value and optionally
    the counts (population, foreigners, migration_background). Districts without a value are drawn
    grey and named in the legend. With `selected` district ids the classes stay those of the whole
    municipality and the other districts are drawn grey, unnamed.
    """
    gdf = boundaries.merge(data.drop(columns=["district"], errors="ignore"), on="district_id", how="left")
    gdf["geometry"] = gdf.geometry.orient_polygons(exterior_cw=True)
    gdf["hover"], hover_template = hover_fields(gdf, indicator)
    features = _features(gdf)
    chosen = gdf["district_id"].isin(selected) if selected else pd.Series(True, index=gdf.index)
    has_value = gdf["value"].notna()
    neutral = neutral_value(indicator)
    breaks = class_breaks(gdf.loc[has_value, "value"], scheme, k, neutral)
    traces = []
    gdf["fill"] = NO_DATA_COLOUR
    if len(breaks):
        lowest = lowest_bound(gdf.loc[has_value, "value"], breaks, neutral)
        cls = np.searchsorted(breaks, gdf["value"].to_numpy(dtype=float), side="left")
        colours_list = palette(colours, len(breaks))
        for i, (label, colour) in enumerate(
            zip(class_labels(breaks, lowest, indicator), colours_list, strict=True)
        ):
            part = gdf[chosen & has_value & (cls == i)]
            gdf.loc[part.index, "fill"] = colour
            if not part.empty:
                traces.append(_choropleth(part, colour, label, features, hover_template))
    hidden = (
        gdf["hidden"].fillna(False).astype(bool) if "hidden" in gdf else pd.Series(False, index=gdf.index)
    )
    for part, label in (
        (gdf[chosen & ~has_value & ~hidden], "keine Daten"),
        (gdf[chosen & hidden], f"{SUPPRESSED} gesperrt (kleine Fallzahl)"),
    ):
        if not part.empty:
            names = part["district"].astype(str).tolist()
            # several names one under another: a long line would squeeze a map beside the full table
            text = f"{label}: {names[0]}" if len(names) == 1 else f"{label}:<br>" + ",<br>".join(names)
            traces.append(_choropleth(part, NO_DATA_COLOUR, text, features, hover_template))
    if not chosen.all():
        traces.append(_choropleth(gdf[~chosen], OTHER_COLOUR, "nicht ausgewählt", features, hover_template))
    if labels:
        named = gdf[chosen]
        points = named.geometry.representative_point()
        traces.append(
            {
                "type": "scattergeo",
                "lon": points.x,
                "lat": points.y,
                "text": named["district"],
                "mode": "text",
                "hoverinfo": "skip",
                "showlegend": False,
                "textfont": {
                    "size": 16 if presentation else 11,
                    "family": FONT,
                    "color": [label_colour(c) for c in named["fill"]],
                },
            }
        )
    layout = merge(
        {
            "geo": {
                "fitbounds": "locations",
                "visible": False,
                "projection": {"type": "mercator"},
                "bgcolor": "white",
            }
        },
        house_layout(title, source, presentation, height=560 if presentation else 600),
    )
    merge(
        layout,
        {
            "legend": {
                "title": {"text": indicator.short_label, "font": {"size": 20 if presentation else 13}},
                "itemclick": False,
                "itemdoubleclick": False,
            },
            "margin": {"l": 0, "r": 0},
        },
    )
    if compact:  # a phone: the legend goes under the map, the source line below it
        merge(layout, {"legend": {"orientation": "h", "x": 0, "y": 0, "yanchor": "top"}})
        layout["margin"]["b"] += 90
        for annotation in layout["annotations"]:
            if annotation.get("name") == SOURCE_NAME:
                annotation["yshift"] = (annotation["yshift"] or 0) - 90
                wrapped = annotation["text"].count("<br>")  # for the wide screen, room made for it
                annotation["text"] = source.replace(" · ", "<br>").replace(", ", ",<br>")
                # the 90 px hold the legend and the first line: room for the others instead of the wide one's
                more = _lines_px(annotation["text"].count("<br>") - wrapped, annotation["font"]["size"])
                layout["margin"]["b"] += more
                layout["height"] += more
    return go.Figure(data=traces, layout=layout)


class Shared(dict):
    """A GeoJSON feature that is never changed once built: `deepcopy` returns it as it is.

    Plotly deep-copies every trace when a figure is created and again in `to_dict()` (which
    `st.plotly_chart` calls): for a map of 550 districts that walked ~90,000 coordinate tuples each
    time. JSON, `==` and plotly's validation see an ordinary dict."""

    def __deepcopy__(self, memo: dict) -> Shared:
        return self


def _features(gdf: gpd.GeoDataFrame) -> dict[str, dict]:
    """One GeoJSON feature per district (the same object for the same district and outline)."""
    return {key: _feature(key, geom) for key, geom in zip(gdf["district_id"], gdf.geometry, strict=True)}


@functools.lru_cache(maxsize=8192)
def _feature(key: str, geometry: BaseGeometry) -> Shared:
    """Built once per outline: shapely hashes and compares a geometry by its coordinates (~20 µs), where
    writing them out as GeoJSON tuples took ~60 µs per district on every map."""
    return Shared(type="Feature", id=key, properties={"district_id": key}, geometry=mapping(geometry))


def _choropleth(
    part: gpd.GeoDataFrame, colour: str, label: str, features: dict[str, dict], hover_template: str
) -> dict:
    geojson = {"type": "FeatureCollection", "features": [features[k] for k in part["district_id"]]}
    return {
        "type": "choropleth",
        "geojson": geojson,
        "featureidkey": "properties.district_id",
        "locations": part["district_id"],
        "z": np.zeros(len(part)),
        "colorscale": [[0, colour], [1, colour]],
        "showscale": False,
        "name": label,
        "showlegend": True,
        "marker": {"line": {"color": "white", "width": 1}},
        "customdata": part["hover"].tolist(),
        "hovertemplate": hover_template,
    }


def ranking_bar(data: pd.DataFrame, indicator: Indicator, **options) -> go.Figure:
    """Districts sorted by value (the map's stand-in where no boundaries exist). `options`: title and
    source, optionally reference and reference_label (a dashed line), presentation; see `ranking_parts`."""
    traces, layout = ranking_parts(data, indicator, **options)
    return go.Figure(data=traces, layout=layout)


def ranking_parts(
    data: pd.DataFrame,
    indicator: Indicator,
    *,
    title: str,
    source: str,
    reference: float | None = None,
    reference_label: str | None = None,
    presentation: bool = False,
) -> tuple[list[dict], dict]:
    """`ranking_bar`'s traces and layout as dicts, for builders that change them before the figure."""
    frame = data.dropna(subset=["value"]).sort_values("value")
    bar = {
        "type": "bar",
        "x": frame["value"],
        "y": frame["district"],
        "orientation": "h",
        "marker": {"color": ACCENT},
        "text": [fmt_indicator(v, indicator) for v in frame["value"]],
        "textposition": "outside",
        "hovertext": hover_texts(frame, indicator),
        "hovertemplate": "%{hovertext}<extra></extra>",
        "cliponaxis": False,
    }
    layout = house_layout(title, source, presentation, height=max(420, 34 * len(frame) + 160))
    if reference is not None and np.isfinite(reference):  # what `fig.add_vline(…)` adds
        layout["shapes"] = [
            {"type": "line", "x0": reference, "x1": reference, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
             "line": {"color": "#b2182b", "dash": "dash"}}
        ]  # fmt: skip
        layout["annotations"].insert(
            0,
            {"text": f"{reference_label}: {fmt_indicator(reference, indicator)}", "font": {"color": "#b2182b"},
             "showarrow": False, "x": reference, "xanchor": "center", "xref": "x", "y": 1, "yanchor": "bottom",
             "yref": "y domain"},
        )  # fmt: skip
    merge(layout, {"showlegend": False, "bargap": 0.25})
    merge(
        layout["xaxis"],
        {"title": {"text": f"{indicator.short_label} ({indicator.unit})"}, "rangemode": "tozero"},
    )
    return [bar], axis_title_room(bar_label_room(layout, frame["value"]), source, presentation)
