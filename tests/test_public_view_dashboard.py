"""Small numbers on Übersicht, Stadtteilprofil, Zeitreihen and Daten: readers see `•`, never the number.

Two databases: a tiny municipality built here (Mühlenweiler: 60 residents and 2 foreigners at the
second Stichtag, 58 and 1 at the first; Unterdorf's foreigners are the complementary cell) and the
demo city, whose smallest Stadtteil Kleinholthausen has nationalities and age groups of 1 or 2 persons.
An editor who switched on exact values sees everything.
"""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

import charts.tables as tables
from data.passwords import hash_password
from data.population import import_population
from indicators.disclosure import SUPPRESSED, footnote
from pages.components.auth import SESSION_KEY, issue_token
from tests.apptest import figures, numbers, open_app

HASH = hash_password("geheim-genug-123", iterations=1_000)
EDITOR = {
    "secrets": {"editors": {"planung": HASH}},
    "state": {SESSION_KEY: issue_token("planung", hours=1), "exact_values": True},
}
SMALLEST = "023"  # Kleinholthausen, the demo's smallest Stadtteil
FOOTNOTE = footnote(3)
HEADER = "Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n"
STICHTAGE = {
    date(2022, 12, 31): "01;Oberdorf;1.240;135;300\n02;Unterdorf;975;90;198\n03;Mühlenweiler;58;1;8\n",
    date(2023, 12, 31): "01;Oberdorf;1.250;140;310\n02;Unterdorf;980;96;201\n03;Mühlenweiler;60;2;9\n",
}
# what 2 of 60 foreigners (and the complementary 96 of 980 in Unterdorf) would give away
SECRETS = ("3,3 %", "9,8 %", "1,7 %")


@pytest.fixture(scope="module")
def small_town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dorf")
    db = folder / "dorf.duckdb"
    for when, rows in STICHTAGE.items():
        src = folder / f"{when}.csv"
        src.write_text(HEADER + rows, encoding="utf-8")
        import_population(src, db, "Kleinstadt", when)
    return db


def _page_text(at) -> str:
    """Everything a reader can read: text, tables, metrics, chart texts and hovers."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [s.value for s in at.subheader] + [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_string() for d in at.dataframe] + [t.value.to_string() for t in at.table]
    for figure in figures(at):
        for trace in figure["data"]:
            parts += [str(trace.get(k, "")) for k in ("text", "hovertext", "name")]
        parts += [str(a.get("text", "")) for a in figure["layout"].get("annotations", [])]
    return "\n".join(parts).replace("\\*", "*").replace("\u00a0", " ")


def _has_footnote(at) -> bool:
    return any(c.value == FOOTNOTE for c in at.caption)


def _figure(at, start: str) -> dict:
    return next(f for f in figures(at) if f["layout"]["title"]["text"].startswith(f"<b>{start}"))


def _trace(figure: dict, name: str) -> np.ndarray:
    return numbers(next(t for t in figure["data"] if t["name"] == name)["y"])


@pytest.fixture
def downloads(monkeypatch):
    """The bytes of every CSV and Excel file the Daten page offers, by the page's own builders."""
    files = {"csv": [], "xlsx": []}
    csv_bytes, excel_bytes = tables.csv_bytes, tables.excel_bytes

    def csv(frame, notes=None):
        files["csv"].append(csv_bytes(frame, notes))
        return files["csv"][-1]

    def xlsx(sheets, notes=None):
        files["xlsx"].append(excel_bytes(sheets, notes))
        return files["xlsx"][-1]

    monkeypatch.setattr(tables, "csv_bytes", csv)
    monkeypatch.setattr(tables, "excel_bytes", xlsx)
    return files


def _csv(data: bytes) -> tuple[pd.DataFrame, str]:
    """The table of a page CSV and the whole text (for the footnote after the table)."""
    text = data.decode("utf-8-sig")
    table = text.split("\r\n\r\n")[0]
    return pd.read_csv(io.StringIO(table), sep=";", decimal=",", dtype=str, keep_default_na=False), text


# --- Übersicht -----------------------------------------------------------------------------------


def test_uebersicht_reader_never_sees_the_small_count(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town)
    text = _page_text(at)
    for secret in SECRETS:
        assert secret not in text
    extremes = at.dataframe[0].value
    assert "Mühlenweiler" not in extremes["Stadtteil"].tolist()
    assert "Nur für Oberdorf wird ein Ausländeranteil ausgewiesen (11,2 %)." in text
    assert any("Nicht berücksichtigt" in c.value and "Mühlenweiler" in c.value for c in at.caption)
    assert _has_footnote(at)
    (ranking,) = figures(at)  # no boundaries: the ranking bar, without the hidden Stadtteile
    assert ranking["data"][0]["y"] == ["Oberdorf"]


