"""The Karte as an atlas: years side by side, the change map, the full table beside the map and the
selection by click — on a small town where one Stadtteil's foreigners are too few to show.

Kleinstadt has four Stadtteile with boundaries and three Stichtage; Mühlenweiler has 14 foreigners in
2022 (shown) and 2 and 1 in 2023 and 2024 (hidden from readers). No new figure, table or summary may
colour, label, rank or name a hidden share; the public view (`charts.reads`) decides which they are.
"""

from __future__ import annotations

import json
import re
from contextlib import closing
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from charts.atlas_views import atlas_table, change_view, default_years, year_keys, years_view
from charts.protect import hidden_cells
from charts.reads import series
from charts.view import Filters, Source
from data.boundaries import import_boundaries
from data.population import import_population
from data.store import Store
from indicators.disclosure import SUPPRESSED
from pages.components.state import districts_from_points
from tests.apptest import figures, numbers, open_app

TOWN = "Kleinstadt"
DATES = [date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31)]
HIDDEN_ID, HIDDEN = "03", "Mühlenweiler"
KEY = "foreigner_share_pct"
#: Nr → (name, residents, foreigners per Stichtag)
DISTRICTS = {
    "01": ("Oberdorf", 1250, (140, 150, 171)),
    "02": ("Unterdorf", 980, (96, 90, 84)),
    "03": (HIDDEN, 60, (14, 2, 1)),
    "04": ("Am Bach", 720, (60, 66, 80)),
}


