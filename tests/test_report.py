"""The Sitzungsbericht as a committee gets it: read the PPTX back, render the PDF pages and look."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from data.demo import DEMO_NAME
from data.store import Store
from indicators.disclosure import SUPPRESSED
from indicators.report import SelectionError, resolve_districts
from tests.pdf_checks import tagging_problems

REPO = Path(__file__).resolve().parents[1]
LUENEN = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    assert run("data", "demo", "--db", str(path)).returncode == 0
    return path


@pytest.fixture(scope="module")
def luenen_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("luenen") / "l.duckdb"
    done = run("data", "import", "population", str(LUENEN), "--date", "2020-12-31", "--municipality", "Lünen",
               "--db", str(path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return path


def slides(data: bytes) -> list[tuple[str, int, list[str]]]:
    """(title, pictures, all text) per slide."""
    out = []
    for slide in Presentation(io.BytesIO(data)).slides:
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        pictures = sum(1 for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        for shape in slide.shapes:
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        out.append((title, pictures, texts))
    return out


def pdf_pages(path: Path, tmp_path: Path) -> list[np.ndarray]:
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120
    )
    files = sorted(tmp_path.glob("page-*.png"))
    return [np.asarray(Image.open(f).convert("L")) for f in files]


def test_demo_pptx_from_the_cli_has_chart_table_and_method_slides(demo_db, tmp_path):
    from charts.report import build_report

    out = tmp_path / "bericht.pptx"
    done = run("indicators", "report", "--format", "pptx", "--out", str(out), "--db", str(demo_db),
               "--municipality", DEMO_NAME, "--districts", "Kleinholthausen,011")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    deck = slides(data)
    assert re.match(
        rf"Sitzungsbericht geschrieben: .*bericht\.pptx \(PPTX, {len(deck)} Folien, 4 Grafiken; ", done.stdout
    )
    titles = [t for t, _, _ in deck]
    charts = [
        "Ausländeranteil nach Stadtteil, Musterstadt",
        "Anteil mit Migrationshintergrund nach Stadtteil, Musterstadt",
        "Ausländeranteil, ausgewählte Stadtteile – Musterstadt",
        "Häufigste Staatsangehörigkeiten in Kleinholthausen und Altstadt, Musterstadt",
    ]
    assert titles[0] == "Integrationsmonitor – Sitzungsbericht" and titles[-1] == "Methodik und Hinweise"
    assert [t for t in titles if t in charts] == charts
    assert [p for _, p, _ in deck] == [1 if t in charts else 0 for t in titles]
    front = " ".join(deck[0][2])
    assert "Musterstadt · Stichtag 31.12.2024 · Kleinholthausen, Altstadt" in front and "Erstellt am" in front
    table = deck[titles.index(charts[0]) + 1][2]
    assert {"Altstadt", "Kleinholthausen", "Musterstadt", "89.430"} <= set(table)
    method = " ".join(deck[-1][2])
    assert "Geheimhaltung" in method and "synthetisch" in method
    assert "Lünen" not in method and "In Musterstadt ist" in method, "the method speaks of this city"
    store = Store(demo_db)
    try:
        report = build_report(store, DEMO_NAME, districts=["Kleinholthausen", "011"])
    finally:
        store.close()
    assert_every_row_on_a_slide(report, data)
    assert_deck_is_made_for_16_9(data, DEMO_NAME, len(report.charts))


def assert_every_row_on_a_slide(report, data: bytes) -> None:
    """Each row of each chart's table appears, whole, in a table on some slide."""
    rows_on_slides = set()
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_table:
                rows_on_slides |= {tuple(c.text for c in row.cells) for row in shape.table.rows}
    for chart in report.charts:
        for row in chart.text_table().itertuples(index=False):
            assert tuple(str(v) for v in row) in rows_on_slides, (chart.title, row)


