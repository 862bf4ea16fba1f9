"""Plain German sentences about the key figures, for readers who are not statisticians.

Shares become everyday fractions: 22,5 % → "gut jede*r Fünfte", 31 % → "knapp jede*r Dritte",
10,2 % → "etwa jede*r Zehnte". Pure functions: numbers in, text out (no Streamlit).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from charts.formatting import fmt_date, fmt_int, fmt_number
from charts.formatting import fmt_pct as _fmt_pct
from indicators.disclosure import SUPPRESSED

NBSP = "\u00a0"


def fmt_pct(value: object) -> str:
    """ "22,5 %" with a no-break space, so a line never breaks between number and unit."""
    return _fmt_pct(value).replace(" ", NBSP)


#: within ±4 % of a fraction (relative) a share is "etwa" that fraction
ABOUT = 0.04
#: up to 8 % below a fraction (relative) it is "knapp" that fraction; otherwise "gut" the one below
JUST_UNDER = 0.08


@dataclass(frozen=True)
class Fraction:
    value: float  # share of 1
    words: str  # "jede*r Fünfte"
    plural: bool = False  # "zwei von fünf haben" vs. "jede*r Fünfte hat"


FRACTIONS: tuple[Fraction, ...] = (
    Fraction(1 / 100, "jede*r Hundertste"),
    Fraction(1 / 50, "jede*r Fünfzigste"),
    Fraction(1 / 30, "jede*r Dreißigste"),
    Fraction(1 / 25, "jede*r Fünfundzwanzigste"),
    Fraction(1 / 20, "jede*r Zwanzigste"),
    Fraction(1 / 15, "jede*r Fünfzehnte"),
    Fraction(1 / 12, "jede*r Zwölfte"),
    Fraction(1 / 10, "jede*r Zehnte"),
    Fraction(1 / 9, "jede*r Neunte"),
    Fraction(1 / 8, "jede*r Achte"),
    Fraction(1 / 7, "jede*r Siebte"),
    Fraction(1 / 6, "jede*r Sechste"),
    Fraction(1 / 5, "jede*r Fünfte"),
    Fraction(1 / 4, "jede*r Vierte"),
    Fraction(1 / 3, "jede*r Dritte"),
    Fraction(2 / 5, "zwei von fünf", plural=True),
    Fraction(1 / 2, "die Hälfte"),
    Fraction(3 / 5, "drei von fünf", plural=True),
    Fraction(2 / 3, "zwei Drittel", plural=True),
    Fraction(3 / 4, "drei Viertel", plural=True),
    Fraction(4 / 5, "vier von fünf", plural=True),
    Fraction(9 / 10, "neun von zehn", plural=True),
    Fraction(1.0, "alle", plural=True),
)
NOBODY = Fraction(0.0, "niemand")


def share_phrase(share_pct: float) -> tuple[str, bool]:
    """A share in percent as words and whether the verb is plural.

    22.5 → ("gut jede*r Fünfte", False); 31 → ("knapp jede*r Dritte", False);
    10.2 → ("etwa jede*r Zehnte", False); 42 → ("gut zwei von fünf", True).
    Raises ValueError for a missing share or one outside 0 … 100.
    """
    if share_pct is None or not math.isfinite(share_pct) or not 0 <= share_pct <= 100:
        raise ValueError(f"not a share in percent: {share_pct!r}")
    share = share_pct / 100
    if share == 0:
        return NOBODY.words, NOBODY.plural
    if share == 1:
        return "alle", True
    below = [f for f in FRACTIONS if f.value <= share]
    above = [f for f in FRACTIONS if f.value > share]
    lower = below[-1] if below else None
    upper = above[0]
    for fraction in (f for f in (lower, upper) if f is not None):
        if abs(share / fraction.value - 1) <= ABOUT:
            return f"etwa {fraction.words}", fraction.plural
    if share / upper.value >= 1 - JUST_UNDER or lower is None:
        prefix = "knapp" if lower is not None else "weniger als"
        return f"{prefix} {upper.words}", upper.plural
    return f"gut {lower.words}", lower.plural


def _verb(plural: bool, singular_form: str, plural_form: str) -> str:
    return plural_form if plural else singular_form


def foreigner_sentence(place: str, share_pct: float) -> str:
    """ "In Brambauer hat gut jede*r Fünfte keine deutsche Staatsangehörigkeit (22,5 %)." """
    if not _is_number(share_pct):
        return f"Für {place} ist der Ausländeranteil nicht bekannt."
    words, plural = share_phrase(share_pct)
    verb = _verb(plural, "hat", "haben")
    return f"In {place} {verb} {words} keine deutsche Staatsangehörigkeit ({fmt_pct(share_pct)})."


def migration_sentence(place: str, share_pct: float) -> str:
    """ "In Lünen hat etwa jede*r Dritte einen Migrationshintergrund (34,4 %)." """
    if not _is_number(share_pct):
        return f"Für {place} ist der Anteil mit Migrationshintergrund nicht bekannt."
    words, plural = share_phrase(share_pct)
    verb = _verb(plural, "hat", "haben")
    return f"In {place} {verb} {words} einen Migrationshintergrund ({fmt_pct(share_pct)})."


def immigration_sentence(place: str, share_pct: float) -> str | None:
    """ "In Bachstadt hat knapp jede*r Dritte eine Einwanderungsgeschichte (31,5 %)." — None where the
    municipality has no such figure (most deliver Migrationshintergrund only; nothing to say then)."""
    if not _is_number(share_pct):
        return None
    words, plural = share_phrase(share_pct)
    verb = _verb(plural, "hat", "haben")
    return f"In {place} {verb} {words} eine Einwanderungsgeschichte ({fmt_pct(share_pct)})."


def population_sentence(
    place: str,
    population: float,
    change: float | None = None,
    previous: date | None = None,
    residence: str | None = None,
) -> str:
    """ "In Lünen leben 87.815 Menschen mit Hauptwohnsitz – 412 mehr als am 31.12.2019." where the
    source says `residence` "Hauptwohnsitz"; "In Köln sind 1.095.520 Menschen gemeldet" where it
    does not say (see `residence_of`)."""
    if residence == MAIN_RESIDENCE:
        text = f"In {place} leben {fmt_int(population)} Menschen mit Hauptwohnsitz"
    elif residence:
        text = f"In {place} sind {fmt_int(population)} Menschen mit {residence} gemeldet"
    else:
        text = f"In {place} sind {fmt_int(population)} Menschen gemeldet"
    if _is_number(change) and previous is not None:
        if round(change) == 0:
            text += f" – so viele wie am {fmt_date(previous)}"
        else:
            more = "mehr" if change > 0 else "weniger"
            text += f" – {fmt_int(abs(change))} {more} als am {fmt_date(previous)}"
    return text + "."


MAIN_RESIDENCE = "Hauptwohnsitz"


def residence_of(source: str | None) -> str | None:
    """Which residents a municipality's figures count, as its source says (municipalities.source):
    "Hauptwohnsitz", "Haupt- oder Nebenwohnsitz", or None where the source does not say."""
    text = (source or "").lower()
    if "nebenwohn" in text:
        return "Haupt- oder Nebenwohnsitz"
    return MAIN_RESIDENCE if "hauptwohn" in text else None


def segregation_sentence(index: float, level: str = "Stadtteil") -> str:
    """What the dissimilarity index means, in words: the share of foreigners who would have to move."""
    if not _is_number(index):
        return "Der Segregationsindex lässt sich für diese Daten nicht berechnen."
    movers = round(index)
    degree = "gering" if index < 30 else "mittel" if index < 60 else "hoch"
    return (
        f"Damit Ausländer:innen und Deutsche gleich über die {plural(level)} verteilt wären, müssten "
        f"rund {movers} von 100 Ausländer:innen in einen anderen {level} ziehen "
        f"(Segregationsindex {fmt_number(index, 1)}; unter 30 gilt als gering, über 60 als hoch – "
        f"hier: {degree})."
    )


def comparison_sentence(place: str, share_pct: float, city: str, city_pct: float, label: str) -> str:
    """ "Der Ausländeranteil ist in Brambauer höher als in Lünen insgesamt (22,5 % gegenüber 15,1 %)." """
    if not (_is_number(share_pct) and _is_number(city_pct)):
        return ""
    difference = share_pct - city_pct
    if abs(difference) < 0.05:
        relation = "genauso hoch wie"
    else:
        relation = "höher als" if difference > 0 else "niedriger als"
    return (
        f"Der {label} ist in {place} {relation} in {city} insgesamt "
        f"({fmt_pct(share_pct)} gegenüber {fmt_pct(city_pct)})."
    )


def extremes_sentence(label: str, highest: tuple[str, float], lowest: tuple[str, float]) -> str:
    """ "Den höchsten Ausländeranteil hat Gahmen (23,3 %), den niedrigsten Niederaden (2,3 %)."

    Pass only shown values (in the public view hidden ones are left out, see `hidden_note`); when
    only one district is left, the sentence names just that one."""
    if highest[0] == lowest[0]:
        return f"Nur für {highest[0]} wird ein {label} ausgewiesen ({fmt_pct(highest[1])})."
    return (
        f"Den höchsten {label} hat {highest[0]} ({fmt_pct(highest[1])}), "
        f"den niedrigsten {lowest[0]} ({fmt_pct(lowest[1])})."
    )


def hidden_note(names: list[str], level: str = "Stadtteil") -> str:
    """ "Ohne Wert (•, Geheimhaltung): Mühlenweiler." – the districts left out of a ranking."""
    if not names:
        return ""
    which = level if len(names) == 1 else plural(level)
    return f"Nicht berücksichtigt ({SUPPRESSED}, Geheimhaltung), {which}: {', '.join(names)}."


def overview_sentences(
    place: str,
    city: dict,
    previous: date | None,
    dissimilarity: float,
    level: str = "Stadtteil",
    residence: str | None = None,
) -> list[str]:
    """The municipality's key figures in words; `residence` as in `population_sentence`."""
    return [
        population_sentence(
            place, city.get("population"), city.get("population_change"), previous, residence
        ),
        foreigner_sentence(place, city.get("foreigner_share_pct")),
        migration_sentence(place, city.get("migration_background_share_pct")),
        *[s for s in (immigration_sentence(place, city.get("immigration_history_share_pct")),) if s],
        segregation_sentence(dissimilarity, level),
    ]