def test_uebersicht_editor_with_exact_values_sees_them(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, **EDITOR)
    text = _page_text(at)
    assert "den niedrigsten Mühlenweiler (3,3 %)" in text
    assert not _has_footnote(at)


# --- Stadtteilprofil -----------------------------------------------------------------------------


def test_profil_reader_sees_bullets_and_gaps(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, "pages/profil.py", query={"stadtteile": "03"})
    assert at.selectbox(key="profile_district").value == "03"
    text = _page_text(at)
    for secret in SECRETS:
        assert secret not in text
    profile = at.table[0].value
    assert profile.loc["Ausländer:innen", "Mühlenweiler"] == SUPPRESSED
    assert profile.loc["Ausländeranteil", "Mühlenweiler"] == SUPPRESSED
    assert profile.loc["Einwohner:innen", "Mühlenweiler"] == "60"
    assert "Der Ausländeranteil von Mühlenweiler wird wegen kleiner Fallzahlen nicht ausgewiesen" in text
    assert _has_footnote(at)
    series = _figure(at, "Ausländeranteil: Mühlenweiler")
    assert np.isnan(_trace(series, "Mühlenweiler")).all()
    assert not np.isnan(_trace(series, "Kleinstadt")).any()  # the municipality is published
    ranking = _figure(at, "Ausländeranteil: Rang")
    assert "Mühlenweiler" not in ranking["data"][0]["y"]


def test_profil_editor_sees_exact_values(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, "pages/profil.py", query={"stadtteile": "03"}, **EDITOR)
    profile = at.table[0].value.replace("\u00a0", " ", regex=True)
    assert profile.loc["Ausländer:innen", "Mühlenweiler"] == "2"
    assert profile.loc["Ausländeranteil", "Mühlenweiler"] == "3,3 %"
    series = _figure(at, "Ausländeranteil: Mühlenweiler")
    assert _trace(series, "Mühlenweiler") == pytest.approx([100 / 58, 100 / 30])


def test_profil_demo_smallest_stadtteil_hides_nationalities_and_age_groups(demo_db, monkeypatch):
    at = open_app(monkeypatch, demo_db, "pages/profil.py", query={"stadtteile": SMALLEST})
    bar = _figure(at, "Häufigste Staatsangehörigkeiten in Kleinholthausen")["data"][0]
    shown = dict(zip(bar["y"], bar["text"], strict=True))
    persons = dict(zip(bar["y"], numbers(bar["x"]), strict=True))
    for nationality in ("Italien", "Polen", "Rumänien", "Afghanistan"):  # 1 or 2 persons each
        assert nationality not in shown  # never named: they are inside "Übrige"
    assert persons["Übrige"] >= 3 and not any(1 <= v < 3 for v in persons.values())
    assert shown["Türkei"].startswith("14 (")
    hover = " ".join(bar["hovertext"])
    assert not re.search(r"(?<![\d.])[12] Personen", hover) and "5,7 %" not in hover
    pyramid = _figure(at, "Altersaufbau nach Migrationshintergrund in Kleinholthausen")
    drawn = np.concatenate([np.abs(numbers(t["x"])) for t in pyramid["data"]])
    assert not ((drawn >= 1) & (drawn < 3)).any()  # no bar of 1 or 2 persons
    assert np.isnan(drawn).any()  # hidden bars are left out
    hovers = [h for t in pyramid["data"] for h in t["hovertext"]]
    assert any(h.endswith(f": {SUPPRESSED}") for h in hovers)
    assert not any(h.endswith((": 1", ": 2")) for h in hovers)
    assert _has_footnote(at)


def test_profil_demo_editor_sees_every_nationality(demo_db, monkeypatch):
    at = open_app(monkeypatch, demo_db, "pages/profil.py", query={"stadtteile": SMALLEST}, **EDITOR)
    bar = _figure(at, "Häufigste Staatsangehörigkeiten in Kleinholthausen")["data"][0]
    shown = dict(zip(bar["y"], bar["text"], strict=True))
    assert shown["Italien"].replace("\u00a0", " ") == "2 (5,7 %)"
    assert SUPPRESSED not in " ".join(bar["text"])


# --- Zeitreihen ----------------------------------------------------------------------------------


