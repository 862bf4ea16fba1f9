"""What a person sees: the running app in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Every page is opened, its charts awaited and a screenshot saved to tests/artifacts/; presentation mode
is checked at beamer sizes; and every request the browser makes must stay on 127.0.0.1.
Skipped where chromium is not installed, unless INTEGRATIONSMONITOR_REQUIRE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CHART = 'div[data-testid="stPlotlyChart"] .main-svg'
# pages that show at least one chart on the demo city; the others must show their heading
CHART_PAGES = {"uebersicht", "karte", "profil", "zeitreihen", "zuweisungen", "unterbringung"}

EDITOR, PASSWORD = "planung", "nur-fuer-den-test-42"
LUENEN = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("INTEGRATIONSMONITOR_REQUIRE_BROWSER") == "1":
        raise RuntimeError("/usr/bin/chromium fehlt: apt-get install -y chromium")
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def app_pages() -> list[str]:
    """The url paths registered in app.py, so a new page is tested without editing this file."""
    return re.findall(r'url_path="([^"]+)"', (REPO / "app.py").read_text(encoding="utf-8"))


def url_of(server: str, path: str) -> str:
    """The default page (Übersicht) lives at the root; Streamlit answers its own path with "not found"."""
    return f"{server}/" if path == "uebersicht" else f"{server}/{path}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from data.bootstrap import install_demo

    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    install_demo(db)
    from data.passwords import hash_password

    secrets = db.parent / "secrets.toml"
    secrets.write_text(
        f'[editors]\n{EDITOR} = "{hash_password(PASSWORD, iterations=1_000)}"\n', encoding="utf-8"
    )
    port = _free_port()
    env = {**os.environ, "INTEGRATIONSMONITOR_DB": str(db)}
    log = open(tmp_path_factory.getbasetemp() / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--secrets.files",
            str(secrets),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def requests_seen():
    return []


def _open(browser, requests_seen, url: str, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="de-DE")
    page.on("request", lambda r: requests_seen.append(r.url))
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"]', timeout=30_000)
    return page


def _settle(page, chart: bool) -> None:
    if chart:
        page.wait_for_selector(CHART, timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(800)


def test_every_page_renders(server, browser, requests_seen):
    ARTIFACTS.mkdir(exist_ok=True)
    pages = app_pages()
    assert {"karte", "uebersicht"} <= set(pages)
    for path in pages:
        page = _open(browser, requests_seen, url_of(server, path))
        _settle(page, path in CHART_PAGES)
        assert page.get_by_text("Page not found").count() == 0, path
        assert page.locator('[data-testid="stException"]').count() == 0, (
            f"{path}: Python-Fehler auf der Seite"
        )
        assert page.locator("h1").count() >= 1, f"{path}: keine Überschrift"
        page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)
        page.close()


def test_map_shows_every_stadtteil_with_german_legend(server, browser, requests_seen):
    page = _open(browser, requests_seen, f"{server}/karte")
    _settle(page, chart=True)
    assert page.locator(".choroplethlocation").count() == 16  # the 16 Stadtteile of Musterstadt
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert re.search(r"\d+,\d %", legend), legend  # German decimal comma in the class labels
    page.close()


def test_shared_link_restores_the_view(server, browser, requests_seen):
    page = _open(browser, requests_seen, f"{server}/karte?stichtag=2015-12-31&stadtteile=011,012")
    _settle(page, chart=True)
    assert "Stichtag 31.12.2015" in page.locator('[data-testid="stMain"]').inner_text()
    # the whole city is drawn, the two chosen Stadtteile in the city's classes, the rest grey
    assert page.locator(".choroplethlocation").count() == 16
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert "nicht ausgewählt" in legend, legend
    assert "stichtag=2015-12-31" in page.url
    page.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1024, 768), (1920, 1080)])
def test_presentation_mode_is_large_and_clean(server, browser, requests_seen, width, height):
    page = _open(browser, requests_seen, f"{server}/karte?praesentation=1", width, height)
    _settle(page, chart=True)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    sizes = page.eval_on_selector_all(
        ".legendtext, .gtitle", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 20, sizes
    slide = page.evaluate(PRESENTED)
    page.screenshot(path=str(ARTIFACTS / f"praesentation_{width}x{height}.png"))
    page.close()
    assert slide["summary"].endswith("."), slide
    assert slide["buttons"] >= 0 and slide["bottom"] <= height, slide  # no scrolling on the beamer


#: where the presented slide sits: the step buttons' top, the chart, the summary sentence under it
#: (the element right after the chart) and whether the page has been scrolled
PRESENTED = """() => {
    const chart = document.querySelector('[data-testid="stPlotlyChart"]');
    const below = chart.closest('[data-testid="stElementContainer"]').nextElementSibling;
    const text = below.querySelector('[data-testid="stMarkdownContainer"]');
    const back = [...document.querySelectorAll('button')].find(b => b.innerText.includes('Zurück'));
    const main = document.querySelector('[data-testid="stMain"]');
    const gd = chart.querySelector('.js-plotly-plot');
    const rows = Math.max(0, ...gd.data.filter(t => t.orientation === 'h').map(t => new Set(t.y).size));
    return {buttons: back.getBoundingClientRect().top, chartTop: chart.getBoundingClientRect().top,
            chartBottom: chart.getBoundingClientRect().bottom, summary: text ? text.innerText.trim() : '',
            bottom: below.getBoundingClientRect().bottom, scrolled: main.scrollTop + window.scrollY,
            rows, names: gd.querySelectorAll('.yaxislayer-above .ytick text').length,
            counter: [...document.querySelectorAll('strong')].map(s => s.innerText)
                        .find(t => /^Grafik \\d+ von \\d+$/.test(t)) || ''};
}"""


@pytest.mark.parametrize("path", ["karte", "profil", "zeitreihen", "zuweisungen", "unterbringung"])
def test_every_presented_slide_fits_a_1024x768_beamer(server, browser, requests_seen, path):
    """Step buttons, chart and the summary's first sentence on one screen of the smallest beamer, on
    every slide of the page (screenshots in tests/artifacts/)."""
    page = _open(browser, requests_seen, f"{server}/{path}?praesentation=1", 1024, 768)
    _settle(page, chart=True)
    slides = []
    while True:
        slide = page.evaluate(PRESENTED)
        slides.append(slide)
        page.screenshot(path=str(ARTIFACTS / f"beamer_{path}_{len(slides)}.png"))
        forward = page.get_by_role("button", name="Weiter ▶")
        if forward.count() == 0 or forward.is_disabled():
            break
        forward.click()
        page.get_by_text(f"Grafik {len(slides) + 1} von").wait_for(timeout=30_000)
        _settle(page, chart=True)
    page.close()
    assert slides[-1]["counter"].endswith(f"von {len(slides)}"), slides[-1]  # every slide was seen
    for number, slide in enumerate(slides, 1):
        assert slide["counter"] == f"Grafik {number} von {len(slides)}", slide
        assert slide["summary"].endswith("."), slide
        assert slide["buttons"] >= 0 and slide["scrolled"] == 0, slide
        assert slide["buttons"] < slide["chartTop"] < slide["chartBottom"] < slide["bottom"] <= 768, slide
        if slide["rows"]:  # a ranking (horizontal bars), squeezed to the screen, still names every bar
            assert slide["names"] == slide["rows"], slide


def test_the_chart_frame_speaks_german(server, browser, requests_seen):
    """plotly.js's modebar, its tooltips and aria-labels, and its number and date formats in German from
    the locale the app ships (charts/plotly_locale.py), without loading anything from outside."""
    from charts.plotly_locale import DICTIONARY
    from charts.statement import statement

    page = _open(browser, requests_seen, f"{server}/zeitreihen")
    _settle(page, chart=True)
    page.get_by_text("Absolute Zahlen").click()  # population counts: an axis in the thousands
    page.locator(".gtitle", has_text="Einwohner:innen").wait_for(timeout=30_000)
    _settle(page, chart=True)
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    buttons = chart.locator(".modebar-btn")
    titles = [buttons.nth(i).get_attribute("data-title") for i in range(buttons.count())]
    labels = [buttons.nth(i).get_attribute("aria-label") for i in range(buttons.count())]
    png = chart.locator('.modebar-btn[data-title="Grafik als PNG herunterladen"]')
    png.hover()
    tooltip = png.evaluate("el => getComputedStyle(el, '::after').content")
    ticks = chart.locator(".ytick text").all_text_contents()
    formats = chart.evaluate(
        """gd => { const d3 = gd._fullLayout._d3locale, day = new Date(2024, 2, 5);
            return [d3.timeFormat('%-d. %B %Y')(day), d3.timeFormat('%a %b')(day),
                    d3.numberFormat(',.1f')(12345.67)]; }"""
    )
    page.close()
    assert tooltip.strip('"') == "Grafik als PNG herunterladen", tooltip
    assert {"Verschieben", "Achsen zurücksetzen", "Automatisch skalieren"} <= set(titles), titles
    assert labels == titles, labels  # what a screen reader announces for each button
    streamlit_own = {"Fullscreen"}  # Streamlit's button: English, named in the Erklärung
    assert set(titles) - streamlit_own <= set(DICTIONARY.values()), titles
    assert all(f"„{text}“" in statement({}) for text in streamlit_own)
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", t) for t in ticks), ticks  # 10.000, not 10,000
    assert not any(re.search(r"\d,\d{3}\b", t) for t in ticks), ticks
    assert formats == ["5. März 2024", "Di Mär", "12.345,7"], formats


def test_editor_uploads_a_register_extract_file(server, browser, requests_seen):
    page = _open(browser, requests_seen, f"{server}/daten_laden")
    page.get_by_label("Benutzername").fill(EDITOR)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text(f"Angemeldet als {EDITOR}").wait_for(timeout=30_000)
    page.get_by_text("Neue Kommune anlegen").click()
    name = page.get_by_label("Name der Kommune")
    name.fill("Lünen")
    name.press("Enter")
    for part, value in (("day", "31"), ("month", "12"), ("year", "2020")):  # the field starts empty
        page.get_by_role("spinbutton", name=re.compile(rf"^{part}, Stichtag")).click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")  # no calendar: the date is typed
    page.get_by_text("Name der Kommune").click()  # leave the field, so the date is taken
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(LUENEN))
    try:
        page.get_by_text("Datei geprüft: 13 Zeilen").wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(ARTIFACTS / "daten_laden_pruefung.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "daten_laden_geprueft.png"), full_page=True)
    page.get_by_role("button", name="Jetzt importieren").click()
    page.get_by_text("Importiert aus").wait_for(timeout=30_000)
    assert (
        "Lünen, Stichtag 31.12.2020, Ebene Stadtteil, 13 Zeilen."
        in page.get_by_text("Importiert aus").inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "daten_laden_importiert.png"), full_page=True)
    page.close()
    # the new municipality is there for every reader, with the published figures
    page = _open(browser, requests_seen, f"{server}/?gemeinde=L%C3%BCnen")
    _settle(page, chart=True)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "87.815" in text and "15,1 %" in text
    page.close()


def test_no_request_leaves_the_machine(server, browser, requests_seen):
    page = _open(browser, requests_seen, f"{server}/")
    _settle(page, chart=True)
    page.close()
    assert requests_seen, "no requests were recorded"
    outside = sorted(
        {
            u
            for u in requests_seen
            if urlparse(u).hostname not in {"127.0.0.1", None} and not u.startswith(("data:", "blob:"))
        }
    )
    assert outside == []
