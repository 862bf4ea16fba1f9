"""Sitzungsbericht: the key charts, a table per chart and the methodology notes, as PPTX or PDF.

Made to be attached to a Vorlage as it is: a title page (municipality, Stichtag, Stadtteile, date of
creation), contents, header and footer with page numbers, every chart with its whole table (paged
over several pages or slides, never cut), document language, title, author and alt text per image.

A selection of the same `ChartView`s the pages show (`charts.population_views`), always in the public
view: a reader of a Vorlage never sees a count below the threshold, and the report withholds exactly
what the pages withhold. No Streamlit here: the page `pages/bericht.py` and the CLI
(`python -m indicators report`) both call `build_report` and then `to_pptx` / `to_pdf`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

import settings
from charts.definitions import ORIGIN_SHARES, definitions, offered
from charts.export import BEAMER, render
from charts.formatting import fmt_date
from charts.population_views import nationalities, share_map, time_series
from charts.reads import own_catalogue
from charts.view import ChartView, Filters, Source, stichtag_sources
from data.store import STADTTEIL, Store
from indicators.disclosure import default_threshold
from indicators.report import (
    REPORT_SHARES,
    methodology,
    resolve_districts,
)

MAX_SERIES_LINES = 8
REPORT_TITLE = "Integrationsmonitor – Sitzungsbericht"


@dataclass
class Report:
    municipality: str
    reference_date: date
    districts: list[str]  # names of the chosen Stadtteile; empty = all
    threshold: int
    charts: list[ChartView]  # only charts a reader may see: the views the pages show
    methodology: list[tuple[str, str]]
    withheld: list[str] = field(default_factory=list)  # why a chart of the pages is not in the report
    created: datetime = field(default_factory=lambda: datetime.now().astimezone())
    #: on the title page: who publishes it (INTEGRATIONSMONITOR_ORGANISATION) and their logo (…_LOGO)
    publisher: str = field(default_factory=settings.organisation)
    logo: Path | None = field(default_factory=settings.logo)

    @property
    def where(self) -> str:
        return ", ".join(self.districts) if self.districts else "alle Stadtteile"

    @property
    def created_text(self) -> str:
        return f"erstellt am {fmt_date(self.created.date())}"

    @property
    def subtitle(self) -> str:
        return f"{self.municipality} · Stichtag {fmt_date(self.reference_date)} · {self.where}"


def build_report(
    store: Store,
    municipality: str,
    reference_date: date | None = None,
    districts: list[str] | None = None,
    *,
    threshold: int | None = None,
    level: str = STADTTEIL,
    source: Source | None = None,
) -> Report:
    """A selection of the views the pages show, always in the public view: the maps (or rankings) of
    the key shares, the time series of the foreigner share, the nationalities of the chosen Stadtteile
    (names or ids; default: all) — with the same hidden cells and withheld charts as on the pages.
    Raises `indicators.report.SelectionError` / ValueError with a German message."""
    threshold = default_threshold() if threshold is None else threshold
    dates = store.reference_dates(municipality)
    if not dates:
        raise ValueError(f"Für {municipality} sind keine Bevölkerungszahlen geladen.")
    when = reference_date or dates[-1]
    if when not in dates:
        raise ValueError(
            f"Für {municipality} gibt es keine Daten zum Stichtag {fmt_date(when)}. "
            f"Vorhandene Stichtage: {', '.join(fmt_date(d) for d in dates)}."
        )
    all_districts = store.districts(municipality, level)
    ids = resolve_districts(all_districts, districts)
    names = all_districts.set_index("district_id").loc[ids, "district"].tolist() if ids else []
    meta = store.municipalities().set_index("name").loc[municipality]
    synthetic = bool(meta["synthetic"])
    f = Filters(
        municipality, when, dates, level, ids, synthetic=synthetic, threshold=threshold,
        source=meta["source"] if isinstance(meta["source"], str) else None,
        stichtag_sources=stichtag_sources(store.population_sources(municipality)),
    )  # fmt: skip
    src = source or Source(store)
    # the shares of the definitions of origin the municipality delivers (Einwanderungsgeschichte too)
    report_shares = offered(dict.fromkeys((*REPORT_SHARES, *ORIGIN_SHARES)), definitions(src, f))
    views = [share_map(src, f, key, labels=True) for key in report_shares]  # the export thins names
    if len(dates) > 1:
        views.append(time_series(src, f, REPORT_SHARES[0]))
    views.append(nationalities(src, f, ids))
    own = [e.key for e in own_catalogue(src, f) if e.on_map]  # the municipality's own indicators last
    views += [share_map(src, f, key, labels=True) for key in own]
    views = [v for v in views if v is not None]
    withheld = [v.withheld for v in views if not v.shown]
    return Report(
        municipality, when, names, threshold, [v for v in views if v.shown],
        methodology([*report_shares, *own], threshold, synthetic, _smallest(views, level, municipality))
        + [("Nicht gezeigt", r) for r in withheld],
        withheld,
    )  # fmt: skip


def _smallest(views: list[ChartView], level: str, municipality: str) -> tuple[str, str, int] | None:
    """(municipality, name, Einwohner:innen) of the smallest Stadtteil in the report's first table."""
    for view in views:
        table = view.table
        if level in table and "Einwohner:innen" in table:
            rows = table[table[level] != municipality].dropna(subset=["Einwohner:innen"])
            if not rows.empty:
                row = rows.loc[rows["Einwohner:innen"].astype(float).idxmin()]
                return municipality, str(row[level]), int(row["Einwohner:innen"])
    return None


