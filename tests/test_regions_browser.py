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
        # the first page after a server start waits for its imports; these machines are shared
        page.wait_for_selector(".choroplethlocation", timeout=90_000)
        _settle(page, chart=True)
    finally:  # also when it fails: what the reader saw
        page.screenshot(path=str(ARTIFACTS / "kommunen.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    # Musterstadt, Beispielhausen, Fiktivdorf and Erfundenbach (grey: no counts)
    assert page.locator(".choroplethlocation").count() == 4
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert "keine Daten: Erfundenbach" in legend and "%" in legend
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Alle Gemeinden: Kreis Musterland" in main
    assert "Ohne Einwohnerzahlen (nur in der Liste): Erfundenbach" in main  # listed, not drawn
    charts = page.locator('div[data-testid="stPlotlyChart"]')
    assert charts.count() == 3  # map, ranking, lines
    for i, name in ((1, "rang"), (2, "zeitreihe")):  # below the fold: one picture each
        charts.nth(i).scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"kommunen_{name}.png"))
    page.close()
    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
