"""Accessibility rules that need no browser: contrast of map labels (WCAG relative luminance), the
document title per page, the table under every chart, the Erklärung zur Barrierefreiheit."""

from __future__ import annotations

import pytest

from charts.figures import (
    NO_DATA_COLOUR,
    OTHER_COLOUR,
    TEXT_COLOUR,
    contrast_ratio,
    label_colour,
    palette,
    relative_luminance,
)
from charts.statement import TODO, statement
from charts.texts import DIVERGING_PALETTE, PALETTES
from pages.components.setup import FRAME_CSS, document_title


def test_relative_luminance_and_contrast_follow_wcag():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == pytest.approx(0.0)
    assert contrast_ratio("white", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast_ratio("rgb(255, 255, 255)", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("name", [*PALETTES, DIVERGING_PALETTE])
@pytest.mark.parametrize("k", range(1, 8))
def test_every_map_label_has_text_contrast(name, k):
    for fill in palette(name, k):
        assert contrast_ratio(label_colour(fill), fill) >= 4.5, (name, k, fill)


def test_labels_on_grey_districts_are_dark():
    assert label_colour(NO_DATA_COLOUR) == label_colour(OTHER_COLOUR) == TEXT_COLOUR
    assert label_colour("rgb(8, 48, 107)") == "white"


def test_caption_colour_has_text_contrast_on_white_and_sidebar():
    caption = FRAME_CSS.split('[data-testid="stCaptionContainer"] * { color: ')[1][:7]
    assert contrast_ratio(caption, "#ffffff") >= 4.5
    assert contrast_ratio(caption, "#f2f4f6") >= 4.5  # the sidebar (secondaryBackgroundColor)


def test_document_title_names_page_and_municipality():
    assert document_title("Karte", "Musterstadt") == "Karte – Integrationsmonitor Musterstadt"
    assert document_title("Barrierefreiheit", None) == "Barrierefreiheit – Integrationsmonitor"


def test_statement_is_a_template_completed_from_the_secrets():
    empty = statement({})
    assert TODO in empty and "Ombudsstelle für barrierefreie Informationstechnik" in empty
    filled = statement({"operator": "Stadt Musterstadt", "contact_email": "barrierefrei@musterstadt.de"})
    assert "Stadt Musterstadt" in filled and "mailto:barrierefrei@musterstadt.de" in filled
    for section in ("Stand der Vereinbarkeit", "Nicht barrierefreie Inhalte", "Durchsetzungsverfahren"):
        assert f"## {section}" in filled


def test_chart_summaries_are_body_text_with_contrast():
    """The summary under a chart is plain Markdown in the theme's text colour (not a caption at 60 %
    opacity; tests/test_summaries.py checks the element): it must reach 4.5:1 on the page and on the
    sidebar grey."""
    import tomllib
    from pathlib import Path

    theme = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())["theme"]
    for background in (theme["backgroundColor"], theme["secondaryBackgroundColor"]):
        assert contrast_ratio(theme["textColor"], background) >= 7.0, background  # even AAA


def test_every_plotly_chart_gets_the_german_locale():
    """plotly.js speaks German from the definition shipped with the app: every `st.plotly_chart` of the
    pages passes PLOTLY_CONFIG, which names the locale and carries it inline (nothing is fetched)."""
    import re
    from pathlib import Path

    from charts.plotly_locale import DICTIONARY, FORMAT
    from pages.components.setup import PLOTLY_CONFIG

    assert PLOTLY_CONFIG["locale"] == "de"
    assert PLOTLY_CONFIG["locales"]["de"] == {"dictionary": DICTIONARY, "format": FORMAT}
    assert (FORMAT["decimal"], FORMAT["thousands"], FORMAT["date"]) == (",", ".", "%d.%m.%Y")
    assert len(FORMAT["months"]) == len(FORMAT["shortMonths"]) == 12 and len(FORMAT["days"]) == 7
    calls = [
        call
        for path in Path(__file__).parents[1].glob("pages/**/*.py")
        for call in re.findall(r"plotly_chart\([^\n]*", path.read_text(encoding="utf-8"))
    ]
    assert calls and all("config=PLOTLY_CONFIG" in call for call in calls), calls


def test_locale_keys_are_the_texts_of_the_bundled_plotly_js():
    """The dictionary is keyed by plotly.js's exact English strings; a Streamlit upgrade that ships a
    plotly.js with other wording would leave buttons English, so every key must be in its bundle."""
    from pathlib import Path

    import streamlit

    from charts.plotly_locale import DICTIONARY

    bundles = list((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("PlotlyChart*.js"))
    assert bundles, "Streamlit's plotly.js bundle not found"
    source = "".join(bundle.read_text(encoding="utf-8") for bundle in bundles)
    missing = [key for key in DICTIONARY if f"`{key}`" not in source and f'"{key}"' not in source]
    assert missing == []


def test_statement_names_what_every_chart_offers_and_what_stays_english():
    text = statement({})
    for offer in ("zwei bis vier Sätzen", "Tabelle zur Grafik", "CSV- und Excel-Datei"):
        assert offer in text, offer
    assert "„Fullscreen“" in text and "Download plot" not in text  # plotly.js's own buttons are German
    assert "keinen zweiten Kanal" in text and "Tabelle zur Grafik" in text  # the map's class fills
