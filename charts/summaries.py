"""A short text under every chart: what it shows, in two to four plain German sentences.

Each function reads only the chart's own table — the public table a reader may download — and its
hidden mask (`ChartView.table`, `ChartView.hidden`): a hidden cell is never read, so no sentence can
name it. Where a highest value or a total may be hidden, the sentences say that they compare only the
values shown. Pure functions: frames in, text out (no Streamlit); numbers as `charts.formatting` writes
them, with a no-break space before the unit.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from charts.formatting import fmt_date, fmt_indicator, fmt_int, fmt_number, fmt_pct, fmt_pp
from charts.sentences import NBSP, plural
from charts.tables import german_headers
from indicators.catalogue import OTHER_LABEL, get
from indicators.disclosure import SUPPRESSED

#: the total row of the refugee tables (`charts.refugee_views.TOTAL_TEXT`)
TOTAL_TEXT = "Gesamt"
#: at most this many names are listed where values are hidden; beyond it, only their number
MAX_NAMES = 3
SOME_HIDDEN = f"Einige Werte sind wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."


def header(column: str) -> str:
    """The German header a view table gives an internal column: "occupancy_rate_pct" → "Belegungsquote (%)"."""
    return str(german_headers(pd.DataFrame(columns=[column])).columns[0])


def shown(table: pd.DataFrame, hidden: pd.DataFrame, column: str) -> pd.Series:
    """The numbers of one column as floats, hidden cells missing whatever the table holds there."""
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    return values.mask(hidden[column].to_numpy(dtype=bool))


def _nb(text: str) -> str:
    return text.replace(" ", NBSP)


def _names(names: list[str], conjunction: str = "und") -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _ending(sentences: list[str], secret: bool, why: str = SOME_HIDDEN) -> list[str]:
    """At most four sentences; where anything is hidden, the last one says so (`why`)."""
    kept = [s for s in sentences if s]
    return [*kept[:3], why] if secret else kept[:4]


def _hidden_sentence(names: list[str], level: str) -> str:
    if not names:
        return ""
    if len(names) > MAX_NAMES:
        return f"Für {len(names)} {plural(level)} ist der Wert wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."
    return f"Nicht ausgewiesen wegen kleiner Fallzahlen ({SUPPRESSED}): {_names(names)}."


# --- maps and rankings ---------------------------------------------------------------------------


def ranking_summary(
    table: pd.DataFrame, hidden: pd.DataFrame, key: str, level: str, municipality: str, *,
    with_city: bool, place: str | None = None,
) -> list[str]:  # fmt: skip
    """Highest and lowest shown district, the municipality's value and how many districts lie above
    it; for a profile's rank chart where `place` stands. `table` as `share_map` builds it: the name
    first, the indicator last, the municipality as the last row where `with_city`."""
    indicator = get(key)
    name, column = table.columns[0], table.columns[-1]
    values = shown(table, hidden, column)
    districts = table.index[:-1] if with_city else table.index
    city = values.iloc[-1] if with_city else math.nan
    names = table[name].astype(str)
    secret = [names[i] for i in districts if hidden.loc[i, column]]
    known = values[districts].dropna()

    def text(value: float) -> str:
        return _nb(fmt_indicator(value, indicator))

    sentences = []
    if known.empty:
        sentences.append(f"{indicator.label}: für keinen der {plural(level)} ausgewiesen.")
    elif len(known) == 1:
        only = known.index[0]
        sentences.append(f"{indicator.label}: ausgewiesen nur für {names[only]} ({text(known[only])}).")
    else:
        top, bottom = known.idxmax(), known.idxmin()
        among = ", unter den ausgewiesenen Werten" if secret else ""
        sentences.append(
            f"{indicator.label}{among}: am höchsten in {names[top]} ({text(known[top])}), "
            f"am niedrigsten in {names[bottom]} ({text(known[bottom])})."
        )
    if not math.isnan(city) and len(known) > 1:
        above = int((known.round(6) > round(city, 6)).sum())
        verb = "liegt" if above == 1 else "liegen"
        sentences.append(
            f"{municipality} insgesamt: {text(city)}; {above} von {len(known)} {plural(level)}n {verb} darüber."
        )
    if place is not None:
        at = names[names == place].index
        value = values[at[0]] if len(at) else math.nan
        if len(at) and hidden.loc[at[0], column]:
            sentences.append(
                f"Der Wert von {place} wird wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."
            )
        elif not math.isnan(value) and not math.isnan(city):
            relation = (
                "gleichauf mit" if text(value) == text(city)
                else "über dem Wert von" if value > city else "unter dem Wert von"
            )  # fmt: skip
            sentences.append(f"{place} liegt mit {text(value)} {relation} {municipality} insgesamt.")
    return _ending(sentences, bool(secret), _hidden_sentence(secret, level))


# --- time series ---------------------------------------------------------------------------------


def _unit(column: str) -> str:
    return "%" if column.endswith(" (%)") else "Index" if column.endswith(" (Index)") else ""


def _line_name(column: str) -> str:
    return column.removesuffix(" (%)").removesuffix(" (Index)")


def _level_text(value: float, unit: str) -> str:
    if unit == "%":
        return _nb(fmt_pct(value))
    return fmt_number(value, 1) if unit == "Index" else fmt_int(value)


def as_shown(value: float, unit: str = "%") -> float:
    """The value as the sentence prints it (one decimal for shares and indices, none for counts,
    half up), so a change agrees with the two numbers beside it: 10,6 % → 16,8 % is +6,2 Pp."""
    places = Decimal(1) if unit not in ("%", "Index") else Decimal("0.1")
    return float(Decimal(repr(float(value))).quantize(places, rounding=ROUND_HALF_UP))


def _change_text(change: float, unit: str) -> str:
    if unit == "%":
        return _nb(fmt_pp(change))
    if unit == "Index":
        return _nb(f"{fmt_number(change, 1, signed=True)} Punkte")
    return fmt_int(change, signed=True)


def series_summary(table: pd.DataFrame, hidden: pd.DataFrame, label: str, municipality: str) -> list[str]:
    """Per line the first and last shown Stichtag and the change (in Prozentpunkten for shares);
    with more than two lines the municipality and the districts with the highest and lowest change."""
    dates = pd.to_datetime(table["Stichtag"])
    lines = {}
    for column in table.columns[1:]:
        values = shown(table, hidden, column)
        known = values.dropna()
        if not known.empty:
            first, last = known.index[0], known.index[-1]
            lines[column] = (dates[first], known[first], dates[last], known[last])
    sentences = []
    if not lines:
        sentences.append(f"{label}: keine ausgewiesenen Werte.")
    elif dates.nunique() == 1:
        values = [f"{_line_name(c)} {_level_text(v, _unit(c))}" for c, (_, v, _, _) in lines.items()]
        sentences.append(f"{label} am {fmt_date(dates.iloc[0])}: {_names(values)}.")
    else:
        city = [c for c in lines if _line_name(c) == municipality]
        districts = [c for c in lines if c not in city]
        told = districts + city if len(lines) <= 2 else city
        for column in told:
            sentences.append(_line_sentence(label, column, municipality, *lines[column]))
        if len(lines) > 2 and len(districts) > 1:
            change = {c: lines[c][3] - lines[c][1] for c in districts}
            sentences.append(_spread_sentence(dates, change))
    why = SOME_HIDDEN.removesuffix(".") + "; verglichen werden nur die ausgewiesenen."
    return _ending(sentences, hidden.to_numpy().any(), why)


def _spread_sentence(dates: pd.Series, change: dict[str, float]) -> str:
    """Which line changed most and which least between the first and the last Stichtag."""
    top, bottom = max(change, key=change.get), min(change, key=change.get)
    most, least = (f"{_line_name(c)} ({_change_text(change[c], _unit(c))})" for c in (top, bottom))
    span = f"Vom {fmt_date(dates.min())} bis zum {fmt_date(dates.max())}"
    if change[bottom] > 0:
        return f"{span} stieg der Wert am stärksten in {most}, am schwächsten in {least}."
    if change[top] < 0:
        return f"{span} sank der Wert am stärksten in {least}, am schwächsten in {most}."
    return f"{span} reicht die Veränderung von {least} bis {most}."


def _line_sentence(
    label: str, column: str, municipality: str, start: pd.Timestamp, before: float, end: pd.Timestamp,
    after: float,
) -> str:  # fmt: skip
    unit, name = _unit(column), _line_name(column)
    where = f"{municipality} insgesamt" if name == municipality else name
    if start == end:
        return f"{label} in {where}: nur am {fmt_date(end)} ausgewiesen ({_level_text(after, unit)})."
    change = _change_text(as_shown(after, unit) - as_shown(before, unit), unit)
    moved = "gleich geblieben" if change.lstrip("±").startswith("0") or change.startswith("±") else (
        "gestiegen" if after > before else "gesunken"
    )  # fmt: skip
    return (
        f"{label} in {where}: vom {fmt_date(start)} bis zum {fmt_date(end)} von "
        f"{_level_text(before, unit)} auf {_level_text(after, unit)} {moved} ({change})."
    )


# --- nationalities and age -----------------------------------------------------------------------


def mix_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The three largest nationalities shown (not "Übrige"), with persons and share, and together."""
    name, persons, share = table.columns[:3]
    counts, shares = shown(table, hidden, persons), shown(table, hidden, share)
    named = (table[name].astype(str) != OTHER_LABEL) & counts.notna()
    top = counts[named].sort_values(ascending=False, kind="stable").head(3).index
    if top.empty:
        return ["Keine einzelne Staatsangehörigkeit ist ausgewiesen."]
    parts = [f"{table.loc[i, name]} ({fmt_int(counts[i])} Personen, {_nb(fmt_pct(shares[i]))})" for i in top]
    sentences = [f"Die häufigsten Staatsangehörigkeiten: {_names(parts)}."]
    if len(top) > 1 and shares[top].notna().all():
        sentences.append(f"Zusammen sind das {_nb(fmt_pct(shares[top].sum()))} der Ausländer:innen.")
    other = table[name].astype(str) == OTHER_LABEL
    if other.any() and counts[other].notna().all():
        sentences.append(
            f"Unter „{OTHER_LABEL}“ sind {fmt_int(counts[other].sum())} Personen mit weiteren "
            "Staatsangehörigkeiten zusammengefasst."
        )
    return _ending(sentences, hidden.to_numpy().any())


