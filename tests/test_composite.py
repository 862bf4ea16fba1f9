"""The Stadtteilprofil's composite chart: every share of the catalogue at once, as the district's
deviation from the municipality in percentage points — on Kleinstadt (`tests/test_atlas.py`), where
Mühlenweiler's foreigners (1 of 60 in 2024) are hidden from readers, and on Lünen's published table.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from charts.composite_figures import HIGHER, LOWER, PHONE_SOURCE, PHONE_TITLE, pp_ticks
from charts.composite_views import KEY, deviation_frame, deviations, share_indicators
from charts.figures import SOURCE_NAME, contrast_ratio
from charts.labels import text_width
from charts.population_views import profile
from charts.reads import city_row, indicator_table
from charts.view import Filters, Source
from data.population import import_population
from data.store import Store
from indicators.catalogue import CATALOGUE, PERCENT, Indicator
from indicators.disclosure import SUPPRESSED
from tests.apptest import figures, numbers, open_app
from tests.test_atlas import DISTRICTS, HIDDEN, HIDDEN_ID, TOWN, _filters, source, town  # noqa: F401

LUENEN = Path(__file__).parent / "data" / "luenen_stadtteile_2020.csv"


def _town_share(column: int) -> float:
    """The town's foreigner share in 2024 (the test's own arithmetic)."""
    return sum(d[2][column] for d in DISTRICTS.values()) / sum(d[1] for d in DISTRICTS.values()) * 100


def test_the_deviation_is_the_districts_share_minus_the_towns(source):  # noqa: F811
    view = deviations(source, _filters(), "01")
    table = view.table.set_index("Kennzahl")
    oberdorf = 171 / 1250 * 100
    assert table.loc["Ausländeranteil", "Oberdorf (%)"] == pytest.approx(oberdorf)
    assert table.loc["Ausländeranteil", f"{TOWN} insgesamt (%)"] == pytest.approx(_town_share(2))
    assert table.loc["Ausländeranteil", "Abweichung (Pp.)"] == pytest.approx(oberdorf - _town_share(2))
    mh = (2 * 171 + 5) / 1250 * 100
    assert table.loc["Anteil mit Migrationshintergrund", "Oberdorf (%)"] == pytest.approx(mh)
    # Kleinstadt delivered no minors: that share has no row, and nothing is hidden
    assert list(table.index) == ["Ausländeranteil", "Anteil mit Migrationshintergrund"]
    assert not view.hidden.to_numpy().any()
    bars = view.figure.data[0]
    by_label = dict(zip(bars.y, bars.x, strict=True))
    assert by_label["Ausländeranteil"] == pytest.approx(oberdorf - _town_share(2))
    colours = dict(zip(bars.y, bars.marker.color, strict=True))
    assert colours["Ausländeranteil"] == (HIGHER if oberdorf > _town_share(2) else LOWER)
    assert list(bars.y)[-1] == "Ausländeranteil", "the catalogue's first share on top"
    text = " ".join(view.summary)
    assert text.startswith(f"Oberdorf im Vergleich mit {TOWN} insgesamt:")
    assert any("Kein Gesamtindex" in n and "keine Gewichte" in n for n in view.notes)
    assert any("Prozentpunkte" in n and "z-Werte" in n for n in view.notes)


def test_a_hidden_share_draws_no_bar_and_no_number_anywhere(source):  # noqa: F811
    public, exact = (
        deviations(source, _filters(), HIDDEN_ID),
        deviations(source, _filters(public=False), HIDDEN_ID),
    )
    row = public.table.index[public.table["Kennzahl"] == "Ausländeranteil"][0]
    columns = [f"{HIDDEN} (%)", "Abweichung (Pp.)"]
    assert public.hidden.loc[row, columns].all() and public.table.loc[row, columns].isna().all()
    assert public.text_table().loc[row, columns].tolist() == [SUPPRESSED, SUPPRESSED]
    assert not public.hidden.loc[row, f"{TOWN} insgesamt (%)"], "the town's share is published"
    # the exact view has them: 1 of 60 and its distance to the town
    secret_share = exact.table.loc[row, f"{HIDDEN} (%)"]
    secret_gap = exact.table.loc[row, "Abweichung (Pp.)"]
    assert secret_share == pytest.approx(1 / 60 * 100) and secret_gap == pytest.approx(
        1 / 60 * 100 - _town_share(2)
    )
    spoken = json.dumps(public.figure.to_plotly_json(), ensure_ascii=False, default=str) + " ".join(
        public.summary + public.notes
    )
    for secret in (secret_share, secret_gap):
        number = re.escape(f"{abs(secret):.1f}".replace(".", ","))
        assert not re.search(rf"(?<![\d,.]){number}(?!\d)", spoken), secret
    bars = public.figure.data[0]
    at = list(bars.y).index("Ausländeranteil")
    assert bars.x[at] == 0 and bars.text[at].startswith(SUPPRESSED)
    assert SUPPRESSED in bars.hovertext[at] and "%" not in bars.hovertext[at]
    assert any(n.startswith(f"Ohne Balken ({SUPPRESSED}): Ausländeranteil") for n in public.notes)
    assert (
        public.summary[-1] == f"Nicht ausgewiesen wegen kleiner Fallzahlen ({SUPPRESSED}): „Ausländeranteil“."
    )
    # the shown share beside it keeps its bar
    assert bars.x[list(bars.y).index("Anteil mit Migrationshintergrund")] < 0


def test_the_profile_opens_with_the_composite_chart_in_both_views(source):  # noqa: F811
    for f in (_filters(), _filters(public=False)):
        charts = profile(source, f, HIDDEN_ID).charts
        assert charts[0].key == KEY and sum(c.key == KEY for c in charts) == 1


def test_every_share_of_the_catalogue_gets_a_bar_also_a_citys_own(source):  # noqa: F811
    """The chart iterates the catalogue it is given: a city's own share (here a made-up one, in the
    table as a column) appears without any change to the chart."""
    f = _filters()
    table, city = indicator_table(source, f), city_row(source, f)
    assert [i.key for i in share_indicators(table)] == [
        k for k, i in CATALOGUE.items() if i.unit == PERCENT and k in table
    ]
    own = Indicator("sgb2_share_pct", "SGB-II-Quote", "SGB II", PERCENT, "SGB-II-Leistungsberechtigte / "
                    "Einwohner:innen × 100", "SGB II", "Einwohner:innen", "Jobcenter", "", decimals=1)  # fmt: skip
    extended = table.assign(sgb2_share_pct=[12.0, 8.0, 30.0, 9.0])
    city = city.copy()
    city["sgb2_share_pct"] = 10.0
    catalogue = {**CATALOGUE, own.key: own}
    frame = deviation_frame(extended, city, "01", set(), share_indicators(extended, catalogue))
    assert frame["key"].tolist()[-1] == "sgb2_share_pct"
    assert frame.set_index("key").loc["sgb2_share_pct", "deviation"] == pytest.approx(
        extended.loc[extended["district_id"] == "01", "sgb2_share_pct"].iloc[0] - 10.0
    )
    hidden = deviation_frame(extended, city, "01", {"sgb2_share_pct"}, share_indicators(extended, catalogue))
    assert hidden.set_index("key").loc["sgb2_share_pct", ["value", "deviation"]].isna().all()


def test_colours_reach_contrast_and_ticks_are_symmetric():
    for colour in (HIGHER, LOWER):
        assert contrast_ratio(colour, "white") >= 4.5, colour
    for top in (0.3, 4.2, 11.6, 28.7, 80.0):
        ticks = pp_ticks(top)
        assert ticks == [-t for t in reversed(ticks)] and 0 in ticks and ticks[-1] >= top
        assert 3 <= len(ticks) <= 9


def test_the_beamer_gets_large_type_and_wrapped_names(source):  # noqa: F811
    view = deviations(source, replace(_filters(), presentation=True), "01")
    layout = view.figure.layout
    assert layout.font.size >= 20 and layout.xaxis.tickfont.size >= 20
    assert all(len(line) <= 22 for t in layout.yaxis.ticktext for line in t.split("<br>"))


def test_the_profile_page_shows_the_chart_its_summary_and_table(town, monkeypatch):  # noqa: F811
    at = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": HIDDEN_ID})
    first = figures(at)[0]
    assert first["layout"]["title"]["text"].startswith(f"<b>{HIDDEN} im Vergleich mit {TOWN}")
    bar = first["data"][0]
    x = dict(zip(bar["y"], numbers(bar["x"]), strict=True))
    assert x["Ausländeranteil"] == 0
    texts = [m.value for m in at.markdown]
    assert any(t.startswith(f"{HIDDEN} im Vergleich mit {TOWN} insgesamt:") for t in texts)
    expanders = [e.label for e in at.expander]
    assert f"Tabelle zur Grafik: {HIDDEN} im Vergleich mit {TOWN}: alle Anteile" in expanders
    tables = [t.value for t in at.table if "Abweichung (Pp.)" in t.value.columns]
    assert len(tables) == 1
    assert tables[0].loc["Ausländeranteil", "Abweichung (Pp.)"] == SUPPRESSED
    # the beamer: the composite chart is the first slide
    beamer = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": "01", "praesentation": "1"})
    (slide,) = figures(beamer)
    assert slide["layout"]["title"]["text"].startswith("<b>Oberdorf im Vergleich")
    assert slide["layout"]["font"]["size"] >= 20


def test_luenen_brambauer_against_the_published_city(tmp_path):
    db = tmp_path / "luenen.duckdb"
    import_population(LUENEN, db, "Lünen", date(2020, 12, 31))
    store = Store(db)
    try:
        src = Source(store)
        dates = store.reference_dates("Lünen")
        f = Filters("Lünen", dates[-1], dates)
        ids = indicator_table(src, f)
        brambauer = ids.loc[ids["district"] == "Brambauer", "district_id"].iloc[0]
        view = deviations(src, f, brambauer)
    finally:
        store.close()
    text = view.text_table().set_index("Kennzahl")
    # seed 002: Brambauer 22,5 % against 15,1 %, MH 41,9 % against 34,4 %
    assert text.loc["Ausländeranteil"].tolist() == ["22,5 %", "15,1 %", "+7,4 Pp."]
    assert text.loc["Anteil mit Migrationshintergrund"].tolist() == ["41,9 %", "34,4 %", "+7,5 Pp."]
    assert pd.Index(text.index).is_unique


def test_on_a_phone_short_names_and_lines_that_fit(source):  # noqa: F811
    view = deviations(source, _filters(), "01", compact=True)
    bars = view.figure.data[0]
    assert list(bars.y) == ["Anteil MH", "Ausländeranteil"], "the catalogue's short labels"
    assert view.table["Kennzahl"].tolist() == ["Ausländeranteil", "Anteil mit Migrationshintergrund"]
    layout = view.figure.layout
    title = layout.title.text.removeprefix("<b>").removesuffix("</b>").split("<br>")
    assert len(title) >= 2 and all(text_width(line, 17, bold=True) <= PHONE_TITLE for line in title)
    (note,) = [a for a in layout.annotations if a.name == SOURCE_NAME]
    assert all(text_width(line, 11) <= PHONE_SOURCE for line in note.text.split("<br>"))
    assert layout.xaxis.tickangle == 0 and len(layout.xaxis.tickvals) <= 3
