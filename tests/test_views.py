"""One description per chart: the pages, the downloads and the Sitzungsbericht take the same `ChartView`s.

The database is a small town loaded from a person-level register extract (so it has nationalities and
age groups): Mühlenweiler has 2 foreigners among 40 residents, a count readers may not see. The page
and the report must withhold the same charts for it, with the same words, and every table a reader can
download must be the table the view carries — hidden cells empty, keys with their leading zeros.
"""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation

from charts.population_views import age_structure, nationalities, profile, share_map, time_series
from charts.report import build_report, write
from charts.tables import csv_bytes
from charts.view import ChartView, Filters, Source
from data.population import import_population
from data.register import import_register
from data.store import Store
from indicators.disclosure import SUPPRESSED
from tests.apptest import figures, open_app

MUNICIPALITY = "Kleinstadt"
STICHTAG = date(2024, 12, 31)
HIDDEN = "Mühlenweiler"  # 2 foreigners; a register extract names Stadtteile, so names are the keys
#: Stadtteil → (Germans without MH, Germans with MH, foreigners by nationality)
TOWN = {
    "Oberdorf": (220, 40, {"Türkei": 20, "Polen": 12, "Syrien": 9, "Italien": 6}),
    "Unterdorf": (180, 30, {"Türkei": 15, "Polen": 8, "Syrien": 7, "Rumänien": 5}),
    "Mühlenweiler": (33, 5, {"Türkei": 2}),
}


