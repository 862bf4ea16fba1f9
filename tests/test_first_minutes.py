"""What a user hits first (issue 16): the default municipality, pages for a municipality without
population data, failures at the page frame, the password hash, maps, texts, phone and beamer."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.allocations import import_allocations
from data.bootstrap import install_demo
from tests.apptest import editor, figures, open_app

REPO = Path(__file__).resolve().parents[1]
ALLOCATIONS = REPO / "tests" / "data" / "kamp_lintfort_zuweisungen_2021_2022.csv"
POPULATION_PAGES = [
    "pages/uebersicht.py",
    "pages/karte.py",
    "pages/profil.py",
    "pages/zeitreihen.py",
    "pages/daten.py",
]


@pytest.fixture(scope="module")
def mixed_db(tmp_path_factory) -> Path:
    """The demo city and Kamp-Lintfort, which has allocations only (and sorts first)."""
    path = tmp_path_factory.mktemp("mixed") / "mixed.duckdb"
    install_demo(path)
    import_allocations(ALLOCATIONS, path, "Kamp-Lintfort")
    return path


@pytest.fixture(scope="module")
def allocations_db(tmp_path_factory) -> Path:
    """Nothing but the allocations of Kamp-Lintfort."""
    path = tmp_path_factory.mktemp("alloc") / "alloc.duckdb"
    import_allocations(ALLOCATIONS, path, "Kamp-Lintfort")
    return path


def _texts(at) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "title", "subheader")
    return "\n".join(str(el.value) for kind in kinds for el in at.get(kind))


def test_a_municipality_without_population_is_never_the_default(monkeypatch, mixed_db):
    at = open_app(monkeypatch, mixed_db)
    assert at.session_state["municipality"] == "Musterstadt"
    assert figures(at), "the Übersicht of the demo city"
    assert at.query_params["gemeinde"] == "Musterstadt"


@pytest.mark.parametrize("page", POPULATION_PAGES)
def test_population_pages_say_in_german_what_is_missing(monkeypatch, allocations_db, page):
    at = open_app(monkeypatch, allocations_db, page)
    text = _texts(at)
    assert "Für Kamp-Lintfort sind keine Einwohnerzahlen geladen" in text
    assert "python -m data" not in text, "no commands for readers"
    assert not at.main.get("page_link"), "the way to load data is for editors"  # the sidebar: navigation
    assert not [s for s in at.selectbox if s.label == "Stichtag"], "no empty Stichtag box"
    assert "Stichtag: für Kamp-Lintfort sind keine Einwohnerzahlen geladen." in text


def test_editors_get_the_way_to_load_data(monkeypatch, allocations_db):
    at = open_app(monkeypatch, allocations_db, "pages/profil.py", **editor("redaktion"))
    links = at.main.get("page_link")  # the sidebar's page links are the navigation
    assert [link.proto.label for link in links] == ["Daten laden"]


def test_refugee_pages_work_and_say_what_is_missing_without_commands(monkeypatch, allocations_db):
    at = open_app(monkeypatch, allocations_db, "pages/zuweisungen.py")
    assert len(figures(at)) == 2
    at.switch_page("pages/unterbringung.py").run()
    assert not at.exception
    text = _texts(at)
    assert "Für Kamp-Lintfort sind keine Belegungszahlen geladen" in text
    assert "python -m data" not in text


def test_a_failing_page_shows_german_and_logs_the_traceback(monkeypatch, demo_db, caplog):
    def broken(*args, **kwargs):
        raise ValueError("No objects to concatenate")

    monkeypatch.setattr("charts.population_views.overview", broken)
    with caplog.at_level(logging.ERROR, logger="integrationsmonitor"):
        at = open_app(monkeypatch, demo_db)
    assert not at.exception
    assert "Diese Seite kann gerade nicht angezeigt werden" in at.error[0].value
    assert "No objects to concatenate" in caplog.text, "the traceback is in the log"


def test_hash_password_needs_no_database(monkeypatch, capsys):
    from data.__main__ import main
    from data.passwords import verify_password

    monkeypatch.setattr("getpass.getpass", lambda prompt="": "ein langes Passwort")
    assert main(["hash-password"]) == 0
    assert verify_password("ein langes Passwort", capsys.readouterr().out.strip())


# --- Daten laden: every problem, counted by kind; one upload limit ------------------------------


def test_upload_check_lists_every_problem_with_counts_per_kind(tmp_path):
    from data.errors import DataImportError
    from data.store import Store
    from data.upload import problem_kinds, problems_headline, problems_table, run_import

    db = tmp_path / "demo.duckdb"
    install_demo(db)
    store = Store(db)
    names = store.districts("Musterstadt")["district"].tolist()
    store.close()
    rows = ["Stadtteil;Einwohner:innen;Ausländer:innen"] + [f"{n};1000;100" for n in names]
    rows[1], rows[2], rows[3] = f"{names[0]};viele;100", f"{names[1]};1000;-5", f"{names[2]};1000;etwa 80"
    rows.append("Nirgendwo;500;20")
    with pytest.raises(DataImportError) as err:
        run_import(
            "population",
            "x.csv",
            "\n".join(rows).encode(),
            db,
            "Musterstadt",
            date(2024, 12, 31),
            check_only=True,
        )
    table = problems_table(err.value)
    assert len(table) == 4 and "Nirgendwo" in table["Meldung"].iloc[-1], "the unknown key with the rest"
    kinds = problem_kinds(err.value)
    assert kinds["Anzahl"].tolist() == [2, 1, 1]
    assert kinds["Art"].iloc[0] == "… ist keine Zahl."
    assert problems_headline(err.value).startswith(
        "Die Datei kann so nicht importiert werden: 4 Fehler von 3 Arten."
    )


def test_one_upload_limit_said_in_german(monkeypatch, demo_db):
    import tomllib

    from data.parsing import MAX_FILE_BYTES

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
    at = open_app(monkeypatch, demo_db, "pages/daten_laden.py", **editor("redaktion"))
    assert any(c.value.startswith("Höchstens 50 MB je Datei.") for c in at.caption)
    uploader = at.get("file_uploader")[0].proto
    assert uploader.max_upload_size_mb == 50 and uploader.help == "Höchstens 50 MB je Datei."


# --- maps that do not mislead ---------------------------------------------------------------------


def _legend(spec: dict) -> list[tuple[str, str]]:
    """(legend name, fill colour) of every choropleth of a map figure."""
    return [(t["name"], t["colorscale"][0][1]) for t in spec["data"] if t["type"] == "choropleth"]


@pytest.mark.parametrize(
    ("key", "neutral"), [("foreigner_share_deviation_pp", 0.0), ("migration_background_share_lq", 1.0)]
)
@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
@pytest.mark.parametrize("k", [4, 5, 7])
def test_diverging_classes_are_symmetric_and_the_neutral_class_holds_the_neutral_value(
    key, neutral, scheme, k
):
    from charts.figures import class_breaks, lowest_bound, neutral_value
    from indicators.catalogue import get

    assert neutral_value(get(key)) == neutral
    values = pd.Series(neutral + np.array([-0.9, -0.5, -0.3, -0.1, 0.05, 0.2, 0.4, 1.6, 2.4, 3.0]))
    breaks = class_breaks(values, scheme, k, neutral)
    bounds = np.array([lowest_bound(values, breaks, neutral), *breaks])
    assert len(breaks) % 2 == 1, "an odd number of classes: one in the middle"
    np.testing.assert_allclose(bounds - neutral, -(bounds - neutral)[::-1], atol=1e-9)
    middle = len(breaks) // 2
    assert bounds[middle] < neutral < bounds[middle + 1]


def test_the_neutral_colour_sits_on_the_neutral_class(demo_db, monkeypatch):
    at = open_app(
        monkeypatch, demo_db, "pages/karte.py", state={"map_indicator": "foreigner_share_deviation_pp"}
    )
    legend = _legend(figures(at)[0])
    names = [name for name, _ in legend if "–" in name]
    middle = names[len(names) // 2]
    low, high = (float(x.split()[0].replace(",", ".").replace("−", "-")) for x in middle.split(" – "))
    assert low < 0 < high and abs(low + high) < 0.11, middle


def test_an_indicator_without_data_says_so_instead_of_a_grey_map(tmp_path, monkeypatch):
    from data.population import import_population

    db = tmp_path / "luenen.duckdb"
    import_population(REPO / "tests" / "data" / "luenen_stadtteile_2020.csv", db, "Lünen", date(2020, 12, 31))
    at = open_app(
        monkeypatch, db, "pages/karte.py", state={"map_indicator": "minors_migration_background_share_pct"}
    )
    assert not figures(at)
    assert any(i.value.startswith("Keine Daten für diese Kennzahl") for i in at.info)


def test_a_selection_keeps_the_city_classes_and_greys_the_rest(demo_db, monkeypatch):
    whole = _legend(figures(open_app(monkeypatch, demo_db, "pages/karte.py"))[0])
    store_ids = open_app(monkeypatch, demo_db).sidebar.multiselect[0].options
    at = open_app(monkeypatch, demo_db, "pages/karte.py", state={"districts": ["011", "013", "042", "021"]})
    spec = figures(at)[0]
    legend = _legend(spec)
    classes = [name for name, _ in legend if "–" in name]
    assert set(classes) <= {name for name, _ in whole}, "the classes of the whole city"
    assert ("nicht ausgewählt", "#eeeeee") in legend
    drawn = sum(len(t["locations"]) for t in spec["data"] if t["type"] == "choropleth")
    assert drawn == len(store_ids), "the whole city is drawn"
    labels = [t for t in spec["data"] if t["type"] == "scattergeo"][0]
    assert len(labels["text"]) == 4, "only the selection is named"


@pytest.mark.parametrize("key", __import__("indicators.catalogue").catalogue.map_indicators())
def test_every_map_indicator_draws_on_the_karte(demo_db, monkeypatch, key):
    at = open_app(monkeypatch, demo_db, "pages/karte.py", state={"map_indicator": key})
    assert not at.error, [e.value for e in at.error]
    assert figures(at) or any(i.value.startswith("Keine Daten für diese Kennzahl") for i in at.info)


# --- texts true for the data ----------------------------------------------------------------------


def test_the_population_definition_follows_the_source():
    from charts.sentences import population_sentence, residence_of

    assert residence_of("Stadt Köln, Offene Daten Köln, CC BY") is None
    assert residence_of("Stadt Lünen, Einwohner mit Hauptwohnsitz") == "Hauptwohnsitz"
    assert residence_of("Einwohner mit Haupt- und Nebenwohnsitz") == "Haupt- oder Nebenwohnsitz"
    assert "Hauptwohnsitz" not in population_sentence("Köln", 1_000_000, residence=None)
    assert population_sentence("Köln", 10, residence="Haupt- oder Nebenwohnsitz") == (
        "In Köln sind 10 Menschen mit Haupt- oder Nebenwohnsitz gemeldet."
    )


@pytest.mark.parametrize(
    "page", ["pages/uebersicht.py", "pages/karte.py", "pages/profil.py", "pages/zeitreihen.py"]
)
def test_stadtbezirk_views_name_their_level(demo_db, monkeypatch, page):
    at = open_app(monkeypatch, demo_db, page, query={"ebene": "Stadtbezirk"})
    words = _texts(at) + "\n".join(f["layout"]["title"]["text"] for f in figures(at))
    words += "\n".join(str(w.label) for w in at.main.get("toggle") + at.main.get("selectbox"))
    assert "Stadtbezirk" in words
    if page == "pages/uebersicht.py":
        assert (
            "gleich über die Stadtbezirke verteilt" in words
            and "in einen anderen Stadtbezirk ziehen" in words
        )
    assert "Stadtteil" not in words.replace("Stadtteilprofil", ""), [
        line for line in words.splitlines() if "Stadtteil" in line
    ]


@pytest.mark.parametrize(
    "page", ["pages/uebersicht.py", "pages/karte.py", "pages/profil.py", "pages/zeitreihen.py"]
)
def test_every_chart_carries_the_source_credit(demo_db, monkeypatch, page):
    at = open_app(monkeypatch, demo_db, page)
    for spec in figures(at):
        notes = [a.get("text", "") for a in spec["layout"].get("annotations", [])]
        assert any("Synthetische Demodaten" in n for n in notes), spec["layout"]["title"]["text"]


def test_one_zeile_many_zeilen():
    from data.errors import ImportReport, rows_text

    assert [rows_text(n) for n in (0, 1, 2, 1024)] == ["0 Zeilen", "1 Zeile", "2 Zeilen", "1.024 Zeilen"]
    assert ImportReport("population", "a.csv", "Lünen", 1).render().startswith("a.csv: 1 Zeile importiert")


# --- phone ----------------------------------------------------------------------------------------


def _demo_filters(store, **kwargs):
    from charts.view import Filters

    dates = store.reference_dates("Musterstadt")
    return Filters("Musterstadt", dates[-1], dates, **kwargs)


def test_phone_time_series_has_few_year_labels(demo_db):
    from charts.population_views import time_series
    from charts.view import Source
    from data.store import Store

    store = Store(demo_db)
    f = _demo_filters(store)
    wide = time_series(Source(store), f, "foreigner_share_pct").figure.layout.xaxis.ticktext
    phone = time_series(Source(store), f, "foreigner_share_pct", compact=True).figure.layout.xaxis.ticktext
    store.close()
    assert len(wide) > 4 and len(phone) <= 4 and phone[-1] == wide[-1], "the latest Stichtag stays"


def test_phone_rank_shows_the_neighbours_and_the_table_all(demo_db):
    from charts.population_views import profile
    from charts.view import Source
    from data.store import Store

    store = Store(demo_db)
    f = _demo_filters(store)
    districts = store.districts("Musterstadt")
    first = districts["district_id"].iloc[0]
    view = profile(Source(store), f, first, compact=True)
    store.close()
    rank = [c for c in view.charts if c.key.startswith("profil-rang-")][0]
    shown = rank.figure.data[0].y
    assert 6 <= len(shown) <= 11 < len(districts) and districts["district"].iloc[0] in shown
    assert rank.figure.layout.meta["excerpt"] and rank.figure.layout.height < 700
    assert len(rank.table) == len(districts) + 1, "every district and the city in the table"
    values = pd.to_numeric(rank.table.iloc[:-1, -1])
    assert values.is_monotonic_decreasing
    assert rank.notes[0].startswith("Ausschnitt:")


# --- beamer ---------------------------------------------------------------------------------------


def test_a_talk_runs_from_one_link_to_the_next_page_with_its_settings(demo_db, monkeypatch):
    query = {"praesentation": "1", "karte": "foreigner_share_lq", "klassen": "3"}
    at = open_app(monkeypatch, demo_db, "pages/karte.py", query=query)
    assert at.session_state["map_classes"] == 3 and at.session_state["map_indicator"] == "foreigner_share_lq"
    assert figures(at)[0]["layout"]["height"] <= 580, "fits a 1024×768 beamer"
    switched = {}
    monkeypatch.setattr(
        "streamlit.switch_page",
        lambda page, query_params=None: switched.update(page=page, query=query_params),
    )
    at.button(key="karte-slide-page").click().run()
    assert not at.exception
    assert switched["page"].url_path == "profil"
    assert switched["query"]["praesentation"] == "1" and switched["query"]["karte"] == "foreigner_share_lq"
    assert switched["query"]["klassen"] == "3"
