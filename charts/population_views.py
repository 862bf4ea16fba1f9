"""The charts of the population pages as descriptions (`ChartView`), one function per page section.

Each function takes the `Source` and the `Filters` and decides, once, what a reader may see: hidden
cells, charts withheld because their parts would add up to a hidden count, the footnotes. The pages,
the downloads and the Sitzungsbericht all call these; none decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from charts.composite_views import deviations
from charts.definitions import SHARE_KEYS, definitions, note_for, offered
from charts.formatting import fmt_date, fmt_int
from charts.frames import (
    extremes,
    indexed,
    key_figures,
    largest,
    line_frame,
    nationality_mix,
    profile_table,
    pyramid,
)
from charts.index_views import index_views
from charts.population_figures import age_pyramid_chart, map_or_ranking, nationality_bar, ranking_highlight
from charts.population_figures import time_series as time_series_figure
from charts.protect import hidden_cells, hidden_keys, notes_for, public_mix, public_pyramid
from charts.reads import (
    boundaries,
    city_row,
    city_series,
    detail,
    detail_protection,
    indicator_table,
    indicator_values,
    segregation,
    series,
    shared,
)
from charts.region_views import reference_lines
from charts.sentences import (
    extremes_sentence,
    hidden_note,
    overview_sentences,
    plural,
    profile_sentences,
    residence_of,
)
from charts.summaries import age_summary, mix_summary, ranking_summary, series_summary
from charts.tables import german_headers
from charts.texts import no_geometry_note, source_line
from charts.view import ChartView, Filters, Source
from indicators.catalogue import OTHER_LABEL, PERCENT, TOTAL_LABEL, get
from indicators.disclosure import SUPPRESSED
from indicators.own import is_own

COUNT_KEYS = ("population", "foreigners", "migration_background", "immigration_history")
AGE_NOTE = "Die Altersgruppen sind unterschiedlich breit: längere Balken können an mehr Jahrgängen liegen."


def _names(src: Source, f: Filters, ids: list[str]) -> list[str]:
    districts = src.reads.districts(f.municipality, f.level)
    by_id = dict(zip(districts["district_id"], districts["district"], strict=True))
    return [str(by_id.get(i, i)) for i in ids]


def _where(names: list[str], municipality: str) -> str:
    if not names:
        return municipality
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} und {names[-1]}"
    return f"{joined}, {municipality}"


def _source(f: Filters) -> str:
    return source_line(f.source_at(f.reference_date), f.date_text)


# --- map (Karte, Übersicht, Sitzungsbericht) -----------------------------------------------------


def share_map(
    src: Source,
    f: Filters,
    key: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    colours: str = "Blues",
    labels: bool | None = None,
    compact: bool = False,
) -> ChartView | None:
    """One indicator per district of the selection (all without one) as a map, or as a ranking where
    no boundaries are loaded; the table holds every shown district and the municipality. Built once
    per database version and choice, for every session (`charts.reads.shared`)."""
    return shared(src, ("share_map", repr(f), key, scheme, k, colours, labels, compact),
                  lambda: _share_map(src, f, key, scheme, k, colours, labels, compact))  # fmt: skip


def _share_map(
    src: Source, f: Filters, key: str, scheme: str, k: int, colours: str, labels: bool | None, compact: bool
) -> ChartView | None:
    table = indicator_table(src, f)
    if table.empty:
        return None
    indicator = get(key)
    values = indicator_values(table, key)  # the public mask is by row position: take it before filtering
    shapes = boundaries(src, f)
    title = f"{indicator.label} nach {f.level}, {f.municipality}"
    source = _source(f)
    if not (values["value"].notna() | values["hidden"].astype(bool)).any():
        reason = f"Keine Daten für diese Kennzahl: {f.municipality} hat keine Zahlen zu „{indicator.label}“ geliefert."
        return ChartView(f"karte-{key}", title, None, pd.DataFrame(), [], source, withheld=reason)
    city = city_row(src, f)
    everywhere = values  # a map keeps the classes of the whole municipality and greys the others
    if f.districts:
        values = values[values["district_id"].isin(f.districts)]
    labels = len(values) <= 30 if labels is None else labels
    figure = map_or_ranking(
        shapes, values if shapes is None else everywhere, indicator, title=title, source=source,
        presentation=f.presentation, compact=compact, reference=city.get(key) if city is not None else None,
        reference_label=f.municipality, scheme=scheme, k=k, colours=colours, labels=labels,
        **({"selected": f.districts} if f.districts and shapes is not None else {}),
    )  # fmt: skip
    hidden_names = values.loc[values["hidden"].astype(bool), "district"].astype(str).tolist()
    notes = [no_geometry_note(f.level, plural(f.level))] if shapes is None else []
    notes.append(f"{indicator.label} = {indicator.formula}.")
    if hidden_names and shapes is None:  # the map names them in its legend; the ranking leaves them out
        notes.append(hidden_note(hidden_names, f.level))
    data, hidden = _district_table(table, city, values["district_id"], key, f.level)
    notes += published_note(city, f) + notes_for(hidden, f.threshold)
    summary = ranking_summary(data, hidden, key, f.level, f.municipality, with_city=city is not None)
    return ChartView(f"karte-{key}", title, figure, data, notes, source, hidden, summary=summary)


def published_note(city: pd.Series | None, f: Filters) -> list[str]:
    """Where the office's published total differs from the sum of the districts: say which is shown."""
    if city is None or not bool(city.get("published_total_differs", False)):
        return []
    published, summed = city["population"], city["districts_population"]
    return [
        f"{f.municipality}: Gezeigt wird die veröffentlichte Gesamtzahl ({fmt_int(published)} "
        f"Einwohner:innen). Die Summe der {plural(f.level)} ergibt {fmt_int(summed)} (Differenz "
        f"{fmt_int(published - summed, signed=True)}), etwa durch Rundung, Geheimhaltung oder Personen ohne "
        "Zuordnung zu einem Gebiet."
    ]


