"""Sitzungsbericht: the key charts, a table per chart and the methodology notes, as PPTX or PDF.

A selection of the same `ChartView`s the pages show (`charts.population_views`), always in the public
view: a reader of a Vorlage never sees a count below the threshold, and the report withholds exactly
what the pages withhold. No Streamlit here: the page `pages/bericht.py` and the CLI
(`python -m indicators report`) both call `build_report` and then `to_pptx` / `to_pdf`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from charts.export import BEAMER, PRINT, render
from charts.formatting import fmt_date
from charts.population_views import nationalities, share_map, time_series
from charts.view import ChartView, Filters, Source
from data.store import STADTTEIL, Store
from indicators.disclosure import default_threshold
from indicators.report import (
    REPORT_SHARES,
    methodology,
    resolve_districts,
)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
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

    @property
    def subtitle(self) -> str:
        where = ", ".join(self.districts) if self.districts else "alle Stadtteile"
        return f"{self.municipality} · Stichtag {fmt_date(self.reference_date)} · {where}"


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
    )  # fmt: skip
    src = source or Source(store)
    views = [share_map(src, f, key, labels=False) for key in REPORT_SHARES]
    if len(dates) > 1:
        views.append(time_series(src, f, REPORT_SHARES[0]))
    views.append(nationalities(src, f, ids))
    views = [v for v in views if v is not None]
    withheld = [v.withheld for v in views if not v.shown]
    return Report(
        municipality, when, names, threshold, [v for v in views if v.shown],
        methodology(list(REPORT_SHARES), threshold, synthetic) + [("Nicht gezeigt", r) for r in withheld],
        withheld,
    )  # fmt: skip


# --- files --------------------------------------------------------------------------------------


def to_pptx(report: Report) -> bytes:
    """16:9 deck: title slide, per chart a picture slide (beamer PNG) and a table slide, methodology."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    title_slide = deck.slides.add_slide(deck.slide_layouts[0])
    title_slide.shapes.title.text = REPORT_TITLE
    title_slide.placeholders[1].text = report.subtitle
    layout = deck.slide_layouts[5]  # title only
    for chart in report.charts:
        slide = deck.slides.add_slide(layout)
        _slide_title(slide, chart.title, Inches, Pt)
        image = render(_untitled(chart.figure), "png", BEAMER, chart.notes)
        top = Inches(1.1)
        height = deck.slide_height - top - Inches(0.2)
        width = Emu(int(height * BEAMER.width / BEAMER.height))
        slide.shapes.add_picture(io.BytesIO(image), (deck.slide_width - width) // 2, top, width, height)
        slide = deck.slides.add_slide(layout)
        _slide_title(slide, f"Tabelle: {chart.title}", Inches, Pt)
        _pptx_table(slide, chart.text_table(), Inches(0.5), Inches(1.2), deck.slide_width - Inches(1.0), Pt)
        box = slide.shapes.add_textbox(
            Inches(0.5), deck.slide_height - Inches(1.1), deck.slide_width - Inches(1.0), Inches(1.0)
        )
        box.text_frame.word_wrap = True
        box.text_frame.text = "\n".join(chart.notes)
        for para in box.text_frame.paragraphs:
            para.font.size = Pt(10)
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    _slide_title(slide, "Methodik und Hinweise", Inches, Pt)
    body = slide.placeholders[1].text_frame
    body.word_wrap = True
    for i, (heading, text) in enumerate(report.methodology):
        para = body.paragraphs[0] if i == 0 else body.add_paragraph()
        run = para.add_run()
        run.text = f"{heading}: "
        run.font.bold = True
        para.add_run().text = text
        for r in para.runs:
            r.font.size = Pt(11)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _slide_title(slide, text: str, inches, pt) -> None:
    title = slide.shapes.title
    title.text = text
    title.left, title.top, title.width, title.height = inches(0.5), inches(0.25), inches(12.3), inches(0.8)
    for para in title.text_frame.paragraphs:
        para.font.size = pt(26)
        para.font.bold = True


def _untitled(fig: go.Figure) -> go.Figure:
    """The slide carries the title, so the picture does not repeat it."""
    out = go.Figure(fig)
    out.update_layout(title_text="", margin={"t": 30})
    return out


def _pptx_table(slide, table: pd.DataFrame, left, top, width, pt) -> None:
    rows, cols = len(table) + 1, len(table.columns)
    row_height = min(360000, int(5.0 * 914400 / rows))
    shape = slide.shapes.add_table(rows, cols, left, top, width, row_height * rows)
    grid = shape.table
    for j, column in enumerate(table.columns):
        grid.cell(0, j).text = str(column)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            grid.cell(i, j).text = str(value)
    size = pt(12 if rows <= 12 else 10 if rows <= 18 else 8)
    for i in range(rows):
        grid.rows[i].height = row_height
        for j in range(cols):
            for para in grid.cell(i, j).text_frame.paragraphs:
                para.font.size = size
                if j > 0 and i > 0:
                    from pptx.enum.text import PP_ALIGN

                    para.alignment = PP_ALIGN.RIGHT


def to_pdf(report: Report) -> bytes:
    """A4 landscape: title page, per chart a page with the print PNG and a page with its table and
    notes, then the methodology. DejaVu Sans (€, umlauts, •)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not regular.exists():
        raise FileNotFoundError(f"Schrift fehlt: {regular} (apt-get install fonts-dejavu-core)")
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(f"{REPORT_TITLE}: {report.subtitle}")
    pdf.set_creator("Integrationsmonitor")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 26)
    pdf.ln(50)
    pdf.multi_cell(0, 12, REPORT_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 16)
    pdf.ln(6)
    pdf.multi_cell(0, 9, report.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        0,
        6,
        "Inhalt: " + "; ".join(c.title for c in report.charts) + "; Methodik und Hinweise.",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for chart in report.charts:
        pdf.add_page()
        image = render(chart.figure, "png", PRINT, chart.notes)
        width = pdf.w - 20
        pdf.image(io.BytesIO(image), x=10, y=(pdf.h - width * PRINT.height / PRINT.width) / 2, w=width)
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 16)
        pdf.multi_cell(0, 9, f"Tabelle: {chart.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        table = chart.text_table()
        size = 11 if len(table) <= 14 else 9
        pdf.set_font("DejaVu", "", size)
        aligns = ["LEFT", *["RIGHT"] * (len(table.columns) - 1)]
        with pdf.table(
            text_align=aligns, line_height=size * 0.55, headings_style=FontFace(emphasis="BOLD"),
            first_row_as_headings=True,
        ) as grid:  # fmt: skip
            grid.row([str(c) for c in table.columns])
            for values in table.itertuples(index=False):
                grid.row([str(v) for v in values])
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 9)
        for note in chart.notes:
            pdf.multi_cell(0, 4.8, note, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, "Methodik und Hinweise", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for heading, text in report.methodology:
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.2, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def write(report: Report, fmt: str) -> bytes:
    """`to_pptx` or `to_pdf` by name."""
    if fmt == "pptx":
        return to_pptx(report)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"format must be pptx or pdf, got {fmt!r}")
