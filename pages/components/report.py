"""Sitzungsbericht: the key charts, a table per chart and the methodology notes, as PPTX or PDF.

Built from the data layer with the dashboard's own figure builders, always in the public view
(`indicators.disclosure`): a reader of a Vorlage never sees a count below the threshold. No Streamlit
here: the page `pages/bericht.py` and the CLI (`python -m indicators report`) both call
`build_report` and then `to_pptx` / `to_pdf`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from data.store import STADTTEIL, Store
from geo.boundaries import from_wkb
from indicators.catalogue import get
from indicators.disclosure import SUPPRESSED, PublicTable, default_threshold, footnote
from indicators.report import (
    REPORT_SHARES,
    methodology,
    public_nationalities,
    public_series,
    public_shares,
    resolve_districts,
)
from pages.components.export import BEAMER, PRINT, render
from pages.components.figures import district_map, ranking_bar
from pages.components.formatting import fmt_date, fmt_indicator, fmt_int, fmt_pct, fmt_pp
from pages.components.texts import NO_GEOMETRY_NOTE, source_line

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
MAX_SERIES_LINES = 8
REPORT_TITLE = "Integrationsmonitor – Sitzungsbericht"


@dataclass
class ReportChart:
    title: str
    figure: go.Figure
    table: pd.DataFrame  # display text, German, with SUPPRESSED for hidden values
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    municipality: str
    reference_date: date
    districts: list[str]  # names of the chosen Stadtteile; empty = all
    threshold: int
    charts: list[ReportChart]
    methodology: list[tuple[str, str]]

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
) -> Report:
    """Charts and tables for one municipality, Stichtag (default: the latest) and set of Stadtteile
    (names or ids; default: all). Maps and rankings show every Stadtteil for comparison; the tables,
    the time series and the nationalities focus on the chosen ones. Raises
    `indicators.report.SelectionError` / ValueError with a German message."""
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
    source = source_line(meta["source"] if isinstance(meta["source"], str) else None, fmt_date(when))
    earlier = [d for d in dates if d < when]
    previous = store.population(municipality, earlier[-1], level) if earlier else None
    counts = store.population(municipality, when, level)
    view = public_shares(counts, municipality, threshold, previous)
    shapes = store.boundaries(municipality, level)
    shapes = from_wkb(shapes) if not shapes.empty else None

    charts = [
        _share_chart(view, key, municipality, ids, shapes, source, level, threshold) for key in REPORT_SHARES
    ]
    if len(dates) > 1:
        charts.append(_series_chart(store, municipality, level, ids, when, source, threshold))
    nationalities = public_nationalities(store.detail(municipality, when), ids, threshold)
    if nationalities is not None:
        charts.append(_nationality_chart(nationalities, names, municipality, source, threshold))
    keys = [*REPORT_SHARES]
    return Report(municipality, when, names, threshold, charts, methodology(keys, threshold, synthetic))


def _notes(mask_any: bool, threshold: int, *extra: str) -> list[str]:
    return [*extra, *([footnote(threshold)] if mask_any else [])]


def _share_chart(
    view: PublicTable,
    key: str,
    municipality: str,
    ids: list[str],
    shapes,
    source: str,
    level: str,
    threshold: int,
) -> ReportChart:
    indicator = get(key)
    stem = key.removesuffix("_pct")
    count = {"foreigner_share_pct": "foreigners", "migration_background_share_pct": "migration_background"}[
        key
    ]
    masked, mask = view
    rows = masked["district_id"].isin(ids) | masked["district_id"].isna() if ids else masked.index >= 0
    districts = masked[masked["district_id"].notna()]
    values = districts[["district_id", "district", "population", count]].assign(
        value=pd.to_numeric(districts[key], errors="coerce").astype(float)
    )
    title = f"{indicator.label} nach {level}, {municipality}"
    hidden = districts.loc[mask.loc[districts.index, key], "district"]
    extra = [f"{indicator.label} = {indicator.formula}."]
    if len(hidden):
        extra.append(f"Nicht dargestellt ({SUPPRESSED}): {', '.join(hidden)}.")
    city = masked.loc[masked["district_id"].isna(), key]
    if shapes is None:
        extra.insert(0, NO_GEOMETRY_NOTE.split(" Grenzen lassen")[0])
        figure = ranking_bar(
            values, indicator, title=title, source=source,
            reference=float(city.iloc[0]) if len(city) and pd.notna(city.iloc[0]) else None,
            reference_label=municipality,
        )  # fmt: skip
    else:
        figure = district_map(shapes, values, indicator, title=title, source=source)
    table = masked.loc[rows, ["district", "population", count, key, f"{stem}_deviation_pp"]]
    text = pd.DataFrame(
        {
            "district": table["district"].astype(str),
            "population": table["population"].map(fmt_int),
            count: table[count].map(fmt_int),
            key: table[key].map(lambda v: fmt_indicator(v, indicator)),
            f"{stem}_deviation_pp": table[f"{stem}_deviation_pp"].map(fmt_pp),
        },
        index=table.index,
    )
    text = view.display(text).rename(
        columns={
            "district": level,
            "population": get("population").label,
            count: get(count).label,
            key: indicator.short_label,
            f"{stem}_deviation_pp": f"Abweichung von {municipality}",
        }
    )
    return ReportChart(
        title,
        figure,
        text.reset_index(drop=True),
        _notes(bool(mask.loc[rows].to_numpy().any()), threshold, *extra),
    )


def _series_chart(
    store: Store, municipality: str, level: str, ids: list[str], when: date, source: str, threshold: int
) -> ReportChart:
    from pages.components.charts import time_series

    key = REPORT_SHARES[0]
    indicator = get(key)
    series = store.population(municipality, None, level)
    series = series[pd.to_datetime(series["reference_date"]) <= pd.Timestamp(when)]
    chosen = ids[:MAX_SERIES_LINES]
    frame = public_series(series, municipality, chosen, key, threshold)
    title = f"{indicator.label} im Zeitverlauf, {municipality}"
    figure = time_series(frame, indicator, title=title, source=source, reference=municipality)
    wide = frame.pivot_table(
        index="reference_date", columns="district", values="value", aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=[*[c for c in wide.columns if c != municipality], municipality]).tail(6)
    hidden = (
        wide.isna()
        & frame.assign(ok=True)
        .pivot_table(index="reference_date", columns="district", values="ok", aggfunc="first")
        .reindex_like(wide)
        .notna()
    )
    text = wide.map(fmt_pct).mask(hidden, SUPPRESSED).rename_axis(columns=None)
    text.insert(0, "Stichtag", [fmt_date(d) for d in wide.index])
    notes = [f"{indicator.label} = {indicator.formula}."]
    if not ids:
        notes.append(f"Ohne Auswahl von Stadtteilen zeigt die Grafik nur {municipality} insgesamt.")
    elif len(ids) > MAX_SERIES_LINES:
        notes.append(f"Gezeigt werden die ersten {MAX_SERIES_LINES} der gewählten Stadtteile.")
    return ReportChart(
        title, figure, text.reset_index(drop=True), _notes(bool(hidden.to_numpy().any()), threshold, *notes)
    )


def _nationality_chart(
    view: PublicTable, names: list[str], municipality: str, source: str, threshold: int
) -> ReportChart:
    from pages.components.charts import nationality_bar

    frame, mask = view
    where = ", ".join(names) if names else municipality
    title = f"Häufigste Staatsangehörigkeiten, {where}"
    shown = frame[~mask["persons"].to_numpy()]
    figure = nationality_bar(shown.astype({"persons": "int64"}), title=title, source=source)
    text = pd.DataFrame(
        {
            "Staatsangehörigkeit": frame["nationality"].astype(str),
            "persons": frame["persons"].map(fmt_int),
            "share_pct": frame["share_pct"].map(fmt_pct),
        }
    )
    text = view.display(text).rename(
        columns={"persons": "Personen", "share_pct": "Anteil an allen Ausländer:innen"}
    )
    extra = ["Anteil = Personen der Staatsangehörigkeit / alle Ausländer:innen der Auswahl × 100."]
    return ReportChart(title, figure, text, _notes(bool(mask.to_numpy().any()), threshold, *extra))


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
        _pptx_table(slide, chart.table, Inches(0.5), Inches(1.2), deck.slide_width - Inches(1.0), Pt)
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
        size = 11 if len(chart.table) <= 14 else 9
        pdf.set_font("DejaVu", "", size)
        aligns = ["LEFT", *["RIGHT"] * (len(chart.table.columns) - 1)]
        with pdf.table(
            text_align=aligns, line_height=size * 0.55, headings_style=FontFace(emphasis="BOLD"),
            first_row_as_headings=True,
        ) as grid:  # fmt: skip
            grid.row([str(c) for c in chart.table.columns])
            for values in chart.table.itertuples(index=False):
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
