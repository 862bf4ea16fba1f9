"""The Karte in headless Chromium: a click on a district (or a tap on a phone) selects it — the
sidebar, the URL and the Stadtteilprofil follow. Uses the demo server of `tests/test_browser.py`."""

from __future__ import annotations

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