def suppressed_sentence(place: str, label: str) -> str:
    """ "Der Ausländeranteil von Mühlenweiler wird wegen kleiner Fallzahlen nicht ausgewiesen (•)." """
    return f"Der {label} von {place} wird wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."


def profile_sentences(
    place: str, district: dict, city_name: str, city: dict, hidden: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """What a Stadtteil's two shares mean, and how the foreigner share compares with the city.

    hidden: the keys suppressed in the public view; their sentences say so and print no number.
    """
    foreigners, migration = "foreigner_share_pct", "migration_background_share_pct"
    if foreigners in hidden:
        sentences = [suppressed_sentence(place, "Ausländeranteil")]
    else:
        sentences = [
            foreigner_sentence(place, district.get(foreigners)),
            comparison_sentence(
                place, district.get(foreigners), city_name, city.get(foreigners), "Ausländeranteil"
            ),
        ]
    if migration in hidden:
        sentences.append(suppressed_sentence(place, "Anteil mit Migrationshintergrund"))
    else:
        sentences.append(migration_sentence(place, district.get(migration)))
    immigration = "immigration_history_share_pct"
    if immigration in hidden:
        sentences.append(suppressed_sentence(place, "Anteil mit Einwanderungsgeschichte"))
    else:
        sentences.append(immigration_sentence(place, district.get(immigration)))
    return [s for s in sentences if s]


def bullet_list(sentences: list[str]) -> str:
    """Markdown bullets, with the gender star escaped."""
    return "\n".join(f"- {markdown_safe(s)}" for s in sentences)


#: what Streamlit's Markdown would act on within a line: emphasis, code, links and images (`[`), HTML and
#: autolinks (`<`), LaTeX (`$`), strike-through, tables and coloured text (`:red[…]`, needs `[`)
_MARKDOWN = re.compile(r"([\\`*_\[\]<>$~|])")


def markdown_safe(text: str) -> str:
    """Text (with names from files) as literal Markdown: the gender star never turns italic, and a
    name like `[x](http://…)`, `![](…)`, `<img …>`, `$x$` or `:red[x]` is shown as written, never as a
    link, an image fetched from elsewhere, a formula or a colour."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def plural(level: str) -> str:
    """ "Stadtteil" → "Stadtteile", "Stadtbezirk" → "Stadtbezirke"."""
    return level if level.endswith("e") else f"{level}e"


def _is_number(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def metric_delta(change: float | None, text: str, previous: date | None) -> dict:
    """Keyword arguments for `st.metric`: the German delta text, an arrow by its sign, neutral grey.

    Streamlit reads the sign from the text's first character and does not know the typographic
    minus "−" of our formatting, so the arrow is set explicitly. A higher share is not "good" or
    "bad": the colour stays grey. Without a previous Stichtag there is no delta.
    """
    if previous is None or not _is_number(change) or text == "–":
        return {}
    zero = text.startswith("±") or text.lstrip("+").strip("0,. %Pp") == ""
    arrow = "off" if zero else ("up" if change > 0 else "down")
    return {"delta": text, "delta_arrow": arrow, "delta_color": "gray"}
