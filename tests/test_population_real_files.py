"""Population tables as cities publish them: totals off by a few, Stadtbezirke among Stadtteile,
names written differently, long tables, GENESIS exports, re-imports that lack a measure."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.errors import DataImportError
from data.parsing import read_table
from data.population import KNOWN_HEADERS, import_population, parse_population
from data.population_levels import match_key
from data.store import Store
from indicators.shares import municipality_series, published_for, shares

REAL = Path(__file__).parent / "data" / "real_files"
STICHTAG = date(2020, 12, 31)


def _read(db: Path, method: str, *args) -> pd.DataFrame:
    store = Store(db)
    try:
        return getattr(store, method)(*args)
    finally:
        store.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_published_total_off_by_five_is_stored_with_a_warning(db_path):
    report = import_population(REAL / "pop_total_differs.csv", db_path, "Beispielstadt", STICHTAG)
    warning = [w.describe("x") for w in report.warnings]
    assert any(
        "Zeile 5" in w
        and 'Spalte "Einwohner"' in w
        and "2.505, Summe der Stadtteile 2.500 (Differenz 5)" in w
        and "veröffentlichte Gesamtzahl" in w
        for w in warning
    ), warning
    assert "Differenz 5" in _read(db_path, "imports")["warnings"].iloc[0]  # and in the import log
    counts = _read(db_path, "population", "Beispielstadt", STICHTAG)
    assert counts["population"].sum() == 2500 and len(counts) == 3
    published = _read(db_path, "published_totals", "Beispielstadt")
    city = municipality_series(counts, "Beispielstadt", published).iloc[0]
    assert (
        city["population"] == 2505
        and city["published_total_differs"]
        and city["districts_population"] == 2500
    )
    table = shares(counts, "Beispielstadt", published_for(published, STICHTAG))
    assert table.iloc[-1]["population"] == 2505
    assert table.iloc[-1]["foreigner_share_pct"] == pytest.approx(300 / 2505 * 100)


def test_luenen_city_figure_is_unchanged_where_the_total_fits(db_path):
    import_population(
        Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv", db_path, "Lünen", STICHTAG
    )
    published = _read(db_path, "published_totals", "Lünen")
    city = municipality_series(_read(db_path, "population", "Lünen"), "Lünen", published).iloc[0]
    assert city["population"] == 87815 and not city["published_total_differs"]


def test_stadtbezirk_rows_without_keys_become_the_upper_level(db_path):
    report = import_population(REAL / "pop_levels_names_only.csv", db_path, "Köln", STICHTAG)
    assert report.rows == 6
    districts = _read(db_path, "districts", "Köln", None).set_index("district_id")
    assert districts.loc["01", ["district", "level", "parent_id"]].tolist() == [
        "Altstadt-Nord",
        "Stadtteil",
        "Innenstadt",
    ]
    assert districts.loc["Lindenthal", "level"] == "Stadtbezirk"
    assert districts.loc["03", ["district", "parent_id"]].tolist() == ["Lindenthal", "Lindenthal"]
    stadtteile = _read(db_path, "population", "Köln", STICHTAG)
    assert stadtteile["population"].sum() == 2600  # counted once
    assert _read(db_path, "population", "Köln", STICHTAG, "Stadtbezirk")["population"].tolist() == [
        1500,
        1100,
    ]
    said = " ".join(w.message for w in report.warnings)
    assert "„01 Altstadt - Nord“ gelesen als Stadtteil „Altstadt-Nord“" in said


def test_names_match_known_districts_forgivingly_and_level_aware(db_path, tmp_path):
    known = tmp_path / "bekannt.csv"
    known.write_text(
        "Nr;Ebene;Stadtteil;EW\n4;Stadtbezirk;Ehrenfeld;1.400\n41;Stadtteil;Nord-West;900\n"
        "42;Stadtteil;Weiden u. Lövenich;600\n43;Stadtteil;Grosser Garten;300\n44;Stadtteil;Bickendorf;400\n"
        "3;Stadtbezirk;Lindenthal;800\n31;Stadtteil;Lindenthal;800\n",
        encoding="utf-8",
    )
    import_population(known, db_path, "Köln", date(2019, 12, 31))
    report = import_population(REAL / "pop_names_variants.csv", db_path, "Köln", STICHTAG)
    counts = _read(db_path, "population", "Köln", STICHTAG).set_index("district")["population"]
    assert counts.to_dict() == {
        "Bickendorf": 400,
        "Grosser Garten": 300,
        "Nord-West": 1000,
        "Weiden u. Lövenich": 700,
    }
    assert set(_read(db_path, "population", "Köln", STICHTAG)["district_id"]) == {"41", "42", "43", "44"}
    assert len(report.warnings) == 4  # every match that was not exact
    # a Stadtteil named like its Stadtbezirk is the Stadtteil
    only = tmp_path / "lindenthal.csv"
    only.write_text("Stadtteil;EW\nLindenthal;810\n", encoding="utf-8")
    import_population(only, db_path, "Köln", date(2021, 12, 31))
    assert _read(db_path, "population", "Köln", date(2021, 12, 31))["district_id"].tolist() == ["31"]


def test_long_table_with_measures_as_rows_gives_one_snapshot_per_year(db_path):
    report = import_population(REAL / "pop_long_measures.csv", db_path, "Teststadt")
    assert report.reference_dates == [date(2020, 12, 31), date(2021, 12, 31)]
    assert any("Männlich" in w.message for w in report.warnings)
    counts = _read(db_path, "population", "Teststadt")
    assert counts[["population", "foreigners"]].sum().tolist() == [3015, 285]


def test_twenty_two_stichtage_in_one_all_or_nothing_import(tmp_path, db_path):
    rows = [f"{y};{k};Gebiet {k};{1000 + y + k};{10 + k}" for y in range(2001, 2023) for k in (1, 2, 3)]
    src = tmp_path / "lang.csv"
    src.write_text("Jahr;Nr;Stadtteil;Einwohner;Ausländer\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert len(import_population(src, db_path, "Teststadt").reference_dates) == 22
    before = _digest(db_path)
    src.write_text(src.read_text().replace("2022;3;Gebiet 3;3025;13", "2022;3;Gebiet 3;3025;9999"))
    with pytest.raises(DataImportError, match="Zeile 67"):
        import_population(src, db_path, "Teststadt")
    assert _digest(db_path) == before


def test_reimport_without_a_measure_keeps_the_stored_values(tmp_path, db_path):
    full = tmp_path / "voll.csv"
    full.write_text("Stadtteil;EW;Ausländer\nA;1.000;100\nB;500;50\n", encoding="utf-8")
    import_population(full, db_path, "Teststadt", STICHTAG)
    lean = tmp_path / "ohne_auslaender.csv"
    lean.write_text("Stadtteil;EW\nA;1.010\nB;505\n", encoding="utf-8")
    report = import_population(lean, db_path, "Teststadt", STICHTAG)
    assert any("bleiben erhalten" in w.message for w in report.warnings)
    counts = _read(db_path, "population", "Teststadt")
    assert counts["population"].tolist() == [1010, 505] and counts["foreigners"].tolist() == [100, 50]
    # kept values that no longer fit are refused, saying so
    before = _digest(db_path)
    lean.write_text("Stadtteil;EW\nA;90\nB;505\n", encoding="utf-8")
    with pytest.raises(DataImportError, match="gespeicherten Ausländer"):
        import_population(lean, db_path, "Teststadt", STICHTAG)
    assert _digest(db_path) == before


def test_genesis_export_loads_the_municipalities_of_a_kreis(db_path):
    report = import_population(REAL / "pop_genesis_kreis.csv", db_path, "Kreis Unna", level="Gemeinde")
    counts = _read(db_path, "population", "Kreis Unna", date(2022, 12, 31), "Gemeinde")
    assert counts["district_id"].tolist() == ["05978004", "05978008", "05978024"]
    assert counts["district"].tolist() == ["Bergkamen, Stadt", "Bönen", "Lünen, Stadt"]
    assert _read(db_path, "published_totals", "Kreis Unna")["population"].tolist() == [2600]
    assert report.rows == 3


def test_cli_level_gemeinde(db_path):
    from data.__main__ import main

    file = str(REAL / "pop_genesis_kreis.csv")
    assert (
        main(
            [
                "import",
                "population",
                file,
                "--municipality",
                "Kreis Unna",
                "--level",
                "gemeinde",
                "--db",
                str(db_path),
            ]
        )
        == 0
    )
    assert _read(db_path, "levels", "Kreis Unna") == ["Gemeinde"]


def test_a_refusal_lists_every_problem_at_once(tmp_path, db_path):
    src = tmp_path / "kaputt.csv"
    src.write_text(
        "Nr;Stadtteil;EW;Ausländer\n1;A;-5;1\n2;B;100;200\n3;C;viele;1\n2;D;50;1\n", encoding="utf-8"
    )
    with pytest.raises(DataImportError) as err:
        import_population(src, db_path, "Teststadt", STICHTAG)
    message = str(err.value)
    assert "Zeile 2" in message and "negativ" in message
    assert "Zeile 3" in message and "Mehr Ausländer" in message
    assert "Zeile 4" in message and "keine Zahl" in message
    assert "Zeile 5" in message and "zwei verschiedene Gebiete" in message
    assert not db_path.exists()


def test_koeln_wide_file_levels_parents_and_city(koeln_dir, db_path):
    report = import_population(koeln_dir / "koeln_bevoelkerung_wide.csv", db_path, "Köln")
    assert len(report.reference_dates) == 8 and not [w for w in report.warnings if "Gesamtzeile" in w.message]
    districts = _read(db_path, "districts", "Köln", None).set_index("district_id")
    assert (districts["level"] == "Stadtteil").sum() == 86 and (
        districts["level"] == "Stadtbezirk"
    ).sum() == 9
    assert (
        districts.loc["303", "parent_id"] == "003"
        and districts.loc[["003", "303"], "district"].tolist() == ["Lindenthal"] * 2
    )
    counts = _read(db_path, "population", "Köln", date(2005, 12, 31))
    city = municipality_series(counts, "Köln", _read(db_path, "published_totals", "Köln")).iloc[0]
    assert city["population"] == 1023101 and not city["published_total_differs"]
    assert city["migration_background_share_pct"] == pytest.approx(30.63, abs=0.005)
    assert city["foreigner_share_pct"] == pytest.approx(17.17, abs=0.005)


def test_koeln_raw_long_table(koeln_dir, db_path):
    import_population(koeln_dir / "raw" / "bevoelkerung.csv", db_path, "Köln")
    counts = _read(db_path, "population", "Köln", date(2012, 12, 31))
    assert len(counts) == 86 and counts["population"].sum() == 1044555


# --- property: what cities add to a table does not change the stored Stadtteil counts --------------

RENAMES = [
    lambda name, key: f"{key} {name}",
    lambda name, key: name.upper(),
    lambda name, key: name.replace("-", " - "),
    lambda name, key: name.replace(" und ", " u. "),
    lambda name, key: name.replace("ss", "ß"),
]
NAMES = ["Nord-West", "Ober und Unterdorf", "Strasse", "Alt-Mitte", "Hafen und Au", "Wiesen", "Kreuz-Feld"]


def _stored(frame: pd.DataFrame, tmp_path: Path, name: str) -> dict:
    src = tmp_path / name
    frame.to_csv(src, sep=";", index=False)
    table = parse_population(read_table(src, known=KNOWN_HEADERS), "Teststadt", STICHTAG)
    assert not table.errors, table.errors
    bottom = table.districts[table.districts["level"] == "Stadtteil"]
    counts = table.counts[table.counts["district_id"].isin(bottom["district_id"])]
    names = bottom.set_index("district_id")["name"]
    return {
        match_key(names[i]): (p, f)
        for i, p, f in zip(counts["district_id"], counts["population"], counts["foreigners"], strict=True)
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(st.tuples(st.integers(100, 50_000), st.integers(0, 100)), min_size=3, max_size=len(NAMES)),
    change=st.sampled_from(["upper", "total_off", "rename"]),
    rename=st.sampled_from(range(len(RENAMES))),
    split=st.integers(1, 6),
    off=st.integers(-5, 5).filter(bool),
)
def test_additions_do_not_change_the_stored_stadtteile(tmp_path, data, change, rename, split, off):
    rows = [
        {"Stadtteil": NAMES[i], "Einwohner": p, "Ausländer": p * f // 100} for i, (p, f) in enumerate(data)
    ]
    total = {"Stadtteil": "Gesamt", "Einwohner": sum(r["Einwohner"] for r in rows),
             "Ausländer": sum(r["Ausländer"] for r in rows)}  # fmt: skip
    base = _stored(pd.DataFrame([*rows, total]), tmp_path, "base.csv")
    if change == "upper":
        cut = min(split, len(rows) - 1)
        head, tail = rows[:cut], rows[cut:]
        upper = [
            {
                "Stadtteil": f"Bezirk {n}",
                "Einwohner": sum(r["Einwohner"] for r in part),
                "Ausländer": sum(r["Ausländer"] for r in part),
            }  # fmt: skip
            for n, part in ((1, head), (2, tail))
        ]
        upper[0]["Stadtteil"] = head[0]["Stadtteil"]  # a Stadtbezirk named like one of its Stadtteile
        changed = [upper[0], *head, upper[1], *tail, total]
    elif change == "total_off":
        changed = [*rows, {**total, "Einwohner": total["Einwohner"] + off}]
    else:
        renamed = [
            {**r, "Stadtteil": RENAMES[rename](r["Stadtteil"], f"{i + 1:02d}")} for i, r in enumerate(rows)
        ]
        changed = [*renamed, total]
    after = _stored(pd.DataFrame(changed), tmp_path, "changed.csv")
    assert after == base
