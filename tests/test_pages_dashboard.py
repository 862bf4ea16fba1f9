"""The dashboard pages in AppTest: Übersicht, Karte, Stadtteilprofil, Zeitreihen, Daten, Methodik.

Two databases: the demo city (geometry, 15 Stichtage, detail by nationality and age) and one holding
only the Lünen table of seed 002 (no geometry, no detail, one Stichtag), where every page has to
degrade gracefully.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.population import import_population
from tests.apptest import figures, numbers, open_app

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
LUENEN_CSV = REPO / "tests" / "data" / "luenen_stadtteile_2020.csv"
PAGES = [
    "pages/uebersicht.py",
    "pages/karte.py",
    "pages/profil.py",
    "pages/zeitreihen.py",
    "pages/daten.py",
    "pages/methodik.py",
]


@pytest.fixture(scope="module")
def luenen_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("luenen") / "luenen.duckdb"
    import_population(LUENEN_CSV, path, "Lünen", date(2020, 12, 31))
    return path


def _app(monkeypatch, db: Path, page: str | None = None, **params: str) -> AppTest:
    return open_app(monkeypatch, db, page, query=params)


def _order(node) -> list[str]:
    """Element types of a tree in the order they appear on the page."""
    children = getattr(node, "children", None)
    if not children:
        return [node.type]
    return [t for key in sorted(children) for t in _order(children[key])]


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts).replace("\\*", "*").replace("\u00a0", " ")


# --- every page, both databases ------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("db", ["demo_db", "luenen_db"])
def test_page_renders(request, monkeypatch, page, db):
    at = _app(monkeypatch, request.getfixturevalue(db), page)
    assert at.title, "page heading"
    if page not in ("pages/daten.py", "pages/methodik.py"):
        specs = figures(at)
        assert specs, "at least one chart"
        for figure in specs:
            assert figure["layout"]["separators"] == ",."
            assert figure["data"], "charts are not empty"


# --- Übersicht -----------------------------------------------------------------------------------


def test_uebersicht_luenen_key_figures_and_sentences(monkeypatch, luenen_db):
    at = _app(monkeypatch, luenen_db)  # the default page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Einwohner:innen": "87.815",
        "Ausländeranteil": "15,1 %",
        "Mit Migrationshintergrund": "34,4 %",
        "Segregationsindex": metrics["Segregationsindex"],
    }
    assert all(not m.proto.delta for m in at.metric), "one Stichtag: no change to show"
    text = _text(at)
    assert "In Lünen sind 87.815 Menschen gemeldet." in text, "the source does not say which residents"
    assert "In Lünen hat etwa jede*r Dritte einen Migrationshintergrund (34,4 %)." in text
    assert "Den höchsten Ausländeranteil hat Gahmen (23,3 %), den niedrigsten Niederaden (2,3 %)." in text
    assert "keine Stadtteilgrenzen geladen" in text
    (figure,) = figures(at)
    bar = figure["data"][0]
    assert bar["type"] == "bar" and len(bar["y"]) == 13
    assert "15,1 %" in figure["layout"]["shapes"][0].get("label", {}).get("text", "") or any(
        "Lünen: 15,1 %" in a.get("text", "") for a in figure["layout"]["annotations"]
    )
    extremes = at.dataframe[0].value
    assert extremes["Stadtteil"].tolist()[:3] == ["Gahmen", "Lünen-Nord", "Brambauer"]


def test_uebersicht_demo_shows_changes_with_german_deltas(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db)
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert all(deltas.values()), deltas
    assert deltas["Ausländeranteil"].endswith(" Pp.")
    assert "," in deltas["Ausländeranteil"]
    assert "Pfeile: Veränderung gegenüber dem Stichtag 31.12.2023." in _text(at)
    (figure,) = figures(at)
    assert figure["data"][0]["type"] == "choropleth"


def test_uebersicht_selection_narrows_map_and_extremes(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db)
    before = at.dataframe[0].value["Stadtteil"].tolist()
    at.multiselect(key="districts").set_value(["011", "012", "021"]).run()
    assert at.query_params["stadtteile"] in ("011,012,021", ["011,012,021"])
    after = at.dataframe[0].value["Stadtteil"].tolist()
    assert sorted(after) == ["Altstadt", "Bahnhofsviertel", "Nordviertel"]
    assert after != before
    traces = figures(at)[0]["data"]
    coloured = [loc for t in traces if t.get("name") != "nicht ausgewählt" for loc in t.get("locations", [])]
    assert sorted(coloured) == ["011", "012", "021"]
    assert any(t.get("name") == "nicht ausgewählt" for t in traces), "the rest of the city, in grey"


def test_query_parameters_restore_the_view(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, stichtag="2015-12-31", stadtteile="011,012")
    assert at.selectbox(key="reference_date").value == "2015-12-31"
    assert at.multiselect(key="districts").value == ["011", "012"]
    assert "Stichtag 31.12.2015" in _text(at)
    assert "gegenüber dem Stichtag 31.12.2014" in _text(at)
    at.selectbox(key="reference_date").set_value("2020-12-31").run()
    assert at.query_params["stichtag"] in ("2020-12-31", ["2020-12-31"])


# --- Stadtteilprofil -----------------------------------------------------------------------------


def test_profil_luenen_brambauer_from_the_sidebar(monkeypatch, luenen_db):
    at = _app(monkeypatch, luenen_db, "pages/profil.py", stadtteile="Brambauer")
    assert at.selectbox(key="profile_district").value == "Brambauer"
    text = _text(at)
    assert "In Brambauer hat gut jede*r Fünfte keine deutsche Staatsangehörigkeit (22,5 %)." in text
    assert "höher als in Lünen insgesamt (22,5 % gegenüber 15,1 %)" in text
    assert "keine Zahlen nach Staatsangehörigkeit" in text
    profile = at.table[0].value.replace("\u00a0", " ", regex=True)
    assert "Minderjährige (unter 18 Jahre)" not in profile.index  # not in the Lünen table
    assert profile.loc["Einwohner:innen", "Brambauer"] == "19.265"
    assert profile.loc["Einwohner:innen", "Lünen"] == "87.815"
    assert profile.loc["Anteil mit Migrationshintergrund", "Brambauer"] == "41,9 %"
    assert profile.loc["Rang: Ausländeranteil", "Brambauer"] == "3 von 13"
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert len(titles) == 5  # all shares at once, two time series (one point each), two rankings
    assert titles[0].startswith("<b>Brambauer im Vergleich mit Lünen")
    assert all("Lünen" in t for t in titles)


def test_profil_demo_follows_selection_and_shows_detail(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/profil.py")
    assert at.selectbox(key="profile_district").value == "011"  # Altstadt, first by name
    at.multiselect(key="districts").set_value(["032", "011"]).run()
    assert at.selectbox(key="profile_district").value == "032"
    specs = figures(at)
    titles = [f["layout"]["title"]["text"] for f in specs]
    assert any("Staatsangehörigkeiten in Zechenfeld" in t for t in titles)
    pyramid = next(f for f in specs if "Altersaufbau" in f["layout"]["title"]["text"])
    xs = [numbers(trace["x"]) for trace in pyramid["data"]]
    assert xs[0].max() <= 0 and xs[2].min() >= 0  # men left, women right
    series = next(
        f for f in specs if f["layout"]["title"]["text"].startswith("<b>Ausländeranteil: Zechenfeld")
    )
    # the demo's Kreis and NRW stand beside the city as reference lines (issue 19)
    assert [t["name"] for t in series["data"]] == [
        "Zechenfeld",
        "Musterstadt",
        "Kreis Musterland",
        "NRW (Demo)",
    ]
    assert len(numbers(series["data"][0]["y"])) == 15
    at.selectbox(key="profile_district").set_value("044").run()
    assert "Rosenhügel" in at.subheader[0].value


def test_profil_on_stadtbezirk_level_uses_detail_of_the_stadtteile(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/profil.py", ebene="Stadtbezirk")
    assert at.selectbox(key="profile_district").value == "01"
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any("Staatsangehörigkeiten in Mitte" in t for t in titles)


def test_presentation_mode_puts_the_map_first(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, praesentation="1")
    order = _order(at.main)
    assert order.index("plotly_chart") < order.index("metric")
    assert not at.sidebar.children or at.toggle(key="presentation").value is True
    (figure,) = figures(at)
    assert figure["layout"]["font"]["size"] >= 20


def test_presentation_mode_one_chart_large_type(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/profil.py", praesentation="1")
    (figure,) = figures(at)
    assert figure["layout"]["font"]["size"] >= 20
    assert figure["layout"]["xaxis"]["tickfont"]["size"] >= 20
    assert "Musterstadt" in figure["layout"]["title"]["text"]
    at.button(key="profil-slide-next").click().run()
    (second,) = figures(at)
    assert second["layout"]["title"]["text"] != figure["layout"]["title"]["text"]


# --- Zeitreihen ----------------------------------------------------------------------------------


def test_zeitreihen_default_largest_then_selection_and_index(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/zeitreihen.py")
    (figure,) = figures(at)
    names = [t["name"] for t in figure["data"]]
    assert len(names) == 6 and names[-1] == "Musterstadt"
    assert "die 5 größten" in figure["layout"]["title"]["text"]
    at.multiselect(key="districts").set_value(["011", "012"]).run()
    (figure,) = figures(at)
    assert [t["name"] for t in figure["data"]] == ["Altstadt", "Bahnhofsviertel", "Musterstadt"]
    at.toggle(key="series_indexed").set_value(True).run()
    at.select_slider(key="series_base").set_value("2015-12-31").run()
    (figure,) = figures(at)
    assert "Index 31.12.2015 = 100" in figure["layout"]["title"]["text"].replace("<br>", " ")
    altstadt = figure["data"][0]
    at_base = [x[:10] for x in altstadt["x"]].index("2015-12-31")
    assert numbers(altstadt["y"])[at_base] == pytest.approx(100)
    at.radio(key="series_kind").set_value("Absolute Zahlen").run()
    (figure,) = figures(at)
    assert "Einwohner:innen" in figure["layout"]["title"]["text"]
    assert figure["layout"]["yaxis"]["title"]["text"].startswith("Index")


def test_zeitreihen_luenen_single_point(monkeypatch, luenen_db):
    at = _app(monkeypatch, luenen_db, "pages/zeitreihen.py")
    assert "liegt nur ein Stichtag vor" in _text(at)
    (figure,) = figures(at)
    names = [t["name"] for t in figure["data"]]
    assert names == [
        "Brambauer",
        "Horstmar",
        "Lünen-Nord",
        "Lünen-Süd",
        "Nordlünen",
        "Lünen",
    ]  # the 5 largest


# --- Daten and Methodik ---------------------------------------------------------------------------


def test_daten_tables_filters_and_downloads(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/daten.py", stadtteile="011,012")
    tables = [d.value for d in at.dataframe]
    assert len(tables) == 3
    assert tables[0]["Stadtteil"].tolist() == ["Altstadt", "Bahnhofsviertel", "Musterstadt"]
    assert tables[0]["Ausländeranteil (%)"].str.endswith(" %").all()
    assert set(tables[2]["Stadtteil"]) == {"Altstadt", "Bahnhofsviertel"}
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("CSV herunterladen (Excel, deutsch)") == 3
    assert "Alle Tabellen als Excel-Datei (.xlsx)" in labels
    at.text_input(key="data_filter").set_value("Türkei").run()
    nations = at.dataframe[-1].value
    assert set(nations["Staatsangehörigkeit"]) == {"Türkei"}
    assert len(nations) == 2


def test_daten_luenen_without_detail(monkeypatch, luenen_db):
    at = _app(monkeypatch, luenen_db, "pages/daten.py")
    table = at.dataframe[0].value.set_index("Stadtteil")
    assert table.loc["Lünen", "Einwohner:innen"] == "87.815"
    assert table.loc["Brambauer", "Ausländeranteil (%)"] == "22,5 %"
    assert "Keine Zahlen nach Staatsangehörigkeit geladen." in _text(at)


def test_methodik_catalogue_dates_sources_imports(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, "pages/methodik.py")
    catalogue = at.dataframe[0].value
    assert "Ausländeranteil" in catalogue["Kennzahl"].tolist()
    assert "Segregationsindex (Dissimilaritätsindex)" in catalogue["Kennzahl"].tolist()
    text = _text(at)
    assert "15 Stichtage geladen, vom 31.12.2010 bis zum 31.12.2024" in text
    sources = at.dataframe[1].value.set_index("Kommune")
    assert sources.loc["Musterstadt", "Daten"] == "synthetisch (erfunden)"
    imports = at.dataframe[2].value
    assert imports["Art"].tolist() == ["Demodaten"]
