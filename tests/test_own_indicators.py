"""A city's own indicators: import (as published, every problem at once, all or nothing, undo), the
command line, the municipality's catalogue, and the protection of their small counts.

The fixture `luenen_sgb2_2020.csv` (invented counts, see tests/data/README.md) has Niederaden with 2
persons: readers never see that count nor the share made from it.
"""

from __future__ import annotations

import tomllib
from contextlib import closing
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from charts.reads import indicator_table, own_catalogue
from charts.view import Filters, Source
from data.audit import undo_last
from data.errors import DataImportError
from data.own_indicators import import_indicator, parse_meta, read_meta
from data.population import import_population
from data.store import Store, link_target
from indicators.catalogue import BUILT_IN, CATALOGUE, for_municipality, get, map_indicators, register
from indicators.own import catalogue_entries
from tests.store_cases import cli

DATA = Path(__file__).parent / "data"
LUENEN = DATA / "luenen_stadtteile_2020.csv"
SGB2 = DATA / "luenen_sgb2_2020.csv"
META = DATA / "luenen_sgb2.toml"
DAY = date(2020, 12, 31)


@pytest.fixture
def luenen(tmp_path: Path) -> Path:
    db = tmp_path / "luenen.duckdb"
    import_population(LUENEN, db, "Lünen", DAY)
    return db


def _values(db: Path, key: str = "own_sgb2") -> dict[str, int | None]:
    with closing(Store(db)) as store:
        frame = store.own_values("Lünen", None, None)
    frame = frame[frame["key"] == key]
    return {
        d: (None if pd.isna(v) else int(v)) for d, v in zip(frame["district_id"], frame["value"], strict=True)
    }


def test_a_published_file_is_imported_with_its_oddities_as_warnings(luenen):
    report = import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    assert report.reference_dates == [DAY]  # from the title line "Stichtag 31.12.2020"
    text = report.render()
    assert 'Zeile 17, Spalte "Stadtteil": Den Stadtteil „Cappenberg“ gibt es in Lünen nicht' in text
    assert 'Zeile 15, Spalte "Personen in Bedarfsgemeinschaften": „-12“ ist negativ' in text
    assert "Zeile 5" in text and "„.“ bedeutet" in text
    assert "3.100 ist mehr als der Nenner (Einwohner:innen: 2.989)" in text
    assert "Gesamtzeile 13.650" in text
    values = _values(luenen)
    assert len(values) == 13 and "Cappenberg" not in values
    assert values["Niederaden"] == 2 and values["Brambauer"] == 3318
    assert (
        values["Geistviertel & Lippolthausen"] == 905 and values["Lünen-Nord"] == 1947
    )  # names read forgivingly
    assert values["Beckinghausen"] is None and values["Osterfeld"] is None and values["Lünen-Mitte"] is None
    with closing(Store(luenen)) as store:
        meta = store.own_indicators("Lünen")
        log = store.imports()
    assert meta.iloc[0]["key"] == "own_sgb2" and meta.iloc[0]["denominator"] == "population"
    assert log.iloc[0]["kind"] == "indicator" and "Cappenberg" in log.iloc[0]["warnings"]


def test_a_wrong_file_is_refused_with_every_problem_and_nothing_changes(luenen, tmp_path):
    bad = tmp_path / "kim_faelle.csv"
    bad.write_text(
        "Stadtteil;Jahr;Fälle\nAlstedde;2020;zwölf\nBrambauer;2020;14\nBrambauer;2020;15\nGahmen;;7\nHorstmar;2020;3,5\n",
        encoding="utf-8",
    )
    meta = parse_meta(
        {"key": "kim_cm", "label": "Fälle Case Management", "numerator": "Fälle", "source": "KIM"}
    )
    before = link_target(luenen)
    with pytest.raises(DataImportError) as refused:
        import_indicator(bad, meta, luenen, "Lünen")
    message = str(refused.value)
    assert message.startswith("Die Datei kim_faelle.csv wurde nicht importiert; es wurde nichts geändert.")
    assert 'Zeile 2, Spalte "Fälle": "zwölf" ist keine Zahl' in message
    assert (
        'Zeile 4, Spalte "Stadtteil": Der Stadtteil „Brambauer“ kommt zum Stichtag 31.12.2020 mehrfach vor'
        in message
    )
    assert 'Zeile 5, Spalte "Jahr": Der Stichtag fehlt' in message
    assert 'Zeile 6, Spalte "Fälle": "3,5" ist keine ganze Zahl' in message
    assert link_target(luenen) == before
    with closing(Store(luenen)) as store:
        assert store.own_indicators("Lünen").empty


