"""Einwanderungsgeschichte: a second definition of origin beside Migrationshintergrund (issue 19).

Fixtures: `einwanderungsgeschichte_2023.csv` (only Einwanderungsgeschichte, with its published share
and a total row), `herkunft_beide_2024.csv` (both definitions) and, written here, a Stichtag 2022 with
Migrationshintergrund only — one invented town over three Stichtage.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from charts.definitions import SHARE_KEYS, definitions, definitions_note, offered, offered_keys
from charts.frames import line_frame
from charts.population_views import profile as profile_view
from charts.protect import hidden_cells
from charts.reads import indicator_table, indicator_values, series
from charts.view import Filters, Source
from data.audit import undo_last
from data.errors import DataImportError
from data.population import import_population
from data.store import SCHEMA, Store
from indicators.catalogue import CATALOGUE, ORIGIN_DEFINITIONS_TEXT, definition_of, get, map_indicators
from indicators.shares import changes, municipality_series, shares
from tests.apptest import open_app

DATA = Path(__file__).parent / "data"
EG_2023 = DATA / "einwanderungsgeschichte_2023.csv"
BOTH_2024 = DATA / "herkunft_beide_2024.csv"
TOWN = "Bachstadt"
D2022, D2023, D2024 = date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31)
MH_2022 = (
    "Nr;Stadtteil;Stichtag;Einwohner;Ausländer;Personen mit Migrationshintergrund\n"
    "101;Nordheide;31.12.2022;4.190;498;1.490\n"
    "102;Am Bach;31.12.2022;2.960;371;1.101\n"
    "103;Kleinwiese;31.12.2022;178;4;20\n"
    "104;Südstadt;31.12.2022;6.600;1.180;2.850\n"
)
EG_KEYS = [k for k in CATALOGUE if definition_of(k) == "immigration_history"]
MH_KEYS = [k for k in CATALOGUE if definition_of(k) == "migration_background"]


def _store_counts(db: Path, when: date | None = None) -> pd.DataFrame:
    store = Store(db)
    try:
        return store.population(TOWN, when)
    finally:
        store.close()


def _mh_2022(tmp_path: Path) -> Path:
    path = tmp_path / "mh_2022.csv"
    path.write_text(MH_2022, encoding="utf-8")
    return path


@pytest.fixture
def eg_db(db_path: Path) -> Path:
    import_population(EG_2023, db_path, TOWN)
    return db_path


@pytest.fixture
def three_db(tmp_path: Path) -> Path:
    """2022 Migrationshintergrund only, 2023 Einwanderungsgeschichte only, 2024 both."""
    db = tmp_path / "three.duckdb"
    for path in (_mh_2022(tmp_path), EG_2023, BOTH_2024):
        import_population(path, db, TOWN)
    return db


@pytest.fixture
def view():
    """view(db, Stichtag, public) → (Source, Filters) on the store of `db`; the stores close afterwards."""
    stores: list[Store] = []

    def open_view(db: Path, when: date, public: bool = True) -> tuple[Source, Filters]:
        stores.append(store := Store(db))
        return Source(store), Filters(TOWN, when, store.reference_dates(TOWN), public=public, threshold=3)

    yield open_view
    for store in stores:
        store.close()


# --- import -----------------------------------------------------------------------------------------


def test_file_with_einwanderungsgeschichte_only(eg_db):
    counts = _store_counts(eg_db, D2023).set_index("district")
    assert counts["immigration_history"].to_dict() == {
        "Am Bach": 905,
        "Kleinwiese": 2,
        "Nordheide": 1180,
        "Südstadt": 2310,
    }
    assert counts["migration_background"].isna().all()  # never filled from the other definition
    store = Store(eg_db)
    published = store.published_totals(TOWN)
    store.close()
    assert published["immigration_history"].tolist() == [4397]


def test_file_with_both_definitions_keeps_them_apart(db_path):
    report = import_population(BOTH_2024, db_path, TOWN)
    assert report.rows == 4 and not report.warnings
    counts = _store_counts(db_path, D2024).set_index("district")
    assert counts.loc["Nordheide", ["migration_background", "immigration_history"]].tolist() == [1530, 1214]
    assert counts.loc["Kleinwiese", ["migration_background", "immigration_history"]].tolist() == [21, 9]


@pytest.mark.parametrize(
    "header",
    [
        "Einwanderungsgeschichte",
        "mit Einwanderungsgeschichte",
        "Personen mit Einwanderungsgeschichte",
        "Einwohner:innen mit Einwanderungsgeschichte",
    ],
)
def test_header_spellings(tmp_path, db_path, header):
    path = tmp_path / "eg.csv"
    path.write_text(
        f"Stadtteil;Einwohner;{header}\nNordheide;4210;1180\nAm Bach;2950;905\n", encoding="utf-8"
    )
    import_population(path, db_path, TOWN, D2023)
    assert _store_counts(db_path, D2023)["immigration_history"].sum() == 2085


def test_long_table_with_the_measure_in_a_column(tmp_path, db_path):
    path = tmp_path / "lang.csv"
    path.write_text(
        "jahr;raum_id;raum;zeile;zahl\n2023;101;Nordheide;Einwohner;4210\n"
        "2023;101;Nordheide;mit Einwanderungsgeschichte;1180\n2023;102;Am Bach;Einwohner;2950\n"
        "2023;102;Am Bach;mit Einwanderungsgeschichte;905\n",
        encoding="utf-8",
    )
    import_population(path, db_path, TOWN)
    counts = _store_counts(db_path, D2023).set_index("district_id")
    assert counts["immigration_history"].to_dict() == {"101": 1180, "102": 905}


def test_more_than_the_population_is_refused_with_row_and_column(tmp_path, db_path):
    import_population(EG_2023, db_path, TOWN)
    before = _store_counts(db_path)
    path = tmp_path / "falsch.csv"
    path.write_text(
        "Stadtteil;Einwohner;mit Einwanderungsgeschichte;Anteil Einwanderungsgeschichte\n"
        "Nordheide;4210;4300;28,0\nAm Bach;2950;905;40,0\n",
        encoding="utf-8",
    )
    with pytest.raises(DataImportError) as err:
        import_population(path, db_path, TOWN, D2023)
    problems = {(p.row, p.column): p.message for p in err.value.problems}
    assert (
        "Mehr Personen mit Einwanderungsgeschichte (4300) als Einwohner:innen (4210)"
        in problems[(2, "mit Einwanderungsgeschichte")]
    )
    assert "30,7 %" in problems[(3, "Anteil Einwanderungsgeschichte")]  # 905 of 2950, not 40 %
    pd.testing.assert_frame_equal(_store_counts(db_path), before)  # nothing changed


def test_share_without_count_is_a_warning_not_stored(tmp_path, db_path):
    path = tmp_path / "anteil.csv"
    path.write_text(
        "Stadtteil;Einwohner;Anteil Einwanderungsgeschichte\nNordheide;4210;28,0\nAm Bach;2950;30,7\n",
        encoding="utf-8",
    )
    report = import_population(path, db_path, TOWN, D2023)
    warning = next(w for w in report.warnings if w.column == "Anteil Einwanderungsgeschichte")
    assert warning.row == 1 and "nur Anteile" in warning.message
    assert "Personen mit Einwanderungsgeschichte" in warning.message
    assert _store_counts(db_path, D2023)["immigration_history"].isna().all()


def test_old_database_gets_the_column_and_undo_restores(tmp_path, db_path):
    """A database built before the column existed: the next import adds it (table and archive) and
    undo brings the old rows back."""
    old_schema = SCHEMA.read_text(encoding="utf-8").split("-- Einwanderungsgeschichte")[0]
    con = duckdb.connect(str(db_path))
    con.execute(old_schema)
    con.execute(
        "INSERT INTO population (municipality, reference_date, district_id, population, foreigners, import_id) "
        "VALUES (?, ?, '101', 4000, 500, NULL)",
        [TOWN, D2023],
    )
    con.execute(
        "INSERT INTO districts (municipality, district_id, name) VALUES (?, '101', 'Nordheide')", [TOWN]
    )
    con.close()
    import_population(EG_2023, db_path, TOWN)
    assert _store_counts(db_path, D2023).set_index("district")["immigration_history"]["Nordheide"] == 1180
    undo_last(db_path, "population", TOWN)
    back = _store_counts(db_path, D2023)
    assert back[["district", "population", "foreigners"]].values.tolist() == [["Nordheide", 4000, 500]]
    assert back["immigration_history"].isna().all()


# --- indicators -------------------------------------------------------------------------------------


def test_shares_deviation_and_rank(eg_db):
    table = shares(_store_counts(eg_db, D2023), TOWN).set_index("district")
    assert table.loc["Nordheide", "immigration_history_share_pct"] == pytest.approx(1180 / 4210 * 100)
    city = 4397 / 13980 * 100
    assert table.loc[TOWN, "immigration_history_share_pct"] == pytest.approx(city)
    assert table.loc["Südstadt", "immigration_history_share_deviation_pp"] == pytest.approx(
        2310 / 6640 * 100 - city
    )
    assert table.loc["Südstadt", "immigration_history_share_rank"] == 1
    assert table["migration_background_share_pct"].isna().all()


def test_never_joined_in_one_series(three_db, view):
    counts = _store_counts(three_db)
    changed = changes(counts).set_index(["district", "reference_date"])
    at = {d: changed.loc[("Nordheide", pd.Timestamp(d))] for d in (D2022, D2023, D2024)}
    assert pd.isna(at[D2023]["migration_background_share_pct"])  # 2023 has no Migrationshintergrund …
    assert at[D2023]["immigration_history_share_pct"] == pytest.approx(1180 / 4210 * 100)
    assert pd.isna(at[D2023]["immigration_history_change"])  # … and 2022 no Einwanderungsgeschichte
    assert pd.isna(at[D2024]["migration_background_change"])  # 2023 lacks it: no bridge to 2022
    assert pd.isna(at[D2024]["migration_background_share_change_pp"])
    assert at[D2024]["immigration_history_change"] == 1214 - 1180
    city = municipality_series(counts, TOWN).set_index("reference_date")
    assert pd.isna(city.loc[pd.Timestamp(D2023), "migration_background_share_pct"])
    assert pd.isna(city.loc[pd.Timestamp(D2024), "migration_background_share_change_pp"])

    src, f = view(three_db, D2024)
    lines = line_frame(series(src, f), pd.DataFrame(), "migration_background_share_pct", ["101"], TOWN)
    values = lines.set_index("reference_date")["value"]
    assert values[pd.Timestamp(D2022)] == pytest.approx(1490 / 4190 * 100)
    assert pd.isna(values[pd.Timestamp(D2023)])  # a gap, not the 28,0 % of the other definition
    assert values[pd.Timestamp(D2024)] == pytest.approx(1530 / 4260 * 100)


# --- pages: what is offered, and said ------------------------------------------------------------------


def test_selectors_offer_what_the_municipality_has(eg_db, three_db, tmp_path, view):
    src, f = view(eg_db, D2023)
    assert definitions(src, f) == ("immigration_history",)
    keys = offered_keys(src, f, map_indicators())
    assert set(EG_KEYS) & set(map_indicators()) <= set(keys)
    assert not set(MH_KEYS) & set(keys)
    assert offered_keys(src, f, SHARE_KEYS) == ["foreigner_share_pct", "immigration_history_share_pct"]
    assert "nicht zum Migrationshintergrund" in definitions_note(definitions(src, f), TOWN)

    src, f = view(three_db, D2024)
    assert definitions(src, f) == ("migration_background", "immigration_history")
    assert offered_keys(src, f, SHARE_KEYS) == list(SHARE_KEYS)
    assert "beide Definitionen" in definitions_note(definitions(src, f), TOWN)

    mh_only = tmp_path / "mh.duckdb"
    import_population(_mh_2022(tmp_path), mh_only, TOWN)
    src, f = view(mh_only, D2022)
    assert definitions(src, f) == ("migration_background",)
    assert offered_keys(src, f, map_indicators()) == [k for k in map_indicators() if k not in EG_KEYS]
    assert definitions_note(definitions(src, f), TOWN) is None
    assert offered(SHARE_KEYS, ()) == ["foreigner_share_pct", "migration_background_share_pct"]


def test_uebersicht_and_karte_offer_einwanderungsgeschichte(monkeypatch, eg_db):
    at = open_app(monkeypatch, eg_db)  # Übersicht
    radio = at.radio(key="overview_indicator")
    assert list(radio.options) == ["Ausländeranteil", "Anteil mit Einwanderungsgeschichte"]
    radio.set_value("immigration_history_share_pct").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Einwanderungsgeschichte, nicht zum Migrationshintergrund" in captions
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mit Einwanderungsgeschichte"] == "31,5 %" and "Mit Migrationshintergrund" not in metrics
    bullets = " ".join(m.value for m in at.markdown)
    assert "eine Einwanderungsgeschichte (31,5" in bullets  # 4.397 of 13.980, the published total
    at.switch_page("pages/karte.py").run()
    labels = list(at.selectbox(key="map_indicator").options)
    assert "Anteil mit Einwanderungsgeschichte" in labels
    assert not any("Migrationshintergrund" in label for label in labels)


def test_methodik_shows_both_definitions(monkeypatch, eg_db):
    assert "nicht vergleichbar" in ORIGIN_DEFINITIONS_TEXT
    for key in ("immigration_history", "immigration_history_share_pct"):
        indicator = get(key)
        assert "Statistischen Bundesamts" in indicator.source
        assert "nicht vergleichbar" in indicator.caveat and "beide Elternteile" in indicator.caveat
    at = open_app(monkeypatch, eg_db, "pages/methodik.py")
    assert "Migrationshintergrund und Einwanderungsgeschichte" in [h.value for h in at.subheader]
    text = " ".join(m.value for m in at.markdown)
    assert "**nicht vergleichbar**" in text and "seit 1950" in text
    names = at.dataframe[0].value["Kennzahl"].tolist()
    assert "Anteil mit Einwanderungsgeschichte" in names and "Anteil mit Migrationshintergrund" in names


# --- small-number protection ---------------------------------------------------------------------------


def test_readers_never_see_the_small_count(eg_db, view):
    src, f = view(eg_db, D2023)
    table = indicator_table(src, f)
    hidden = hidden_cells(table)
    small = (table["district"] == "Kleinwiese").to_numpy()
    assert hidden.loc[small, "immigration_history"].all()
    assert hidden.loc[small, "immigration_history_share_pct"].all()
    assert table.loc[small, "immigration_history"].isna().all()
    # the total (4.397) is published: a second district is hidden, so a difference reveals nothing
    assert hidden["immigration_history"].sum() >= 2
    hover = indicator_values(table, "immigration_history_share_pct").set_index("district")
    assert pd.isna(hover.loc["Kleinwiese", "immigration_history"]) and hover.loc["Kleinwiese", "hidden"]
    profile = profile_view(*view(eg_db, D2023), "103")
    sentences = " ".join(profile.sentences)
    assert "Der Anteil mit Einwanderungsgeschichte von Kleinwiese wird wegen kleiner Fallzahlen" in sentences
    assert "liefert Zahlen zur Einwanderungsgeschichte" in " ".join(profile.notes)
    exact = indicator_table(*view(eg_db, D2023, public=False)).set_index("district")
    assert exact.loc["Kleinwiese", "immigration_history"] == 2  # editors see the value


# --- the Sitzungsbericht --------------------------------------------------------------------------------


def test_report_shows_both_definitions_and_explains_them(three_db):
    from charts.report import build_report

    store = Store(three_db)
    try:
        report = build_report(store, TOWN)
    finally:
        store.close()
    titles = [c.title for c in report.charts]
    assert f"Anteil mit Migrationshintergrund nach Stadtteil, {TOWN}" in titles
    assert f"Anteil mit Einwanderungsgeschichte nach Stadtteil, {TOWN}" in titles
    notes = dict(report.methodology)
    assert "nicht vergleichbar" in notes["Anteil mit Einwanderungsgeschichte"]
