"""The configured combined index on the Stadtteilprofil: a status and a dynamics index per Stadtteil
(`indicators.composite_index`), each as a ranking with the chosen Stadtteil highlighted, as `ChartView`s.

Only where the municipality set weights (`settings.index_weights`); a wrong configuration shows its
German messages instead of an index. The index is computed from the public table where readers look
(`charts.reads.indicator_table`), so a hidden value never enters it: a Stadtteil with a hidden input
gets `•`, and the others' z-scores are taken without it. Values are shown rounded to one decimal;
z-scores of single indicators are not shown at all.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

import settings
from charts.figures import TEXT_COLOUR, rewrap_for_width
from charts.population_figures import ranking_highlight
from charts.protect import hidden_cells, notes_for
from charts.reads import indicator_table, own_catalogue
from charts.sentences import plural
from charts.texts import source_line
from charts.view import ChartView, Filters, Source
from indicators.catalogue import for_municipality
from indicators.composite_index import CLASS_TEXT, check_weights, composite_index
from indicators.disclosure import SUPPRESSED
from indicators.indicator import INDEX, Indicator

KEY = "profil-gesamtindex"
PHONE_WIDTH = 360
KINDS = {
    "status": ("Statusindex", "Status-Index", "die Anteile am Stichtag"),
    "dynamics": ("Dynamikindex", "Dynamik-Index", "ihre Veränderung in Pp. gegenüber dem vorigen Stichtag"),
}
NOTE_NOT_ADDED = "Status- und Dynamikindex stehen getrennt nebeneinander und werden nicht zusammengezählt."
NOTE_CAVEAT = (
    "Der Index spiegelt die Gewichte, die {municipality} gewählt hat, nicht mehr. Ein höherer Wert heißt "
    "nur: höhere Anteile der gewählten Kennzahlen. Anteile von Ausländer:innen oder Personen mit "
    "Migrationshintergrund sind kein Maß für Benachteiligung."
)


def configured(src: Source, f: Filters) -> tuple[dict[str, float] | None, list[str]]:
    """The municipality's weights and the German problems of its configuration: (weights, []) when
    usable, (None, problems) when not, (None, []) when none are set."""
    try:
        weights = settings.index_weights().get(f.municipality)
    except ValueError as error:
        return None, [str(error)]
    if not weights:
        return None, []
    catalogue = for_municipality(own_catalogue(src, f))
    problems = check_weights(weights, catalogue, f.municipality)
    return (None, problems) if problems else (weights, [])


def weights_text(weights: dict[str, float], municipality: str, src: Source, f: Filters) -> str:
    """`Ausländeranteil (Gewicht 1), SGB-II-Quote (Gewicht 2)`: the configured weights in German."""
    catalogue = for_municipality(own_catalogue(src, f))
    parts = [f"{catalogue[k].label} (Gewicht {_number(w)})" for k, w in weights.items() if k in catalogue]
    return ", ".join(parts)


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def index_note(src: Source, f: Filters) -> str | None:
    """The composite chart's sentence on the index where one is configured (None: keep "Kein
    Gesamtindex")."""
    weights, problems = configured(src, f)
    if problems:
        return f"Kein Gesamtindex: Die für {f.municipality} eingestellten Gewichte sind fehlerhaft (siehe unten)."
    if weights is None:
        return None
    return (
        "Ein Gesamtindex ist eingestellt: Status- und Dynamikindex mit den von "
        f"{f.municipality} gewählten Gewichten stehen getrennt unter dieser Grafik."
    )


