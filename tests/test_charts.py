"""Figure builders (charts/population_figures.py) and the pure frame helpers of charts/."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from charts.frames import (
    extremes,
    indexed,
    key_figures,
    largest,
    line_frame,
    nationality_mix,
    nationality_table,
    profile_table,
    pyramid,
    text_filter,
)
from charts.population_figures import (
    ACCENT,
    MUTED,
    REFERENCE_COLOUR,
    age_pyramid_chart,
    date_ticks,
    nationality_bar,
    ranking_highlight,
    time_series,
)
from charts.tables import csv_bytes, excel_bytes, german_headers, imports_table, sources_table, tidy
from indicators.catalogue import get
from indicators.shares import shares

LUENEN = pd.DataFrame(
    {
        "district_id": ["ALS", "BRA", "GAH", "NIE"],
        "district": ["Alstedde", "Brambauer", "Gahmen", "Niederaden"],
        "population": [6417, 19265, 3839, 2212],
        "foreigners": [538, 4344, 894, 50],
        "migration_background": [1453, 8072, 1813, 313],
    }
)


def _series() -> pd.DataFrame:
    rows = []
    for year, factor in ((2019, 0.95), (2020, 1.0)):
        for r in LUENEN.itertuples(index=False):
            rows.append(
                {
                    "reference_date": pd.Timestamp(year, 12, 31),
                    "district_id": r.district_id,
                    "district": r.district,
                    "value": r.foreigners / r.population * 100 * factor,
                }
            )
    return pd.DataFrame(rows)


def _detail() -> pd.DataFrame:
    rows = []
    for district, scale in (("BRA", 10), ("GAH", 2)):
        for nationality, persons in (
            ("Deutschland", 50),
            ("Türkei", 12),
            ("Syrien", 5),
            ("Polen", 3),
            ("Italien", 1),
        ):
            for age, sex, status in (("0-5", "m", "mit"), ("25-44", "w", "ohne"), ("80+", "w", "mit")):
                rows.append(
                    {
                        "reference_date": pd.Timestamp(2020, 12, 31),
                        "district_id": district,
                        "nationality": nationality,
                        "age_group": age,
                        "sex": sex,
                        "migration_status": status,
                        "persons": persons * scale,
                    }
                )
    return pd.DataFrame(rows)


def _numbers(values) -> np.ndarray:
    """Plotly 7 may hold arrays as numpy or as {"dtype", "bdata"}; give floats either way."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)


# --- figure builders -----------------------------------------------------------------------------


def test_time_series_lines_reference_dashed_and_german_hover():
    frame = _series()
    city = pd.DataFrame(
        {"reference_date": [pd.Timestamp(2019, 12, 31), pd.Timestamp(2020, 12, 31)], "value": [14.3, 15.1]}
    ).assign(district="Lünen")
    frame = pd.concat([frame, city], ignore_index=True)
    fig = time_series(
        frame, get("foreigner_share_pct"), title="T, Lünen", source="Quelle: X", reference="Lünen"
    )
    assert [t.name for t in fig.data] == ["Alstedde", "Brambauer", "Gahmen", "Niederaden", "Lünen"]
    city_trace = fig.data[-1]
    assert city_trace.line.dash == "dash" and city_trace.line.color == REFERENCE_COLOUR
    assert all(t.line.dash == "solid" for t in fig.data[:-1])
    assert "Ausländeranteil: 22,5 %" in fig.data[1].hovertext[1]
    assert "31.12.2020" in fig.data[1].hovertext[1]
    assert fig.layout.separators == ",."
    assert list(fig.layout.xaxis.ticktext) == ["2019", "2020"]
    assert fig.layout.xaxis.title.text == "Stichtag (jeweils 31.12.)"
    assert fig.layout.yaxis.ticksuffix == " %"
    assert "T, Lünen" in fig.layout.title.text
    assert any(a.text == "Quelle: X" for a in fig.layout.annotations)


def test_time_series_indexed_shows_index_and_original_value():
    frame = indexed(_series(), date(2019, 12, 31))
    fig = time_series(frame, get("foreigner_share_pct"), title="T", source="Q", index_base="31.12.2019")
    brambauer = fig.data[1]
    assert _numbers(brambauer.y)[0] == pytest.approx(100)
    assert _numbers(brambauer.y)[1] == pytest.approx(100 / 0.95)
    assert "Index (31.12.2019 = 100): 105,3" in brambauer.hovertext[1]
    assert "Ausländeranteil: 22,5 %" in brambauer.hovertext[1]
    assert fig.layout.yaxis.title.text == "Index (31.12.2019 = 100)"


def test_presentation_mode_has_large_type():
    fig = time_series(_series(), get("foreigner_share_pct"), title="T", source="Q", presentation=True)
    assert fig.layout.font.size >= 20
    assert fig.layout.xaxis.tickfont.size >= 20 and fig.layout.yaxis.tickfont.size >= 20