def _age_words(group: str, among: bool = False) -> str:
    """ "25-44" → "25 bis 44 Jahre" (among: "den 25- bis 44-Jährigen"), "80+" → "80 Jahre und älter"
    ("den ab 80-Jährigen")."""
    low, dash, high = group.partition("-")
    if dash and low.isdigit() and high.isdigit():
        return f"den {low}- bis {high}-Jährigen" if among else f"{low} bis {high} Jahre"
    if group.endswith("+") and group[:-1].isdigit():
        return f"den ab {group[:-1]}-Jährigen" if among else f"{group[:-1]} Jahre und älter"
    return f"der Altersgruppe {group}" if among else group


def age_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The largest age group (the sum of its shown bars) and the share with migration background in
    the youngest and the oldest group, where none of their bars is hidden."""
    group, _, status, persons = table.columns[:4]
    counts = shown(table, hidden, persons)
    frame = pd.DataFrame({"group": table[group].astype(str), "status": table[status].astype(str),
                          "persons": counts, "hidden": hidden[persons].to_numpy(dtype=bool)})  # fmt: skip
    by_group = frame.groupby("group", sort=False).agg(persons=("persons", "sum"), hidden=("hidden", "any"))
    if by_group.empty or by_group["persons"].sum() == 0:
        return []
    largest = by_group["persons"].idxmax()
    least = "mindestens " if by_group.loc[largest, "hidden"] else ""
    sentences = [
        f"Die größte Altersgruppe: {_age_words(largest)} "
        f"({least}{fmt_int(by_group.loc[largest, 'persons'])} Personen)."
    ]
    parts = []
    for name in dict.fromkeys([by_group.index[0], by_group.index[-1]]):
        rows = frame[frame["group"] == name]
        if rows["hidden"].any() or rows["persons"].sum() == 0:
            continue
        with_mh = rows.loc[rows["status"] == "mit", "persons"].sum() / rows["persons"].sum() * 100
        parts.append(f"{_nb(fmt_pct(with_mh))} bei {_age_words(name, among=True)}")
    if parts:
        sentences.append(f"Anteil mit Migrationshintergrund: {_names(parts)}.")
    why = SOME_HIDDEN.removesuffix(".") + " und fehlen in diesen Summen."
    return _ending(sentences, frame["hidden"].any(), why)


# --- Zuweisungen and Unterbringung ---------------------------------------------------------------


def _last_two(values: pd.Series) -> tuple[object, object]:
    known = values.dropna()
    return (known.index[-1] if len(known) else None), (known.index[-2] if len(known) > 1 else None)


def _dated(table: pd.DataFrame, hidden: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series, list]:
    """A column's shown values (by internal name), the Stichtage, and the rows of its first and last
    shown value (empty where none is shown)."""
    values = shown(table, hidden, header(column))
    known = values.dropna().index
    return values, pd.to_datetime(table["Stichtag"]), [known[0], known[-1]] if len(known) else []


def countries_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The largest countries of origin of the latest period and of all periods together (shown
    values only, never "Übrige")."""
    period, country, persons = (table.columns[0], table.columns[1], header("allocated_persons"))
    counts = shown(table, hidden, persons)
    named = ~table[country].astype(str).isin([OTHER_LABEL, TOTAL_TEXT])
    frame = pd.DataFrame({"period": table[period].astype(str), "country": table[country].astype(str),
                          "persons": counts})[named & counts.notna()]  # fmt: skip
    if frame.empty:
        return []
    last = frame["period"].iloc[-1]

    def top(rows: pd.DataFrame) -> str:
        sums = (
            rows.groupby("country", sort=False)["persons"].sum().sort_values(ascending=False, kind="stable")
        )
        parts = [f"{c} ({fmt_int(n)})" for c, n in sums.head(3).items()]
        return _names([parts[0].removesuffix(")") + " Personen)", *parts[1:]])

    first = frame["period"].iloc[0]
    sentences = [f"Häufigste Herkunftsländer im Zeitraum {last}: {top(frame[frame['period'] == last])}."]
    if first != last:
        sentences.append(f"Von {first} bis {last} zusammen: {top(frame)}.")
    return _ending(sentences, hidden[persons].any())