def assert_deck_is_made_for_16_9(data: bytes, author: str, charts: int) -> None:
    """16:9, titles spanning the slide, alt text on every picture, the deck's own core properties,
    and every table inside its slide."""
    deck = Presentation(io.BytesIO(data))
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000) or abs(
        deck.slide_width / deck.slide_height - 16 / 9
    ) < 0.01
    props = deck.core_properties
    assert props.author == author and props.title.startswith("Integrationsmonitor – Sitzungsbericht")
    assert props.created.year >= 2026 and props.last_printed is None
    pictures = 0
    for slide in deck.slides:
        title = slide.shapes.title
        assert title.width > deck.slide_width * 0.8 and title.height > 0
        assert title.left + title.width <= deck.slide_width
        for shape in slide.shapes:
            assert (
                shape.left + shape.width <= deck.slide_width and shape.top + shape.height <= deck.slide_height
            )
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                pictures += 1
                descr = shape._element.nvPicPr.cNvPr.get("descr")
                assert descr.startswith("Grafik: ") and "Stichtag" in descr and descr != "image.png"
    assert pictures == charts


def test_small_stadtteil_report_hides_small_counts(demo_db, tmp_path):
    from charts.report import build_report

    store = Store(demo_db)
    try:
        report = build_report(store, DEMO_NAME, districts=["Kleinholthausen"])
    finally:
        store.close()
    nationalities = report.charts[-1]
    table = nationalities.text_table()
    # nationalities of 1 or 2 persons are not named, not even as •: they are in "Übrige" (≥ 3 persons)
    assert not {"Italien", "Polen", "Rumänien", "Afghanistan"} & set(table["Staatsangehörigkeit"])
    assert table["Staatsangehörigkeit"].iloc[-1] == "Übrige"
    assert any("Schutz kleiner Fallzahlen" in n for n in nationalities.notes)
    persons = [int(v.replace(".", "")) for v in table["Personen"] if v != SUPPRESSED]
    assert min(persons) >= 3


def test_luenen_pdf_without_boundaries_uses_bars_and_is_not_blank(luenen_db, tmp_path):
    out = tmp_path / "luenen.pdf"
    done = run("indicators", "report", "--format", "pdf", "--out", str(out), "--db", str(luenen_db))
    assert done.returncode == 0, done.stderr
    pages = pdf_pages(out, tmp_path)
    assert (
        f"(PDF, {len(pages)} Seiten, 2 Grafiken; Lünen · Stichtag 31.12.2020 · alle Stadtteile" in done.stdout
    )
    assert 5 <= len(pages) <= 8, "title, contents, two charts with their tables (paged), methodology"
    for page in pages:
        assert page.shape[1] > page.shape[0], "A4 landscape"
    chart = pages[2]
    assert (chart < 200).mean() > 0.03, "the bar chart page holds a picture, not a blank"
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Brambauer" in text and "87.815" in text and "15,1 %" in text and "Methodik" in text
    assert "In Lünen ist Beckinghausen mit 959 Einwohner:innen der kleinste Stadtteil" in text
    per_page = text.split("\f")
    for number, page_text in enumerate(per_page[: len(pages)], start=1):
        assert f"Seite {number} von {len(pages)}" in page_text
        body = [
            line
            for line in page_text.splitlines()
            if line.strip()
            and not line.startswith(
                (
                    "Integrationsmonitor – Sitzungsbericht ·",
                    "erstellt am",
                    "Integrationsmonitor · Lünen",
                    "Seite ",
                )
            )
        ]
        assert len(body) >= 4, f"page {number}: more than header and footer"
    assert "Inhalt" in per_page[1] and "Ausländeranteil nach Stadtteil, Lünen" in per_page[1]
    for words in ("Lünen", "Stichtag 31.12.2020", "alle Stadtteile", "Erstellt am", "Integrationsmonitor"):
        assert words in per_page[0]
    assert_pdf_is_tagged(out, luenen_db, figures=2)


