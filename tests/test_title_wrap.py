"""Long titles and source lines are wrapped, not cut off: every figure builder the views use, given a
long title and source on the demo city, drawn by kaleido at 1024 px (the page) and exported for the
beamer and A4, keeps each title and source line inside the picture and off the plot area and the x-axis
title."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from charts import atlas_views, composite_views, population_views, refugee_views
from charts.export import BEAMER, PRINT, render, render_as_shown
from charts.figures import SCREEN_WIDTH, wrap_text
from charts.view import ChartView, Filters, Source
from data.store import Store
from tests.svgtext import _TRANSLATE, SVG, text_boxes, view_box

TITLE = (
    "Häufigste Staatsangehörigkeiten der Ausländerinnen und Ausländer unter den 16 Stadtteilen "
    "im Vergleich zur Gesamtstadt"
)
SOURCE = (
    "Quelle: Synthetische Demodaten (Integrationsmonitor), keine realen Personen · Zeitraum "
    "31.12.2020 bis 31.12.2024 · Stand der Auswertung 02.12.2026"
)
MODULES = (population_views, refugee_views, atlas_views, composite_views)
calls: Counter = Counter()
patched: set[str] = set()


def _long(builder):
    @functools.wraps(builder)
    def build(*args, **kwargs):
        calls[builder.__name__] += 1
        return builder(*args, **{**kwargs, "title": TITLE, "source": SOURCE})

    return build


def _views(value) -> list[ChartView]:
    if isinstance(value, ChartView):
        return [value]
    if isinstance(value, list | tuple):
        return [v for item in value for v in _views(item)]
    if dataclasses.is_dataclass(value):
        return [v for f in dataclasses.fields(value) for v in _views(getattr(value, f.name))]
    return []


@pytest.fixture(scope="module")
def figures(demo_db):
    """(builder name, figure) for every chart of the population, refugee and atlas views, each built
    with the long title and source (the builders are wrapped where the views call them)."""
    patch = pytest.MonkeyPatch()
    for module in MODULES:
        for name, builder in vars(module).items():
            if (
                inspect.isfunction(builder)
                and builder.__module__.startswith("charts.")
                and builder.__module__.endswith("figures")
            ):
                params = inspect.signature(builder).parameters
                if "title" in params and "source" in params:
                    patch.setattr(module, name, _long(builder))
                    patched.add(builder.__name__)
    store = Store(demo_db)
    try:
        src = Source(store)
        dates = sorted(store.reference_dates("Musterstadt"))
        out = []
        for presentation in (False, True):
            f = Filters("Musterstadt", dates[-1], dates, presentation=presentation, synthetic=True)
            ids = store.districts("Musterstadt", f.level)["district_id"].tolist()
            built = [
                population_views.overview(src, f, "foreigner_share_pct"),
                population_views.time_series(src, f, "foreigner_share_pct"),
                population_views.nationalities(src, f, ids[:3]),
                population_views.age_structure(src, f, ids[:3]),
                population_views.profile(src, f, ids[0]),
                population_views.share_map(src, f, "foreigner_share_pct", compact=True),
                refugee_views.allocations(src, f),
                refugee_views.occupancy(src, f),
                atlas_views.years_view(src, f, "foreigner_share_pct", dates[-3:]),
            ]
            out += [(view.key, view.figure) for view in _views(built) if view.figure is not None]
    finally:
        store.close()
        patch.undo()
    return out


def _plain(text: str) -> str:
    return " ".join(text.split())


def _classed(svg: str, cls: str) -> set[str]:
    """Texts of the `<text>` elements of class `cls` (lines joined as `text_boxes` joins them)."""
    out = set()
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        if cls in (element.get("class") or "").split():
            lines = [" ".join(t.itertext()).strip() for t in element.findall(f"{SVG}tspan[@class='line']")]
            out.add(_plain(" ".join(lines) if lines else "".join(element.itertext())))
    return out


def _plot_area(svg: str) -> tuple[float, float]:
    """Top and bottom of the plot area: the union of the clip rectangles of the cartesian subplots and
    the maps (a static picture has no drag rectangles), moved as the group they clip is moved."""
    root = ET.fromstring(svg)
    clips = {
        clip.get("id"): clip.find(f"{SVG}rect")
        for clip in root.iter(f"{SVG}clipPath")
        if re.search(r"(x\d*y\d*plot|geo\d*)$", clip.get("id") or "")
    }
    spans = []

    def add(rect: ET.Element, transform: str | None) -> None:
        top = float(rect.get("y") or 0) + sum(float(y or 0) for _, y in _TRANSLATE.findall(transform or ""))
        spans.append((top, top + float(rect.get("height") or 0)))

    for group in root.iter(f"{SVG}g"):
        cls = (group.get("class") or "").split()
        if cls[:1] == ["subplot"] and len(cls) > 1:  # cartesian: the plot group, moved to its place
            plot = next(
                (g for g in group.iter(f"{SVG}g") if g.get("class") == cls[1] and g.get("transform")), None
            )
            rect = next((r for i, r in clips.items() if i.endswith(f"{cls[1]}plot")), None)
            if plot is not None and rect is not None:
                add(rect, plot.get("transform"))
        elif "geo" in cls and group.get("clip-path"):  # a map: its clip rectangle where it is drawn
            add(clips[re.search(r"#([^'\")]+)", group.get("clip-path")).group(1)], None)
    assert spans, "no plot area found"
    return min(t for t, _ in spans), max(b for _, b in spans)


def _check(svg: str, where: str) -> None:
    width, height = view_box(svg)
    boxes = text_boxes(svg)
    title = [b for b in boxes if b[0] == _plain(TITLE)]
    source = [b for b in boxes if b[0].startswith(SOURCE[:20])]
    assert len(title) == 1 and len(source) == 1, (where, [b[0] for b in boxes])
    top, bottom = _plot_area(svg)
    axis_titles = _classed(svg, "xtitle")
    below = max([bottom, *(b[4] for b in boxes if b[0] in axis_titles)])
    for text, left, upper, right, lower in title + source:
        assert left >= -0.5 and right <= width + 0.5, (where, text, left, right, width)
        assert upper >= -0.5 and lower <= height + 0.5, (where, text, upper, lower, height)
    assert title[0][4] <= top, (where, "title over the plot", title[0][4], top)
    assert source[0][2] >= below - 1, (where, "source over the plot or axis title", source[0][2], below)


def test_every_builder_was_given_the_long_texts(figures):
    assert {key for key, _ in figures} and len(figures) >= 12
    assert {"map_or_ranking", "nationality_bar", "age_pyramid_chart", "minors_chart"} <= patched
    assert patched == set(calls), sorted(patched - set(calls))  # every builder the views call, called
    for key, fig in figures:
        assert fig.layout.title.text.count("<br>") == len(wrap_text(TITLE, fig.layout.title.font.size,
                                                                    SCREEN_WIDTH * 0.98 - 20, bold=True)) - 1, key  # fmt: skip


def test_title_and_source_fit_the_page_at_1024_px(figures):
    for key, fig in figures:
        _check(render_as_shown(fig, "svg", 1024).decode(), f"{key} on screen")


@pytest.mark.parametrize("size", [BEAMER, PRINT], ids=lambda s: s.key)
def test_title_and_source_fit_the_exports(figures, size):
    for key, fig in figures:
        _check(render(fig, "svg", size).decode(), f"{key} for {size.key}")
