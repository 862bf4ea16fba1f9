"""The page "Kommunen im Vergleich" in a real browser on the demo: the Kreis Musterland on a map drawn
offline, the ranking and the lines; a screenshot for a person to look at (tests/artifacts/)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.test_browser import ARTIFACTS, _open, _settle, browser, requests_seen, server  # noqa: F401

pytestmark = pytest.mark.browser


def test_kommunen_page_draws_the_kreis_offline(server, browser, requests_seen):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/kommunen", width=1280, height=900)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _settle(page, chart=True)
    finally:  # also when it fails: what the reader saw
        page.screenshot(path=str(ARTIFACTS / "kommunen.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    # Musterstadt, Beispielhausen, Fiktivdorf and Erfundenbach (grey: no counts)
    assert page.locator(".choroplethlocation").count() == 4
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert "keine Daten: Erfundenbach" in legend and "%" in legend
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Kreis Musterland" in main and "nur Zuweisungen/Aufnahmequote" in main
    page.screenshot(path=str(ARTIFACTS / "kommunen.png"), full_page=True)
    page.close()
    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
