"""Room for every label in a static export: measured text, wrapped names, thinned map labels.

An exported image has a fixed size (1920 × 1080, A4), so a label that the browser could scroll to is
cut off there. These helpers measure text with the font chromium draws it in (DejaVu Sans; a rough
estimate where the font file is missing) and change a copy of the figure so every label fits:

- `fit_category_axis`: names of horizontal bars wrapped (`<br>`), type shrunk to fit the rows, and
  the left margin set from the longest line; with more rows than fit even in small type, every n-th
  name is written and a note says the table has them all.
- `thin_map_labels`: a map's district names placed without overlap (short names first), the rest left
  out and named by a note: the table under the chart carries every name.

No Streamlit here.
"""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

FONT_FILES = {False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")}  # fmt: skip
#: names longer than this are wrapped onto a second (third) line
WRAP_CHARS = 26
#: smallest tick type in layout px (× 2 on the beamer PNG, ≈ 7 pt on the A4 print)
MIN_TICK_PX = 8
LINE_HEIGHT = 1.25


@lru_cache(maxsize=32)
def _font(size_tenths: int, bold: bool):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_FILES[bold]), size=size_tenths)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in layout px of one line of text at font size `size` px."""
    if not FONT_FILES[bold].exists():
        return len(text) * size * 0.62
    return _font(max(1, round(size * 10)), bold).getlength(text) / 10


def wrap_to_width(text: str, size: float, width: float) -> list[str]:
    """Words onto lines no wider than `width` px."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def wrap_label(text: str, chars: int = WRAP_CHARS) -> str:
    """`Vereinigtes Königreich<br>Großbritannien und Nordirland`: a long name on several lines."""
    return "<br>".join(textwrap.wrap(text, chars, break_on_hyphens=False, break_long_words=False)) or text


def fit_category_axis(fig: go.Figure, height: int) -> tuple[int, list[str]]:
    """Label every horizontal bar of `fig` (changed in place); the left margin it needs and notes.

    Returns (0, []) for a chart without horizontal bars on the first y axis."""
    bars = [t for t in fig.data if t.type == "bar" and t.orientation == "h" and (t.yaxis or "y") == "y"]
    categories = list(dict.fromkeys(str(v) for t in bars for v in (t.y if t.y is not None else ())))
    if not categories:
        return 0, []
    axis = fig.layout.yaxis
    base = axis.tickfont.size or fig.layout.font.size or 13
    margin = fig.layout.margin
    rows_px = height - (margin.t or 56) - (margin.b or 56)
    wrapped = [wrap_label(c) for c in categories]
    lines = max(label.count("<br>") + 1 for label in wrapped)
    size = min(base, rows_px / len(categories) / (LINE_HEIGHT * lines))
    notes = []
    step = 1
    if size < MIN_TICK_PX:
        size = MIN_TICK_PX
        step = math.ceil(len(categories) * size * LINE_HEIGHT * lines / rows_px)
        notes.append(
            f"Beschriftet ist jede {step}. Zeile, für alle {len(categories)} ist das Bild zu klein; "
            "alle Namen und Werte stehen in der Tabelle."
        )
    shown = list(range(len(categories) - 1, -1, -step))  # the top row (largest value) always
    axis.update(
        automargin=True, tickmode="array", tickfont={"size": size},
        tickvals=[categories[i] for i in shown], ticktext=[wrapped[i] for i in shown],
    )  # fmt: skip
    widest = max(text_width(line, size) for i in shown for line in wrapped[i].split("<br>"))
    title = axis.title.text if axis.title else None
    return math.ceil(widest + 14 + (2 * size if title else 0)), notes


def thin_map_labels(fig: go.Figure, width: int, height: int) -> list[str]:
    """Leave out district names on a map (changed in place) that would overlap others; a note when
    any is left out."""
    labels = [t for t in fig.data if t.type == "scattergeo" and t.mode == "text" and t.text is not None]
    points = _projected_outlines(fig)
    if not labels or points is None:
        return []
    x0, y0, x1, y1 = points
    margin = fig.layout.margin
    legend = [t.name for t in fig.data if t.showlegend is not False and t.name]
    legend_px = min(width * 0.45, max((text_width(n, 13) for n in legend), default=0) + 60)
    plot_w = width - (margin.l or 0) - (margin.r or 0) - legend_px
    plot_h = height - (margin.t or 56) - (margin.b or 56)
    scale = min(plot_w / max(x1 - x0, 1e-9), plot_h / max(y1 - y0, 1e-9))
    total = kept = 0
    for trace in labels:
        texts = [str(t) for t in trace.text]
        size = trace.textfont.size or 11
        px = (_mercator_x(np.asarray(trace.lon, dtype=float)) - x0) * scale
        py = (y1 - _mercator_y(np.asarray(trace.lat, dtype=float))) * scale
        placed: list[tuple[float, float, float, float]] = []
        out = [""] * len(texts)
        for i in sorted(range(len(texts)), key=lambda i: len(texts[i])):
            half_w, half_h = text_width(texts[i], size) / 2 + 3, size * 0.75
            box = (px[i] - half_w, py[i] - half_h, px[i] + half_w, py[i] + half_h)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                placed.append(box)
                out[i] = texts[i]
        trace.text = out
        trace.textfont.shadow = "auto"  # a halo in the contrasting colour: legible across borders
        total, kept = total + len(texts), kept + len(placed)
    if kept == total:
        return []
    return [f"Die Karte nennt {kept} von {total} Namen, mehr passen nicht ohne Überlappung; alle "
            "Namen stehen in der Tabelle."]  # fmt: skip


def _mercator_x(lon: np.ndarray) -> np.ndarray:
    return np.radians(lon)


def _mercator_y(lat: np.ndarray) -> np.ndarray:
    return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _projected_outlines(fig: go.Figure) -> tuple[float, float, float, float] | None:
    """Bounds (Mercator) of every district outline on the map: what `fitbounds` fits into the plot."""
    coords = []
    for trace in fig.data:
        if trace.type != "choropleth" or not trace.geojson:
            continue
        for feature in trace.geojson.get("features", []):
            coords.append(np.asarray(_flatten(feature["geometry"]["coordinates"]), dtype=float))
    if not coords:
        return None
    allc = np.vstack(coords)
    x, y = _mercator_x(allc[:, 0]), _mercator_y(allc[:, 1])
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _flatten(nested) -> list[tuple[float, float]]:
    if len(nested) and isinstance(nested[0], int | float):
        return [tuple(nested[:2])]
    return [point for part in nested for point in _flatten(part)]