def _district_table(
    table: pd.DataFrame, city: pd.Series | None, ids: pd.Series, key: str, level: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """district, key, the counts behind the indicator and its value for the given districts, then the
    municipality (published as a whole: nothing hidden), German headers; with its hidden mask."""
    indicator = get(key)
    behind = {indicator.denominator, indicator.numerator}  # labels of the counts the indicator is made of
    counts = [c for c in COUNT_KEYS if get(c).label in behind and c in table] or ["population"]
    counts += [c for c in table if is_own(c) and c != key and get(c).label in behind]  # an own count
    columns = ["district", "district_id", *counts, *([key] if key not in counts else [])]
    rows = table["district_id"].isin(ids).to_numpy()
    mask = hidden_cells(table)[rows][columns]
    frame = table.loc[rows, columns]
    if city is not None:
        frame = pd.concat([frame, city.to_frame().T.reindex(columns=columns)], ignore_index=True)
        mask = pd.concat([mask, pd.DataFrame(False, index=[0], columns=columns)], ignore_index=True)
    frame = frame.reset_index(drop=True).apply(_numeric_if_possible)
    return _raw(german_headers(frame, level), german_headers(mask.reset_index(drop=True), level))


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    if column.name in ("district", "district_id") or column.dtype != object:
        return column
    return pd.to_numeric(column, errors="coerce")


def _raw(frame: pd.DataFrame, hidden: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hidden cells left empty, whatever they held."""
    out = frame.copy()
    for column in hidden.columns[hidden.any()]:
        out[column] = out[column].astype(object).where(~hidden[column].to_numpy(), None)
    return out, hidden


# --- time series (Stadtteilprofil, Zeitreihen, Sitzungsbericht) ----------------------------------


def _series_view(
    src: Source, f: Filters, key: str, ids: list[str], *, title: str, source: str, with_city: bool,
    base: date | None = None, until: date | None = None, notes: list[str] | None = None, view_key: str,
    compact: bool = False, extra: pd.DataFrame | None = None,
) -> ChartView:  # fmt: skip
    """Lines of the districts (and the municipality, dashed) over the Stichtage up to `until`; in the
    public view each Stichtag protected on its own, hidden values as gaps. `extra`: reference lines
    above the municipality (its Kreis, NRW; `charts.region_views.reference_lines`) at its Stichtage."""
    indicator = get(key)
    lines = line_frame(series(src, f), city_series(src, f), key, ids, f.municipality)
    references: tuple[str, ...] = (f.municipality,)
    if extra is not None and not extra.empty and with_city:
        extra = extra[extra["reference_date"].isin(lines["reference_date"])]
        lines = pd.concat([lines, extra[lines.columns]], ignore_index=True)
        references += tuple(dict.fromkeys(extra["district"]))
    if until is not None:
        lines = lines[lines["reference_date"] <= pd.Timestamp(until)]
    if not with_city:
        lines = lines[lines["district"] != f.municipality]
    base_text = fmt_date(base) if base is not None else None
    if base is not None:
        lines = indexed(lines, base)
    notes = list(notes or [])
    if lines["hidden"].any():
        gaps = lines.loc[lines["hidden"], "district"].astype(str).unique()
        notes.append(f"Lücken ({SUPPRESSED}) wegen kleiner Fallzahlen: {', '.join(gaps)}.")
        if base is not None:
            notes.append("Ist der Wert am Basis-Stichtag nicht ausgewiesen, entfällt die ganze Linie.")
        notes += notes_for(True, f.threshold)
    figure = time_series_figure(
        lines, indicator, title=title, source=source, reference=references if with_city else None,
        index_base=base_text, presentation=f.presentation, compact=compact,
    )  # fmt: skip
    unit = " (Index)" if base is not None else " (%)" if indicator.unit == PERCENT else ""
    wide = lines.pivot_table(index="reference_date", columns="district", values="value", aggfunc="first",
                             dropna=False, sort=False)  # fmt: skip
    gaps = lines.pivot_table(index="reference_date", columns="district", values="hidden", aggfunc="any",
                             sort=False).reindex_like(wide).fillna(False)  # fmt: skip
    order = list(dict.fromkeys(lines["district"]))
    wide, gaps = wide.reindex(columns=order).sort_index(), gaps.reindex(columns=order).sort_index()
    data = wide.rename(columns=lambda c: f"{c}{unit}").rename_axis(columns=None).reset_index()
    data = data.rename(columns={"reference_date": "Stichtag"})
    hidden = gaps.astype(bool).rename(columns=lambda c: f"{c}{unit}").rename_axis(columns=None).reset_index()
    hidden = hidden.rename(columns={"reference_date": "Stichtag"}).assign(Stichtag=False)
    label = indicator.label + (f" (Index {base_text} = 100)" if base_text else "")
    summary = series_summary(data, hidden, label, f.municipality)
    return ChartView(view_key, title, figure, data, notes, source, hidden, summary=summary)


def time_series(
    src: Source,
    f: Filters,
    key: str,
    *,
    base: date | None = None,
    with_city: bool = True,
    compact: bool = False,
) -> ChartView | None:
    """Zeitreihen / Vergleich: the chosen districts (else the five largest) over the Stichtage up to
    the chosen one, as shares or counts, optionally indexed to a base Stichtag. Built once per
    database version and choice, for every session."""
    return shared(src, ("time_series", repr(f), key, base, with_city, compact),
                  lambda: _time_series(src, f, key, base, with_city, compact))  # fmt: skip


def _time_series(
    src: Source, f: Filters, key: str, base: date | None, with_city: bool, compact: bool
) -> ChartView | None:
    table = indicator_table(src, f)
    if table.empty:
        return None
    ids = f.districts or largest(table, 5)
    shown_dates = [d for d in f.dates if f.reference_date is None or d <= f.reference_date]
    with_city = with_city or base is not None
    chosen = "ausgewählte" if f.districts else f"die {len(ids)} größten"
    title = f"{get(key).label}, {chosen} {plural(f.level)} – {f.municipality}"
    if base is not None:
        title += f" (Index {fmt_date(base)} = 100)"
    notes = [f"Gestrichelt: {f.municipality} insgesamt."] if with_city else [
        "Die Gesamtstadt ist bei absoluten Zahlen ausgeblendet; indexiert wird sie mit angezeigt."
    ]  # fmt: skip
    if not f.districts:
        notes.append(
            f"Ohne Auswahl in der Seitenleiste zeigt die Grafik die {len(ids)} größten {plural(f.level)}."
        )
    if len(shown_dates) < 2:
        notes.append(
            "Bis zum gewählten Stichtag liegt nur ein Stichtag vor: Eine Zeitreihe entsteht mit weiteren Stichtagen."
        )
    elif shown_dates[-1] < f.dates[-1]:
        notes.append(f"Die Zeitreihe endet am gewählten Stichtag {f.date_text}.")
    span = f"Stichtage {fmt_date(shown_dates[0])} bis {fmt_date(shown_dates[-1])}" if shown_dates else ""
    source = f"{source_line(f.source, None)} · {span}{f.other_sources(shown_dates)}"
    return _series_view(src, f, key, ids, title=title, source=source, with_city=with_city, base=base,
                        until=shown_dates[-1] if shown_dates else None, notes=notes, view_key=f"zeitreihe-{key}",
                        compact=compact)  # fmt: skip


# --- nationalities and age (Stadtteilprofil, Sitzungsbericht) ------------------------------------


def _hidden_for(src: Source, f: Filters, ids: list[str]) -> set[str]:
    """The count columns hidden for any of the districts (nothing outside the public view, and
    nothing for the whole municipality, whose totals are published)."""
    if not f.public or not ids:
        return set()
    table = indicator_table(src, f)
    return set().union(*(hidden_keys(table, i) for i in ids))


def nationalities(src: Source, f: Filters, ids: list[str]) -> ChartView | None:
    """The largest nationalities of the districts (the municipality without any) with "Übrige".
    Withheld from readers when the foreigners of one of them are hidden: the bars would add up to it.
    None without detail data."""
    mix = nationality_mix(_detail_of(src, f, ids))
    if mix.empty:
        return None
    names = _names(src, f, ids)
    title = f"Häufigste Staatsangehörigkeiten in {_where(names, f.municipality)}"
    source = _source(f)
    if "foreigners" in _hidden_for(src, f, ids):
        return _withheld(
            "staatsangehoerigkeiten", title, source, names, "die Staatsangehörigkeiten", "Ausländer:innen"
        )
    allowed = detail_protection(src, f).listable(ids) if f.public else None
    shown = public_mix(mix, f.threshold, allowed) if f.public else mix.assign(hidden=False)
    figure = nationality_bar(shown, title=title, source=source, presentation=f.presentation)
    columns = ["nationality", "persons", "share_pct"]
    hidden = pd.DataFrame({c: shown["hidden"].astype(bool) if c != "nationality" else False for c in columns})
    data, hidden = _raw(german_headers(shown[columns]), german_headers(hidden))
    notes = ["Anteil = Personen der Staatsangehörigkeit / alle Ausländer:innen der Auswahl × 100."]
    if f.public and (shown["nationality"] == OTHER_LABEL).any():
        notes.append(
            f"„{OTHER_LABEL}“: alle weiteren Staatsangehörigkeiten zusammen. Einzeln genannt wird eine "
            f"Staatsangehörigkeit nur mit mindestens {f.threshold} Personen (Schutz kleiner Fallzahlen)."
        )
    notes += notes_for(hidden, f.threshold)
    return ChartView("staatsangehoerigkeiten", title, figure, data, notes, source, hidden,
                     summary=mix_summary(data, hidden))  # fmt: skip


def age_structure(src: Source, f: Filters, ids: list[str]) -> ChartView | None:
    """Persons by age group, sex and migration status of the districts as a pyramid; withheld from
    readers when their residents or migration background are hidden. None without detail data."""
    ages = pyramid(_detail_of(src, f, ids))
    if ages.empty:
        return None
    names = _names(src, f, ids)
    title = f"Altersaufbau nach Migrationshintergrund in {_where(names, f.municipality)}"
    source = _source(f)
    if {"population", "migration_background"} & _hidden_for(src, f, ids):
        return _withheld("altersaufbau", title, source, names, "den Altersaufbau", "Einwohner:innen")
    mask = detail_protection(src, f).pyramid_mask(ids) if f.public else None
    shown = public_pyramid(ages, f.threshold, mask) if f.public else ages.assign(hidden=False)
    figure = age_pyramid_chart(shown, title=title, source=source, presentation=f.presentation)
    notes = [AGE_NOTE]
    if (~ages["sex"].isin(["m", "w"]) & (ages["persons"] > 0)).any():
        notes.append(
            "Personen mit dem Geschlechtseintrag „divers“ oder ohne Angabe sind hier nicht abgebildet."
        )
    if shown["hidden"].any():
        notes.append("Fehlende Balken: Fallzahl zu klein, Wert nicht ausgewiesen.")
    columns = ["age_group", "sex", "migration_status", "persons"]
    hidden = pd.DataFrame({c: shown["hidden"].astype(bool) if c == "persons" else False for c in columns})
    data, hidden = _raw(german_headers(shown[columns]), german_headers(hidden))
    notes += notes_for(hidden, f.threshold)
    return ChartView(
        "altersaufbau", title, figure, data, notes, source, hidden, summary=age_summary(data, hidden)
    )


def _detail_of(src: Source, f: Filters, ids: list[str]) -> pd.DataFrame:
    frame = detail(src, f, district_ids=ids or None)
    return frame[frame["district_id"].isin(ids)] if ids and not frame.empty else frame


def _withheld(key: str, title: str, source: str, names: list[str], what: str, count: str) -> ChartView:
    place = " und ".join(names)
    reason = (
        f"Für {place} werden {what} nicht gezeigt: Die Zahl der {count} ist hier nicht ausgewiesen "
        f"({SUPPRESSED}) und ließe sich sonst aus der Summe der Balken ablesen."
    )
    return ChartView(key, title, None, pd.DataFrame(), [], source, withheld=reason)


# --- Stadtteilprofil ------------------------------------------------------------------------------


@dataclass
class Profile:
    """One district against the municipality: the words, the table and the charts of the profile."""

    place: str
    sentences: list[str]
    table: pd.DataFrame  # Kennzahl, <place>, <municipality>: German text, hidden values `•`
    notes: list[str]
    charts: list[ChartView] = field(default_factory=list)

    @property
    def withheld(self) -> list[str]:
        return [c.withheld for c in self.charts if c.withheld]


def profile(src: Source, f: Filters, district_id: str, *, compact: bool = False) -> Profile:
    """Sentences and indicator table of one district, all its shares against the municipality's
    (`charts.composite_views`), its time series, nationalities, age pyramid and its rank among all
    districts of the level (on a phone, `compact`, the rank among its neighbours; the table behind the chart holds them all). Built once per database version and
    choice, for every session."""
    return shared(
        src, ("profile", repr(f), district_id, compact), lambda: _profile(src, f, district_id, compact)
    )


def _profile(src: Source, f: Filters, district_id: str, compact: bool) -> Profile:
    table, city = indicator_table(src, f), city_row(src, f)
    row = table.loc[table["district_id"] == district_id].iloc[0]
    place = str(row["district"])
    hidden = hidden_keys(table, district_id) if f.public else set()
    text = profile_table(table, city, district_id, place, hidden).rename(
        columns={TOTAL_LABEL: f.municipality}
    )
    known = text[text[["district_value", "city_value"]].notna().any(axis=1) | text["key"].isin(hidden)]
    sentences = profile_sentences(place, row.to_dict(), f.municipality, city.to_dict(), hidden)
    composite = deviations(src, f, district_id, compact=compact)  # every share at once, first
    charts = [composite] if composite is not None else []
    charts += index_views(src, f, district_id, compact=compact)  # only where weights are configured
    shares_offered = offered(SHARE_KEYS, definitions(src, f))  # the definitions of origin it delivers
    for key in shares_offered:
        notes = (
            []
            if len(f.dates) > 1
            else ["Nur ein Stichtag geladen: die Zeitreihe beginnt mit weiteren Importen."]
        )
        title = f"{get(key).label}: {place} und {f.municipality}"
        above = reference_lines(src, f, key)  # the Kreis and NRW, where loaded (issue 19)
        if not above.empty:
            notes = [*notes, f"Zum Vergleich gepunktet: {', '.join(dict.fromkeys(above['district']))}."]
        charts.append(_series_view(src, f, key, [district_id], title=title, source=_source(f), with_city=True,
                                   notes=notes, view_key=f"profil-zeitreihe-{key}", compact=compact,
                                   extra=above))  # fmt: skip
    charts += [v for v in (nationalities(src, f, [district_id]), age_structure(src, f, [district_id])) if v]
    charts += [
        _rank_view(src, f, table, city, key, district_id, place, hidden, compact) for key in shares_offered
    ]
    notes = [n for n in (note_for(src, f),) if n] + notes_for(bool(hidden), f.threshold)
    return Profile(place, sentences, known[["Kennzahl", place, f.municipality]], notes, charts)


def _rank_view(
    src: Source, f: Filters, table: pd.DataFrame, city: pd.Series | None, key: str, district_id: str,
    place: str, hidden: set[str], compact: bool = False,
) -> ChartView:  # fmt: skip
    indicator = get(key)
    values = indicator_values(table, key)
    title = f"{indicator.label}: Rang von {place} unter den {len(table)} {f.level}en, {f.municipality}"
    source = _source(f)
    figure = ranking_highlight(
        values, indicator, place, title=title, source=source,
        reference=city.get(key) if city is not None else None, reference_label=f.municipality,
        presentation=f.presentation, compact=compact,
    )  # fmt: skip
    if key in hidden:
        notes = [f"Der Wert von {place} wird wegen kleiner Fallzahlen nicht ausgewiesen ({SUPPRESSED})."]
    else:
        rank = table.loc[table["district_id"] == district_id, key.removesuffix("_pct") + "_rank"].iloc[0]
        notes = [f"{place} steht auf Rang {fmt_int(rank)} von {int(values['value'].notna().sum())}."]
    if values["hidden"].any():
        names = ", ".join(values.loc[values["hidden"].astype(bool), "district"].astype(str))
        notes += [f"Ohne Balken ({SUPPRESSED}): {names}."]
    if (figure.layout.meta or {}).get("excerpt"):
        notes.insert(
            0,
            f"Ausschnitt: {place} und die Nachbarn in der Rangfolge; alle {plural(f.level)} stehen in der Tabelle.",
        )
    data, mask = _district_table(table, city, table["district_id"], key, f.level)
    if compact:  # the table stands in for the full ranking: highest first, the municipality last
        n = len(data) - (city is not None)
        ranked = pd.to_numeric(data.iloc[:n, -1], errors="coerce").sort_values(ascending=False)
        order = [*ranked.index, *data.index[n:]]
        data, mask = data.loc[order].reset_index(drop=True), mask.loc[order].reset_index(drop=True)
    notes += notes_for(mask, f.threshold)
    summary = ranking_summary(
        data, mask, key, f.level, f.municipality, with_city=city is not None, place=place
    )
    return ChartView(f"profil-rang-{key}", title, figure, data, notes, source, mask, summary=summary)


# --- Übersicht ------------------------------------------------------------------------------------


@dataclass
class Overview:
    """The municipality at a glance: key figures, sentences, the map and the extremes."""

    key_figures: list[dict]  # keyword arguments for `st.metric`
    change_note: str
    sentences: list[str]
    map: ChartView
    extremes: pd.DataFrame  # Rang, Stadtteil, value, Wert (hidden values never ranked or named)
    extremes_sentence: str
    extremes_scope: str
    hidden_note: str | None
    footnotes: list[str]


def overview(src: Source, f: Filters, key: str, *, compact: bool = False) -> Overview | None:
    """Key figures and sentences of the municipality, the map of one share and its extremes. Built
    once per database version and choice, for every session."""
    return shared(src, ("overview", repr(f), key, compact), lambda: _overview(src, f, key, compact))


def _overview(src: Source, f: Filters, key: str, compact: bool) -> Overview | None:
    table, city = indicator_table(src, f), city_row(src, f)
    if table.empty or city is None:
        return None
    city = city.to_dict()
    previous = f.previous_date
    d_now, d_before = segregation(src, f)
    d_change = d_now - d_before if d_before is not None else None
    change_note = (
        f"Pfeile: Veränderung gegenüber dem Stichtag {fmt_date(previous)}."
        if previous
        else "Kein früherer Stichtag geladen: Veränderungen lassen sich noch nicht zeigen."
    )
    chart = share_map(src, f, key, compact=compact)
    indicator = get(key)
    values = indicator_values(table, key)
    shown = table[table["district_id"].isin(f.districts)] if f.districts else table
    hidden = values.loc[values["hidden"].astype(bool) & values["district_id"].isin(shown["district_id"]),
                        "district"].astype(str).tolist()  # fmt: skip
    ranked = extremes(shown, key)  # hidden values are missing in the public table: never ranked or named
    sentence = ""
    if not ranked.empty:
        top, bottom = ranked.iloc[0], ranked.iloc[-1]
        sentence = extremes_sentence(indicator.label, (top["Stadtteil"], top["value"]),
                                     (bottom["Stadtteil"], bottom["value"]))  # fmt: skip
    n = len(shown)
    scope = f"{n} ausgewählte {plural(f.level)}" if f.districts else f"alle {n} {plural(f.level)}"
    return Overview(
        key_figures(city, d_now, d_change, previous), change_note,
        overview_sentences(f.municipality, city, previous, d_now, f.level, residence_of(f.source)),
        chart, ranked, sentence,
        f"{indicator.label}, {scope}; Rang 1 = höchster Wert.", hidden_note(hidden, f.level) if hidden else None,
        published_note(city_row(src, f), f) + notes_for(bool(hidden), f.threshold),
    )  # fmt: skip