def test_date_ticks_keep_the_latest_and_thin_out():
    dates = pd.date_range("2010-12-31", periods=15, freq="YE")
    values, texts = date_ticks(dates, max_ticks=8)
    assert len(values) <= 8
    assert texts[-1] == "2024"
    assert date_ticks([]) == ([], [])
    quarters = pd.to_datetime(["2023-12-31", "2024-03-31", "2024-06-30"])
    assert date_ticks(quarters)[1] == ["31.12.2023", "31.03.2024", "30.06.2024"]


def test_source_line_sits_below_the_axis_title():
    fig = time_series(_series(), get("foreigner_share_pct"), title="T", source="Quelle: X")
    (source,) = [a for a in fig.layout.annotations if a.text == "Quelle: X"]
    assert source.yshift <= -60
    assert fig.layout.margin.b >= 78


def test_nationality_bar_largest_on_top_and_rest_grey():
    mix = nationality_mix(_detail(), "BRA", n=2)
    assert mix["nationality"].tolist() == ["Türkei", "Syrien", "Übrige"]
    fig = nationality_bar(mix, title="T", source="Q")
    bar = fig.data[0]
    assert list(bar.y) == ["Übrige", "Syrien", "Türkei"]  # plotly draws bottom-up
    assert list(bar.marker.color) == [MUTED, ACCENT, ACCENT]
    assert bar.text[-1] == "360 (57,1 %)"  # 12 × 10 × 3 rows of Türkei of 630 foreigners
    assert "360 Personen" in bar.hovertext[-1]


def test_age_pyramid_men_left_women_right_stacked():
    ages = pyramid(_detail(), "GAH")
    fig = age_pyramid_chart(ages, title="T", source="Q")
    assert fig.layout.barmode == "relative"
    names = {(t.name, t.legendgroup, bool(t.showlegend)) for t in fig.data}
    assert ("mit Migrationshintergrund", "mit", True) in names
    assert _numbers(fig.data[0].x).sum() == -2 * 50 - 2 * 12 - 2 * 5 - 2 * 3 - 2 * 1  # men 0–5 with MH
    assert all(_numbers(t.x).max() <= 0 for t in fig.data[:2])
    assert all(_numbers(t.x).min() >= 0 for t in fig.data[2:])
    assert list(fig.data[0].y) == ["0–5", "25–44", "80+"]
    ticks = list(fig.layout.xaxis.ticktext)
    assert all(not t.startswith(("-", "−")) for t in ticks), ticks
    assert "." in "".join(ticks) or max(abs(v) for v in fig.layout.xaxis.tickvals) < 1000


def test_ranking_highlight_marks_one_district():
    table = shares(LUENEN)
    values = table[["district_id", "district"]].assign(value=table["foreigner_share_pct"])
    fig = ranking_highlight(
        values,
        get("foreigner_share_pct"),
        "Brambauer",
        title="T",
        source="Q",
        reference=15.1,
        reference_label="Lünen",
    )
    bar = fig.data[0]
    colours = dict(zip(bar.y, bar.marker.color, strict=True))
    assert colours["Brambauer"] == ACCENT
    assert {colours[n] for n in ("Alstedde", "Gahmen", "Niederaden")} == {MUTED}
    assert "22,5 %" in list(bar.text)


# --- frames --------------------------------------------------------------------------------------


def test_extremes_and_largest():
    table = shares(LUENEN)
    top = extremes(table, "foreigner_share_pct", n=1)
    assert top["Stadtteil"].tolist() == ["Gahmen", "Niederaden"]
    assert top["Wert"].tolist() == ["23,3 %", "2,3 %"]
    assert top["Rang"].tolist() == [1, 4]
    assert len(extremes(table, "foreigner_share_pct", n=3)) == 4  # every district once
    assert largest(table, 2) == ["BRA", "ALS"]


def test_key_figures_with_and_without_previous_stichtag():
    city = {
        "population": 87815,
        "foreigner_share_pct": 15.098,
        "migration_background_share_pct": 34.37,
        "population_change": -412,
        "foreigner_share_change_pp": 0.44,
        "migration_background_share_change_pp": -0.04,
    }
    figures = key_figures(city, 24.8, -0.26, date(2019, 12, 31))
    assert [(f["label"], f["value"], f["delta"], f["delta_arrow"]) for f in figures] == [
        ("Einwohner:innen", "87.815", "−412", "down"),
        ("Ausländeranteil", "15,1 %", "+0,4 Pp.", "up"),
        ("Mit Migrationshintergrund", "34,4 %", "±0,0 Pp.", "off"),
        ("Segregationsindex", "24,8", "−0,3", "down"),
    ]
    assert all(f.get("delta_color", "gray") == "gray" for f in figures)
    alone = key_figures({"population": 87815, "foreigner_share_pct": 15.1}, 24.8, None, None)
    assert [f["value"] for f in alone] == ["87.815", "15,1 %", "–", "24,8"]
    assert not any("delta" in f for f in alone)


