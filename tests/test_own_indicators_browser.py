"""In headless Chromium: an editor uploads an own indicator for the demo city with its description,
and readers find it on the Karte — Kleinholthausen's 2 persons hidden (`•`). Uses the demo server of
`tests/test_browser.py`; the screenshot lands in tests/artifacts/karte_eigene_kennzahl.png."""

from __future__ import annotations

import re

import pytest

from data.demo import STADTTEILE
from tests.test_browser import (  # noqa: F401
    ARTIFACTS,
    EDITOR,
    PASSWORD,
    _open,
    _settle,
    browser,
    requests_seen,
    server,
)

pytestmark = pytest.mark.browser


def _counts(path):
    """SGB II counts for every demo Stadtteil at the demo's last Stichtag; Kleinholthausen has 2."""
    rows = [f"{key};{name};{2 if name == 'Kleinholthausen' else int(people * 0.09)}"
            for key, name, _, people, *_ in STADTTEILE]  # fmt: skip
    path.write_text("Nr;Stadtteil;SGB II\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_uploaded_indicator_is_on_the_karte(server, browser, requests_seen, tmp_path):  # noqa: F811
    page = _open(browser, requests_seen, f"{server}/daten_laden")
    for label, value in (("Benutzername", EDITOR), ("Passwort", PASSWORD)):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text(f"Angemeldet als {EDITOR}").wait_for(timeout=30_000)
    page.get_by_label("Art der Datei").click()
    page.get_by_role("option", name=re.compile("^Eigene Kennzahl")).click()
    for part, value in (("day", "31"), ("month", "12"), ("year", "2024")):
        page.get_by_role("spinbutton", name=re.compile(rf"^{part}, Stichtag")).click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(_counts(tmp_path / "sgb2.csv"))
    )
    page.get_by_text("Beschreibung der Kennzahl").wait_for(timeout=30_000)
    for label, value in (("Schlüssel", "sgb2"), ("Bezeichnung", "SGB-II-Quote"),
                         ("Zähler", "Personen in Bedarfsgemeinschaften"), ("Quelle", "Jobcenter (Testdaten)")):  # fmt: skip
        field = page.get_by_label(re.compile(f"^{label}"))
        field.fill(value)
        field.press("Enter")
        _settle(page, chart=False)
    try:
        page.get_by_text("Datei geprüft: 16 Zeilen").wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(ARTIFACTS / "daten_laden_eigene_kennzahl.png"), full_page=True)
    page.get_by_role("button", name="Jetzt importieren").click()
    page.get_by_text("Importiert aus").wait_for(timeout=30_000)
    page.close()

    page = _open(browser, requests_seen, f"{server}/karte?karte=own_sgb2_pct&ebene=Stadtteil", height=1600)
    _settle(page, chart=True)
    main = page.locator('[data-testid="stMain"]')
    page.get_by_text("Alle Stadtteile: SGB-II-Quote").wait_for(timeout=30_000)
    # a wrapped title is one <tspan> per line: compare without the spaces between words
    title = "".join(page.locator(".gtitle").first.text_content().split())
    assert title.startswith("SGB-II-QuotenachStadtteil,Musterstadt")
    assert page.locator(".choroplethlocation").count() >= 16
    legend = " ".join(t or "" for t in page.locator(".legendtext").all_text_contents())
    assert "•" in legend, "the hidden Stadtteile have their own legend entry"
    assert "Kleinholthausen" in main.inner_text()
    page.wait_for_timeout(1500)  # the map draws its areas after the legend
    page.screenshot(path=str(ARTIFACTS / "karte_eigene_kennzahl.png"))
    page.close()