def test_zeitreihen_absolute_numbers_leave_gaps(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, "pages/zeitreihen.py")
    at.radio(key="series_kind").set_value("Absolute Zahlen").run()
    at.selectbox(key="series_key_Absolute Zahlen").set_value("foreigners").run()
    (figure,) = figures(at)
    assert np.isnan(_trace(figure, "Mühlenweiler")).all()
    assert np.isnan(_trace(figure, "Unterdorf")).all()  # the complementary cell
    assert _trace(figure, "Oberdorf") == pytest.approx([135, 140])
    assert any("Lücken" in c.value and "Mühlenweiler" in c.value for c in at.caption)
    assert _has_footnote(at)
    at.radio(key="series_kind").set_value("Anteile").run()
    text = _page_text(at)
    for secret in SECRETS:
        assert secret not in text


def test_zeitreihen_editor_sees_the_counts(small_town, monkeypatch):
    at = open_app(monkeypatch, small_town, "pages/zeitreihen.py", **EDITOR)
    at.radio(key="series_kind").set_value("Absolute Zahlen").run()
    at.selectbox(key="series_key_Absolute Zahlen").set_value("foreigners").run()
    (figure,) = figures(at)
    assert _trace(figure, "Mühlenweiler") == pytest.approx([1, 2])
    assert not _has_footnote(at)


# --- Daten ---------------------------------------------------------------------------------------


def test_daten_reader_tables_and_downloads_leave_hidden_cells_empty(small_town, monkeypatch, downloads):
    at = open_app(monkeypatch, small_town, "pages/daten.py")
    stichtag = at.dataframe[0].value.set_index("Stadtteil")
    assert stichtag.loc["Mühlenweiler", "Ausländer:innen"] == SUPPRESSED
    assert stichtag.loc["Mühlenweiler", "Ausländeranteil (%)"] == SUPPRESSED
    assert stichtag.loc["Unterdorf", "Ausländer:innen"] == SUPPRESSED
    assert stichtag.loc["Kleinstadt", "Ausländer:innen"] == "238"  # the municipality is published
    over_time = at.dataframe[1].value
    mills = over_time[over_time["Stadtteil"] == "Mühlenweiler"]
    assert (mills["Ausländer:innen"] == SUPPRESSED).all()
    for secret in SECRETS:
        assert secret not in _page_text(at)
    assert _has_footnote(at)

    kennzahlen, zeitreihen = downloads["csv"][:2]
    table, text = _csv(kennzahlen)
    mills = table.set_index("Stadtteil").loc["Mühlenweiler"]
    assert mills["Ausländer:innen"] == "" and mills["Ausländeranteil (%)"] == ""
    assert mills["Einwohner:innen"] == "60"
    assert text.endswith(f"\r\n\r\n{FOOTNOTE}\r\n")  # after the table, an empty line, then the note
    table, text = _csv(zeitreihen)
    assert (table.loc[table["Stadtteil"] == "Mühlenweiler", "Ausländer:innen"] == "").all()
    assert FOOTNOTE in text

    workbook = pd.read_excel(io.BytesIO(downloads["xlsx"][-1]), sheet_name=None)
    assert "Hinweise" in workbook and FOOTNOTE in workbook["Hinweise"]["Hinweis"].tolist()
    first = next(iter(workbook.values())).set_index("Stadtteil")
    assert pd.isna(first.loc["Mühlenweiler", "Ausländer:innen"])


def test_daten_editor_downloads_exact_values(small_town, monkeypatch, downloads):
    at = open_app(monkeypatch, small_town, "pages/daten.py", **EDITOR)
    stichtag = at.dataframe[0].value.set_index("Stadtteil")
    assert stichtag.loc["Mühlenweiler", "Ausländer:innen"] == "2"
    table, text = _csv(downloads["csv"][0])
    assert table.set_index("Stadtteil").loc["Mühlenweiler", "Ausländer:innen"] == "2"
    assert FOOTNOTE not in text
    assert "Hinweise" not in pd.read_excel(io.BytesIO(downloads["xlsx"][-1]), sheet_name=None)


def test_daten_demo_nationalities_of_the_smallest_stadtteil(demo_db, monkeypatch, downloads):
    at = open_app(monkeypatch, demo_db, "pages/daten.py", query={"stadtteile": SMALLEST})
    nations = at.dataframe[2].value.set_index("Staatsangehörigkeit")
    assert nations.loc["Türkei", "Personen"] == "14"
    assert not {"Italien", "Polen", "Rumänien", "Afghanistan"} & set(nations.index)  # inside "Übrige"
    assert int(nations.loc["Übrige", "Personen"]) >= 3
    assert not nations["Personen"].isin(["1", "2"]).any()
    table, text = _csv(downloads["csv"][2])
    rows = table.set_index("Staatsangehörigkeit")
    assert "Italien" not in rows.index and int(rows.loc["Übrige", "Personen"]) >= 3
    assert not rows["Personen"].isin(["1", "2"]).any()
    assert "Übrige" in text
