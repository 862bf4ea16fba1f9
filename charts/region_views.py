"""Kommunen im Vergleich (issue 19): the Gemeinden of a Kreis on a map, ranked and over time, with
the Kreis and NRW as reference — each chart a `ChartView` with its table; and the Kreis and NRW as
reference lines for a Stadtteilprofil.

The counts come from `Store.region_counts` (published rows of the statistics office, else the
municipality's own Stadtteile). The public view is applied once, here (`indicators.regions`): a small
Gemeinde's count is hidden, with a second one, so that the Kreis minus the others does not give it away.
A Gemeinde with refugee figures only (allocations, quota) has no counts: it is listed, not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from charts.figures import district_map, ranking_bar
from charts.formatting import fmt_date, fmt_indicator
from charts.population_figures import time_series as time_series_figure
from charts.protect import notes_for
from charts.reads import shared
from charts.view import ChartView, Filters, Source
from indicators.catalogue import PERCENT, get
from indicators.disclosure import SUPPRESSED
from indicators.regions import COUNTS, GEMEINDE, KREIS, public_regions, with_shares

#: the Methodik page's paragraph on the page "Kommunen im Vergleich"
METHOD = (
    "Die Seite **Kommunen im Vergleich** zeigt die Gemeinden eines Kreises nebeneinander, mit dem Kreis und "
    "NRW als Bezug. Die Zahlen der Gemeinden, Kreise und des Landes stammen aus Tabellen der statistischen "
    "Ämter nach Amtlichem Gemeindeschlüssel (AGS; z. B. IT.NRW, GENESIS 12411-01i, Fortschreibung des "
    "Bevölkerungsstandes). Kreis- und Landeswerte gelten so, wie sie veröffentlicht sind; weicht ein "
    "Kreiswert von der Summe seiner Gemeinden in der Datei ab, meldet der Import das. Hat eine Gemeinde "
    "keine veröffentlichte Zeile, aber eigene Stadtteilzahlen im Monitor, zählt die Seite sie aus diesen "
    "(Melderegister) – die beiden Quellen zählen nicht gleich (Stichtag, Haupt-/Nebenwohnsitz, "
    "Fortschreibung), die Grafik sagt es dann dazu. Gemeinden nur mit Zuweisungs- oder Quotenzahlen stehen "
    "in der Liste, ohne Wert. **Schutz kleiner Fallzahlen:** Der Kreis ist die Summe seiner Gemeinden; "
    "deshalb wird neben einem kleinen Wert einer Gemeinde ein zweiter Wert gesperrt, damit er sich nicht "
    "als Kreis minus die übrigen Gemeinden errechnen lässt (dasselbe Verfahren wie für Stadtbezirke und "
    "Stadtteile). Veröffentlichte Kreis- und Landeswerte werden nie gesperrt."
)
LAND = "Land"
KEYS = ("foreigner_share_pct", "migration_background_share_pct", "population", "foreigners")
ORIGINS = {
    "published": "Statistisches Landesamt",
    "city_total": "eigene Daten der Kommune (Gesamtzahl)",
    "districts": "eigene Daten der Kommune (Summe der Stadtteile)",
    "sum": "Summe der Gemeinden",
}
NO_COUNTS = "keine Einwohnerzahlen geladen"
REFUGEE_ONLY = "nur Zuweisungen/Aufnahmequote"


def kreise(src: Source) -> pd.DataFrame:
    """ags, name of every Kreis the store knows (as a region, or as the prefix of a municipality's AGS)."""
    regions = src.reads.regions("")
    found = regions.loc[regions["level"] == KREIS, ["ags", "name"]]
    municipalities = src.reads.municipalities()
    prefixes = {str(a)[:5] for a in municipalities["ags"].dropna() if len(str(a)) == 8}
    missing = sorted(prefixes - set(found["ags"]))
    extra = pd.DataFrame({"ags": missing, "name": [f"Kreis {a}" for a in missing]}, dtype=object)
    return pd.concat([found, extra], ignore_index=True).sort_values("name", ignore_index=True)


def kreis_of(src: Source, municipality: str) -> str | None:
    """The AGS of the Kreis of a municipality (the first five digits of its AGS), if it has one."""
    ags = src.reads.municipality_ags(municipality)
    return ags[:5] if ags and len(ags) == 8 else None


@dataclass
class Comparison:
    """The Gemeinden of one Kreis side by side."""

    kreis: str  # its name
    dates: list[date]
    members: pd.DataFrame  # the list of all Gemeinden (German headers, text), refugee-only ones too
    charts: list[ChartView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def region_frame(src: Source, kreis: str) -> pd.DataFrame:
    """Counts of the Kreis, its Gemeinden and the regions above it per Stichtag: ags, name, level,
    reference_date, counts, source, origin. A Kreis without a published row at a Stichtag is the sum of
    its Gemeinden there, where all of them are known."""
    counts = src.reads.region_counts(kreis)
    regions = src.reads.regions("")
    regions = regions[regions["ags"].map(lambda a: kreis.startswith(a) or a.startswith(kreis)).astype(bool)]
    members = src.reads.region_members(kreis)
    names = dict(zip(regions["ags"], regions["name"], strict=True))
    names.update({a: n for a, n in zip(members["ags"], members["name"], strict=True) if a not in names})
    levels = dict(zip(regions["ags"], regions["level"], strict=True))
    frame = counts.assign(
        name=counts["ags"].map(names).fillna(counts["ags"]),
        level=counts["ags"].map(levels).fillna(GEMEINDE),
    )
    frame["reference_date"] = pd.to_datetime(frame["reference_date"])
    gemeinden = frame[frame["level"] == GEMEINDE]
    sums = []
    for day, part in gemeinden.groupby("reference_date"):
        if ((frame["ags"] == kreis) & (frame["reference_date"] == day)).any():
            continue
        if len(part) == len(members) and part["population"].notna().all():
            row = {c: part[c].sum(min_count=len(part)) if part[c].notna().all() else pd.NA for c in COUNTS}
            sums.append({"ags": kreis, "reference_date": day, **row, "source": None, "origin": "sum"})
    if sums:
        extra = pd.DataFrame(sums).assign(name=names.get(kreis, f"Kreis {kreis}"), level=KREIS)
        frame = pd.concat([frame, extra], ignore_index=True)
    for column in COUNTS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame.reset_index(drop=True)


def _public(frame: pd.DataFrame, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts with shares as this reader may see them, and the mask (True = hidden)."""
    if not f.public:
        table = with_shares(frame)
        return table, pd.DataFrame(False, index=table.index, columns=table.columns)
    locked = frame.loc[frame["origin"].isin(["city_total", "districts"]), "ags"].unique()
    return public_regions(frame, f.threshold, locked)


def comparison(src: Source, f: Filters, kreis: str, key: str, when: date | None = None) -> Comparison | None:
    """Map, ranking and time series of one indicator for the Gemeinden of the Kreis `kreis` (AGS),
    with the Kreis and the Land as reference, at the Stichtag `when` (default: the newest)."""
    return shared(src, ("kreis_comparison", repr(f), kreis, key, when),
                  lambda: _comparison(src, f, kreis, key, when))  # fmt: skip


def _comparison(src: Source, f: Filters, kreis: str, key: str, when: date | None) -> Comparison | None:
    frame = region_frame(src, kreis)
    members = src.reads.region_members(kreis)
    kreis_name = frame.loc[frame["ags"] == kreis, "name"].iloc[0] if (frame["ags"] == kreis).any() else kreis
    if frame.empty and members.empty:
        return None
    table, mask = _public(frame, f)
    dates = sorted({d.date() for d in table.loc[table["level"] == GEMEINDE, "reference_date"]})
    day = pd.Timestamp(when or (dates[-1] if dates else date.today()))
    member_list = _member_list(members, table, mask, day)
    result = Comparison(kreis_name, dates, member_list)
    if not dates:
        result.notes.append(f"Für die Gemeinden von {kreis_name} sind keine Einwohnerzahlen geladen.")
        return result
    indicator = get(key)
    now = table["reference_date"] == day
    gem = table[now & (table["level"] == GEMEINDE)]
    hidden = mask.loc[gem.index, key] if key in mask else pd.Series(False, index=gem.index)
    data = pd.DataFrame(
        {
            "district_id": gem["ags"],
            "district": gem["name"],
            "value": pd.to_numeric(gem[key], errors="coerce").astype(float),
            "population": gem["population"],
            "foreigners": gem["foreigners"],
            "hidden": hidden.to_numpy(),
        }
    )
    refs = _references(table, now, key, kreis)
    drawn = refs if indicator.unit == PERCENT else []  # a Kreis total beside town counts would flatten them
    source = _source(table[now], day)
    notes = _origin_notes(table[now & (table["level"] == GEMEINDE)])
    if f.public and bool(mask.loc[gem.index].to_numpy().any()):
        names = ", ".join(gem.loc[mask.loc[gem.index].any(axis=1), "name"])
        notes.append(
            f"Nicht ausgewiesen ({SUPPRESSED}): einzelne Werte von {names} – kleine Fallzahlen, oder ein "
            f"zweiter Wert, damit sich ein kleiner nicht aus {kreis_name} minus den übrigen Gemeinden "
            "errechnen lässt."
        )
        notes += notes_for(True, f.threshold)
    no_counts = member_list.loc[member_list["Daten"] != "Einwohnerzahlen", "Gemeinde"].tolist()
    if no_counts:
        notes.append(f"Ohne Einwohnerzahlen (nur in der Liste): {', '.join(no_counts)}.")
    table_view = _chart_table(data, indicator, key, refs)
    summary = _ranking_summary(data, refs, indicator)
    result.notes = notes
    boundaries = _boundaries(src, kreis)
    when_text = fmt_date(day)
    if boundaries is not None:
        title = f"{indicator.label} in den Gemeinden – {kreis_name}, {when_text}"
        figure = district_map(boundaries, data, indicator, title=title, source=source,
                              presentation=f.presentation, compact=False)  # fmt: skip
        result.charts.append(
            ChartView(
                "kommunen-karte", title, figure, table_view[0], [], source, table_view[1], summary=summary
            )
        )
    title = f"{indicator.label}: Rangfolge der Gemeinden – {kreis_name}, {when_text}"
    figure = ranking_bar(data, indicator, title=title, source=source, presentation=f.presentation,
                         reference=drawn[0][1] if drawn else None, reference_label=drawn[0][0] if drawn else None)  # fmt: skip
    for label, value in drawn[1:]:
        _add_reference(figure, label, value, indicator)
    rank_notes = [f"Linien: {', '.join(label for label, _ in drawn)} zum Vergleich."] if drawn else []
    if refs and not drawn:
        rank_notes = [f"{', '.join(label for label, _ in refs)}: Werte in der Tabelle zur Grafik."]
    result.charts.append(
        ChartView(
            "kommunen-rang", title, figure, table_view[0], rank_notes, source, table_view[1], summary=summary
        )
    )
    result.charts.append(_series(table, mask, key, kreis, kreis_name, f, source))
    return result


def _chart_table(
    data: pd.DataFrame, indicator, key: str, refs: list[tuple[str, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table behind the map and the ranking: Gemeinde, AGS, value, counts; the references below."""
    unit = " (%)" if indicator.unit == PERCENT else ""
    label = f"{indicator.label}{unit}"
    rows = data.sort_values("value", ascending=False, na_position="last")
    table = pd.DataFrame(
        {
            "Gemeinde": rows["district"].to_numpy(),
            "AGS": rows["district_id"].to_numpy(),
            label: rows["value"].to_numpy(),
        }
    )
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    hidden[label] = rows["hidden"].astype(bool).to_numpy()
    extra = pd.DataFrame(
        {"Gemeinde": [r[0] for r in refs], "AGS": ["" for _ in refs], label: [r[1] for r in refs]}
    )
    table = pd.concat([table, extra], ignore_index=True)
    hidden = pd.concat(
        [hidden, pd.DataFrame(False, index=extra.index, columns=hidden.columns)], ignore_index=True
    )
    return table, hidden


def _references(table: pd.DataFrame, now: pd.Series, key: str, kreis: str) -> list[tuple[str, float]]:
    """(name, value) of the Kreis and of the Land at the Stichtag, where known."""
    out = []
    for ags in (kreis, kreis[:2]):
        row = table[now & (table["ags"] == ags)]
        if len(row) and pd.notna(row[key].iloc[0]):
            out.append((str(row["name"].iloc[0]), float(row[key].iloc[0])))
    return out


def _add_reference(figure, label: str, value: float, indicator) -> None:
    """A second reference line in a ranking (NRW beside the Kreis): dotted, its label below the bars."""
    figure.add_shape(type="line", x0=value, x1=value, xref="x", y0=0, y1=1, yref="y domain",
                     line={"color": "#4a4f55", "dash": "dot", "width": 2})  # fmt: skip
    # inside the plot just above the axis (the Kreis' label sits above the plot): never on the tick labels
    figure.add_annotation(text=f"{label}: {fmt_indicator(value, indicator)}", x=value, xref="x", y=0,
                          yref="y domain", yanchor="bottom", xanchor="right", xshift=-4, showarrow=False,
                          font={"color": "#4a4f55"}, bgcolor="rgba(255,255,255,0.85)")  # fmt: skip


def _series(
    table: pd.DataFrame, mask: pd.DataFrame, key: str, kreis: str, kreis_name: str, f: Filters, source: str
) -> ChartView:
    indicator = get(key)
    above = [kreis, kreis[:2]] if indicator.unit == PERCENT else []  # totals would flatten town counts
    part = table[(table["level"] == GEMEINDE) | table["ags"].isin(above)]
    hidden = mask.loc[part.index, key] if key in mask else pd.Series(False, index=part.index)
    lines = pd.DataFrame(
        {
            "reference_date": part["reference_date"],
            "district": part["name"],
            "value": pd.to_numeric(part[key], errors="coerce").astype(float),
            "hidden": hidden.to_numpy(),
            "order": part["level"].map({GEMEINDE: 0, KREIS: 1}).fillna(2),
        }
    ).sort_values(["order", "district", "reference_date"], kind="stable")
    references = tuple(dict.fromkeys(lines.loc[lines["order"] > 0, "district"]))
    title = f"{indicator.label} im Zeitverlauf – Gemeinden von {kreis_name}"
    span = sorted(lines["reference_date"].unique())
    line_source = source.split(" · Stichtag")[0] + (
        f" · Stichtage {fmt_date(span[0])} bis {fmt_date(span[-1])}" if span else ""
    )
    figure = time_series_figure(lines.drop(columns="order"), indicator, title=title, source=line_source,
                                reference=references, presentation=f.presentation)  # fmt: skip
    unit = " (%)" if indicator.unit == PERCENT else ""
    order = list(dict.fromkeys(lines["district"]))
    wide = lines.pivot_table(index="reference_date", columns="district", values="value", aggfunc="first",
                             dropna=False).reindex(columns=order)  # fmt: skip
    gaps = lines.pivot_table(index="reference_date", columns="district", values="hidden", aggfunc="any")
    gaps = gaps.reindex_like(wide).fillna(False).astype(bool)
    data = wide.rename(columns=lambda c: f"{c}{unit}").rename_axis(columns=None).reset_index()
    data = data.rename(columns={"reference_date": "Stichtag"})
    mask_out = gaps.rename(columns=lambda c: f"{c}{unit}").rename_axis(columns=None).reset_index(drop=True)
    mask_out.insert(0, "Stichtag", False)
    notes = [f"Gestrichelt bzw. gepunktet: {', '.join(references)}."] if references else []
    if lines["hidden"].any():
        notes.append(f"Lücken ({SUPPRESSED}) wegen kleiner Fallzahlen.")
    summary = _series_summary(lines, references, indicator)
    return ChartView("kommunen-zeitreihe", title, figure, data, notes, line_source, mask_out, summary=summary)


def _ranking_summary(data: pd.DataFrame, refs: list[tuple[str, float]], indicator) -> list[str]:
    """Highest and lowest shown value, the references; hidden values are neither named nor ranked."""
    shown = data[~data["hidden"].astype(bool)].dropna(subset=["value"]).sort_values("value")
    out = []
    if len(shown) > 1:
        top, low = shown.iloc[-1], shown.iloc[0]
        out.append(
            f"Den höchsten Wert ({indicator.label}) unter {len(shown)} Gemeinden mit ausgewiesenem Wert hat "
            f"{top['district']} ({fmt_indicator(top['value'], indicator)}), den niedrigsten {low['district']} "
            f"({fmt_indicator(low['value'], indicator)})."
        )
    if refs:
        out.append("Zum Vergleich: " + ", ".join(f"{n} {fmt_indicator(v, indicator)}" for n, v in refs) + ".")
    return out


def _series_summary(lines: pd.DataFrame, references: tuple[str, ...], indicator) -> list[str]:
    """How the first reference (the Kreis) moved from the first to the last Stichtag."""
    if not references:
        return []
    line = lines[(lines["district"] == references[0]) & lines["value"].notna()].sort_values("reference_date")
    if len(line) < 2:
        return []
    first, last = line.iloc[0], line.iloc[-1]
    return [
        f"{references[0]}, {indicator.label}: {fmt_indicator(first['value'], indicator)} am "
        f"{fmt_date(first['reference_date'])}, {fmt_indicator(last['value'], indicator)} am "
        f"{fmt_date(last['reference_date'])}."
    ]


def _member_list(
    members: pd.DataFrame, table: pd.DataFrame, mask: pd.DataFrame, day: pd.Timestamp
) -> pd.DataFrame:
    """Every Gemeinde of the Kreis with its counts at the Stichtag, where it has them, and what data
    the store holds for it: a municipality with refugee figures only is listed here."""
    now = table[(table["reference_date"] == day) & (table["level"] == GEMEINDE)].set_index("ags")
    hidden = mask.loc[table.index[(table["reference_date"] == day) & (table["level"] == GEMEINDE)]]
    hidden.index = now.index
    rows = []
    for m in members.itertuples(index=False):
        counted = m.ags in now.index
        what = "Einwohnerzahlen" if counted else REFUGEE_ONLY if m.refugee_data else NO_COUNTS
        cell = {}
        for column, label in (("population", "Einwohner:innen"), ("foreigners", "Ausländer:innen"),
                              ("foreigner_share_pct", "Ausländeranteil (%)")):  # fmt: skip
            if not counted:
                cell[label] = "–"
            elif bool(hidden.at[m.ags, column]):
                cell[label] = SUPPRESSED
            else:
                value = now.at[m.ags, column]
                indicator = get(column)
                cell[label] = "–" if pd.isna(value) else fmt_indicator(float(value), indicator)
        origin = ""
        if counted:  # a published row names its source ("IT.NRW, Tabelle 12411-01i"), else how it was counted
            source = now.at[m.ags, "source"]
            published = now.at[m.ags, "origin"] == "published" and isinstance(source, str) and source
            origin = source if published else ORIGINS.get(now.at[m.ags, "origin"], "")
        rows.append({"Gemeinde": m.name, "AGS": m.ags, **cell, "Daten": what, "Herkunft der Zahlen": origin})
    return pd.DataFrame(rows, columns=["Gemeinde", "AGS", "Einwohner:innen", "Ausländer:innen",
                                       "Ausländeranteil (%)", "Daten", "Herkunft der Zahlen"])  # fmt: skip


def _source(rows: pd.DataFrame, day: pd.Timestamp) -> str:
    sources = [s for s in dict.fromkeys(rows["source"].dropna()) if s]
    return f"Quelle: {'; '.join(sources) or 'Daten der Kommunen'} · Stichtag {fmt_date(day)}"


def _origin_notes(gemeinden: pd.DataFrame) -> list[str]:
    own = gemeinden.loc[gemeinden["origin"].isin(["city_total", "districts"]), "name"].tolist()
    if not own or len(own) == len(gemeinden):
        return []
    return [
        f"{', '.join(own)}: Zahlen aus den eigenen Daten der Kommune (Melderegister), die übrigen aus der "
        "Tabelle des Statistischen Landesamts (Fortschreibung) – die beiden Quellen zählen nicht gleich."
    ]


def _boundaries(src: Source, kreis: str):
    frame = src.reads.region_boundaries(kreis)
    if frame.empty:
        return None
    from geo.boundaries import from_wkb

    gdf = from_wkb(frame)
    return gdf.rename(columns={"ags": "district_id", "name": "district"})


# --- reference lines for the Stadtteilprofil ---------------------------------------------------------


def reference_lines(src: Source, f: Filters, key: str) -> pd.DataFrame:
    """The municipality's Kreis and the Land as lines for a profile's time series (`line_frame`'s
    columns: reference_date, district, value, hidden); empty without an AGS or region counts."""
    kreis = kreis_of(src, f.municipality)
    empty = pd.DataFrame(columns=["reference_date", "district", "value", "hidden"])
    if kreis is None or key not in ("foreigner_share_pct", "migration_background_share_pct"):
        return empty
    frame = region_frame(src, kreis)
    if frame.empty:
        return empty
    table, mask = _public(frame, f)
    part = table[table["ags"].isin([kreis, kreis[:2]])].sort_values(
        "ags", key=lambda a: -a.str.len(), kind="stable"
    )
    lines = pd.DataFrame(
        {
            "reference_date": pd.to_datetime(part["reference_date"]),
            "district": part["name"],
            "value": pd.to_numeric(part[key], errors="coerce").astype(float),
            "hidden": mask.loc[part.index, key].astype(bool).to_numpy(),
        }
    )
    return lines.dropna(subset=["value"]).reset_index(drop=True)
