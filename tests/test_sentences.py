"""Plain-language sentences about the key figures (charts/sentences.py)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from charts import sentences as _sentences
from charts.sentences import (
    FRACTIONS,
    comparison_sentence,
    extremes_sentence,
    foreigner_sentence,
    markdown_safe,
    metric_delta,
    migration_sentence,
    plural,
    population_sentence,
    segregation_sentence,
    share_phrase,
)


def _plain(function):
    """The sentences keep number and "%" together with a no-break space; compare with plain spaces."""
    return lambda *args: function(*args).replace("\u00a0", " ")


foreigner_sentence = _plain(foreigner_sentence)
migration_sentence = _plain(migration_sentence)
comparison_sentence = _plain(comparison_sentence)
extremes_sentence = _plain(extremes_sentence)


@pytest.mark.parametrize(
    ("share", "words", "is_plural"),
    [
        (4344 / 19265 * 100, "gut jede*r Fünfte", False),  # Brambauer, 22,5 %
        (31.0, "knapp jede*r Dritte", False),
        (10.2, "etwa jede*r Zehnte", False),
        (9.8, "etwa jede*r Zehnte", False),
        (30179 / 87815 * 100, "etwa jede*r Dritte", False),  # Lünen MH, 34,4 %
        (13259 / 87815 * 100, "gut jede*r Siebte", False),  # Lünen, 15,1 %
        (25.0, "etwa jede*r Vierte", False),
        (47.0, "knapp die Hälfte", False),
        (50.0, "etwa die Hälfte", False),
        (42.0, "gut zwei von fünf", True),
        (66.0, "etwa zwei Drittel", True),
        (2.3, "gut jede*r Fünfzigste", False),  # Niederaden
        (0.4, "weniger als jede*r Hundertste", False),
        (0.0, "niemand", False),
        (100.0, "alle", True),
    ],
)
def test_share_phrase(share, words, is_plural):
    assert share_phrase(share) == (words, is_plural)


@pytest.mark.parametrize("bad", [float("nan"), -1.0, 100.5, None, math.inf])
def test_share_phrase_refuses_non_shares(bad):
    with pytest.raises(ValueError):
        share_phrase(bad)


def test_share_phrase_never_goes_down_as_the_share_grows():
    """knapp ⅕ < etwa ⅕ < gut ⅕ < knapp ¼ …: the phrase follows the share."""
    values = {f.words: f.value for f in FRACTIONS}
    order = {"weniger als": -1, "knapp": 0, "etwa": 1, "gut": 2}
    previous = (-1.0, -1)
    for tenth in range(1, 1000):
        words, _ = share_phrase(tenth / 10)
        qualifier = next(q for q in order if words.startswith(q + " "))
        key = (values[words.removeprefix(qualifier + " ")], order[qualifier])
        assert key >= previous, (tenth / 10, words)
        previous = key


def test_brambauer_sentence():
    assert (
        foreigner_sentence("Brambauer", 4344 / 19265 * 100)
        == "In Brambauer hat gut jede*r Fünfte keine deutsche Staatsangehörigkeit (22,5 %)."
    )


def test_plural_verb_and_missing_values():
    assert (
        migration_sentence("Gahmen", 47.2)
        == "In Gahmen hat knapp die Hälfte einen Migrationshintergrund (47,2 %)."
    )
    assert migration_sentence("Brambauer", 41.9).startswith("In Brambauer haben gut zwei von fünf")
    assert foreigner_sentence("X", float("nan")) == "Für X ist der Ausländeranteil nicht bekannt."
    assert "nicht bekannt" in migration_sentence("X", None)


def test_population_sentence():
    assert population_sentence("Lünen", 87815) == "In Lünen sind 87.815 Menschen gemeldet."
    assert population_sentence("Lünen", 87815, residence="Hauptwohnsitz") == (
        "In Lünen leben 87.815 Menschen mit Hauptwohnsitz."
    )
    assert population_sentence("Lünen", 87815, -412, date(2019, 12, 31), "Hauptwohnsitz") == (
        "In Lünen leben 87.815 Menschen mit Hauptwohnsitz – 412 weniger als am 31.12.2019."
    )
    assert population_sentence("Lünen", 87815, 1234, date(2019, 12, 31)).endswith(
        "1.234 mehr als am 31.12.2019."
    )
    assert "so viele wie" in population_sentence("Lünen", 87815, 0, date(2019, 12, 31))
    assert population_sentence("Lünen", 87815, float("nan"), None) == (
        "In Lünen sind 87.815 Menschen gemeldet."
    )


def test_segregation_sentence():
    text = segregation_sentence(24.8)
    assert "rund 25 von 100 Ausländer:innen" in text
    assert "Segregationsindex 24,8" in text
    assert "hier: gering" in text
    assert "hier: mittel" in segregation_sentence(45.0)
    assert "nicht berechnen" in segregation_sentence(float("nan"))


def test_comparison_and_extremes():
    assert comparison_sentence("Brambauer", 22.549, "Lünen", 15.1, "Ausländeranteil") == (
        "Der Ausländeranteil ist in Brambauer höher als in Lünen insgesamt (22,5 % gegenüber 15,1 %)."
    )
    assert "niedriger als" in comparison_sentence("Niederaden", 2.3, "Lünen", 15.1, "Ausländeranteil")
    assert "genauso hoch wie" in comparison_sentence("A", 15.1, "Lünen", 15.12, "Ausländeranteil")
    assert comparison_sentence("A", float("nan"), "Lünen", 15.1, "Ausländeranteil") == ""
    assert extremes_sentence("Ausländeranteil", ("Gahmen", 23.29), ("Niederaden", 2.26)) == (
        "Den höchsten Ausländeranteil hat Gahmen (23,3 %), den niedrigsten Niederaden (2,3 %)."
    )


def test_metric_delta_sets_the_arrow_itself():
    """Streamlit only knows "-" as a minus; our texts use "−", so the arrow is explicit."""
    before = date(2019, 12, 31)
    down = metric_delta(-0.4, "−0,4 Pp.", before)
    assert down == {"delta": "−0,4 Pp.", "delta_arrow": "down", "delta_color": "gray"}
    assert metric_delta(412, "+412", before)["delta_arrow"] == "up"
    assert metric_delta(0.01, "±0,0 Pp.", before)["delta_arrow"] == "off"
    assert metric_delta(0.4, "+0,4 Pp.", None) == {}
    assert metric_delta(float("nan"), "–", before) == {}


def test_markdown_safe_and_no_break_before_the_unit():
    text = _sentences.foreigner_sentence("A", 20.0)
    assert "20,0\u00a0%" in text
    assert markdown_safe("jede*r und jede*r") == "jede\\*r und jede\\*r"


def test_plural():
    assert plural("Stadtteil") == "Stadtteile"
    assert plural("Stadtbezirk") == "Stadtbezirke"


def test_names_from_files_are_shown_as_written_never_as_links_images_or_formulas():
    name = "![x](http://evil.example/a.png) [Link](http://evil.example) <img src=x> $x^2$ :red[rot] A_b*c"
    safe = markdown_safe(name)
    # every opening of an image, a link, a tag, a formula, a colour or emphasis is escaped
    for escaped in ("!\\[x\\]", "\\[Link\\]", "\\<img", "\\$x^2\\$", ":red\\[rot\\]", "A\\_b\\*c"):
        assert escaped in safe, escaped
    # what a reader sees: the backslashes go, the name stays
    assert safe.replace("\\", "") == name
