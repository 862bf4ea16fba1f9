"""Figures of the atlas modes of the Karte: several maps with one set of classes (years side by side,
the change map). Frames in, `go.Figure` out; no Streamlit.

Every panel is a hidden base map of its own (`geo`, `geo2`, …) fitted to the municipality; the classes
and colours are the same in all panels, so one legend serves them all and colours compare.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.figures import (
    FONT,
    NO_DATA_COLOUR,
    SOURCE_NAME,
    _choropleth,
    _features,
    class_labels,
    hover_fields,
    palette,
    style,
)
from indicators.catalogue import Indicator
from indicators.disclosure import SUPPRESSED

NO_DATA_LABEL = "keine Daten"
PANEL_HEIGHT = 330  # a panel on a phone, stacked
ROW_HEIGHT = 400  # panels side by side on a wide screen


def classed_maps(
    shapes: gpd.GeoDataFrame,
    panels: list[tuple[str, pd.DataFrame]],
    indicator: Indicator,
    breaks: np.ndarray,
    lowest: float,
    *,
    title: str,
    source: str,
    colours: str = "Blues",
    presentation: bool = False,
    compact: bool = False,
) -> go.Figure:
    """One classed choropleth per panel (subtitle, frame of district_id, district, value, hidden and
    optionally the counts), all with the classes `breaks` (upper bounds, from `figures.class_breaks`).
    Side by side on a wide screen, one below the other on a phone (`compact`). A hidden value is drawn
    grey and never labelled: its hover says `•`."""
    shapes = shapes.assign(geometry=shapes.geometry.orient_polygons(exterior_cw=True))
    features = _features(shapes)
    n = max(len(panels), 1)
    columns = 1 if compact else min(n, 3)
    rows = -(-n // columns)
    labels = class_labels(breaks, lowest, indicator) if len(breaks) else []
    fills = palette(colours, len(breaks)) if len(breaks) else []
    fig = go.Figure()
    seen: set[str] = set()
    gap = 0.02
    for i, (subtitle, frame) in enumerate(panels):
        row, col = divmod(i, columns)
        x = [col / columns + gap, (col + 1) / columns - gap]
        y = [1 - (row + 1) / rows + gap, 1 - row / rows - 0.06 / rows]
        geo = "geo" if i == 0 else f"geo{i + 1}"
        fig.update_layout({
            geo: {"domain": {"x": x, "y": y}, "fitbounds": "locations", "visible": False,
                  "projection_type": "mercator", "bgcolor": "white"},
        })  # fmt: skip
        if subtitle:
            fig.add_annotation(
                text=f"<b>{subtitle}</b>", x=sum(x) / 2, y=y[1], xref="paper", yref="paper",
                xanchor="center", yanchor="bottom", showarrow=False, font={"family": FONT},
            )  # fmt: skip
        for trace, label in _panel_traces(shapes, frame, indicator, breaks, labels, fills, features):
            rank = labels.index(label) if label in labels else len(labels) + (label != NO_DATA_LABEL)
            trace.update(
                geo=geo, legendgroup=label, showlegend=label not in seen, name=label, legendrank=rank
            )
            seen.add(label)
            fig.add_trace(trace)
    # panels across the page: the legend beside them; beside the table or on a phone it goes under
    # the map, one entry per line (a row of entries would be cut off there)
    below = 0 if columns > 1 else 40 + 22 * len(seen)
    height = (PANEL_HEIGHT if compact else ROW_HEIGHT) * rows + below + 60
    style(fig, title, source, presentation, height=height)
    legend = {"title": {"text": indicator.short_label}, "itemclick": False, "itemdoubleclick": False}
    if below:
        legend.update(x=0, y=0, yanchor="top")
    fig.update_layout(legend=legend, margin={"l": 0, "r": 0, "b": below + fig.layout.margin.b})
    for annotation in fig.layout.annotations:
        if annotation.name == SOURCE_NAME:
            annotation.yshift = (annotation.yshift or 0) - below
    return fig


def _panel_traces(
    shapes: gpd.GeoDataFrame,
    frame: pd.DataFrame,
    indicator: Indicator,
    breaks: np.ndarray,
    labels: list[str],
    fills: list[str],
    features: dict[str, dict],
) -> list[tuple[go.Choropleth, str]]:
    """The choropleth traces of one panel: one per class, one for hidden values, one for unknown."""
    gdf = shapes[["district_id", "district"]].merge(
        frame.drop(columns=["district"], errors="ignore"), on="district_id", how="left"
    )
    gdf["hidden"] = gdf["hidden"].astype("boolean").fillna(False).astype(bool)
    gdf["value"] = pd.to_numeric(gdf["value"], errors="coerce").where(~gdf["hidden"])
    gdf["hover"], template = hover_fields(gdf, indicator)
    has_value = gdf["value"].notna()
    cls = np.searchsorted(breaks, gdf["value"].to_numpy(dtype=float), side="left") if len(breaks) else None
    traces = []
    for i, (label, colour) in enumerate(zip(labels, fills, strict=True)):
        part = gdf[has_value & (cls == i)]
        if not part.empty:
            traces.append((_choropleth(part, colour, label, features, template), label))
    for part, label in (
        (gdf[gdf["hidden"]], f"{SUPPRESSED} gesperrt (kleine Fallzahl)"),
        (gdf[~has_value & ~gdf["hidden"]], NO_DATA_LABEL),
    ):
        if not part.empty:
            traces.append((_choropleth(part, NO_DATA_COLOUR, label, features, template), label))
    return traces