def allocations_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The persons and children of the latest period, the change against the period before, the peak."""
    period = table.columns[0]
    persons = shown(table, hidden, header("allocated_persons"))
    minors = shown(table, hidden, header("allocated_minors"))
    share = shown(table, hidden, header("allocated_minors_share_pct"))
    last, before = _last_two(persons)
    if last is None:
        return []
    when = table.loc[last, period]
    text = f"Im Zeitraum {when} wurden {fmt_int(persons[last])} Personen zugewiesen"
    if not math.isnan(minors[last]):
        text += f", darunter {fmt_int(minors[last])} Kinder"
        text += (
            f" ({_nb(fmt_pct(share[last]))} der Personen mit bekannter Kinderzahl)"
            if not math.isnan(share[last])
            else ""
        )
    sentences = [text + "."]
    if before is not None:
        change = persons[last] - persons[before]
        more = "mehr" if change > 0 else "weniger"
        sentences.append(
            f"Das sind so viele wie im Zeitraum {table.loc[before, period]}." if change == 0 else
            f"Das sind {fmt_int(abs(change))} {more} als im Zeitraum {table.loc[before, period]} "
            f"({fmt_int(persons[before])})."
        )  # fmt: skip
        peak = persons.idxmax()
        sentences.append(
            f"Die meisten Zuweisungen gab es im Zeitraum {table.loc[peak, period]} ({fmt_int(persons[peak])} Personen)."
        )
    return _ending(sentences, hidden.to_numpy().any())


def quota_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The fulfilment rate at the last Stichtag with Soll and Ist, and at the first."""
    rate, dates, ends = _dated(table, hidden, "fulfilment_rate_pct")
    if not ends:
        return []
    first, last = ends
    target, actual = (
        shown(table, hidden, header("quota_target")),
        shown(table, hidden, header("quota_actual")),
    )
    sentences = [
        f"Am {fmt_date(dates[last])} war die Aufnahmeverpflichtung zu {_nb(fmt_pct(rate[last]))} erfüllt: "
        f"{fmt_int(actual[last])} von {fmt_int(target[last])} Personen aufgenommen."
    ]
    if first != last:
        sentences.append(f"Am {fmt_date(dates[first])} waren es {_nb(fmt_pct(rate[first]))}.")
    return sentences