def test_a_description_lists_every_problem_at_once():
    with pytest.raises(DataImportError) as refused:
        parse_meta({"key": "SGB II!", "lable": "SGB-II-Quote", "numerator": 3}, "sgb2.toml")
    message = str(refused.value)
    for expected in ("Unbekanntes Feld „lable“", "„label“ (Bezeichnung) fehlt", "„source“ (Quelle) fehlt",
                     "„numerator“ (Zähler) muss ein Text", "Der Schlüssel „SGB II!“ darf nur"):  # fmt: skip
        assert expected in message
    with pytest.raises(DataImportError, match="darf nicht auf „_pct“ enden"):
        parse_meta({"key": "x_pct", "label": "X", "numerator": "n", "source": "s"})  # the share of own_x
    assert parse_meta({"key": "x", "label": "X", "numerator": "n", "source": "s", "denominator": "Einwohner:innen"}) \
        .denominator == "population"  # fmt: skip


def test_a_key_means_one_indicator_in_the_whole_database(luenen, tmp_path):
    import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    other = tmp_path / "selm.csv"
    other.write_text("Stadtteil;Anzahl\nAlstedde;5\n", encoding="utf-8")
    meta = parse_meta({"key": "sgb2", "label": "Etwas anderes", "numerator": "n", "source": "s"})
    import_population(LUENEN, luenen, "Selm", DAY)
    with pytest.raises(
        DataImportError,
        match="Beschreibung: Der Schlüssel „own_sgb2“ steht schon für „SGB-II-Quote“ in Lünen",
    ):
        import_indicator(other, meta, luenen, "Selm", DAY)


def test_reimport_replaces_the_stichtag_and_undo_brings_the_old_values_back(luenen, tmp_path):
    import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    newer = tmp_path / "sgb2_korrigiert.csv"
    newer.write_text(
        "Stadtteil;Personen in Bedarfsgemeinschaften\nBrambauer;3.320\nGahmen;700\n", encoding="utf-8"
    )
    report = import_indicator(newer, read_meta(META), luenen, "Lünen", DAY)
    assert "SGB-II-Quote, Stichtag 31.12.2020 (13 Zeilen)" in report.replaced
    assert _values(luenen) == {"Brambauer": 3320, "Gahmen": 700}
    assert "sgb2_korrigiert.csv" in undo_last(luenen, "indicator")
    values = _values(luenen)
    assert values["Brambauer"] == 3318 and values["Niederaden"] == 2 and len(values) == 13
    undo_last(luenen, "indicator")  # the first import too: the indicator is gone
    with closing(Store(luenen)) as store:
        assert store.own_indicators("Lünen").empty and _values(luenen) == {}


def test_the_command_line_imports_refuses_and_undoes(luenen, tmp_path):
    run = cli("import", "indicator", SGB2, "--meta", META, "--municipality", "Lünen", db=luenen)
    assert run.code == 0, run.err
    assert run.out.startswith("luenen_sgb2_2020.csv: 13 Zeilen importiert (Kennzahl SGB-II-Quote, Lünen).")
    broken = tmp_path / "meta.toml"
    broken.write_text('key = "sgb2"\nlabel = "SGB-II-Quote"\n', encoding="utf-8")
    run = cli("import", "indicator", SGB2, "--meta", broken, "--municipality", "Lünen", db=luenen)
    assert run.code == 1
    assert run.err.startswith(
        "Die Beschreibung der Kennzahl (meta.toml) ist unvollständig oder fehlerhaft; es wurde"
    )
    assert "Datei meta.toml: Das Feld „numerator“ (Zähler) fehlt oder ist leer." in run.err
    assert "Datei meta.toml: Das Feld „source“ (Quelle) fehlt oder ist leer." in run.err
    run = cli("undo", "indicator", db=luenen)
    assert run.code == 0 and "Eigene Kennzahl" in run.out
    assert _values(luenen) == {}


def test_the_catalogue_of_a_municipality_holds_its_own_indicators(luenen):
    import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    with closing(Store(luenen)) as store:
        meta = store.own_indicators("Lünen")
    own = catalogue_entries(meta)
    catalogue = for_municipality(own)
    assert list(catalogue)[: len(BUILT_IN)] == [k for k in CATALOGUE if k in BUILT_IN]
    assert list(catalogue)[-2:] == ["own_sgb2", "own_sgb2_pct"]
    share = get("own_sgb2_pct")
    assert (share.label, share.unit, share.decimals) == ("SGB-II-Quote", "%", 1)
    assert share.formula == "Personen in Bedarfsgemeinschaften / Einwohner:innen × 100"
    assert share.source == "Jobcenter Kreis Unna, Statistik der Bundesagentur für Arbeit"
    assert "own_sgb2_pct" in map_indicators(own) and "own_sgb2_pct" not in map_indicators()
    assert "own_sgb2" not in map_indicators(own)  # the count: its share is what a map shows
    with pytest.raises(ValueError):
        register([share.__class__(**{**share.__dict__, "key": "foreigner_share_pct"})])


