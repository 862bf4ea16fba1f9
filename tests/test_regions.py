"""Municipalities side by side (issue 19): the GENESIS import by AGS, municipality boundaries, the
protection with the Kreis as parent, the page "Kommunen im Vergleich" and the profile's reference lines."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from charts.region_views import comparison, reference_lines
from charts.view import Filters, Source
from data.errors import DataImportError
from data.regions import import_region_boundaries, import_regions, normalise_ags, tidy_region_name
from data.store import Store
from indicators.regions import region_mask, with_shares
from tests.apptest import figures, numbers, open_app

KREIS_CSV = Path(__file__).parent / "data" / "regions" / "kreis_testland_12411.csv"
DAY_2023 = date(2023, 12, 31)


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).resolve().read_bytes()).hexdigest()


def _read(db: Path, method: str, *args):
    store = Store(db)
    try:
        return getattr(store, method)(*args)
    finally:
        store.close()


@pytest.fixture
def kreis_db(db_path: Path) -> Path:
    import_regions(KREIS_CSV, db_path)
    return db_path


def _boundaries(tmp_path: Path) -> Path:
    """Three towns side by side near lon 7.4 / lat 51.6, keyed by AGS and named as in VG250 (GEN)."""
    towns = {"05997004": "Grossheim", "05997008": "Mittelstedt", "05997012": "Kleinwinkel"}
    corners = [(7.30, 51.55, 7.40, 51.65), (7.40, 51.55, 7.50, 51.65), (7.50, 51.55, 7.55, 51.60)]
    frame = gpd.GeoDataFrame(
        {"AGS": list(towns), "GEN": list(towns.values())},
        geometry=[box(*c) for c in corners],
        crs="EPSG:4326",
    )
    path = tmp_path / "gemeinden_testland.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


# --- import -----------------------------------------------------------------------------------------


def test_genesis_export_loads_every_level_with_secret_cells_and_checked_kreis_rows(kreis_db):
    regions = _read(kreis_db, "regions", "")
    assert dict(zip(regions["ags"], regions["level"], strict=True)) == {
        "05": "Land", "05997": "Kreis", "05997004": "Gemeinde", "05997008": "Gemeinde", "05997012": "Gemeinde",
    }  # fmt: skip
    assert dict(zip(regions["ags"], regions["name"], strict=True))["05997"] == "Kreis Testland"
    assert dict(zip(regions["ags"], regions["name"], strict=True))["05997004"] == "Grossheim"
    counts = _read(kreis_db, "region_counts", "05997").set_index(["ags", "reference_date"])
    # the Kreis row is stored as published (20.010), not as the sum of its Gemeinden (20.004)
    assert counts.loc[("05997", pd.Timestamp("2022-12-31")), "population"] == 20_010
    assert counts.loc[("05", pd.Timestamp("2023-12-31")), "foreigners"] == 2_800_422
    # "." (secret) is unknown, never 0
    assert pd.isna(counts.loc[("05997012", pd.Timestamp("2022-12-31")), "foreigners"])
    assert counts.loc[("05997012", pd.Timestamp("2023-12-31")), "foreigners"] == 2
    assert set(counts["source"]) == {"IT.NRW, Tabelle 12411-01i"}


def test_warnings_name_file_row_and_column(db_path):
    report = import_regions(KREIS_CSV, db_path)
    text = report.render()
    assert 'Zeile 6, Spalte "Insgesamt"' in text and "20.010" in text and "20.004" in text
    assert 'Zeile 6, Spalte "Ausländer"' in text and "nicht prüfbar" in text and "Kleinwinkel" in text
    assert 'Zeile 9, Spalte "Ausländer"' in text and "geheim" in text
    assert report.rows == 10 and report.reference_dates == [date(2022, 12, 31), DAY_2023]


def test_a_wrong_file_is_refused_with_every_problem_and_nothing_changes(kreis_db, tmp_path):
    before = _digest(kreis_db)
    bad = tmp_path / "kaputt.csv"
    bad.write_text(
        "Stichtag;AGS;Gemeinde;Insgesamt;Ausländer\n"
        "31.12.2023;05997004;Grossheim;100;200\n"
        "31.12.2023;0599A;Irgendwo;100;1\n"
        "31.12.2023;059970088;Zuviel;100;1\n"
        "31.12.2023;05997004;Grossheim;100;1\n",
        encoding="utf-8",
    )
    with pytest.raises(DataImportError) as err:
        import_regions(bad, kreis_db)
    message = str(err.value)
    assert "Zeile 2" in message and "Mehr Ausländer" in message
    assert "Zeile 3" in message and "kein Amtlicher Gemeindeschlüssel" in message
    assert "Zeile 4" in message and "9 Ziffern" in message
    assert "Zeile 5" in message and "mehrfach" in message
    assert _digest(kreis_db) == before


def test_reimport_replaces_and_undo_restores(kreis_db, tmp_path):
    from data.audit import undo_last

    newer = tmp_path / "neu.csv"
    newer.write_text(
        "Stichtag;AGS;Gemeinde;Insgesamt;Ausländer\n31.12.2023;05997004;Grossheim;12.100;1.300\n"
    )
    report = import_regions(newer, kreis_db)
    assert "1 Zeile" in report.replaced
    counts = _read(kreis_db, "region_counts", "05997004").set_index(["ags", "reference_date"])
    assert counts.loc[("05997004", pd.Timestamp(DAY_2023)), "population"] == 12_100
    undo_last(kreis_db, "gemeinden")
    counts = _read(kreis_db, "region_counts", "05997004").set_index(["ags", "reference_date"])
    assert counts.loc[("05997004", pd.Timestamp(DAY_2023)), "population"] == 12_050


def test_cli_imports_and_undoes(db_path, capsys):
    from data.__main__ import main

    assert main(["import", "gemeinden", str(KREIS_CSV), "--db", str(db_path)]) == 0
    assert "Kreis Testland" in capsys.readouterr().out
    assert len(_read(db_path, "region_counts", "05997")) == 10
    assert main(["undo", "gemeinden", "--db", str(db_path)]) == 0
    assert _read(db_path, "region_counts", "05997").empty


@pytest.mark.parametrize(
    ("raw", "ags"),
    [("05978024", "05978024"), ("5978024", "05978024"), ("059780024024", "05978024"), ("5", "05")],
)
def test_ags_keys_as_spreadsheets_write_them(raw, ags):
    assert normalise_ags(raw)[0] == ags


def test_genesis_names_become_plain_names():
    assert tidy_region_name("  Lünen, Stadt", "Gemeinde") == "Lünen"
    assert tidy_region_name("Unna, Kreis", "Kreis") == "Kreis Unna"
    assert tidy_region_name("Bönen", "Gemeinde") == "Bönen"


def test_municipality_boundaries_by_ags(kreis_db, tmp_path):
    report = import_region_boundaries(_boundaries(tmp_path), kreis_db)
    assert report.rows == 3
    regions = _read(kreis_db, "regions", "05997")
    assert regions.set_index("ags")["has_geometry"].to_dict() == {
        "05997": False, "05997004": True, "05997008": True, "05997012": True,
    }  # fmt: skip
    assert regions.set_index("ags").loc["05997004", "name"] == "Grossheim"  # the name stays the office's


# --- protection -------------------------------------------------------------------------------------


def _day(db: Path, day: date) -> pd.DataFrame:
    counts = _read(db, "region_counts", "05997")
    levels = _read(db, "regions", "").set_index("ags")["level"]
    counts = counts[counts["reference_date"] == pd.Timestamp(day)].reset_index(drop=True)
    return counts.assign(level=counts["ags"].map(levels))


def test_a_small_town_is_not_recoverable_from_the_kreis_minus_the_others(kreis_db):
    day = _day(kreis_db, DAY_2023)
    mask = region_mask(day, threshold=3)
    shown = day.assign(**{c: day[c].mask(mask[c]) for c in ("population", "foreigners")}).set_index("ags")
    assert pd.isna(shown.loc["05997012", "foreigners"]), "2 foreigners: hidden"
    kreis = shown.loc["05997", "foreigners"]
    gemeinden = shown.loc[[a for a in shown.index if len(a) == 8]]
    assert kreis == 1_670, "the published Kreis figure stays shown"
    # Kreis minus the shown towns leaves more than one hidden town: the difference is no town's count
    assert gemeinden["foreigners"].isna().sum() >= 2
    # and a second completion fits every shown number: the hidden counts are not determined
    truth = day.set_index("ags")
    hidden = gemeinden.index[gemeinden["foreigners"].isna()].tolist()
    shift = np.array([-1, 1, *[0] * (len(hidden) - 2)])
    other = truth.loc[hidden, "foreigners"].astype(int).to_numpy() + shift
    assert (other >= 0).all() and (other <= truth.loc[hidden, "population"].to_numpy()).all()
    assert other.sum() == truth.loc[hidden, "foreigners"].sum()  # the Kreis total holds
    assert tuple(other) != tuple(truth.loc[hidden, "foreigners"])


def test_nothing_is_hidden_where_nothing_is_small(kreis_db):
    day = _day(kreis_db, DAY_2023)
    day.loc[day["ags"] == "05997012", ["population", "foreigners"]] = [500, 40]
    assert not region_mask(day, threshold=3).to_numpy().any()


def test_shares_of_a_town_without_population_are_missing_not_a_crash():
    frame = pd.DataFrame({"population": pd.array([0, None], dtype="Int64"),
                          "foreigners": pd.array([0, 1], dtype="Int64"),
                          "migration_background": pd.array([None, None], dtype="Int64")})  # fmt: skip
    assert with_shares(frame)["foreigner_share_pct"].isna().all()


# --- views and pages ---------------------------------------------------------------------------------


def test_the_public_views_never_carry_a_hidden_count(kreis_db, tmp_path):
    import_region_boundaries(_boundaries(tmp_path), kreis_db)
    store = Store(kreis_db)
    try:
        view = comparison(Source(store), Filters("Testland", None, []), "05997", "foreigner_share_pct")
    finally:
        store.close()
    assert [c.key for c in view.charts] == ["kommunen-karte", "kommunen-rang", "kommunen-zeitreihe"]
    exact = 2 / 5 * 100  # Kleinwinkel's share at 31.12.2023
    for chart in view.charts:
        text = json.dumps(chart.figure.to_plotly_json(), default=str)
        assert "40,0" not in text and str(exact) not in text
        assert chart.text_table().isin(["40,0 %"]).sum().sum() == 0
    ranking = view.charts[1]
    assert "Kleinwinkel" not in list(ranking.figure.data[0].y)
    listed = view.members.set_index("Gemeinde")
    assert listed.loc["Kleinwinkel", "Ausländer:innen"] == "•"


def test_editors_see_the_exact_values(kreis_db):
    store = Store(kreis_db)
    try:
        f = Filters("Testland", None, [], public=False)
        view = comparison(Source(store), f, "05997", "foreigner_share_pct")
    finally:
        store.close()
    assert view.members.set_index("Gemeinde").loc["Kleinwinkel", "Ausländer:innen"] == "2"


def test_page_on_the_demo_shows_the_kreis_and_lists_the_town_without_counts(demo_db, monkeypatch):
    at = open_app(monkeypatch, demo_db, "pages/kommunen.py")
    charts = figures(at)
    assert len(charts) == 3
    choropleths = [t for t in charts[0]["data"] if t["type"] == "choropleth"]
    drawn = {loc for t in choropleths for loc in t["locations"]}
    assert drawn == {"05999004", "05999008", "05999012", "05999999"}
    assert any("keine Daten: Erfundenbach" in t["name"] for t in choropleths)
    ranking = charts[1]
    assert set(ranking["data"][0]["y"]) == {"Beispielhausen", "Fiktivdorf", "Musterstadt"}
    lines = {t["name"] for t in charts[2]["data"]}
    assert {"Kreis Musterland", "NRW (Demo)", "Musterstadt"} <= lines
    listing = at.dataframe[-1].value.set_index("Gemeinde")
    assert listing.loc["Erfundenbach", "Daten"] == "nur Zuweisungen/Aufnahmequote"
    assert listing.loc["Musterstadt", "Herkunft der Zahlen"].startswith("eigene Daten")
    # Musterstadt's value is the sum of its Stadtteile
    store = Store(demo_db)
    try:
        stadtteile = store.population("Musterstadt", date(2024, 12, 31))
    finally:
        store.close()
    share = stadtteile["foreigners"].sum() / stadtteile["population"].sum() * 100
    bars = dict(zip(ranking["data"][0]["y"], numbers(ranking["data"][0]["x"]), strict=True))
    assert bars["Musterstadt"] == pytest.approx(share)


def test_page_without_regions_says_how_to_load_them(db_path, monkeypatch):
    from data.population import import_population

    src = db_path.parent / "stadt.csv"
    src.write_text("Stadtteil;EW;Ausländer\nA;1.000;100\nB;500;50\n", encoding="utf-8")
    import_population(src, db_path, "Teststadt", date(2023, 12, 31))
    at = open_app(monkeypatch, db_path, "pages/kommunen.py")
    assert any("python -m data import gemeinden" in i.value for i in at.info)


def test_profile_has_the_kreis_and_nrw_as_reference_lines(demo_db, monkeypatch):
    at = open_app(monkeypatch, demo_db, "pages/profil.py")
    # the first chart with the city as a line (the composite chart of deviations comes before it)
    series = next(f for f in figures(at) if any(t.get("name") == "Musterstadt" for t in f["data"]))
    names = [t["name"] for t in series["data"]]
    assert names[-2:] == ["Kreis Musterland", "NRW (Demo)"] and "Musterstadt" in names
    dashes = {t["name"]: t["line"]["dash"] for t in series["data"]}
    assert dashes["Musterstadt"] == "dash" and dashes["Kreis Musterland"] == "dot"
    store = Store(demo_db)
    try:
        lines = reference_lines(Source(store), Filters("Musterstadt", None, []), "foreigner_share_pct")
    finally:
        store.close()
    assert list(dict.fromkeys(lines["district"])) == ["Kreis Musterland", "NRW (Demo)"]


def test_upload_path_checks_on_a_copy_then_imports_and_undoes(kreis_db, tmp_path):
    from data.audit import undo_last
    from data.upload import KINDS, confirm_import, preview, run_import

    assert not KINDS["gemeinden"].per_municipality and not KINDS["gemeindegrenzen"].per_municipality
    payload = _boundaries(tmp_path).read_bytes()
    table, summary = preview("gemeindegrenzen", "grenzen.geojson", payload)
    assert table["AGS"].tolist() == ["05997004", "05997008", "05997012"] and summary == "3 Zeilen"
    before = _digest(kreis_db)
    checked = run_import("gemeindegrenzen", "grenzen.geojson", payload, kreis_db, "", check_only=True)
    assert checked.rows == 3 and _digest(kreis_db) == before  # a check writes nothing
    message, _ = confirm_import(
        "gemeindegrenzen", "grenzen.geojson", payload, kreis_db, "", None, None, "planung"
    )
    assert "3 Zeilen" in message
    assert _read(kreis_db, "regions", "05997")["has_geometry"].sum() == 3
    undo_last(kreis_db, "gemeindegrenzen")
    assert _read(kreis_db, "regions", "05997")["has_geometry"].sum() == 0
    csv_table, _ = preview("gemeinden", KREIS_CSV.name, KREIS_CSV.read_bytes())
    assert "AGS" in csv_table.columns and "05997012" in csv_table["AGS"].tolist()


def test_a_city_loaded_from_its_own_files_finds_its_kreis_by_name(kreis_db, tmp_path):
    from data.population import import_population

    src = tmp_path / "grossheim.csv"
    src.write_text("Stadtteil;EW;Ausländer\nNord;6.000;700\nSüd;6.050;550\n", encoding="utf-8")
    import_population(src, kreis_db, "Grossheim", DAY_2023)  # no AGS: the Kreis table names the town
    store = Store(kreis_db)
    try:
        assert store.municipality_ags("Grossheim") == "05997004"
        lines = reference_lines(
            Source(store), Filters("Grossheim", DAY_2023, [DAY_2023]), "foreigner_share_pct"
        )
        members = store.region_members("05997").set_index("ags")
    finally:
        store.close()
    assert members.loc["05997004", "municipality"] == "Grossheim"
    assert lines.set_index("district")["value"].round(2).to_dict() == {
        "Kreis Testland": round(1_670 / 20_100 * 100, 2),
        "Nordrhein-Westfalen": round(2_800_422 / 18_190_422 * 100, 2),
    }


def test_a_database_from_before_the_regions_reads_as_without_them(tmp_path):
    import duckdb

    from data.bootstrap import install_demo

    old = tmp_path / "alt.duckdb"
    install_demo(old)
    con = duckdb.connect(str(old.resolve()))
    for table in ("regions", "region_counts", "regions_archive", "region_counts_archive"):
        con.execute(f"DROP TABLE {table}")
    con.close()
    store = Store(old)
    try:
        src = Source(store)
        assert reference_lines(src, Filters("Musterstadt", None, []), "foreigner_share_pct").empty
        assert store.region_counts("05999").empty and store.regions("").empty
    finally:
        store.close()


def test_key_and_name_in_one_column_without_header(db_path, tmp_path):
    src = tmp_path / "landesdatenbank.csv"
    src.write_text(
        "Bevölkerungsstand: Gemeinden, Stichtag\n;;\n;Insgesamt;Ausländer\n"
        "05978 Unna, Kreis;395.000;40.000\n05978024 Lünen, Stadt;86.000;14.000\n__________\n© IT.NRW\n",
        encoding="utf-8",
    )
    report = import_regions(src, db_path, date(2022, 12, 31))
    regions = _read(db_path, "regions", "05978").set_index("ags")["name"].to_dict()
    assert regions == {"05978": "Kreis Unna", "05978024": "Lünen"}
    text = report.render()
    assert "Schlüssel und Namen" in text
    assert "(86.000 aus 1 Gemeinde, Differenz +309.000)" in text