def _rate_over_time(
    table: pd.DataFrame, hidden: pd.DataFrame, rate: str, part: str, whole: str, now: str, then: str
) -> list[str]:
    """A share at its last shown Stichtag with its part and whole (`now`), and at its first with the
    change since (`then`); templates with {date}, {part}, {whole}, {rate}, {change}."""
    share, dates, ends = _dated(table, hidden, rate)
    if not ends:
        return []
    first, last = ends
    parts, wholes = shown(table, hidden, header(part)), shown(table, hidden, header(whole))
    sentences = [now.format(date=fmt_date(dates[last]), part=fmt_int(parts[last]), whole=fmt_int(wholes[last]),
                            rate=_nb(fmt_pct(share[last])))]  # fmt: skip
    if first != last:
        change = _nb(fmt_pp(as_shown(share[last]) - as_shown(share[first])))
        sentences.append(
            then.format(date=fmt_date(dates[first]), rate=_nb(fmt_pct(share[first])), change=change)
        )
    return sentences


def occupancy_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """Occupants, places and the rate at the last Stichtag; the rate at the first and the change since."""
    return _rate_over_time(
        table, hidden, "occupancy_rate_pct", "occupants", "capacity",
        "Am {date} waren {part} von {whole} Plätzen belegt (Belegungsquote {rate}).",
        "Am {date} lag die Belegungsquote bei {rate} (seitdem {change}).",
    )  # fmt: skip


