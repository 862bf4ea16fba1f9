"""The Karte in headless Chromium: a click on a district (or a tap on a phone) selects it — the
sidebar, the URL and the Stadtteilprofil follow. Uses the demo server of `tests/test_browser.py`."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_browser import ARTIFACTS, _open, _settle, browser, requests_seen, server  # noqa: F401

pytestmark = pytest.mark.browser


def _chosen(url: str) -> list[str]:
    return parse_qs(urlparse(url).query).get("stadtteile", [""])[0].split(",")


def _click_and_wait(page, how: str, nth: int) -> list[str]:
    before = page.url
    district = page.locator(".choroplethlocation").nth(nth)
    getattr(district, how)(force=True)
    page.wait_for_function("url => window.location.href !== url", arg=before, timeout=30_000)
    _settle(page, chart=True)
    return _chosen(page.url)


def test_a_click_on_the_map_selects_the_district_everywhere(server, browser, requests_seen):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/karte")
    _settle(page, chart=True)
    assert "stadtteile=" not in page.url
    chosen = _click_and_wait(page, "click", 3)
    assert len(chosen) == 1 and chosen[0], page.url
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    link = page.get_by_role("link", name="Stadtteilprofil:")
    name = link.inner_text().split(":", 1)[1].strip()
    assert name in sidebar, "the sidebar selection shows the clicked district"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "karte_klick.png"))
    # another district: the selection follows again
    assert _click_and_wait(page, "click", 9) != chosen
    link = page.get_by_role("link", name="Stadtteilprofil:")
    name = link.inner_text().split(":", 1)[1].strip()
    link.click()
    page.wait_for_url("**/profil**", timeout=30_000)
    _settle(page, chart=True)
    assert name in page.locator('[data-testid="stMain"]').inner_text()
    page.close()


def test_a_tap_on_a_phone_selects_the_district(server, browser, requests_seen):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="de-DE")  # fmt: skip
    page = context.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    page.goto(f"{server}/karte")
    _settle(page, chart=True)
    page.locator(".choroplethlocation").nth(5).scroll_into_view_if_needed()
    chosen = _click_and_wait(page, "tap", 5)
    assert len(chosen) == 1 and chosen[0], page.url
    page.screenshot(path=str(ARTIFACTS / "karte_tippen_telefon.png"), full_page=True)
    context.close()


#: how far each chart's title, source line and legend reach beyond its own frame (px; 0 = inside)
OVERFLOW = """() => [...document.querySelectorAll('div[data-testid="stPlotlyChart"]')].map(chart => {
    const frame = chart.querySelector('.main-svg').getBoundingClientRect();
    const parts = [...chart.querySelectorAll('.gtitle, .annotation-text, .legendtext')];
    return Math.max(0, ...parts.map(p => p.getBoundingClientRect().right - frame.right));
})"""


def _grid_rows(page) -> list[str]:
    """The first column of the full table, as its accessible table (what a screen reader reads)."""
    rows = page.locator('[data-testid="stDataFrame"] [role=grid] tbody tr')
    return rows.evaluate_all("rows => rows.map(r => r.querySelector('td').innerText.trim())")


def _rerun(page) -> None:
    page.wait_for_timeout(500)  # the script run starts
    _settle(page, chart=True)


def test_years_side_by_side_then_the_change_map(server, browser, requests_seen):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/karte?ansicht=Jahre+nebeneinander")
    _settle(page, chart=True)
    titles = [t.strip() for t in page.locator(".annotation-text").all_text_contents()]
    years = [t for t in titles if re.fullmatch(r"\d\d\.\d\d\.\d{4}", t)]
    assert len(years) == 3 and years == sorted(years, key=lambda d: d[-4:]), titles
    assert page.locator(".choroplethlocation").count() == 16 * 3, "every Stadtteil in every panel"
    legend = page.locator(".legendtext").all_text_contents()
    classes = [t for t in legend if "%" in t]
    assert len(classes) == len(set(classes)) >= 3, "one legend of classes for all panels"
    assert max(page.evaluate(OVERFLOW)) <= 1, "title, subtitles and legend inside the chart"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "karte_jahre.png"), full_page=True)
    page.get_by_role("radio", name="Veränderung", exact=True).click()
    page.wait_for_function("() => location.search.includes('ansicht=Ver')", timeout=30_000)
    _rerun(page)
    assert page.locator(".choroplethlocation").count() == 16
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert re.search(r"[+−]\d+,\d Pp\.", legend), legend
    assert max(page.evaluate(OVERFLOW)) <= 1, "the change map beside the table keeps its title inside"
    page.screenshot(path=str(ARTIFACTS / "karte_veraenderung.png"), full_page=True)
    page.close()


def test_the_full_table_searches_and_a_keyboard_selects_a_row(server, browser, requests_seen):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/karte")
    _settle(page, chart=True)
    assert max(page.evaluate(OVERFLOW)) <= 1, "the map beside the table keeps its title inside"
    everyone = _grid_rows(page)
    assert len(everyone) == 16 and everyone == sorted(everyone, key=str.casefold)
    search = page.get_by_label("Stadtteil suchen")
    search.fill("feld")
    search.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stDataFrame\"] [role=grid] tbody tr').length < 16",
        timeout=30_000,
    )
    _rerun(page)
    found = _grid_rows(page)
    assert found and all("feld" in name.lower() for name in found), found
    assert set(found) == {name for name in everyone if "feld" in name.lower()}
    # keyboard only: Tab from the search box past the skip link and the table's toolbar into the grid,
    # down one row, select it
    before = page.url
    search.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.innerText") == "Tabelle überspringen"
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.testid") == "data-grid-canvas":
            break
    else:
        raise AssertionError("the grid cannot be reached with the Tab key")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+Space")
    page.wait_for_function("url => window.location.href !== url", arg=before, timeout=30_000)
    _rerun(page)
    chosen = _chosen(page.url)
    assert len(chosen) == 1 and chosen[0], page.url
    link = page.get_by_role("link", name="Stadtteilprofil:")
    assert link.inner_text().split(":", 1)[1].strip() in found
    page.screenshot(path=str(ARTIFACTS / "karte_tabelle_auswahl.png"), full_page=True)
    page.close()


def test_the_profile_opens_with_every_share_against_the_city(server, browser, requests_seen):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/profil?stadtteile=042")
    _settle(page, chart=True)
    first = page.locator('div[data-testid="stPlotlyChart"]').first
    assert "im Vergleich mit Musterstadt" in first.locator(".gtitle").text_content()
    assert first.locator(".bars .point").count() == 3, "one bar per share of the catalogue"
    labels = first.locator(".bars .bartext").all_text_contents()
    assert all(re.fullmatch(r"[+−]\d+,\d Pp\.", t) for t in labels), labels
    assert max(page.evaluate(OVERFLOW)) <= 1
    assert page.get_by_text("Kein Gesamtindex").count() == 1
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "profil_abweichungen.png"))
    page.close()
