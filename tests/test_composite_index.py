"""The configured combined index (issue 20, as in Berlin's MSS): status and dynamics index from
z-scores, the weights from a TOML file, and the Stadtteilprofil and Methodik page on Kleinstadt
(`tests/test_atlas.py`), where Mühlenweiler's foreigners (2 in 2023, 1 in 2024) are hidden from readers.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

import settings
from charts.index_views import index_views
from charts.population_views import profile
from charts.protect import hidden_cells
from charts.reads import indicator_table
from indicators.catalogue import CATALOGUE
from indicators.composite_index import check_weights, composite_index, index_classes, z_scores
from indicators.disclosure import SUPPRESSED
from tests.apptest import figures, open_app
from tests.test_atlas import DATES, DISTRICTS, HIDDEN, HIDDEN_ID, TOWN, _filters, source, town  # noqa: F401

WEIGHTS = {"foreigner_share_pct": 2.0, "migration_background_share_pct": 1.0}


def _frame(x: list[float], y: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["a", "b", "c", "d"], "x": x, "y": y})


# --- the pure computation -------------------------------------------------------------------------


def test_z_scores_by_hand():
    z = z_scores(_frame([10, 20, 30, 40], [5, 5, 8, 2])[["x", "y"]])
    # x: mean 25, population sd √125; y: mean 5, sd √4,5
    assert z["x"].tolist() == pytest.approx([-15 / 125**0.5, -5 / 125**0.5, 5 / 125**0.5, 15 / 125**0.5])
    assert z["y"].tolist() == pytest.approx([0, 0, 3 / 4.5**0.5, -3 / 4.5**0.5])
    flat = z_scores(pd.DataFrame({"x": [3.0, 3.0, 3.0]}))
    assert flat["x"].tolist() == [0, 0, 0], "no spread: everyone at the mean"


def test_status_and_dynamics_are_weighted_means_of_z_scores_kept_apart():
    now, before = _frame([10, 20, 30, 40], [5, 5, 8, 2]), _frame([9, 20, 28, 41], [5, 4, 8, 2])
    out = composite_index(now, {"x": 2, "y": 1}, before).set_index("district_id")
    zx = [-15 / 125**0.5, -5 / 125**0.5, 5 / 125**0.5, 15 / 125**0.5]
    zy = [0, 0, 3 / 4.5**0.5, -3 / 4.5**0.5]
    assert out["status"].tolist() == pytest.approx([(2 * a + b) / 3 for a, b in zip(zx, zy, strict=True)])
    # changes: x +1, 0, +2, −1 (mean 0,5, sd √1,25); y 0, +1, 0, 0 (mean 0,25, sd √0,1875)
    dx = [(v - 0.5) / 1.25**0.5 for v in (1, 0, 2, -1)]
    dy = [(v - 0.25) / 0.1875**0.5 for v in (0, 1, 0, 0)]
    assert out["dynamics"].tolist() == pytest.approx([(2 * a + b) / 3 for a, b in zip(dx, dy, strict=True)])
    assert out["status_rank"].tolist() == [4, 3, 1, 2]
    assert out["dynamics_rank"].tolist() == [3, 2, 1, 4]
    assert not math.isclose(out.loc["c", "status"] + out.loc["c", "dynamics"], out.loc["c", "status"])


def test_a_hidden_input_gives_no_index_and_stays_out_of_the_others():
    now = _frame([10, 20, 30, 40], [5, 5, 8, 2])
    hidden = now.assign(x=[False, False, False, True], y=False)
    out = composite_index(now, {"x": 2, "y": 1}, hidden=hidden).set_index("district_id")
    assert pd.isna(out.loc["d", "status"]) and out.loc["d", "hidden"] and pd.isna(out.loc["d", "status_rank"])
    # z over a, b, c only: x mean 20, sd √(200/3); y mean 6, sd √2
    zx = [-10 / (200 / 3) ** 0.5, 0, 10 / (200 / 3) ** 0.5]
    zy = [-1 / 2**0.5, -1 / 2**0.5, 2 / 2**0.5]
    expected = [(2 * a + b) / 3 for a, b in zip(zx, zy, strict=True)]
    assert out.loc[["a", "b", "c"], "status"].tolist() == pytest.approx(expected)
    assert out["dynamics"].isna().all(), "no previous Stichtag, no dynamics"


def test_classes_follow_the_spread_of_the_index():
    index = pd.Series([-2.0, -0.5, 0.5, 2.0, float("nan")])  # sd √2,125 ≈ 1,46
    assert index_classes(index).tolist()[:4] == ["niedrig", "eher niedrig", "eher hoch", "hoch"]
    assert pd.isna(index_classes(index).iloc[4])


def test_weights_are_checked_against_the_municipalitys_catalogue():
    problems = check_weights(
        {"sgb2_pct": 1, "population": 1, "foreigner_share_pct": 0, "migration_background_share_pct": -2},
        CATALOGUE,
        "Lünen",
    )
    assert len(problems) == 4
    assert "unbekannte Kennzahl „sgb2_pct“" in problems[0]
    assert "„population“" in problems[1] and "kein Anteil" in problems[1]
    assert all("positive Zahl" in p for p in problems[2:])
    assert check_weights(WEIGHTS, CATALOGUE, "Lünen") == []


# --- the settings ---------------------------------------------------------------------------------


def test_the_weights_file_is_read_and_every_problem_named(tmp_path, monkeypatch):
    assert settings.index_weights(tmp_path / "fehlt.toml") == {}
    good = tmp_path / "gesamtindex.toml"
    good.write_text('["Lünen".gewichte]\nforeigner_share_pct = 2\nown_sgb2_pct = 0.5\n', encoding="utf-8")
    monkeypatch.setenv(settings.INDEX.name, str(good))
    assert settings.index_weights() == {"Lünen": {"foreigner_share_pct": 2.0, "own_sgb2_pct": 0.5}}
    bad = tmp_path / "falsch.toml"
    bad.write_text('["Lünen".gewichte]\na = 0\nb = "zwei"\n[Unna]\nx = 1\n', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        settings.index_weights(bad)
    text = str(error.value)
    assert "Gewicht von „a“ muss eine positive Zahl sein" in text and "„b“" in text
    assert "[Unna]: Tabelle „gewichte“" in text
    broken = tmp_path / "kaputt.toml"
    broken.write_text("[Lünen.gewichte\n", encoding="utf-8")
    with pytest.raises(ValueError, match="keine gültige TOML-Datei"):
        settings.index_weights(broken)


# --- the views and pages --------------------------------------------------------------------------


@pytest.fixture
def configured(tmp_path, monkeypatch):
    path = tmp_path / "gesamtindex.toml"
    lines = "\n".join(f"{k} = {v}" for k, v in WEIGHTS.items())
    path.write_text(f'["{TOWN}".gewichte]\n{lines}\n', encoding="utf-8")
    monkeypatch.setenv(settings.INDEX.name, str(path))
    return path


def _shares(year: int) -> dict[str, tuple[float, float]]:
    """district id → (foreigner share, MH share) in `year` (the test's own arithmetic)."""
    i = [d.year for d in DATES].index(year)
    return {nr: (f[i] / p * 100, (2 * f[i] + 5) / p * 100) for nr, (_, p, f) in DISTRICTS.items()}


def _status(ids: list[str], year: int) -> dict[str, float]:
    shares = _shares(year)
    out = {}
    columns = list(zip(*[shares[i] for i in ids], strict=True))
    stats = [(sum(c) / len(c), (sum((v - sum(c) / len(c)) ** 2 for v in c) / len(c)) ** 0.5) for c in columns]
    for i in ids:
        z = [(shares[i][k] - stats[k][0]) / stats[k][1] for k in range(2)]
        out[i] = (2 * z[0] + z[1]) / 3
    return out


def test_no_weights_no_index(source, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv(settings.INDEX.name, str(tmp_path / "keine.toml"))
    assert index_views(source, _filters(), "01") == []
    view = profile(source, _filters(), "01")
    assert any("Kein Gesamtindex" in n for n in view.charts[0].notes)


def test_the_reader_sees_no_index_for_a_district_with_a_hidden_value(source, configured):  # noqa: F811
    status, dynamics = index_views(source, _filters(), "01")
    table = status.text_table().set_index("Stadtteil")
    # the public view decides which shares readers see: Mühlenweiler's, and one more so that the
    # town's total does not give it away
    public = indicator_table(source, _filters())
    secret = hidden_cells(public)[list(WEIGHTS)].any(axis=1).to_numpy()
    hidden_ids = set(public.loc[secret, "district_id"])
    assert HIDDEN_ID in hidden_ids and len(hidden_ids) < len(DISTRICTS) - 1
    for nr in hidden_ids:
        assert table.loc[DISTRICTS[nr][0]].tolist() == [SUPPRESSED] * 3
    shown = [nr for nr in DISTRICTS if nr not in hidden_ids]
    expected = _status(shown, 2024)  # the hidden stay out of mean and spread
    assert status.table.set_index("Stadtteil").loc["Oberdorf", "Status-Index"] == round(expected["01"], 1)
    ranks = sorted(expected, key=expected.get, reverse=True)
    assert table.loc["Oberdorf", "Rang"] == str(ranks.index("01") + 1)
    assert status.summary[0].startswith("Oberdorf: Statusindex ")
    assert dynamics.text_table().set_index("Stadtteil").loc[HIDDEN, "Dynamik-Index"] == SUPPRESSED
    bars = status.figure.data[0]
    assert not hidden_ids & {nr for nr, d in DISTRICTS.items() if d[0] in list(bars.y)}
    assert any(HIDDEN in n and SUPPRESSED in n for n in status.notes)
    assert any("nicht zusammengezählt" in n for n in status.notes)
    assert any("kein Maß für Benachteiligung" in n for n in status.notes)
    # the hidden district's own profile says so, naming no value
    own = index_views(source, _filters(), HIDDEN_ID)[0]
    assert "kein Statusindex" in own.summary[0] and not any(c.isdigit() for c in own.summary[0])
    # an editor with exact values sees all four
    exact = index_views(source, _filters(public=False), "01")[0]
    assert exact.table["Status-Index"].notna().all() and not exact.hidden.to_numpy().any()
    low, high = exact.figure.layout.xaxis.range
    assert low <= exact.table["Status-Index"].min() < 0 < exact.table["Status-Index"].max() <= high
    assert exact.table.set_index("Stadtteil").loc["Oberdorf", "Status-Index"] == round(
        _status(list(DISTRICTS), 2024)["01"], 1
    )


def test_a_single_stichtag_has_no_dynamics_and_a_wrong_key_is_reported(source, configured):  # noqa: F811
    first = replace(_filters(when=DATES[0]), dates=DATES[:1])
    assert [v.key for v in index_views(source, first, "01")] == ["profil-gesamtindex-status"]
    configured.write_text(f'["{TOWN}".gewichte]\nsgb2_pct = 1\n', encoding="utf-8")
    (view,) = index_views(source, _filters(), "01")
    assert view.figure is None and "unbekannte Kennzahl „sgb2_pct“" in view.withheld
    assert "fehlerhaft" in profile(source, _filters(), "01").charts[0].notes[2]


def test_the_profile_page_shows_both_indices(town, configured, monkeypatch):  # noqa: F811
    at = open_app(monkeypatch, town, "pages/profil.py", query={"stadtteile": "01"})
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert titles[0].startswith("<b>Oberdorf im Vergleich")
    assert titles[1].startswith("<b>Statusindex: Oberdorf") and titles[2].startswith(
        "<b>Dynamikindex: Oberdorf"
    )
    captions = " ".join(c.value for c in at.caption)
    assert "Ein Gesamtindex ist eingestellt" in captions and "Kein Gesamtindex" not in captions
    texts = " ".join(m.value for m in at.markdown)
    assert "Oberdorf: Statusindex" in texts


def test_the_methodik_page_describes_the_index(town, configured, monkeypatch):  # noqa: F811
    at = open_app(monkeypatch, town, "pages/methodik.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Statusindex" in text and "Dynamikindex" in text and "nie addiert" in text
    assert "Ausländeranteil (Gewicht 2)" in text and "Anteil mit Migrationshintergrund (Gewicht 1)" in text
    assert "kein Maß für Benachteiligung" in text


def test_a_citys_own_share_can_be_weighted_and_stays_protected(tmp_path, monkeypatch):
    """Kleinstadt with its own share of children under 6 (`tests/test_own_indicators_pages.py`):
    Mühlenweiler's 2 children are hidden from readers, so it gets no index there; an editor's exact
    index is the test's own arithmetic over all four Stadtteile."""
    from contextlib import closing

    from charts.view import Filters, Source
    from data.store import Store
    from tests import test_own_indicators_pages as own

    db = own.town.__wrapped__(tmp_path_factory=_Factory(tmp_path))
    path = tmp_path / "gesamtindex.toml"
    path.write_text(
        f'["{TOWN}".gewichte]\n{own.KEY} = 3\nmigration_background_share_pct = 1\n', encoding="utf-8"
    )
    monkeypatch.setenv(settings.INDEX.name, str(path))
    shares = {nr: (u6 / n * 100, (2 * f + 5) / n * 100) for nr, (_, n, f, u6) in own.DISTRICTS.items()}
    mean = [sum(v[k] for v in shares.values()) / 4 for k in range(2)]
    sd = [(sum((v[k] - mean[k]) ** 2 for v in shares.values()) / 4) ** 0.5 for k in range(2)]
    expected = (3 * (shares["01"][0] - mean[0]) / sd[0] + (shares["01"][1] - mean[1]) / sd[1]) / 4
    with closing(Store(db)) as store:
        src = Source(store)
        dates = store.reference_dates(TOWN)
        exact = index_views(src, Filters(TOWN, dates[-1], dates, public=False), "01")[0]
        public = index_views(src, Filters(TOWN, dates[-1], dates), "01")[0]
    assert exact.table.set_index("Stadtteil").loc["Oberdorf", "Status-Index"] == round(expected, 1)
    assert public.text_table().set_index("Stadtteil").loc["Mühlenweiler", "Status-Index"] == SUPPRESSED
    assert any("Anteil Kinder unter 6 Jahren (Gewicht 3)" in n for n in public.notes)
    at = open_app(monkeypatch, db, "pages/profil.py", query={"stadtteile": "03"})
    text = own._text(at)
    assert "Für Mühlenweiler wird kein Statusindex ausgewiesen" in text
    assert not own.SECRETS.search(text)


class _Factory:
    """`tmp_path_factory` for calling a module-scoped fixture's function once, directly."""

    def __init__(self, root):
        self.root = root

    def mktemp(self, name):
        folder = self.root / name
        folder.mkdir()
        return folder
