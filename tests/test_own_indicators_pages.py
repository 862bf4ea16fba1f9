"""An uploaded own indicator on the pages: chosen on the Karte, described on the Methodik page, in the
downloads — and its small count hidden from readers, shown to an editor with exact values.

Kleinstadt (four square Stadtteile with boundaries) gets "Kinder unter 6 Jahren": Mühlenweiler has 2
of 60 residents (3,3 %, hidden) and Am Bach's 44 of 720 (6,1 %) is the cell hidden with it, so the 2
cannot be worked out from the municipality's total.
"""

from __future__ import annotations

import re
from contextlib import closing
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from charts.population_views import share_map
from charts.reads import own_catalogue
from charts.tables import csv_bytes
from charts.view import Filters, Source
from data.boundaries import import_boundaries
from data.own_indicators import import_indicator, parse_meta
from data.population import import_population
from data.store import Store
from indicators.disclosure import SUPPRESSED
from pages.components.auth import SESSION_KEY
from tests.apptest import figures, numbers, open_app
from tests.test_atlas import _boundaries  # the same four squares, keys and names
from tests.test_public_view_dashboard import EDITOR, HASH

DATA = Path(__file__).parent / "data"

TOWN = "Kleinstadt"
BEFORE, DAY = date(2023, 12, 31), date(2024, 12, 31)
KEY = "own_u6_pct"
LABEL = "Anteil Kinder unter 6 Jahren"
#: Nr → (name, residents, foreigners, children under 6) at the Stichtag, and one year before
DISTRICTS = {
    "01": ("Oberdorf", 1250, 140, 71),
    "02": ("Unterdorf", 980, 96, 55),
    "03": ("Mühlenweiler", 60, 14, 2),
    "04": ("Am Bach", 720, 60, 44),
}
EARLIER = {
    "01": ("Oberdorf", 1240, 135, 68),
    "02": ("Unterdorf", 975, 90, 50),
    "03": ("Mühlenweiler", 58, 14, 5),
    "04": ("Am Bach", 715, 58, 40),
}
SECRETS = re.compile(r"(?<![\d,])(3,3|6,1) %")
META = {
    "key": "u6",
    "label": LABEL,
    "short_label": "Kinder unter 6",
    "numerator": "Kinder unter 6 Jahren",
    "denominator": "population",
    "source": "Melderegister, Sonderauswertung Kita-Planung",
    "caveat": "Stichtag der Kita-Bedarfsplanung.",
}


def _title(figure: dict) -> str:
    """The chart's title as one line (a narrow column wraps it at word boundaries with <br>)."""
    return figure["layout"]["title"]["text"].replace("<br>", " ")


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("eigene")
    db = folder / "town.duckdb"
    kids = ["Nr;Stadtteil;Stichtag;Kinder unter 6 Jahren"]
    for when, districts in ((BEFORE, EARLIER), (DAY, DISTRICTS)):
        people = folder / f"bevoelkerung_{when.year}.csv"
        rows = [
            f"{nr};{name};{n};{foreign};{2 * foreign + 5}" for nr, (name, n, foreign, _) in districts.items()
        ]
        people.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n" + "\n".join(rows) + "\n")
        import_population(people, db, TOWN, when)
        kids += [f"{nr};{name};{when:%d.%m.%Y};{u6}" for nr, (name, _, _, u6) in districts.items()]
    import_boundaries(
        _boundaries(folder / "grenzen.geojson"), db, TOWN, id_field="Nr", name_field="Stadtteil"
    )
    (folder / "kinder_u6.csv").write_text("\n".join(kids) + "\n")
    import_indicator(folder / "kinder_u6.csv", parse_meta(META), db, TOWN)
    return db


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [d.value.to_string() for d in at.dataframe]
    for figure in figures(at):
        parts.append(figure["layout"]["title"]["text"])
        for trace in figure["data"]:
            parts += [str(trace.get(k, "")) for k in ("text", "hovertext", "name", "customdata")]
    return "\n".join(parts).replace("\u00a0", " ")


