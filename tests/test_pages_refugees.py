"""Zuweisungen and Unterbringung in AppTest: the Kamp-Lintfort figures on the pages, the demo city, no data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.allocations import import_allocations
from data.occupancy import import_occupancy
from data.population import import_population
from tests.apptest import figures, numbers, open_app

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data"
PAGES = ["pages/zuweisungen.py", "pages/unterbringung.py"]


@pytest.fixture(scope="module")
def kamp_lintfort_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("kl") / "kl.duckdb"
    import_allocations(FIXTURES / "kamp_lintfort_zuweisungen_2021_2022.csv", db, "Kamp-Lintfort")
    import_occupancy(FIXTURES / "kamp_lintfort_unterbringung.csv", db, "Kamp-Lintfort")
    return db


def open_page(monkeypatch, db: Path, page: str, **state) -> AppTest:
    return open_app(monkeypatch, db, page, state=state)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [m.label + " " + str(m.value) for m in at.metric]
    return "\n".join(parts)


def test_kamp_lintfort_allocations_on_the_page(monkeypatch, kamp_lintfort_db):
    at = open_page(monkeypatch, kamp_lintfort_db, "pages/zuweisungen.py")
    figs = figures(at)
    assert len(figs) == 2  # no quota loaded: no quota chart
    titles = [f["layout"]["title"]["text"] for f in figs]
    assert all("Kamp-Lintfort" in t for t in titles)
    assert all("Quelle:" in f["layout"]["annotations"][0]["text"] for f in figs)
    minors = figs[1]["data"]
    assert minors[0]["x"] == ["2021", "2022"]
    assert numbers(minors[0]["y"]).tolist() == [61, 445]
    assert numbers(minors[1]["y"]).tolist() == [27, 155]
    stacked = {t["name"]: numbers(t["y"]).tolist() for t in figs[0]["data"]}
    assert stacked["Ukraine"] == [388]  # only in 2022
    assert sum(sum(v) for v in stacked.values()) == 61 + 445
    assert "Nur Jahreszahlen geladen" in texts(at)
    table = at.dataframe[0].value
    total = table[table["Herkunftsland"] == "Gesamt"].iloc[0]
    assert (total["Personen"], total["davon Kinder"]) == ("445", "155")


def test_kamp_lintfort_occupancy_on_the_page(monkeypatch, kamp_lintfort_db):
    at = open_page(monkeypatch, kamp_lintfort_db, "pages/unterbringung.py")
    shown = texts(at)
    assert "belegt 314" in shown and "Fehlbeleger 121" in shown
    assert "Keine Vorausschätzung" in shown and "ein Stichtag" in shown
    bars = figures(at)[1]
    assert "31.10.2022" in bars["layout"]["title"]["text"]
    hover = " ".join(bars["data"][0]["hovertext"])
    assert "121 (38,5 %)" in hover and "314 von 325" in hover


@pytest.mark.parametrize("page", PAGES)
def test_demo_city_pages(monkeypatch, demo_db, page):
    at = open_page(monkeypatch, demo_db, page)
    figs = figures(at)
    assert len(figs) >= 3
    assert all("Musterstadt" in f["layout"]["title"]["text"] for f in figs)
    assert all(f["layout"]["separators"] == ",." for f in figs)


def test_demo_occupancy_map_and_projection(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "pages/unterbringung.py")
    figs = figures(at)
    geo = [f for f in figs if any(t["type"] == "scattergeo" for t in f["data"])]
    assert len(geo) == 1
    markers = next(t for t in geo[0]["data"] if t["type"] == "scattergeo")
    assert "Zentralunterkunft Hafenstraße" in markers["text"]
    assert "Vorausschätzung" in texts(at)


def test_reference_date_and_district_filter(monkeypatch, demo_db):
    at = open_page(
        monkeypatch, demo_db, "pages/unterbringung.py", reference_date="2016-12-31", districts=["013"]
    )
    figs = figures(at)
    assert "31.12.2016" in figs[1]["layout"]["title"]["text"]
    names = [t["name"] for t in figs[0]["data"]]
    assert "Zentralunterkunft Hafenstraße" in names and "Übergangswohnheim Bergstraße" not in names
    at = open_page(monkeypatch, demo_db, "pages/zuweisungen.py", reference_date="2016-12-31")
    assert figures(at)[1]["data"][0]["x"][-1] == "2016"


def test_month_view(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "pages/zuweisungen.py")
    at.radio(key="alloc_by").set_value("month").run()
    assert not at.exception
    x = figures(at)[1]["data"][0]["x"]
    assert x[-1] == "2024-12" and len(x) == 36


def test_presentation_mode_one_chart_per_screen(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "pages/unterbringung.py", presentation=True)
    figs = figures(at)
    assert len(figs) == 1 and figs[0]["layout"]["font"]["size"] == 20  # beamer type size from style()


@pytest.mark.parametrize("page", PAGES)
def test_municipality_without_data_gets_a_friendly_note(monkeypatch, tmp_path, page):
    db = tmp_path / "luenen.duckdb"
    import_population(
        FIXTURES / "luenen_stadtteile_2020.csv", db, "Lünen", __import__("datetime").date(2020, 12, 31)
    )
    at = open_page(monkeypatch, db, page)
    assert not figures(at)
    assert any(i.value.startswith("Für Lünen sind keine") for i in at.info)
    assert not any("python -m data" in i.value for i in at.info), "readers get no commands"
