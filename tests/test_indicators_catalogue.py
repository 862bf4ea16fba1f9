"""The catalogue describes every indicator column, in German."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from indicators import catalogue
from indicators.catalogue import CATALOGUE, UNITS, Indicator, get, map_indicators
from indicators.shares import ID_COLUMNS, changes, municipality_series, shares
from tests.test_indicators_shares import LUENEN, counts_frame

REQUIRED = [
    "population",
    "foreigners",
    "foreigner_share_pct",
    "migration_background",
    "migration_background_share_pct",
    "minors_migration_background_share_pct",
    "foreigner_share_change_pp",
    "migration_background_share_change_pp",
    "foreigner_share_deviation_pp",
    "foreigner_share_lq",
    "migration_background_share_lq",
    "dissimilarity",
]
GERMAN_HINTS = ("ä", "ö", "ü", "ß", "Einwohner", "Anteil", "Stadtteil", "Melderegister", "Ausländer")


@pytest.mark.parametrize("key", REQUIRED)
def test_required_indicators_present(key):
    assert key in CATALOGUE


@pytest.mark.parametrize("key", list(CATALOGUE))
def test_every_entry_is_complete_and_german(key):
    indicator = CATALOGUE[key]
    assert indicator.key == key
    assert indicator.unit in UNITS
    assert indicator.higher_is in (None, "better", "worse")
    for field in ("label", "short_label", "formula", "source", "caveat"):
        text = getattr(indicator, field)
        assert isinstance(text, str) and text.strip(), field
        assert "_" not in text, f"{field} shows a code name: {text!r}"
    described = " ".join((indicator.label, indicator.formula, indicator.source, indicator.caveat))
    assert any(hint in described for hint in GERMAN_HINTS)
    if indicator.unit == "%":
        assert indicator.numerator and indicator.denominator
        assert "× 100" in indicator.formula


def test_labels_and_units_as_published():
    assert get("population").label == "Einwohner:innen"
    assert get("foreigner_share_pct").label == "Ausländeranteil"
    assert get("foreigner_share_pct").formula == "Ausländer:innen / Einwohner:innen × 100"
    assert get("migration_background_share_pct").label == "Anteil mit Migrationshintergrund"
    assert get("dissimilarity").short_label == "Segregationsindex"
    assert [get(k).unit for k in ("foreigners", "foreigner_share_pct", "foreigner_share_change_pp")] == [
        "Personen",
        "%",
        "Pp.",
    ]
    assert get("dissimilarity").unit == "Index"
    assert "MigraPro" in get("migration_background_share_pct").caveat
    assert "Nebenwohnsitz" in get("population").caveat


def test_every_produced_column_is_catalogued():
    counts = counts_frame(LUENEN)
    counts["minors"] = pd.array([100] * len(LUENEN), dtype="Int64")
    counts["minors_migration_background"] = pd.array([50] * len(LUENEN), dtype="Int64")
    series = pd.concat([counts, counts.assign(reference_date=pd.Timestamp("2021-12-31"))])
    produced = (
        set(shares(counts, municipality_name="Lünen").columns)
        | set(changes(series).columns)
        | set(municipality_series(series).columns)
    )
    missing = produced - set(ID_COLUMNS) - set(CATALOGUE)
    assert not missing


def test_get_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown indicator 'auslaenderquote'.*foreigner_share_pct"):
        get("auslaenderquote")


def test_indicators_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get("population").label = "EW"  # type: ignore[misc]
    assert isinstance(get("population"), Indicator)


def test_map_indicators_are_relative_measures():
    keys = map_indicators()
    assert "foreigner_share_pct" in keys and "migration_background_share_lq" in keys
    assert "foreigner_share_deviation_pp" in keys
    assert "population" not in keys and "foreigners" not in keys  # absolute counts mislead on a map
    assert "dissimilarity" not in keys  # one value per municipality
    assert all(get(k).unit in ("%", "Pp.", "Index") for k in keys)


def test_shared_labels():
    assert catalogue.TOTAL_LABEL == "Gesamtstadt"
    assert catalogue.OTHER_LABEL == "Übrige"