def test_the_karte_offers_the_own_indicator_and_hides_its_small_count_from_readers(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/karte.py", query={"karte": KEY})
    choice = at.selectbox(key="map_indicator")
    assert choice.value == KEY and LABEL in choice.options
    assert "Kinder unter 6 Jahren" not in choice.options  # the share is mapped, not the count
    (chart,) = figures(at)
    assert _title(chart).startswith(f"<b>{LABEL} nach Stadtteil, {TOWN}")
    text = _text(at)
    assert not SECRETS.search(text)
    assert "5,7 %" in text  # Oberdorf: 71 of 1.250
    grid = at.dataframe[0].value.set_index("Stadtteil")
    assert pd.isna(grid.loc["Mühlenweiler", f"{LABEL} (%)"]) and pd.isna(grid.loc["Am Bach", f"{LABEL} (%)"])
    assert pd.isna(grid.loc["Mühlenweiler", "Kinder unter 6 Jahren"])
    assert grid.loc["Oberdorf", "Kinder unter 6 Jahren"] == 71
    assert at.dataframe[0].proto.placeholder == SUPPRESSED


def test_an_editor_with_exact_values_sees_the_small_count(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/karte.py", query={"karte": KEY}, **EDITOR)
    grid = at.dataframe[0].value.set_index("Stadtteil")
    assert grid.loc["Mühlenweiler", "Kinder unter 6 Jahren"] == 2
    assert "3,3 %" in _text(at)


def test_the_methodik_page_describes_the_own_indicator(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/methodik.py")
    text = "\n".join(m.value for m in at.markdown)
    assert f"**Eigene Kennzahlen von {TOWN}:** Kinder unter 6 Jahren, {LABEL}." in text
    assert "**Melderegister, Sonderauswertung Kita-Planung**" in text
    assert "Kinder unter 6 Jahren / Einwohner:innen × 100" in text
    assert LABEL in [e.label for e in at.expander]
    overview = at.dataframe[0].value
    assert LABEL in overview["Kennzahl"].tolist()


def test_the_download_names_the_indicator_and_leaves_the_small_count_out(town):
    with closing(Store(town)) as store:
        src = Source(store)
        f = Filters(TOWN, DAY, [BEFORE, DAY])
        own_catalogue(src, f)
        view = share_map(src, f, KEY)
    data = csv_bytes(view.table, view.notes).decode("utf-8-sig")
    assert f"{LABEL} (%)" in data and "Kinder unter 6 Jahren" in data
    row = next(line for line in data.splitlines() if line.startswith("Mühlenweiler"))
    assert ";2;" not in row and "3,3" not in row
    assert SUPPRESSED in view.text_table().set_index("Stadtteil").loc["Mühlenweiler", f"{LABEL} (%)"]


def test_an_editor_token_is_what_unlocks_exact_values(town, monkeypatch):
    """Without the signed token, the exact-values switch in the state does nothing."""
    state = {"exact_values": True, SESSION_KEY: "gefälscht"}
    at = open_app(monkeypatch, town, "pages/karte.py", query={"karte": KEY}, state=state,
                  secrets={"editors": {"planung": HASH}})  # fmt: skip
    assert not SECRETS.search(_text(at))


def test_an_editor_uploads_an_indicator_and_it_appears_on_the_karte(tmp_path, monkeypatch):
    db = tmp_path / "luenen.duckdb"
    import_population(DATA / "luenen_stadtteile_2020.csv", db, "Lünen", date(2020, 12, 31))
    editor = {"secrets": EDITOR["secrets"], "state": {SESSION_KEY: EDITOR["state"][SESSION_KEY]}}
    at = open_app(monkeypatch, db, "pages/daten_laden.py", **editor)
    at.selectbox(key="upload_kind").select("indicator").run()
    upload = (DATA / "luenen_sgb2_2020.csv").read_bytes()
    at.get("file_uploader")[0].set_value(("luenen_sgb2_2020.csv", upload, "text/csv")).run()
    assert any("fehlt oder ist leer" in str(v) for d in at.dataframe for v in d.value.get("Meldung", []))
    for key, value in {"own_key_neu": "sgb2", "own_label_neu": "SGB-II-Quote",
                       "own_numerator_neu": "Personen in Bedarfsgemeinschaften",
                       "own_source_neu": "Jobcenter Kreis Unna"}.items():  # fmt: skip
        at.text_input(key=key).input(value)
    at.run()
    assert not at.exception
    assert any(s.value.startswith("Datei geprüft: 13 Zeilen lassen sich importieren (Lünen, Stichtag 31.12.2020)")
               for s in at.success)  # fmt: skip
    assert any("Cappenberg" in i.value for i in at.info)
    at.button(key="upload_confirm").click().run()
    assert any(s.value.startswith("Importiert aus luenen") and "SGB-II-Quote" in s.value for s in at.success)
    at.switch_page("pages/karte.py").run()
    choice = at.selectbox(key="map_indicator")
    assert choice.options[-1] == "SGB-II-Quote"
    choice.set_value("own_sgb2_pct").run()
    assert _title(figures(at)[0]).startswith("<b>SGB-II-Quote nach Stadtteil, Lünen")


def test_zeitreihen_show_the_own_share_with_a_gap_where_it_is_hidden(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/zeitreihen.py", query={"stadtteile": "03,01"})
    choice = at.selectbox(key="series_key_Anteile")
    assert LABEL in choice.options
    choice.set_value(KEY).run()
    (chart,) = figures(at)
    assert _title(chart).startswith(f"<b>{LABEL}, ausgewählte Stadtteile")
    text = _text(at)
    assert not SECRETS.search(text) and "8,6" in text  # Mühlenweiler 2023: 5 of 58, shown
    (line,) = [t for t in chart["data"] if t["name"] == "Mühlenweiler"]
    assert np.isnan(numbers(line["y"])).tolist() == [False, True]  # 2024: a gap
    at = open_app(monkeypatch, town, "pages/zeitreihen.py", query={"stadtteile": "03"}, **EDITOR)
    at.selectbox(key="series_key_Anteile").set_value(KEY).run()
    assert "3,3" in _text(at)


@pytest.mark.parametrize("mode", ["Jahre nebeneinander", "Veränderung"])
def test_the_karte_shows_the_years_and_the_change_of_the_own_share(town, monkeypatch, mode):
    query = {"karte": KEY, "ansicht": mode, "basis": BEFORE.isoformat()}
    at = open_app(monkeypatch, town, "pages/karte.py", query=query)
    assert at.segmented_control(key="map_mode").value == mode
    text = _text(at)
    assert not SECRETS.search(text) and LABEL in text
    grid = at.dataframe[0].value.set_index("Stadtteil")
    change = f"Veränderung seit {BEFORE:%d.%m.%Y} (Pp.)"
    assert grid.loc["Oberdorf", change] == round((71 / 1250 - 68 / 1240) * 100, 1)  # shown rounded
    assert pd.isna(grid.loc["Mühlenweiler", change])  # from a hidden share: hidden


def test_the_uebersicht_offers_the_own_share(town, monkeypatch):
    at = open_app(monkeypatch, town, query={"kennzahl": KEY})
    assert at.radio(key="overview_indicator").value == KEY
    text = _text(at)
    assert f"Den höchsten {LABEL}" in text and not SECRETS.search(text)


def test_the_daten_page_lists_the_own_indicator_with_its_hidden_cells(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/daten.py")
    grid = at.dataframe[0].value.set_index("Stadtteil")
    assert grid.loc["Oberdorf", f"{LABEL} (%)"] == "5,7 %"
    assert grid.loc["Mühlenweiler", f"{LABEL} (%)"] == SUPPRESSED
    assert grid.loc["Mühlenweiler", "Kinder unter 6 Jahren"] == SUPPRESSED
    assert grid.loc[TOWN, "Kinder unter 6 Jahren"] == "172"  # the municipality: the sum, published
    assert not SECRETS.search(_text(at))


def test_the_stadtteilprofil_lists_the_own_indicator_beside_the_municipality(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": "03"})
    profile = at.table[0].value
    assert profile.loc[LABEL, "Mühlenweiler"] == SUPPRESSED
    assert profile.loc["Kinder unter 6 Jahren", "Mühlenweiler"] == SUPPRESSED
    assert profile.loc[LABEL, TOWN] == "5,7\u00a0%"  # 172 of 3.010, published
    assert not SECRETS.search(_text(at))
