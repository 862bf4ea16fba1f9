"""Person-level register extract: aggregated on import, the counts come back exactly, no person stored."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from data.demo import build_demo
from data.errors import DataImportError
from data.register import import_register
from data.store import Store

STICHTAG = date(2024, 12, 31)
BIRTH_YEAR = {
    "0-5": 2021,
    "6-17": 2012,
    "18-24": 2002,
    "25-44": 1990,
    "45-64": 1970,
    "65-79": 1952,
    "80+": 1938,
}


@pytest.fixture(scope="module")
def demo_2024():
    demo = build_demo()
    detail = demo.population_detail
    detail = detail[detail["reference_date"] == pd.Timestamp(STICHTAG)]
    return demo, detail[detail["district_id"].isin(["011", "034"])]  # two Stadtteile keep the test quick


def _persons(detail: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per person, as a municipal IT export would write them (shuffled, German spellings)."""
    rows = detail.loc[detail.index.repeat(detail["persons"])]
    people = pd.DataFrame(
        {
            "Stadtteil": rows["district_id"].map(names).to_numpy(),
            "Staatsangehörigkeit": rows["nationality"].replace({"Deutschland": "deutsch"}).to_numpy(),
            "Geburtsjahr": rows["age_group"].map(BIRTH_YEAR).to_numpy(),
            "Geschlecht": rows["sex"].map({"m": "männlich", "w": "weiblich", "d": "divers"}).to_numpy(),
            "Migrationshintergrund": np.where(rows["migration_status"] == "mit", "ja", "nein"),
        }
    )
    return people.sample(frac=1.0, random_state=7)


def test_register_extract_aggregates_to_the_same_counts(demo_2024, tmp_path, db_path):
    from data.bootstrap import install_demo

    demo, detail = demo_2024
    install_demo(db_path)
    names = dict(zip(demo.districts["district_id"], demo.districts["name"], strict=True))
    src = tmp_path / "melderegister_2024.csv"
    _persons(detail, names).to_csv(src, sep=";", index=False, encoding="cp1252")

    report = import_register(src, db_path, "Musterstadt", STICHTAG)
    assert "personenbezogene Daten wurden nicht gespeichert" in report.render()
    store = Store(db_path)
    got = store.detail("Musterstadt", STICHTAG).drop(columns="reference_date")
    totals = store.population("Musterstadt", STICHTAG).set_index("district_id")
    store.close()
    key = ["district_id", "nationality", "age_group", "sex", "migration_status"]
    expected = detail[[*key, "persons"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True), expected, check_dtype=False)
    assert totals.loc["011", "population"] == detail.loc[detail["district_id"] == "011", "persons"].sum()
    assert len(totals) == 2  # the extract held two Stadtteile: the Stichtag now holds exactly those

    # only counts were written: no table has a column a person could be found by
    con = duckdb.connect(str(db_path), read_only=True)
    columns = {
        c.lower() for (c,) in con.execute("SELECT column_name FROM information_schema.columns").fetchall()
    }
    con.close()
    assert not columns & {"geburtsjahr", "birth_year", "geburtsdatum", "person_id", "name", "alter"} - {
        "name"
    }


def test_register_errors_name_row_and_column(tmp_path, db_path):
    from data.bootstrap import install_demo

    install_demo(db_path)
    before = db_path.read_bytes()
    src = tmp_path / "auszug.csv"
    src.write_text(
        "Stadtteil;Staatsangehörigkeit;Geburtsjahr;Geschlecht\nAltstadt;deutsch;1980;w\n"
        "Altstadt;türkisch;2090;m\nAtlantis;deutsch;1970;w\nAltstadt;syrisch;1999;q\n",
        encoding="utf-8",
    )
    with pytest.raises(DataImportError) as err:
        import_register(src, db_path, "Musterstadt", STICHTAG)
    text = str(err.value)
    assert 'Zeile 3, Spalte "Geburtsjahr"' in text
    assert 'Zeile 4, Spalte "Stadtteil": Stadtteil „Atlantis“ ist nicht bekannt' in text
    assert 'Zeile 5, Spalte "Geschlecht"' in text
    assert db_path.read_bytes() == before