def _table(db: Path, public: bool) -> pd.DataFrame:
    with closing(Store(db)) as store:
        src = Source(store)
        f = Filters("Lünen", DAY, [DAY], public=public)
        own_catalogue(src, f)
        return indicator_table(src, f).set_index("district")


def test_a_small_count_and_its_share_are_hidden_from_readers_and_shown_to_editors(luenen):
    import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    public, exact = _table(luenen, True), _table(luenen, False)
    assert exact.loc["Niederaden", "own_sgb2"] == 2
    assert exact.loc["Niederaden", "own_sgb2_pct"] == pytest.approx(2 / 2212 * 100)
    assert pd.isna(public.loc["Niederaden", "own_sgb2"]) and pd.isna(public.loc["Niederaden", "own_sgb2_pct"])
    hidden = public.attrs["suppressed"]["own_sgb2"]
    assert hidden[list(public.index).index("Niederaden")]
    # a second cell is hidden too: the total of the Stadtteile would give the 2 away
    assert sum(hidden) >= 2
    assert public.loc["Brambauer", "own_sgb2_pct"] == pytest.approx(3318 / 19265 * 100)
    assert public.loc["Niederaden", "foreigner_share_pct"] == exact.loc["Niederaden", "foreigner_share_pct"]


def test_the_upload_page_path_checks_without_writing_then_imports(luenen):
    from data.upload import confirm_import, problems_table, run_import

    fields = {k: v for k, v in tomllib.loads(META.read_text(encoding="utf-8")).items()}
    payload = SGB2.read_bytes()
    checked = run_import(
        "indicator", SGB2.name, payload, luenen, "Lünen", None, fields, "planung", check_only=True
    )
    assert checked.rows == 13 and any("Cappenberg" in w.message for w in checked.warnings)
    assert _values(luenen) == {}  # a check writes nothing
    with pytest.raises(DataImportError) as refused:
        run_import(
            "indicator", SGB2.name, payload, luenen, "Lünen", None, {"label": "X"}, "planung", check_only=True
        )
    assert problems_table(refused.value)["Meldung"].tolist() == [
        "Das Feld „key“ (Schlüssel) fehlt oder ist leer.",
        "Das Feld „numerator“ (Zähler) fehlt oder ist leer.",
        "Das Feld „source“ (Quelle) fehlt oder ist leer.",
    ]
    done, _ = confirm_import("indicator", SGB2.name, payload, luenen, "Lünen", None, fields, "planung")
    assert done.startswith(
        "Importiert aus luenen_sgb2_2020.csv (Kennzahl SGB-II-Quote): Lünen, Stichtag 31.12.2020"
    )
    assert _values(luenen)["Brambauer"] == 3318


def test_the_sitzungsbericht_maps_the_own_indicator_and_explains_it(luenen):
    from charts.report import build_report

    import_indicator(SGB2, read_meta(META), luenen, "Lünen")
    with closing(Store(luenen)) as store:
        report = build_report(store, "Lünen", DAY)
    (chart,) = [c for c in report.charts if c.title == "SGB-II-Quote nach Stadtteil, Lünen"]
    assert chart is report.charts[-1]
    text = chart.text_table().set_index("Stadtteil")
    assert (
        text.loc["Niederaden", "SGB-II-Quote (%)"] == "•"
        and text.loc["Brambauer", "SGB-II-Quote (%)"] == "17,2 %"
    )
    notes = dict(report.methodology)
    assert notes["SGB-II-Quote"].startswith(
        "Personen in Bedarfsgemeinschaften / Einwohner:innen × 100. "
        "Quelle: Jobcenter Kreis Unna, Statistik der Bundesagentur für Arbeit."
    )


OWN_META = pd.DataFrame([{"key": "own_x", "label": "X-Quote", "short_label": "X", "numerator_label": "X",
                          "denominator": "population", "unit": "Personen", "source": "s", "caveat": ""}])  # fmt: skip


def test_a_stadtbezirk_never_gives_a_hidden_stadtteil_away():
    from indicators.own import protect_own

    counts = pd.DataFrame({"district_id": ["B", "S1", "S2", "T"], "population": [600, 100, 500, 900],
                           "own_x": [52, 2, 50, 100]})  # fmt: skip
    hidden = protect_own(counts, OWN_META, 3, {"S1": "B", "S2": "B"})["own_x"]
    assert hidden["S1"] and hidden["S2"], "52 in the Stadtbezirk − 50 would give the 2 away"
    assert not hidden["T"]


def test_the_rest_of_the_denominator_is_protected_too():
    from indicators.own import protect_own

    counts = pd.DataFrame({"district_id": ["A", "B", "C"], "population": [5, 100, 200], "own_x": [4, 30, 60]})
    hidden = protect_own(counts, OWN_META, 3)["own_x"]
    assert hidden["A"], "5 residents, 4 counted: the 1 not counted is a small number"
    assert hidden.sum() == 2 and hidden["B"], "and the smallest other count, else the total gives it away"