def _extract() -> pd.DataFrame:
    """One row per person, as a municipal IT export writes them; ages and sexes spread evenly."""
    rows = []
    for district, (germans, with_mh, foreign) in TOWN.items():
        people = [("deutsch", "nein")] * germans + [("deutsch", "ja")] * with_mh
        people += [(nation, "ja") for nation, n in foreign.items() for _ in range(n)]
        for i, (nation, mh) in enumerate(people):
            rows.append(
                {
                    "Stadtteil": district,
                    "Staatsangehörigkeit": nation,
                    "Geburtsjahr": 1940 + (i * 7) % 80,
                    "Geschlecht": "männlich" if i % 2 else "weiblich",
                    "Migrationshintergrund": mh,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kleinstadt")
    src = folder / "melderegister.csv"
    _extract().to_csv(src, sep=";", index=False, encoding="utf-8")
    db = folder / "town.duckdb"
    import_register(src, db, MUNICIPALITY, STICHTAG)
    return db


@pytest.fixture
def source(town):
    store = Store(town)
    yield Source(store)
    store.close()


def _filters(store: Store, districts: list[str] | None = None, public: bool = True) -> Filters:
    return Filters(MUNICIPALITY, STICHTAG, store.reference_dates(MUNICIPALITY), districts=districts or [],
                   public=public)  # fmt: skip


def _csv_table(data: bytes) -> pd.DataFrame:
    text = data.decode("utf-8-sig").split("\r\n\r\n")[0]
    return pd.read_csv(io.StringIO(text), sep=";", decimal=",", dtype=str, keep_default_na=False)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The view's raw table as the CSV writes it (German decimal comma, empty for missing)."""
    out = table.copy()
    for column in out.columns:
        out[column] = [
            "" if v is None or (not isinstance(v, str) and pd.isna(v))
            else (str(v).replace(".", ",") if isinstance(v, float) and not float(v).is_integer()
                  else str(int(v)) if isinstance(v, float | np.floating | np.integer | int) and not isinstance(v, bool)
                  else v.strftime("%d.%m.%Y") if isinstance(v, pd.Timestamp) else str(v))
            for v in out[column]
        ]  # fmt: skip
    return out.reset_index(drop=True)


# --- the same decision everywhere ----------------------------------------------------------------


def test_the_view_withholds_nationalities_and_ages_where_the_foreigners_are_hidden(source):
    f = _filters(source.reads, [HIDDEN])
    mix, ages = nationalities(source, f, [HIDDEN]), age_structure(source, f, [HIDDEN])
    assert mix.figure is None and not mix.shown
    assert mix.withheld.startswith("Für Mühlenweiler werden die Staatsangehörigkeiten nicht gezeigt")
    assert mix.table.empty, "a withheld chart carries no table to download"
    # the residents (40) are shown, so the age pyramid stays, protected cell by cell
    assert ages.shown and SUPPRESSED in ages.text_table().to_numpy()
    exact = nationalities(source, _filters(source.reads, [HIDDEN], public=False), [HIDDEN])
    assert exact.shown and exact.table["Personen"].tolist() == [2]


def test_page_and_report_withhold_the_same_charts(town, source, monkeypatch, tmp_path):
    at = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": HIDDEN})
    assert not at.exception
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert not any("Staatsangehörigkeiten" in t for t in titles)
    assert any("Altersaufbau" in t for t in titles)
    page_reasons = [c.value for c in at.caption if "nicht gezeigt" in c.value]

    store = Store(town)
    try:
        report = build_report(store, MUNICIPALITY, districts=["Mühlenweiler"])
    finally:
        store.close()
    assert report.withheld == page_reasons and len(page_reasons) == 1
    assert not any("Staatsangehörigkeiten" in c.title for c in report.charts)

    deck = Presentation(io.BytesIO(write(report, "pptx")))
    slide_titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert not any("Staatsangehörigkeiten" in t for t in slide_titles)
    pdf = tmp_path / "bericht.pdf"
    pdf.write_bytes(write(report, "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Häufigste Staatsangehörigkeiten in" not in text
    assert "werden die Staatsangehörigkeiten nicht gezeigt" in " ".join(text.split())


def test_page_and_report_show_the_same_nationality_table_where_nothing_is_hidden(town, source, monkeypatch):
    at = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": "Oberdorf"})
    assert any(
        "Häufigste Staatsangehörigkeiten in Oberdorf" in f["layout"]["title"]["text"] for f in figures(at)
    )
    store = Store(town)
    try:
        report = build_report(store, MUNICIPALITY, districts=["Oberdorf"])
        page_view = nationalities(Source(store), _filters(store, ["Oberdorf"]), ["Oberdorf"])
    finally:
        store.close()
    (reported,) = [c for c in report.charts if "Staatsangehörigkeiten" in c.title]
    assert reported.title == page_view.title
    pd.testing.assert_frame_equal(reported.table, page_view.table)
    assert reported.table["Personen"].tolist() == [20, 12, 9, 6]


# --- downloads equal the view ---------------------------------------------------------------------


def _every_view(source: Source, f: Filters) -> list[ChartView]:
    views = [share_map(source, f, "foreigner_share_pct"), time_series(source, f, "foreigners")]
    for district in TOWN:
        views += profile(source, f, district).charts
    return [v for v in views if v is not None and v.shown]


def test_every_downloadable_table_is_the_view_table_with_hidden_cells_empty(source):
    f = _filters(source.reads)
    views = _every_view(source, f)
    assert len(views) >= 10
    hidden_seen = 0
    for view in views:
        assert view.hidden.shape == view.table.shape
        hidden = view.hidden.to_numpy()
        values = view.table.to_numpy()
        assert all(v is None or pd.isna(v) for v in values[hidden]), view.title
        hidden_seen += int(hidden.sum())
        # what the download button writes is the view's table, cell for cell
        assert_frame_text_equal(
            _csv_table(csv_bytes(view.table, view.notes)), _as_text(view.table), view.title
        )
        # and what a reader reads shows `•` exactly where the view hides
        text = view.text_table().to_numpy()
        assert ((text == SUPPRESSED) == hidden).all(), view.title
    assert hidden_seen > 0, "the town has hidden cells; the test must see some"


def assert_frame_text_equal(left: pd.DataFrame, right: pd.DataFrame, title: str) -> None:
    assert list(left.columns) == list(right.columns), title
    assert left.to_numpy().tolist() == right.to_numpy().tolist(), title


def test_map_table_keeps_keys_and_ends_with_the_published_municipality(tmp_path):
    src = tmp_path / "stadtteile.csv"
    src.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n"
                   "011;Oberdorf;1.250;140;310\n012;Unterdorf;980;96;201\n103;Mühlenweiler;60;2;9\n",
                   encoding="utf-8")  # fmt: skip
    import_population(src, tmp_path / "t.duckdb", MUNICIPALITY, STICHTAG)
    store = Store(tmp_path / "t.duckdb")
    try:
        view = share_map(Source(store), _filters(store), "foreigner_share_pct")
    finally:
        store.close()
    table = view.table
    assert sorted(table["Schlüssel"].dropna()) == ["011", "012", "103"]
    assert table.iloc[-1]["Stadtteil"] == MUNICIPALITY
    assert table.iloc[-1]["Ausländer:innen"] == 140 + 96 + 2, "the municipality's total is published"
    assert pd.isna(table.loc[table["Schlüssel"] == "103", "Ausländer:innen"]).all()
    written = _csv_table(csv_bytes(table, view.notes))
    assert written["Schlüssel"].tolist() == [*table["Schlüssel"].dropna(), ""], "leading zeros kept"
    assert written.loc[written["Schlüssel"] == "103", "Ausländer:innen"].tolist() == [""]


def test_the_map_shows_the_published_total_and_says_where_it_differs(tmp_path):
    real = Path(__file__).parent / "data" / "real_files" / "pop_total_differs.csv"
    import_population(real, tmp_path / "t.duckdb", "Beispielstadt", STICHTAG)
    store = Store(tmp_path / "t.duckdb")
    try:
        f = Filters("Beispielstadt", STICHTAG, store.reference_dates("Beispielstadt"))
        view = share_map(Source(store), f, "foreigner_share_pct")
    finally:
        store.close()
    city = view.table.iloc[-1]
    assert (city["Stadtteil"], city["Einwohner:innen"], city["Ausländer:innen"]) == (
        "Beispielstadt",
        2505,
        300,
    )
    assert city["Ausländeranteil (%)"] == pytest.approx(300 / 2505 * 100)
    note = next(n for n in view.notes if "veröffentlichte Gesamtzahl" in n)
    assert "2.505 Einwohner:innen" in note and "ergibt 2.500 (Differenz +5)" in note


def test_the_licence_given_at_import_is_on_every_chart_and_file(tmp_path):
    import sys

    db = tmp_path / "k.duckdb"
    src = tmp_path / "stadtteile.csv"
    src.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n"
                   "101;Altstadt-Süd;27.000;5.000;9.000\n102;Neustadt-Süd;38.000;6.000;11.000\n", encoding="utf-8")  # fmt: skip
    credit = "Stadt Köln, Offene Daten Köln, CC BY"
    done = subprocess.run(
        [sys.executable, "-m", "data", "import", "population", str(src), "--date", "2012-12-31",
         "--municipality", "Köln", "--source", credit, "--db", str(db)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store(db)
    try:
        meta = store.municipalities().set_index("name").loc["Köln"]
        f = Filters("Köln", date(2012, 12, 31), store.reference_dates("Köln"), source=meta["source"])
        view = share_map(Source(store), f, "foreigner_share_pct")
    finally:
        store.close()
    assert meta["source"] == credit
    assert credit in view.source
    annotations = " ".join(a.text for a in view.figure.layout.annotations)
    assert credit in annotations, "the credit is printed on the chart, so every image export carries it"