def facilities_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """Highest and lowest occupancy rate among the facilities shown, how many are full, the total."""
    name, column = table.columns[0], header("occupancy_rate_pct")
    rate = shown(table, hidden, column)
    total = table[name].astype(str) == TOTAL_TEXT
    known = rate[~total].dropna()
    if known.empty:
        return []
    top, bottom = known.idxmax(), known.idxmin()
    secret = hidden.loc[~total, column].any()
    among = ", unter den ausgewiesenen" if secret else ""
    sentences = [
        f"Belegungsquote{among}: am höchsten in {table.loc[top, name]} ({_nb(fmt_pct(known[top]))}), "
        f"am niedrigsten in {table.loc[bottom, name]} ({_nb(fmt_pct(known[bottom]))})."
    ]
    full = int((known >= 100).sum())
    if full:
        sentences.append(
            f"{full} von {len(known)} Unterkünften {'ist' if full == 1 else 'sind'} voll oder überbelegt."
        )
    if total.any() and not math.isnan(rate[total].iloc[0]):
        sentences.append(f"Alle Unterkünfte zusammen: {_nb(fmt_pct(rate[total].iloc[0]))}.")
    return _ending(sentences, secret)


def fehlbeleger_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """The Fehlbeleger and their share at the last Stichtag with a value, and the change since the first."""
    return _rate_over_time(
        table, hidden, "fehlbeleger_share_pct", "fehlbeleger", "occupants",
        "Am {date} waren {part} von {whole} Untergebrachten Fehlbeleger ({rate}).",
        "Am {date}, dem ersten Stichtag mit Angaben, waren es {rate} ({change}).",
    )  # fmt: skip


