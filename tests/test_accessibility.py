"""Accessible to everyone (BITV 2.0 / WCAG 2.1 AA): the running app, checked by axe-core in Chromium.

axe-core comes from the repository's own npm folder (`npm ci`, see package.json) and is injected from
disk, so the check needs no internet. Every page registered in app.py is checked in normal and in
presentation mode; a violation fails the test unless it is on the short allow-list below, which names
Streamlit-frame markup the project cannot change and says why.
Skipped where chromium or node_modules/axe-core is missing, unless INTEGRATIONSMONITOR_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401 - fixtures are used by name
    CHART_PAGES,
    app_pages,
    browser,
    requests_seen,
    server,
    url_of,
)
from tests.test_browser import _open as open_page
from tests.test_browser import _settle as settle

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.browser

if not AXE.exists():
    if os.environ.get("INTEGRATIONSMONITOR_REQUIRE_BROWSER") == "1":
        raise RuntimeError("node_modules/axe-core fehlt: npm ci")
    pytest.skip("axe-core is not installed (npm ci)", allow_module_level=True)

#: (axe rule, where in Streamlit's frame) → why it is out of the project's hands. A violation is
#: allowed only if its element lies inside that frame part; the same rule elsewhere fails.
ALLOWED: dict[tuple[str, str], str] = {}

RUN_AXE = """async ([tags, allowed]) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    const out = [];
    for (const v of result.violations) {
        for (const node of v.nodes) {
            const target = node.target[node.target.length - 1];
            const el = typeof target === 'string' ? document.querySelector(target) : null;
            const frame = allowed.filter(([rule, sel]) => rule === v.id && el && el.closest(sel))
                                 .map(([rule, sel]) => sel);
            out.push({rule: v.id, target: String(target), html: node.html.slice(0, 160),
                      summary: (node.failureSummary || '').slice(0, 200), frame: frame[0] || null});
        }
    }
    return out;
}"""


def axe_violations(page) -> list[dict]:
    """Every violation node axe-core finds on the open page; `frame` names the allow-list entry."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, [TAGS, [list(k) for k in ALLOWED]])


TITLES: dict[str, str] = {}  # document title -> the page that has it: no two pages share one


def ready(page, chart: bool) -> None:
    """The app has run to the end: our frame script has set the language, the heading is there and
    Streamlit has stopped running (a page without a chart gives no other sign)."""
    page.wait_for_function("() => document.documentElement.lang === 'de'", timeout=30_000)
    page.wait_for_selector("h1", state="attached", timeout=30_000)
    settle(page, chart)
    page.wait_for_timeout(1500)


def open_chart_tables(page) -> int:
    """Open every table under a chart ("Tabelle zur Grafik …") and wait until each shows its table;
    how many were opened."""
    toggles = page.locator("summary", has_text="Tabelle zur Grafik")
    count = toggles.count()
    for i in range(count):
        toggles.nth(i).click()
    page.wait_for_function(
        """n => [...document.querySelectorAll('[data-testid="stExpander"] [data-testid="stTable"] table')]
                   .filter(t => t.offsetParent !== null).length >= n""",
        arg=count,
        timeout=30_000,
    )
    settle(page, False)
    return count


SUMMARIES = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map((chart) => {
    const next = chart.closest('[data-testid="stElementContainer"]')?.nextElementSibling;
    const text = next?.querySelector('[data-testid="stMarkdownContainer"]');
    return text ? text.innerText.trim() : '';
})"""


def _pages():
    return [(path, mode) for path in app_pages() for mode in ("normal", "praesentation")]


@pytest.mark.parametrize(("path", "mode"), _pages())
def test_no_axe_violations(server, browser, requests_seen, path, mode):  # noqa: F811
    url = url_of(server, path) + ("?praesentation=1" if mode == "praesentation" else "")
    page = open_page(browser, requests_seen, url)
    ready(page, path in CHART_PAGES)
    tables = open_chart_tables(page)  # the numbers under the charts are scanned opened
    summaries = page.evaluate(SUMMARIES)
    found = axe_violations(page)
    language, title, headings = page.evaluate(
        "() => [document.documentElement.lang, document.title, document.querySelectorAll('h1').length]"
    )
    page.close()
    assert language == "de", f"{path}: <html lang={language!r}>"
    assert title.endswith(" – Integrationsmonitor Musterstadt"), title
    assert TITLES.setdefault(title, path) == path, f"{path} has the title of {TITLES[title]}: {title}"
    assert headings == 1, f"{path} ({mode}): {headings} h1 elements"
    if path in CHART_PAGES:  # every chart has its table and, right under it, its summary in words
        assert tables >= 1 and len(summaries) >= 1, f"{path} ({mode}): {tables} tables, {summaries}"
        assert all(text.endswith(".") for text in summaries), f"{path} ({mode}): {summaries}"
        if mode == "normal":
            assert tables == len(summaries), f"{path}: {tables} tables for {len(summaries)} charts"
    ours = [v for v in found if v["frame"] is None]
    counts = Counter(v["rule"] for v in found)
    print(f"AXE {path} {mode}: {tables} tables opened, {dict(counts)}")
    assert ours == [], "\n".join(f"{v['rule']}: {v['target']} {v['html']} — {v['summary']}" for v in ours)


def test_chart_table_opens_by_keyboard_and_passes_axe(server, browser, requests_seen):  # noqa: F811
    """The numbers of the map as a real table: the expander opens with the keyboard and the table has
    a header row and a row per Stadtteil (axe scans the opened tables of every page above)."""
    page = open_page(browser, requests_seen, f"{server}/karte")
    ready(page, chart=True)
    summary = page.locator("summary", has_text="Tabelle zur Grafik")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator('[data-testid="stTable"] table')
    table.wait_for(timeout=30_000)
    assert table.locator("th").count() > 2
    assert table.locator("tbody tr").count() >= 16  # the 16 Stadtteile of Musterstadt
    page.close()


def test_keyboard_focus_on_nav_links_is_visible(server, browser, requests_seen):  # noqa: F811
    page = open_page(browser, requests_seen, f"{server}/karte")
    ready(page, chart=True)
    outline = None
    for _ in range(40):  # Tab from the top of the page until a navigation link has the focus
        page.keyboard.press("Tab")
        outline = page.evaluate(
            """() => { const el = document.activeElement;
                return el && el.matches('[data-testid="stPageLink-NavLink"]')
                    ? [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth] : null; }"""
        )
        if outline:
            break
    current = page.locator('[data-testid="stSidebar"] a[aria-current="page"]').all_inner_texts()
    page.close()
    assert outline is not None, "no navigation link reached with Tab"
    assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, outline
    assert [text.split()[-1] for text in current] == ["Karte"], current  # after the (aria-hidden) icon


def test_a_skip_link_takes_the_keyboard_past_a_data_grid(server, browser, requests_seen):  # noqa: F811
    page = open_page(browser, requests_seen, f"{server}/daten")
    ready(page, chart=False)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    link = page.locator("a.skip-link").first
    for _ in range(80):  # Tab from the top of the page until the first skip link has the focus
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    assert link.evaluate("el => el === document.activeElement"), "no skip link reached with Tab"
    assert link.inner_text() == "Tabelle überspringen" and link.is_visible()  # shown while focused
    target = link.get_attribute("href").removeprefix("#")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === {target!r}")
    page.keyboard.press("Tab")
    inside_grid = page.evaluate("""() => !!document.activeElement.closest('[data-testid="stDataFrame"]')""")
    page.close()
    assert not inside_grid, "the next Tab after the skip link must not land in the grid it skipped"