def index_frame(src: Source, f: Filters, weights: dict[str, float]) -> pd.DataFrame:
    """district_id, district and the columns of `composite_index` for the chosen Stichtag, from the
    table the reader sees (exact values only for an editor who asked)."""
    keys = list(weights)
    table = indicator_table(src, f)
    mask = hidden_cells(table) if f.public else pd.DataFrame(False, index=table.index, columns=table.columns)
    now, hidden = _columns(table, mask, keys)
    before = None
    if f.previous_date is not None:
        earlier = indicator_table(src, replace(f, reference_date=f.previous_date))
        if not earlier.empty:
            old_mask = hidden_cells(earlier) if f.public else pd.DataFrame(False, index=earlier.index,
                                                                           columns=earlier.columns)  # fmt: skip
            before, old_hidden = _columns(earlier, old_mask, keys)
            flags = old_hidden.set_index("district_id").reindex(hidden["district_id"]).fillna(False)
            hidden[keys] = hidden[keys].to_numpy(dtype=bool) | flags[keys].to_numpy(dtype=bool)
    result = composite_index(now, weights, before, hidden)
    names = dict(zip(table["district_id"].astype(str), table["district"], strict=True))
    result.insert(1, "district", result["district_id"].map(names))
    return result


def _columns(table: pd.DataFrame, mask: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """district_id and the chosen shares (NaN where a share is not delivered), and which are hidden
    (the share itself or, where the table has one, its change in Pp.)."""
    ids = table["district_id"].astype(str).to_numpy()
    values, hidden = pd.DataFrame({"district_id": ids}), pd.DataFrame({"district_id": ids})
    for key in keys:
        column = table[key] if key in table else pd.Series(float("nan"), index=table.index)
        values[key] = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
        flags = mask[key] if key in mask else pd.Series(False, index=table.index)
        change = f"{key.removesuffix('_pct')}_change_pp"
        if change in mask:
            flags = flags | mask[change]
        hidden[key] = flags.astype(bool).to_numpy()
    return values, hidden


def index_views(src: Source, f: Filters, district_id: str, *, compact: bool = False) -> list[ChartView]:
    """The status index and (with a previous Stichtag) the dynamics index of all districts, the chosen
    one highlighted; a withheld view with the German problems of a wrong configuration; nothing where
    no weights are set."""
    weights, problems = configured(src, f)
    if problems:
        text = "Kein Gesamtindex: Die Einstellung der Gewichte ist fehlerhaft. " + " ".join(problems)
        return [ChartView(KEY, "Gesamtindex", None, pd.DataFrame(), withheld=text)]
    if weights is None or indicator_table(src, f).empty:
        return []
    frame = index_frame(src, f, weights)
    kinds = ["status", "dynamics"] if f.previous_date is not None else ["status"]
    return [_view(src, f, frame, kind, district_id, weights, compact) for kind in kinds]


def _view(
    src: Source, f: Filters, frame: pd.DataFrame, kind: str, district_id: str, weights: dict[str, float],
    compact: bool,
) -> ChartView:  # fmt: skip
    name, header, basis = KINDS[kind]
    place = str(frame.loc[frame["district_id"] == district_id, "district"].iloc[0])
    secret = frame["hidden"].astype(bool)
    shown = frame[kind].round(1).where(~secret)
    indicator = Indicator(f"{kind}_index", name, name, INDEX, f"gewichtetes Mittel der z-Werte ({basis})",
                          None, None, "", "", decimals=1, signed=True)  # fmt: skip
    values = pd.DataFrame({"district_id": frame["district_id"], "district": frame["district"],
                           "value": shown, "hidden": secret})  # fmt: skip
    title = f"{name}: {place} unter den {f.level}en von {f.municipality}"
    source = source_line(f.source, f.date_text)
    figure = ranking_highlight(values, indicator, place, title=title, source=source,
                               presentation=f.presentation, compact=compact)  # fmt: skip
    top = float(shown.abs().max()) if shown.notna().any() else 1.0
    reach = max(top, 0.5) * (1.6 if compact or f.presentation else 1.35)  # room for the value beside a bar
    figure.update_xaxes(range=[-reach, reach], rangemode="normal", zeroline=True, zerolinecolor=TEXT_COLOUR,
                        zerolinewidth=2, title_text=f"{name} (gewichtetes Mittel der z-Werte)")  # fmt: skip
    if compact:  # a phone: title and source wrapped for its width
        rewrap_for_width(figure, PHONE_WIDTH)
    data = pd.DataFrame({
        f.level: frame["district"],
        header: shown,
        "Rang": frame[f"{kind}_rank"].astype(object).where(~secret, None),
        "Klasse": frame[f"{kind}_class"].astype(object).where(~secret & frame[f"{kind}_class"].notna(), None),
    })  # fmt: skip
    mask = pd.DataFrame({f.level: False, header: secret, "Rang": secret, "Klasse": secret})
    row = frame.index[frame["district_id"] == district_id][0]
    n = int(shown.notna().sum())
    if secret[row]:
        summary = [f"Für {place} wird kein {name} ausgewiesen: ein Wert ist wegen kleiner Fallzahlen "
                   f"gesperrt ({SUPPRESSED})."]  # fmt: skip
    elif pd.isna(shown[row]):
        summary = [
            f"Für {place} lässt sich kein {name} berechnen: nicht alle gewählten Kennzahlen liegen vor."
        ]
    else:
        value = f"{shown[row]:+.1f}".replace(".", ",")
        summary = [f"{place}: {name} {value}, Rang {int(frame.loc[row, f'{kind}_rank'])} von {n}, "
                   f"Klasse „{frame.loc[row, f'{kind}_class']}“."]  # fmt: skip
    notes = [
        f"{name}: gewichtetes Mittel der z-Werte über {basis} (z = Abstand vom Mittel der {plural(f.level)} in "
        f"Standardabweichungen), gerundet auf eine Nachkommastelle. Gewichte: "
        f"{weights_text(weights, f.municipality, src, f)}. Rang 1 = höchster Wert.",
        f"Klassen relativ zur Streuung des Index: {CLASS_TEXT}.",
        NOTE_NOT_ADDED,
        NOTE_CAVEAT.format(municipality=f.municipality),
    ]
    if secret.any():
        names = ", ".join(frame.loc[secret, "district"].astype(str))
        notes.append(
            f"Ohne Index ({SUPPRESSED}), weil ein Wert wegen kleiner Fallzahlen gesperrt ist: {names}."
        )
    notes += notes_for(mask, f.threshold)
    return ChartView(f"{KEY}-{kind}", title, figure, data, notes, source, mask, summary=summary)


def method_text(src: Source, f: Filters) -> str:
    """The Methodik page's paragraph on the index: the method, the weights set (or that none are) and
    the caveat."""
    weights, problems = configured(src, f)
    intro = (
        "Wie im Berliner Monitoring Soziale Stadtentwicklung (MSS) wird ein Gesamtindex nur berechnet, "
        "wenn die Kommune Gewichte für ausgewählte Anteile festlegt. Dann gibt es zwei Indizes, die "
        "getrennt bleiben und nie addiert werden: Der Statusindex ist das gewichtete Mittel der "
        "z-Werte der gewählten Anteile am Stichtag (z = Wert minus Mittel der Stadtteile, geteilt durch "
        "deren Standardabweichung), der Dynamikindex dasselbe für die Veränderung dieser Anteile in "
        "Prozentpunkten gegenüber dem vorigen Stichtag. Rang 1 ist der höchste Wert; die Klassen richten "
        f"sich nach der Streuung des Index ({CLASS_TEXT}). Ein Stadtteil, bei dem ein Wert wegen kleiner "
        f"Fallzahlen gesperrt ist, erhält keinen Index ({SUPPRESSED}) und geht auch nicht in Mittel und "
        "Streuung ein; gezeigt wird der Index auf eine Nachkommastelle gerundet."
    )
    if problems:
        setting = "Die Einstellung der Gewichte ist fehlerhaft: " + " ".join(problems)
    elif weights is None:
        setting = f"Für {f.municipality} sind keine Gewichte eingestellt: Es wird kein Gesamtindex berechnet."
    else:
        setting = f"Gewichte für {f.municipality}: {weights_text(weights, f.municipality, src, f)}."
    caveat = (
        "Vorsicht bei der Deutung: Der Index spiegelt die Gewichte, die die Kommune gewählt hat. Ein "
        "höherer Wert heißt nur „höhere Anteile der gewählten Kennzahlen“. Anteile von Ausländer:innen "
        "oder Personen mit Migrationshintergrund sind kein Maß für Benachteiligung. Status und Dynamik "
        "werden nicht zusammengezählt."
    )
    return "\n\n".join([intro, setting, caveat])