def free_places_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """Free places at the last and the first Stichtag and their lowest number in between."""
    free, dates, ends = _dated(table, hidden, "free_places")
    if not ends:
        return []
    first, last = ends
    sentences = [f"Am {fmt_date(dates[last])} waren {fmt_int(free[last])} Plätze frei."]
    low = free.idxmin()
    if first != last:
        sentences.append(f"Am {fmt_date(dates[first])} waren es {fmt_int(free[first])}.")
        sentences.append(
            f"Am {fmt_date(dates[low])} fehlten {fmt_int(-free[low])} Plätze (mehr Personen als Plätze)."
            if free[low] < 0
            else f"Die wenigsten freien Plätze gab es am {fmt_date(dates[low])} ({fmt_int(free[low])})."
        )
    return sentences


def facility_map_summary(table: pd.DataFrame, hidden: pd.DataFrame) -> list[str]:
    """How many facilities in how many Stadtteile, their places together, the largest."""
    name, key = table.columns[:2]
    capacity = shown(table, hidden, header("capacity"))
    if capacity.dropna().empty:
        return []
    largest = capacity.idxmax()
    n, districts = len(table), table[key].nunique()
    sentences = [
        f"{n} {'Unterkunft' if n == 1 else 'Unterkünfte'} in {districts} "
        f"{'Stadtteil' if districts == 1 else 'Stadtteilen'}"
        + (f" mit zusammen {fmt_int(capacity.sum())} Plätzen." if capacity.notna().all() else "."),
        f"Die größte ist {table.loc[largest, name]} ({fmt_int(capacity[largest])} Plätze).",
    ]
    return sentences


# --- the profile's composite chart ---------------------------------------------------------------


def deviation_summary(table: pd.DataFrame, hidden: pd.DataFrame, place: str, municipality: str) -> list[str]:
    """How many shares of the district lie above and below the municipality's, and the largest gap.
    `table` as `charts.composite_views.deviations` builds it: Kennzahl, the district's share, the
    municipality's share, the deviation (Pp.)."""
    label, value, city, deviation = table.columns[:4]
    gaps = shown(table, hidden, deviation).round(1)  # as the chart writes them
    labels = table[label].astype(str)
    secret = [labels[i] for i in table.index if hidden.loc[i, deviation]]
    known = gaps.dropna()
    sentences = []
    if known.empty:
        sentences.append(f"Für {place} ist keine Abweichung von {municipality} insgesamt ausgewiesen.")
    else:
        n, among = len(known), "ausgewiesenen " if secret else ""
        counts = [(int((known > 0).sum()), "höher"), (int((known < 0).sum()), "niedriger"),
                  (int((known == 0).sum()), "gleich")]  # fmt: skip
        parts = [f"{count} {word}" for count, word in counts if count]
        if n == 1:
            parts = [f"der einzige {among.replace('en ', 'e ')}Anteil {parts[0].split()[1]}"]
        elif len(parts) == 1:
            every = "beide" if n == 2 else f"alle {n}"
            parts = [f"{every} {among}Anteile {parts[0].split()[1]}"]
        else:
            parts[0] = f"von {n} {among}Anteilen {parts[0]}"
        sentences.append(f"{place} im Vergleich mit {municipality} insgesamt: {_names(parts)}.")
        top = known.abs().idxmax()
        if known[top] != 0:
            values = shown(table, hidden, value)
            sentences.append(
                f"Am größten ist der Abstand bei „{labels[top]}“: {_nb(fmt_pct(values[top]))} gegenüber "
                f"{_nb(fmt_pct(table.loc[top, city]))} ({_nb(fmt_pp(known[top]))})."
            )
    if not secret:
        return _ending(sentences, False)
    quoted = _names([f"„{name}“" for name in secret])
    return _ending(sentences, True, f"Nicht ausgewiesen wegen kleiner Fallzahlen ({SUPPRESSED}): {quoted}.")