def test_profile_table_district_beside_city():
    table = shares(LUENEN)
    city = pd.Series({"population": 87815, "foreigner_share_pct": 13259 / 87815 * 100})
    profile = profile_table(table, city, "BRA", "Brambauer").set_index("key")
    assert profile.loc["foreigner_share_pct", "Brambauer"] == "22,5\u00a0%"  # kept on one line
    profile = profile.replace("\u00a0", " ", regex=True)
    assert profile.loc["population", "Brambauer"] == "19.265"
    assert profile.loc["population", "Gesamtstadt"] == "87.815"
    assert profile.loc["foreigner_share_pct", "Brambauer"] == "22,5 %"
    assert profile.loc["foreigner_share_pct", "Gesamtstadt"] == "15,1 %"
    assert profile.loc["foreigner_share_rank", "Brambauer"] == "2 von 4"
    assert profile.loc["foreigner_share_lq", "Gesamtstadt"] == "–"
    with pytest.raises(KeyError):
        profile_table(table, city, "XYZ", "X")


def test_line_frame_and_index():
    series = _series().rename(columns={"value": "foreigner_share_pct"})
    city = pd.DataFrame({"reference_date": [pd.Timestamp(2020, 12, 31)], "foreigner_share_pct": [15.1]})
    lines = line_frame(series, city, "foreigner_share_pct", ["GAH", "BRA"], "Lünen")
    assert list(dict.fromkeys(lines["district"])) == ["Brambauer", "Gahmen", "Lünen"]
    out = indexed(lines, date(2020, 12, 31))
    assert out.loc[out["district"] == "Lünen", "value"].tolist() == [100.0]
    assert out.loc[out["district"] == "Brambauer", "value"].round(6).tolist() == [95.0, 100.0]
    assert "raw" in out and not out.equals(lines)
    assert indexed(lines, date(2018, 12, 31))["value"].isna().all()


def test_nationality_table_and_text_filter():
    names = {"BRA": "Brambauer", "GAH": "Gahmen"}
    table = nationality_table(_detail(), names)
    assert set(table["nationality"]) == {"Türkei", "Syrien", "Polen", "Italien"}
    bra = table[table["district"] == "Brambauer"]
    assert bra["share_pct"].sum() == pytest.approx(100)
    assert bra.iloc[0]["nationality"] == "Türkei"
    assert set(text_filter(table, "türk", ["district", "nationality"])["nationality"]) == {"Türkei"}
    assert set(text_filter(table, "gahm", ["district", "nationality"])["district"]) == {"Gahmen"}
    assert text_filter(table, "  ", ["district"]).equals(table)


def test_downloads_open_in_german_excel():
    frame = tidy(shares(LUENEN).assign(reference_date=pd.Timestamp(2020, 12, 31), minors=pd.NA))
    assert "minors" not in frame  # columns without any value are left out
    raw = german_headers(frame)
    assert {"Stadtteil", "Schlüssel", "Stichtag", "Einwohner:innen", "Ausländeranteil (%)"} <= set(
        raw.columns
    )
    data = csv_bytes(raw)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("Stadtteil;Schlüssel;Stichtag;Einwohner:innen;")
    assert "Alstedde;ALS;31.12.2020;6417;538;1453;" in first
    assert ";8,38398" in first  # decimal comma, unrounded
    workbook = openpyxl.load_workbook(io.BytesIO(excel_bytes({"Kennzahlen": raw})))
    sheet = workbook["Kennzahlen"]
    assert sheet["A1"].value == "Stadtteil"
    assert sheet["D2"].value == 6417
    assert sheet["C2"].number_format == "DD.MM.YYYY"


def test_sources_and_imports_tables():
    municipalities = pd.DataFrame(
        {
            "name": ["Köln", "Lünen", "Musterstadt"],
            "ags": ["05315000", None, "05999999"],
            "synthetic": [False, False, True],
            "source": [None, None, "Synthetische Demodaten"],
        }
    )
    sources = sources_table(municipalities).set_index("Kommune")
    assert sources.loc["Köln", "Quelle und Lizenz"] == "Stadt Köln, Offene Daten Köln, Lizenz CC-BY"
    assert sources.loc["Musterstadt", "Daten"] == "synthetisch (erfunden)"
    assert sources.loc["Lünen", "AGS"] == "–"
    log = imports_table(
        pd.DataFrame(
            {
                "import_id": [1],
                "kind": ["population"],
                "municipality": ["Lünen"],
                "file_name": ["a.csv"],
                "imported_at": [pd.Timestamp(2021, 3, 1, 9, 5)],
                "imported_by": ["x"],
                "rows": [13000],
                "replaced": [""],
            }
        )
    )
    assert log.iloc[0].to_dict() == {
        "Nr.": 1,
        "Zeitpunkt": "01.03.2021 09:05",
        "Art": "Einwohnerzahlen",
        "Kommune": "Lünen",
        "Datei": "a.csv",
        "Zeilen": "13.000",
        "durch": "x",
        "ersetzt": "–",
    }
    assert imports_table(pd.DataFrame()).empty