def assert_pdf_is_tagged(path: Path, db: Path, figures: int) -> None:
    """PDF/UA-1 as far as pikepdf reads it back (tests/pdf_checks.py): one /Figure per chart picture
    with the chart's alt text; title and author as pdfinfo shows them."""
    from charts.report import alt_text, build_report

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Integrationsmonitor – Sitzungsbericht: ", info, re.M)
    assert re.search(r"^Author:\s+Lünen$", info, re.M)
    store = Store(db)
    try:
        report = build_report(store, "Lünen")
    finally:
        store.close()
    assert len(report.charts) == figures
    assert tagging_problems(path, [alt_text(c) for c in report.charts]) == []


def test_wrong_selection_or_date_is_a_german_error(luenen_db, tmp_path):
    done = run("indicators", "report", "--format", "pdf", "--out", str(tmp_path / "x.pdf"), "--db", str(luenen_db),
               "--districts", "Altstadt")  # fmt: skip
    assert done.returncode == 1 and "Unbekannte Stadtteile: Altstadt" in done.stderr
    done = run("indicators", "report", "--format", "pdf", "--out", str(tmp_path / "x.pdf"), "--db", str(luenen_db),
               "--date", "2019-12-31")  # fmt: skip
    assert done.returncode == 1 and "keine Daten zum Stichtag 31.12.2019" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_resolve_districts_by_name_or_key():
    import pandas as pd

    frame = pd.DataFrame({"district_id": ["011", "023"], "district": ["Altstadt", "Kleinholthausen"]})
    assert resolve_districts(frame, ["kleinholthausen", "011", ""]) == ["023", "011"]
    assert resolve_districts(frame, None) == []
    with pytest.raises(SelectionError, match="Nirgendwo"):
        resolve_districts(frame, ["Nirgendwo"])


def test_public_shares_cli_leaves_suppressed_fields_empty(tmp_path):
    csv = tmp_path / "tiny.csv"
    csv.write_text("Stadtteil;Einwohner;Ausländer;Migrationshintergrund\nA;900;2;100\nB;5000;300;900\nC;4000;250;700\n",
                   encoding="utf-8")  # fmt: skip
    db = tmp_path / "t.duckdb"
    assert run("data", "import", "population", str(csv), "--date", "2020-12-31", "--municipality", "Tiny",
               "--db", str(db)).returncode == 0  # fmt: skip
    exact = run("indicators", "shares", "--date", "2020-12-31", "--db", str(db)).stdout.splitlines()
    public = run(
        "indicators", "shares", "--date", "2020-12-31", "--public", "--db", str(db)
    ).stdout.splitlines()
    assert exact[0] == public[0] and len(exact) == len(public) == 5
    row_a = public[1].split(",")
    assert row_a[3] == "" and row_a[4] == "", "2 foreigners and their share are left empty"
    assert sum(1 for line in public[1:4] if line.split(",")[3] == "") == 2, "one complementary cell"
    assert public[4].split(",")[3] == "552", "the municipality total stays"
    assert exact[1].split(",")[3] == "2"


def test_a_city_template_gives_the_deck_its_size_and_layouts(demo_db, tmp_path):
    template = Presentation()
    template.slide_width, template.slide_height = 12192000, 6858000  # 16:9 as PowerPoint makes it
    template.slide_layouts[5].name = "Title Only"
    template.save(tmp_path / "stadt.pptx")
    out = tmp_path / "mit_vorlage.pptx"
    done = run("indicators", "report", "--format", "pptx", "--out", str(out), "--db", str(demo_db),
               "--municipality", DEMO_NAME, "--template", str(tmp_path / "stadt.pptx"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    deck = Presentation(out)
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)
    assert deck.slides[0].slide_layout.name == "Title Slide"
    assert deck.slides[1].slide_layout.name == "Title Only"
    wrong = run("indicators", "report", "--format", "pdf", "--out", str(tmp_path / "x.pdf"), "--db", str(demo_db),
                "--municipality", DEMO_NAME, "--template", str(tmp_path / "stadt.pptx"))  # fmt: skip
    assert wrong.returncode == 1 and "--template braucht --format pptx" in wrong.stderr