# --- files --------------------------------------------------------------------------------------

#: rows of a table on one slide (11 pt): the rest continues on the next slide
SLIDE_ROWS = 14
EMU_PER_INCH = 914400


def alt_text(chart: ChartView) -> str:
    """What a screen reader says for a chart's picture."""
    return f"Grafik: {chart.title}. {chart.source}. Die Zahlen stehen in der Tabelle zur Grafik."


def to_pptx(report: Report, template: Path | str | bytes | None = None) -> bytes:
    """16:9 deck: title slide, per chart a picture slide (beamer PNG, alt text) and its table over as
    many slides as it needs, methodology; a footer line with the page number on every slide.

    template: a .pptx whose slide size, master and layouts ("Title Slide", "Title Only", "Title and
    Content", else the first three) are used; without one, python-pptx's default made 16:9."""
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Emu, Pt

    if isinstance(template, bytes):
        template = io.BytesIO(template)
    deck = Presentation(template)
    if template is None:
        _widen_to_16_9(deck)
    width, height = deck.slide_width, deck.slide_height
    side = Emu(int(width * 0.04))
    layouts = _layouts(deck)
    slide = deck.slides.add_slide(layouts["title"])
    slide.shapes.title.text = REPORT_TITLE
    lines = [report.subtitle, report.created_text.capitalize(), report.publisher or "Integrationsmonitor"]
    body = next((ph for ph in slide.placeholders if ph.placeholder_format.idx != 0), None)
    if body is not None:
        body.text_frame.text = "\n".join(lines)
    if report.logo:
        logo_h = Emu(int(height * 0.12))
        slide.shapes.add_picture(str(report.logo), width - side - logo_h * 2, side // 2, height=logo_h)
    for chart in report.charts:
        slide = _titled_slide(deck, layouts["title_only"], chart.title)
        image = render(_untitled(chart.figure), "png", BEAMER, chart.notes)
        top = _below_title(slide, height)
        room_h = height - top - Emu(int(height * 0.08))
        pic_h = min(room_h, int((width - 2 * side) * BEAMER.height / BEAMER.width))
        pic_w = Emu(int(pic_h * BEAMER.width / BEAMER.height))
        picture = slide.shapes.add_picture(io.BytesIO(image), (width - pic_w) // 2, top, pic_w, pic_h)
        picture.name = f"Grafik: {chart.title}"[:250]
        picture._element.nvPicPr.cNvPr.set("descr", alt_text(chart))  # noqa: SLF001 - python-pptx has no API
        table = chart.text_table()
        parts = [table.iloc[i : i + SLIDE_ROWS] for i in range(0, max(len(table), 1), SLIDE_ROWS)]
        for n, part in enumerate(parts, start=1):
            more = f" ({n}/{len(parts)})" if len(parts) > 1 else ""
            slide = _titled_slide(deck, layouts["title_only"], f"Tabelle: {chart.title}{more}")
            top = _below_title(slide, height)
            _pptx_table(slide, part, side, top, width - 2 * side, Pt)
            if n == len(parts) and chart.notes:
                notes_top = top + Emu(int(0.34 * EMU_PER_INCH * (len(part) + 1.3)))
                box = slide.shapes.add_textbox(side, notes_top, width - 2 * side, height - notes_top)
                box.text_frame.word_wrap = True
                box.text_frame.text = "\n".join(chart.notes)
                for para in box.text_frame.paragraphs:
                    para.font.size = Pt(10)
    slide = _titled_slide(deck, layouts["content"], "Methodik und Hinweise")
    body = next((ph for ph in slide.placeholders if ph.placeholder_format.idx != 0), None)
    if body is None:
        body = slide.shapes.add_textbox(side, _below_title(slide, height), width - 2 * side, height // 2)
    body.text_frame.word_wrap = True
    body.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # PowerPoint shrinks a long text
    for i, (heading, text) in enumerate(report.methodology):
        para = body.text_frame.paragraphs[0] if i == 0 else body.text_frame.add_paragraph()
        run = para.add_run()
        run.text = f"{heading}: "
        run.font.bold = True
        para.add_run().text = text
        for r in para.runs:
            r.font.size = Pt(11)
    for number, slide in enumerate(deck.slides, start=1):
        _slide_footer(slide, f"{report.subtitle} · {report.created_text} · Folie {number} von "
                      f"{len(deck.slides)}", side, width, height, Pt)  # fmt: skip
    props = deck.core_properties
    props.title = f"{REPORT_TITLE}: {report.subtitle}"
    props.author = props.last_modified_by = report.municipality
    props.subject = "Integrationsmonitor"
    props.keywords = "Integrationsmonitor; Sitzungsbericht; Stadtteile"
    props.language = "de-DE"
    props.comments = f"Fallzahlen unter {report.threshold} gesperrt"
    props.created = props.modified = report.created.astimezone().replace(tzinfo=None)
    for stale in props._element.xpath("cp:lastPrinted"):  # noqa: SLF001 - the template's, from 2013
        props._element.remove(stale)  # noqa: SLF001
    props.revision = 1
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _widen_to_16_9(deck) -> None:
    """python-pptx's default deck is 4:3 (10 in wide): make it 13,333 in and stretch the placeholders
    of master and layouts with it, so titles span the slide."""
    from pptx.util import Inches

    old = deck.slide_width
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    factor = deck.slide_width / old
    shapes = [*deck.slide_master.placeholders]
    for layout in deck.slide_layouts:
        shapes += list(layout.placeholders)
    for shape in shapes:
        if shape._element.xpath("./p:spPr/a:xfrm"):  # noqa: SLF001 - own position, not the master's
            shape.left, shape.width = int(shape.left * factor), int(shape.width * factor)


def _layouts(deck) -> dict[str, object]:
    """Title, title-only and title-and-content layouts of the deck, by name, else by position."""
    by_name = {layout.name: layout for layout in deck.slide_layouts}
    fallback = list(deck.slide_layouts)
    wanted = {
        "title": ("Title Slide", 0),
        "title_only": ("Title Only", 5),
        "content": ("Title and Content", 1),
    }
    return {
        key: by_name.get(name) or fallback[min(index, len(fallback) - 1)]
        for key, (name, index) in wanted.items()
    }


def _titled_slide(deck, layout, text: str):
    slide = deck.slides.add_slide(layout)
    if slide.shapes.title is None:
        box = slide.shapes.add_textbox(int(deck.slide_width * 0.04), int(deck.slide_height * 0.03),
                                       int(deck.slide_width * 0.92), int(deck.slide_height * 0.12))  # fmt: skip
        box.text_frame.text = text
        return slide
    slide.shapes.title.text = text
    for para in slide.shapes.title.text_frame.paragraphs:
        para.font.size = 22 * 12700 if len(text) > 60 else 26 * 12700
        para.font.bold = True
    return slide


def _below_title(slide, height) -> int:
    title = slide.shapes.title
    if title is None or title.top is None:
        return int(height * 0.16)
    return int(min(title.top + title.height, height * 0.2)) + int(height * 0.02)


def _slide_footer(slide, text: str, side, width, height, pt) -> None:
    box = slide.shapes.add_textbox(side, int(height * 0.95), width - 2 * side, int(height * 0.04))
    box.name = "Fußzeile"
    box.text_frame.text = text
    for para in box.text_frame.paragraphs:
        para.font.size = pt(9)


def _untitled(fig: go.Figure) -> go.Figure:
    """The slide carries the title, so the picture does not repeat it."""
    out = go.Figure(fig)
    out.update_layout(title_text="", margin={"t": 30})
    return out


def _pptx_table(slide, table: pd.DataFrame, left, top, width, pt) -> None:
    from pptx.enum.text import PP_ALIGN

    rows, cols = len(table) + 1, len(table.columns)
    row_height = int(0.32 * EMU_PER_INCH)
    shape = slide.shapes.add_table(rows, cols, left, top, width, row_height * rows)
    grid = shape.table
    weights = [2.2 if j == 0 else 1.0 for j in range(cols)]
    for j, weight in enumerate(weights):
        grid.columns[j].width = int(width * weight / sum(weights))
    for j, column in enumerate(table.columns):
        grid.cell(0, j).text = str(column)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            grid.cell(i, j).text = str(value)
    for i in range(rows):
        grid.rows[i].height = row_height
        for j in range(cols):
            cell = grid.cell(i, j)
            cell.margin_top = cell.margin_bottom = int(0.03 * EMU_PER_INCH)
            for para in cell.text_frame.paragraphs:
                para.font.size = pt(11 if i else 10)
                if j > 0:
                    para.alignment = PP_ALIGN.RIGHT


def to_pdf(report: Report) -> bytes:
    """A4 landscape, tagged PDF/UA-1 (`charts.report_pdf`): title page, contents, per chart the
    picture with its whole table and notes, then the methodology; header and footer with page numbers."""
    from charts import report_pdf

    return report_pdf.to_pdf(report)


def write(report: Report, fmt: str, template: Path | str | bytes | None = None) -> bytes:
    """`to_pptx` (with an optional template deck) or `to_pdf` by name."""
    if fmt == "pptx":
        return to_pptx(report, template)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"format must be pptx or pdf, got {fmt!r}")


def page_count(data: bytes, fmt: str) -> int:
    """Slides of a PPTX or pages of a PDF written here."""
    if fmt == "pptx":
        from pptx import Presentation

        return len(Presentation(io.BytesIO(data)).slides)
    from charts import report_pdf

    return report_pdf.page_count(data)
