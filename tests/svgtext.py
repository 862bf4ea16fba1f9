"""Where the texts of an exported SVG lie: each `<text>` as a box in the SVG's own units — position
as chromium placed it, width measured in the font it draws (DejaVu Sans) — so a test can tell a
clipped or overlapping label."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from charts.labels import text_width

SVG = "{http://www.w3.org/2000/svg}"
_TRANSLATE = re.compile(r"translate\(\s*([-\d.e]+)[ ,]*([-\d.e]*)\s*\)")


def _offset(element: ET.Element) -> tuple[float, float, bool]:
    transform = element.get("transform") or ""
    dx = dy = 0.0
    for x, y in _TRANSLATE.findall(transform):
        dx, dy = dx + float(x), dy + float(y or 0)
    return dx, dy, "rotate" in transform


def text_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """(text, left, top, right, bottom) of every non-empty `<text>` (rotated ones as a point box)."""
    root = ET.fromstring(svg)
    out = []

    def walk(element: ET.Element, ox: float, oy: float) -> None:
        dx, dy, rotated = _offset(element)
        ox, oy = ox + dx, oy + dy
        if element.tag == f"{SVG}text":
            style = element.get("style") or ""
            size = float(re.search(r"font-size:\s*([\d.]+)px", style).group(1))
            bold = "font-weight: bold" in style or "font-weight: 700" in style
            parts = element.findall(f"{SVG}tspan[@class='line']")  # plotly's <br>: one tspan a line
            lines = ["".join(t.itertext()) for t in parts] or ["".join(element.itertext())]
            text = " ".join(line.strip() for line in lines).strip()
            if not text:
                return
            x, y = float(element.get("x") or 0) + ox, float(element.get("y") or 0) + oy
            width = 0.0 if rotated else max(text_width(line, size, bold) for line in lines)
            anchor = element.get("text-anchor") or "start"
            left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
            out.append((text, left, y - size, left + width, y + (len(lines) - 1) * size * 1.3))
            return
        for child in element:
            walk(child, ox, oy)

    walk(root, 0.0, 0.0)
    return out


def view_box(svg: str) -> tuple[float, float]:
    _, _, width, height = (float(v) for v in ET.fromstring(svg).get("viewBox").split())
    return width, height


def clipped(svg: str, tolerance: float = 0.5) -> list[str]:
    """Texts that reach outside the picture."""
    width, height = view_box(svg)
    return [
        text
        for text, left, top, right, bottom in text_boxes(svg)
        if left < -tolerance or right > width + tolerance or top < -tolerance or bottom > height + tolerance
    ]