def _boundaries(path: Path) -> Path:
    """Four squares side by side near Köln (GeoJSON, EPSG:4326, keys and names as the CSV has them)."""
    features = []
    for i, (nr, (name, *_)) in enumerate(DISTRICTS.items()):
        x0, y0 = 6.95 + 0.02 * i, 50.93
        ring = [[x0, y0], [x0 + 0.02, y0], [x0 + 0.02, y0 + 0.02], [x0, y0 + 0.02], [x0, y0]]
        features.append({"type": "Feature", "properties": {"Nr": nr, "Stadtteil": name},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("atlas")
    db = folder / "town.duckdb"
    for i, when in enumerate(DATES):
        src = folder / f"bevoelkerung_{when.year}.csv"
        rows = [f"{nr};{name};{people};{foreign[i]};{2 * foreign[i] + 5}"
                for nr, (name, people, foreign) in DISTRICTS.items()]  # fmt: skip
        src.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n" + "\n".join(rows) + "\n",
                       encoding="utf-8")  # fmt: skip
        import_population(src, db, TOWN, when)
    import_boundaries(
        _boundaries(folder / "grenzen.geojson"), db, TOWN, id_field="Nr", name_field="Stadtteil"
    )
    return db


@pytest.fixture(scope="module")
def source(town):
    with closing(Store(town)) as store:
        yield Source(store)


def _filters(public: bool = True, when: date = DATES[-1], districts: list[str] | None = None) -> Filters:
    return Filters(TOWN, when, DATES, districts=districts or [], public=public)


def _hidden_at(source: Source, when: date) -> set[str]:
    """The districts whose share the public view hides at one Stichtag (the test's own reading)."""
    frame = series(source, _filters())
    rows = (frame["reference_date"] == pd.Timestamp(when)).to_numpy()
    return set(frame.loc[rows & hidden_cells(frame)[KEY].to_numpy(), "district_id"])


def _panels(figure) -> dict[str, list[dict]]:
    """The choropleth traces of a figure by base map (geo, geo2, …) as JSON."""
    out: dict[str, list[dict]] = {}
    for trace in json.loads(figure.to_json())["data"]:
        out.setdefault(trace.get("geo", "geo"), []).append(trace)
    return out


def _coloured(traces: list[dict]) -> dict[str, str]:
    """district id → legend name of the class it is drawn in (hidden and unknown districts excluded)."""
    return {
        loc: t["name"]
        for t in traces
        if not t["name"].startswith((SUPPRESSED, "keine Daten"))
        for loc in t["locations"]
    }


def _numbers_in(label: str) -> list[float]:
    return [float(v.replace("−", "-").replace(".", "").replace(",", ".")) for v in
            re.findall(r"[−+-]?\d[\d.]*,\d+", label)]  # fmt: skip


def test_the_town_has_a_hidden_share_where_the_test_expects_it(source):
    assert HIDDEN_ID not in _hidden_at(source, DATES[0])
    assert HIDDEN_ID in _hidden_at(source, DATES[1]) and HIDDEN_ID in _hidden_at(source, DATES[2])
    assert year_keys(source, _filters()) >= {KEY, "migration_background_share_pct"}
    assert default_years(DATES) == DATES and default_years(DATES, DATES[1]) == DATES[:2]


def test_years_side_by_side_share_one_set_of_classes_and_never_colour_a_hidden_share(source):
    view = years_view(source, _filters(), KEY, DATES)
    panels = _panels(view.figure)
    assert sorted(panels) == ["geo", "geo2", "geo3"]
    subtitles = [a.text for a in view.figure.layout.annotations if a.text.startswith("<b>")]
    assert subtitles == ["<b>31.12.2022</b>", "<b>31.12.2023</b>", "<b>31.12.2024</b>"]
    colour_of: dict[str, str] = {}
    for (_geo, traces), when in zip(sorted(panels.items()), DATES, strict=True):
        hidden = _hidden_at(source, when)
        coloured = _coloured(traces)
        assert not hidden & set(coloured), f"{when}: a hidden share is coloured"
        grey = {loc for t in traces if t["name"].startswith(SUPPRESSED) for loc in t["locations"]}
        assert grey == hidden
        for t in traces:  # one set of classes: a class has the same colour in every panel
            assert colour_of.setdefault(t["name"], t["colorscale"][0][1]) == t["colorscale"][0][1]
            if set(t["locations"]) & hidden:
                assert all(SUPPRESSED in row[1] for row in t["customdata"]), "its hover shows a number"
    legend = [t.name for t in view.figure.data if t.showlegend]
    assert len(legend) == len(set(legend)), "every class once in the legend"
    # the table: one column per Stichtag, hidden cells empty and marked, `•` in the text
    columns = [c for c in view.table.columns if c.startswith("Ausländeranteil ")]
    assert len(columns) == 3
    row = view.table.index[view.table["Stadtteil"] == HIDDEN][0]
    assert view.hidden.loc[row, columns].tolist() == [False, True, True]
    assert view.table.loc[row, columns[1:]].isna().all()
    assert view.text_table().loc[row, columns[1:]].tolist() == [SUPPRESSED, SUPPRESSED]
    assert view.table.loc[row, columns[0]] == pytest.approx(14 / 60 * 100)
    assert HIDDEN not in " ".join(view.summary[:2]) or "gestiegen" not in view.summary[1]
    assert view.table["Stadtteil"].iloc[-1] == TOWN, "the municipality last"


@pytest.mark.parametrize("when", DATES)
def test_a_share_hidden_on_the_map_is_hidden_in_every_new_view_of_that_stichtag(source, when):
    f = _filters(when=when)
    on_map = atlas_table(source, f, KEY)
    hidden = {i for i, h in zip(on_map.ids, on_map.hidden[on_map.value], strict=True) if h}
    for view in (years_view(source, f, KEY, [when]), change_view(source, f, KEY, DATES[0])):
        if view is None:  # no change against itself
            continue
        grey = {
            loc
            for t in _panels(view.figure)["geo"]
            if t["name"].startswith(SUPPRESSED)
            for loc in t["locations"]
        }
        assert hidden <= grey, view.title


def test_exact_values_colour_every_district_in_every_year(source):
    view = years_view(source, _filters(public=False), KEY, DATES)
    for traces in _panels(view.figure).values():
        assert set(_coloured(traces)) == set(DISTRICTS)


def test_change_map_is_symmetric_and_hides_a_change_where_either_share_is_hidden(source):
    view = change_view(source, _filters(), KEY, DATES[0])
    traces = _panels(view.figure)["geo"]
    hidden = _hidden_at(source, DATES[0]) | _hidden_at(source, DATES[-1])
    assert HIDDEN_ID in hidden and not hidden & set(_coloured(traces))
    classes = [t["name"] for t in traces if not t["name"].startswith((SUPPRESSED, "keine"))]
    bounds = sorted(v for name in classes for v in _numbers_in(name))
    middle = next(name for name in classes if _numbers_in(name)[0] < 0 < _numbers_in(name)[1])
    low, high = _numbers_in(middle)
    assert low == pytest.approx(-high), "the class around 0 is symmetric"
    assert bounds, classes
    # the table: share at the base, share now, change; the municipality's change from its totals
    change = "Veränderung Ausländeranteil (Pp.)"
    table = view.table.set_index("Stadtteil")
    assert (
        pd.isna(table.loc[HIDDEN, change])
        and view.text_table().set_index("Stadtteil").loc[HIDDEN, change] == SUPPRESSED
    )
    assert table.loc[HIDDEN, "Ausländeranteil 31.12.2022 (%)"] == pytest.approx(14 / 60 * 100)
    assert table.loc["Oberdorf", change] == pytest.approx((171 - 140) / 1250 * 100)
    towns = [
        sum(d[2][i] for d in DISTRICTS.values()) / sum(d[1] for d in DISTRICTS.values()) * 100 for i in (0, 2)
    ]
    assert table.loc[TOWN, change] == pytest.approx(towns[1] - towns[0])
    assert HIDDEN not in " ".join(view.summary)


def test_full_table_ranks_and_changes_only_what_readers_may_see(source):
    table = atlas_table(source, _filters(), KEY, DATES[0])
    data = table.data.set_index("Stadtteil")
    assert list(data.index) == sorted(d[0] for d in DISTRICTS.values()) + [TOWN]
    assert table.ids[-1] is None and set(table.ids[:-1]) == set(DISTRICTS)
    hidden = table.hidden.set_index(table.data["Stadtteil"])
    for column in (table.value, "Rang", table.change, "Ausländer:innen"):
        assert hidden.loc[HIDDEN, column] and pd.isna(data.loc[HIDDEN, column]), column
    assert (
        table.text().set_index("Stadtteil").loc[HIDDEN, [table.value, "Rang", table.change]] == SUPPRESSED
    ).all()
    shown = data[~hidden[table.value].to_numpy()].drop(index=TOWN)
    assert len(shown) >= 2 and sorted(shown["Rang"]) == list(range(1, len(shown) + 1))  # shown values only
    assert data.loc[~hidden[table.value].to_numpy(), table.value].notna().all()
    assert shown[table.value].idxmax() == shown["Rang"].idxmin()
    assert table.change == "Veränderung seit 31.12.2022 (Pp.)"
    assert data.loc["Unterdorf", table.change] == pytest.approx((84 - 96) / 980 * 100)
    # what the page shows: the districts (the municipality in words above them), found by name or key
    rows, mask, ids = table.districts()
    assert TOWN not in set(rows["Stadtteil"]) and len(ids) == len(DISTRICTS)
    assert (rows.isna() == mask).all().all(), "every empty cell of the grid is a hidden one (shown •)"
    assert rows.loc[rows["Stadtteil"] == "Oberdorf", table.value].iloc[0] == round(171 / 1250 * 100, 1)
    assert table.districts("DORF")[2] == ["01", "02"] and table.districts("04")[2] == ["04"]
    assert table.city_line().startswith(f"{TOWN} insgesamt: Ausländeranteil ")
    # without a base: the previous Stichtag; the year before has no earlier one
    assert atlas_table(source, _filters(), KEY).change == "Veränderung seit 31.12.2023 (Pp.)"
    assert atlas_table(source, _filters(when=DATES[0]), KEY).change is None
    exact = atlas_table(source, _filters(public=False), KEY).data.set_index("Stadtteil")
    assert exact.loc[HIDDEN, table.value] == pytest.approx(1 / 60 * 100)


def test_a_click_names_the_district_of_a_map_point_or_a_bar():
    names = {"01": "Oberdorf", "02": "Unterdorf", "03": HIDDEN}
    points = [
        {"curve_number": 2, "location": "02", "point_index": 0},
        {"curve_number": 0, "y": HIDDEN, "x": 5.0},  # a bar of a ranking carries the name
        {"curve_number": 1, "location": "02"},  # twice: once
        {"curve_number": 3, "lon": 7.0, "lat": 50.9, "text": "Oberdorf"},  # a label: nothing
        {"location": "99"},
    ]
    assert districts_from_points(points, names) == ["02", "03"]
    assert districts_from_points([], names) == []


def _hover_and_text(at) -> str:
    parts = []
    for figure in figures(at):
        for trace in figure["data"]:
            parts += [
                str(trace.get("customdata", "")),
                str(trace.get("text", "")),
                str(trace.get("name", "")),
            ]
    return " ".join(parts)


@pytest.mark.parametrize("mode", ["Karte", "Jahre nebeneinander", "Veränderung"])
def test_every_mode_on_the_page_keeps_the_hidden_share_hidden(town, monkeypatch, mode):
    query = {"ansicht": mode, "basis": DATES[0].isoformat(), "karte": KEY}
    at = open_app(monkeypatch, town, "pages/karte.py", query=query)
    assert at.segmented_control(key="map_mode").value == mode
    hover = _hover_and_text(at)
    assert f"'{HIDDEN}', '{SUPPRESSED}'" in hover, "its hover says •"
    assert not re.search(r"(?<![\d,])(1,7|3,3) %", hover)  # 1 of 60, 2 of 60
    assert at.dataframe[0].proto.placeholder == SUPPRESSED  # hidden cells show •, not "None"
    grid = at.dataframe[0].value
    row = grid[grid["Stadtteil"] == HIDDEN].iloc[0]
    assert pd.isna(row["Ausländeranteil (%)"]) and pd.isna(row["Rang"])
    assert at.query_params["ansicht"] == mode
    for figure in figures(at):
        for trace in figure["data"]:
            shown_year = mode == "Jahre nebeneinander" and trace.get("geo", "geo") == "geo"  # 2022: shown
            if HIDDEN_ID in trace.get("locations", []) and not shown_year:
                assert trace["name"].startswith(SUPPRESSED) or trace["name"] == "nicht ausgewählt"
                assert np.all(numbers(trace["z"]) == 0)


def test_a_selection_in_the_url_opens_the_profile_and_highlights_the_row(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/karte.py", query={"stadtteile": "02"})
    assert at.multiselect(key="districts").value == ["02"]
    grid = at.dataframe[0]
    rows = json.loads(grid.proto.selection_default)["selection"]["rows"]  # the chosen row is ticked
    assert [grid.value["Stadtteil"].iloc[r] for r in rows] == ["Unterdorf"]
    links = [p.proto.label for p in at.get("page_link") if "Stadtteilprofil:" in p.proto.label]
    assert links == ["Stadtteilprofil: Unterdorf"]
    at.switch_page("pages/profil.py").run()
    assert at.selectbox(key="profile_district").value == "02"
    # searching the table keeps only the matching rows
    at.switch_page("pages/karte.py").run()
    at.text_input(key="karte-suche").input("dorf").run()
    assert sorted(at.dataframe[0].value["Stadtteil"]) == ["Oberdorf", "Unterdorf"]


def test_a_click_on_the_map_and_a_chosen_row_become_the_selection(monkeypatch):
    """The callbacks of the map and the table (Streamlit runs them before the sidebar is drawn)."""
    from types import SimpleNamespace

    import pages.components.state as state

    names = {"01": "Oberdorf", "02": "Unterdorf"}
    session = {
        "districts": ["01"],
        "map": SimpleNamespace(selection=SimpleNamespace(points=[{"location": "02"}])),
        "table": SimpleNamespace(selection=SimpleNamespace(rows=[0, 2])),
    }
    monkeypatch.setattr(state.st, "session_state", session)
    state.select_from_chart("map", names)
    assert session["districts"] == ["02"]
    state.select_from_table("table", ["01", "02", None])  # the municipality's row selects nothing
    assert session["districts"] == ["01"]
    session["map"] = SimpleNamespace(selection=SimpleNamespace(points=[]))  # a double click beside
    state.select_from_chart("map", names)
    assert session["districts"] == []


def test_a_shared_link_opens_the_same_stichtage_side_by_side(town, monkeypatch):
    chosen = f"{DATES[0].isoformat()},{DATES[2].isoformat()}"
    at = open_app(
        monkeypatch, town, "pages/karte.py", query={"ansicht": "Jahre nebeneinander", "jahre": chosen}
    )
    (figure,) = figures(at)
    assert sorted({t.get("geo", "geo") for t in figure["data"]}) == ["geo", "geo2"]
    assert at.query_params["jahre"] == chosen
    at.multiselect(key="map_years").select(DATES[1].isoformat()).run()
    assert at.query_params["jahre"].split(",") == [
        DATES[0].isoformat(),
        DATES[2].isoformat(),
        DATES[1].isoformat(),
    ]
    assert len({t.get("geo", "geo") for t in figures(at)[0]["data"]}) == 3
    mangled = open_app(
        monkeypatch, town, "pages/karte.py", query={"ansicht": "Jahre nebeneinander", "jahre": "1999-12-31"}
    )
    assert mangled.multiselect(key="map_years").value == [d.isoformat() for d in DATES]  # first, middle, last


def test_the_map_steps_through_the_stichtage_and_the_sidebar_follows(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/karte.py")
    assert at.select_slider(key="map_step").value == DATES[-1].isoformat()
    assert at.button(key="map_forward").disabled  # the last Stichtag: nothing later
    at.button(key="map_back").click().run()
    assert at.selectbox(key="reference_date").value == DATES[1].isoformat()
    assert at.query_params["stichtag"] == DATES[1].isoformat()
    source = figures(at)[0]["layout"]["annotations"][0]["text"]  # wrapped for the column beside the table
    assert "Stichtag 31.12.2023" in source.replace("<br>", " ")
    at.select_slider(key="map_step").set_value(DATES[0].isoformat()).run()
    assert at.selectbox(key="reference_date").value == DATES[0].isoformat()
    assert at.button(key="map_back").disabled


def test_without_boundaries_the_ranking_is_what_a_click_selects(tmp_path, monkeypatch):
    """A town without boundaries: the Karte draws a ranking; its bars are clickable like the map's
    districts and name the districts the callback selects (hidden shares have no bar to click)."""
    db = tmp_path / "ohne_grenzen.duckdb"
    src = tmp_path / "bevoelkerung.csv"
    rows = [f"{nr};{name};{people};{foreign[-1]};{2 * foreign[-1] + 5}" for nr, (name, people, foreign)
            in DISTRICTS.items()]  # fmt: skip
    src.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")  # fmt: skip
    import_population(src, db, TOWN, DATES[-1])
    at = open_app(monkeypatch, db, "pages/karte.py")
    (chart,) = at.get("plotly_chart")
    assert list(chart.proto.selection_mode), "the ranking answers clicks"
    (bar,) = json.loads(chart.proto.spec)["data"]
    assert bar["type"] == "bar" and bar["orientation"] == "h"
    names = {nr: name for nr, (name, *_) in DISTRICTS.items()}
    assert HIDDEN not in bar["y"], "a hidden share draws no bar"
    points = [{"curve_number": 0, "y": name, "x": 1.0} for name in bar["y"]]
    assert len(bar["y"]) >= 2  # Mühlenweiler and the share that would give it away are not drawn
    assert sorted(districts_from_points(points, names)) == sorted(
        nr for nr, n in names.items() if n in bar["y"]
    )
