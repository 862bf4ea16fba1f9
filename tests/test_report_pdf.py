"""The Sitzungsbericht PDF as a city attaches it: tagged for PDF/UA-1 (read back with pikepdf), no
nearly empty page, every table row whole with the header row on every page, nothing fetched."""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from weasyprint import HTML

from charts.formatting import fmt_date
from charts.report import alt_text, build_report, page_count, to_pdf
from charts.report_pdf import REPO, OfflineFetcher, RefusedURL
from data.demo import DEMO_NAME
from data.store import Store
from tests.pdf_checks import page_fill, structure_counts, tagging_problems

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")

#: a page below this share of its body height counts as nearly empty (the last page may be short)
MIN_FILL = 0.15


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    done = subprocess.run([sys.executable, "-m", "data", "demo", "--db", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store(path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def koeln_store(tmp_path_factory):
    """Köln's 86 Stadtteile (../shared/data/koeln, skips without): tables over several pages."""
    from tests.conftest import KOELN

    if not (KOELN / "koeln_bevoelkerung_wide.csv").exists():
        pytest.skip("../shared/data/koeln is not available on this machine")
    folder = tmp_path_factory.mktemp("koeln")
    archive = folder / "stadtteile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in KOELN.glob("raw/Stadtteil.*"):
            zf.write(part, f"Stadtteil/{part.name}")
    db = folder / "k.duckdb"
    for args in (("population", str(KOELN / "koeln_bevoelkerung_wide.csv")), ("boundaries", str(archive))):
        done = subprocess.run([sys.executable, "-m", "data", "import", *args, "--municipality", "Köln",
                               "--db", str(db)], cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    store = Store(db)
    yield store
    store.close()


@pytest.fixture(
    scope="module",
    params=[(DEMO_NAME, None), (DEMO_NAME, ["Kleinholthausen", "011"]), ("Köln", None)],
    ids=["alle", "auswahl", "koeln"],
)
def made_pdf(request, tmp_path_factory):
    """(report, path of its PDF, WeasyPrint's warnings): the demo town whole and for two Stadtteile,
    and Köln."""
    municipality, districts = request.param
    store = request.getfixturevalue("demo_store" if municipality == DEMO_NAME else "koeln_store")
    report = build_report(store, municipality, districts=districts)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        data = to_pdf(report)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    path = tmp_path_factory.mktemp("pdf") / "bericht.pdf"
    path.write_bytes(data)
    return report, path, [r.getMessage() for r in records]


def pdf_text(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]


def test_the_pdf_is_tagged_for_pdf_ua(made_pdf):
    report, path, warnings = made_pdf
    assert tagging_problems(path, [alt_text(c) for c in report.charts]) == []
    assert warnings == [], "WeasyPrint laid out every rule and image it was given"
    kinds = structure_counts(path)
    assert kinds["Table"] == kinds["THead"] == len(report.charts), "a table over pages is one table"
    assert kinds["H1"] == 1 and kinds["H2"] == len(report.charts) + 2, "title, contents, charts, method"
    assert kinds["Figure"] == len(report.charts)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert f"Title:           Integrationsmonitor – Sitzungsbericht: {report.subtitle}" in info
    assert (
        f"Author:          {report.municipality}" in info
        and "Page size:       841.89 x 595.276 pts (A4)" in info
    )


def test_no_nearly_empty_page(made_pdf, tmp_path):
    report, path, _ = made_pdf
    fills = page_fill(path, tmp_path)
    assert len(fills) == page_count(path.read_bytes(), "pdf")
    short = [(n, round(f, 2)) for n, f in enumerate(fills[:-1], start=1) if f < MIN_FILL]
    assert short == [], f"nearly empty pages (page, fill): {short}"
    assert fills[-1] > 0.05


def test_every_row_whole_notes_with_their_table_and_contents_with_page_numbers(made_pdf):
    report, path, _ = made_pdf
    pages = pdf_text(path)
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text
        if number > 1:
            assert f"Sitzungsbericht · {report.subtitle}" in text and report.created_text in text
    assert "Sitzungsbericht ·" not in pages[0], "no running header on the title page"
    for words in (
        report.municipality,
        f"Stichtag {fmt_date(report.reference_date)}",
        report.where,
        "Erstellt am",
        "Integrationsmonitor",
    ):
        assert words in pages[0]
    contents = pages[1]
    for chart in report.charts:
        table = chart.text_table()
        rows = [[str(v) for v in row] for row in table.itertuples(index=False)]
        on = [n for n, text in enumerate(pages) if any(_row_in(row, text) for row in rows)]
        assert on, chart.title
        for row in rows:
            assert any(_row_in(row, pages[n]) for n in on), (chart.title, row)
        header = {word for column in table.columns for word in str(column).split()}
        for n in on:
            assert header <= set(pages[n].split()), f"header row of {chart.title!r} on page {n + 1}"
        start = next(n for n, text in enumerate(pages) if chart.title in text and n > 1)
        assert f"{chart.title}" in contents and contents.split(chart.title)[1].split()[0] == str(start + 1)
        for note in chart.notes:
            assert " ".join(note.split()) in " ".join(pages[on[-1]].split()), "notes stay with the table"
    assert "Methodik und Hinweise" in pages[-1] and f"In {report.municipality} ist" in " ".join(
        pages[-1].split()
    )


def _row_in(row: list[str], text: str) -> bool:
    """The cells of a row in order on one line of the page."""
    for line in text.splitlines():
        rest = line
        for cell in row:
            at = rest.find(cell)
            if at < 0:
                break
            rest = rest[at + len(cell) :]
        else:
            return True
    return False


def test_the_report_fetches_nothing_but_its_own_data(made_pdf):
    fetcher = OfflineFetcher()
    assert fetcher.fetch("data:text/plain;base64,SGFsbG8=").read() == b"Hallo"
    assert fetcher.fetch((REPO / "static" / "favicon.png").as_uri()).read(4) == b"\x89PNG"
    for url in ("http://127.0.0.1:9/logo.png", "https://example.org/a.css", "file:///etc/hostname",
                "file://server/share/logo.png", "ftp://127.0.0.1:9/x"):  # fmt: skip
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    for markup in ('<img src="http://127.0.0.1:9/logo.png" alt="Logo">',
                   '<link rel="stylesheet" href="file:///etc/ssl/openssl.cnf">',
                   "<style>@font-face { font-family: X; src: url(https://127.0.0.1:9/x.woff2) }"
                   " p { font-family: X }</style><p>x</p>"):  # fmt: skip
        with pytest.raises(RefusedURL):
            HTML(string=f"<html lang='de'>{markup}</html>", url_fetcher=OfflineFetcher()).write_pdf()
    _, path, _ = made_pdf
    raw = path.read_bytes()
    assert b"/URI" not in raw, "no link out of the document"
