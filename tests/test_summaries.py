"""The plain-language text under every chart (`ChartView.summary`, `charts.summaries`).

The sentences are made from the view's public table only. The test town hides the highest foreigner
share: Mühlenweiler has 2 foreigners among 10 residents (20 %), a count readers may not see. The
summary must name the highest value shown instead, say that some values are hidden, and never print
the hidden share — while the exact view (a signed-in editor) names Mühlenweiler, so the test can fail.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from charts.population_views import profile, share_map, time_series
from charts.refugee_views import allocations, occupancy
from charts.sentences import NBSP
from charts.summaries import ranking_summary, series_summary
from charts.view import Filters, Source
from data.population import import_population
from data.store import Store
from indicators.disclosure import SUPPRESSED
from tests.apptest import open_app
from tests.test_views import source  # noqa: F401 - a Source on this module's `town`

TOWN = "Kleinstadt"
DATES = (date(2023, 12, 31), date(2024, 12, 31))
HIDDEN = "Mühlenweiler"
#: per Stichtag: Stadtteil → (residents, foreigners, migration background)
FIGURES = {
    DATES[0]: {
        "Oberdorf": (1000, 90, 300),
        "Unterdorf": (800, 40, 200),
        "Heide": (500, 20, 60),
        HIDDEN: (10, 2, 4),
    },
    DATES[1]: {
        "Oberdorf": (1010, 101, 310),
        "Unterdorf": (790, 40, 190),
        "Heide": (500, 21, 60),
        HIDDEN: (10, 2, 4),
    },
}


def _text(sentences: list[str]) -> str:
    return " ".join(sentences).replace(NBSP, " ")


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summaries")
    db = folder / "town.duckdb"
    for day, rows in FIGURES.items():
        src = folder / f"stadtteile_{day.year}.csv"
        lines = [f"0{i};{name};{p};{f};{m}" for i, (name, (p, f, m)) in enumerate(rows.items(), start=1)]
        src.write_text("Nr;Stadtteil;Einwohner;Ausländer;Migrationshintergrund\n" + "\n".join(lines) + "\n",
                       encoding="utf-8")  # fmt: skip
        import_population(src, db, TOWN, day)
    return db


def _filters(src: Source, public: bool = True, districts: list[str] | None = None) -> Filters:
    return Filters(TOWN, DATES[1], src.reads.reference_dates(TOWN), public=public,
                   districts=districts or [])  # fmt: skip


def test_the_map_summary_names_the_highest_shown_value_when_the_highest_is_hidden(source):  # noqa: F811
    view = share_map(source, _filters(source), "foreigner_share_pct")
    row = view.table["Stadtteil"] == HIDDEN
    assert view.hidden.loc[row, "Ausländeranteil (%)"].all(), "the fixture must hide Mühlenweiler's share"
    text = _text(view.summary)
    assert 2 <= len(view.summary) <= 4
    assert "unter den ausgewiesenen Werten: am höchsten in Oberdorf (10,0 %)" in text
    assert "am niedrigsten in Unterdorf (5,1 %)" in text
    # Heide's count is hidden too, else Mühlenweiler's 2 would follow from the town's published total
    assert f"Nicht ausgewiesen wegen kleiner Fallzahlen ({SUPPRESSED}): Heide und {HIDDEN}." in text
    assert "Kleinstadt insgesamt: 7,1 %; 1 von 2 Stadtteilen liegt darüber." in text  # 164 / 2310
    assert "20,0" not in text and "am höchsten in Mühlenweiler" not in text

    exact = share_map(source, _filters(source, public=False), "foreigner_share_pct")
    assert "am höchsten in Mühlenweiler (20,0 %)" in _text(exact.summary)
    assert "ausgewiesen" not in _text(exact.summary)


def test_no_summary_prints_a_value_the_public_table_hides(source):  # noqa: F811
    """Every hidden cell of the public views: its exact value (as the exact view formats it in its
    own summary) appears in no public summary of the same chart."""
    public, exact = _filters(source), _filters(source, public=False)
    pairs = [(share_map(source, public, k), share_map(source, exact, k))
             for k in ("foreigner_share_pct", "migration_background_share_pct")]  # fmt: skip
    for district in ("01", "02", "03", "04"):
        pairs += list(zip(profile(source, public, district).charts, profile(source, exact, district).charts,
                          strict=True))  # fmt: skip
    checked = 0
    for shown_view, exact_view in pairs:
        if not shown_view.shown:
            continue
        assert shown_view.summary, shown_view.title
        text = _text(shown_view.summary)
        for column in shown_view.table.columns:
            if not str(column).endswith("(%)"):
                continue
            for row in shown_view.table.index[shown_view.hidden[column].to_numpy()]:
                secret = f"{exact_view.table.loc[row, column]:.1f}".replace(".", ",") + " %"
                assert secret not in text, (shown_view.title, secret, text)
                checked += 1
    assert checked >= 4, "the town hides shares: the test must meet some"


def test_the_profile_of_the_hidden_stadtteil_says_so_without_a_number(source):  # noqa: F811
    charts = {c.key: c for c in profile(source, _filters(source), "04").charts}
    rank = _text(charts["profil-rang-foreigner_share_pct"].summary)
    assert f"Der Wert von {HIDDEN} wird wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})." in rank
    series = _text(charts["profil-zeitreihe-foreigner_share_pct"].summary)
    assert f"in {HIDDEN}:" not in series, "a line with no shown value gets no sentence"
    assert "Ausländeranteil in Kleinstadt insgesamt: vom 31.12.2023 bis zum 31.12.2024" in series
    assert "verglichen werden nur die ausgewiesenen" in series


def test_a_time_series_summary_gives_first_and_last_stichtag_and_the_change_in_points(source):  # noqa: F811
    view = time_series(source, _filters(source, districts=["01", "02"]), "foreigner_share_pct")
    text = _text(view.summary)
    # Oberdorf 90/1000 → 101/1010; the town 152/2310 → 164/2310
    assert "Ausländeranteil in Kleinstadt insgesamt: vom 31.12.2023 bis zum 31.12.2024 von 6,6 % auf 7,1 % " \
           "gestiegen (+0,5 Pp.)." in text  # fmt: skip
    assert "am stärksten in Oberdorf (+1,0 Pp.), am schwächsten in Unterdorf (+0,1 Pp.)" in text


def test_series_summary_starts_a_line_at_its_first_shown_value():
    table = pd.DataFrame({"Stichtag": pd.to_datetime(["2020-12-31", "2021-12-31", "2022-12-31"]),
                          "Nord (%)": [None, 12.0, 14.5], "Stadt (%)": [10.0, 10.2, 10.0]})  # fmt: skip
    hidden = pd.DataFrame({"Stichtag": False, "Nord (%)": [True, False, False], "Stadt (%)": False})
    text = _text(series_summary(table, hidden, "Ausländeranteil", "Stadt"))
    assert (
        "Ausländeranteil in Nord: vom 31.12.2021 bis zum 31.12.2022 von 12,0 % auf 14,5 % gestiegen (+2,5 Pp.)."
        in text
    )
    assert (
        "in Stadt insgesamt: vom 31.12.2020 bis zum 31.12.2022 von 10,0 % auf 10,0 % gleich geblieben (±0,0 Pp.)."
        in text
    )
    assert f"nicht ausgewiesen ({SUPPRESSED})" in text


def test_ranking_summary_reads_no_hidden_cell_even_if_the_table_held_one():
    """A hidden cell that still holds a number (it never should) is not read."""
    table = pd.DataFrame(
        {"Stadtteil": ["A", "B", "C", "Stadt"], "Ausländeranteil (%)": [30.0, 10.0, 5.0, 12.0]}
    )
    hidden = table.assign(**{"Stadtteil": False, "Ausländeranteil (%)": [True, False, False, False]})
    text = _text(ranking_summary(table, hidden, "foreigner_share_pct", "Stadtteil", "Stadt", with_city=True))
    assert "30,0" not in text and "am höchsten in B (10,0 %)" in text and "A." in text


def test_every_chart_of_the_demo_has_a_summary(demo_db):
    store = Store(demo_db)
    try:
        src = Source(store)
        dates = store.reference_dates("Musterstadt")
        f = Filters("Musterstadt", dates[-1], dates)
        views = [share_map(src, f, "foreigner_share_pct"), time_series(src, f, "foreigners")]
        views += profile(src, f, "011").charts + allocations(src, f).charts + occupancy(src, f).charts
    finally:
        store.close()
    assert len(views) >= 15
    for view in views:
        assert 1 <= len(view.summary) <= 4, (view.title, view.summary)
        assert all(s.endswith(".") and "nan" not in s and "–" not in s for s in view.summary), view.summary


def test_the_karte_shows_the_summary_under_the_chart_before_the_notes(town, monkeypatch):
    at = open_app(monkeypatch, town, "pages/karte.py")
    main = [node for node in at.main if node.type in ("plotly_chart", "markdown", "caption")]
    kinds = [node.type for node in main]
    chart = kinds.index("plotly_chart")
    summary = main[chart + 1]
    assert summary.type == "markdown" and "am höchsten in Oberdorf" in summary.value
    assert kinds[chart + 2] == "caption", "the notes follow the summary"


def test_names_in_a_summary_are_shown_as_written():
    """A name from a file like `[x](http://…)` is never a link in the summary under a chart."""
    from streamlit.testing.v1 import AppTest

    def page():
        from pages.components.setup import chart_summary

        chart_summary(["Am höchsten in [Nord](http://example.org) (12,0 %).", "Stadt: 10,0 %."])

    at = AppTest.from_function(page).run()
    (text,) = [m.value for m in at.markdown]
    assert text == "Am höchsten in \\[Nord\\](http://example.org) (12,0 %). Stadt: 10,0 %."


def test_a_change_agrees_with_the_two_values_printed_beside_it():
    """10,61… % → 16,76… % is printed as 10,6 % and 16,8 %: the change says +6,2 Pp., not the +6,1 of
    the unrounded values, which a reader would take for a mistake."""
    table = pd.DataFrame({"Stichtag": pd.to_datetime(["2010-12-31", "2024-12-31"]),
                          "Stadt (%)": [10.613838, 16.761713]})  # fmt: skip
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    text = _text(series_summary(table, hidden, "Ausländeranteil", "Stadt"))
    assert "von 10,6 % auf 16,8 % gestiegen (+6,2 Pp.)" in text
