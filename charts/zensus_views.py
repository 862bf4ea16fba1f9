"""The Zensus 2022 beside the register: the difference per Stadtteil, for the Methodik page.

Both Stichtage are taken as readers see them (the public view of each, `charts.reads.indicator_table`),
and a difference is shown only where both of its counts are: it is then computed from published
numbers alone and reveals nothing the two tables do not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from charts.formatting import fmt_date, fmt_int, fmt_number
from charts.protect import hidden_cells, notes_for
from charts.reads import city_row, indicator_table
from charts.view import Filters, Source
from indicators.disclosure import SUPPRESSED

ZENSUS_PREFIX = "Zensus 2022"
MEASURES = {"population": "Einwohner:innen", "foreigners": "Ausländer:innen"}


@dataclass
class Comparison:
    """The difference table: `table` raw numbers (German headers, hidden cells empty), `display` German
    text (hidden `•`, unknown `–`), the notes and the source line."""

    title: str
    table: pd.DataFrame
    hidden: pd.DataFrame
    display: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)


def zensus_dates(f: Filters) -> list[date]:
    return [d for d, source in f.stichtag_sources if source.startswith(ZENSUS_PREFIX)]


def nearest_register_date(f: Filters, zensus: date) -> date | None:
    """The Stichtag nearest to the Zensus whose counts are the municipality's own (not another source)."""
    own = {d for d, _ in f.stichtag_sources}
    register = [d for d in f.dates if d not in own]
    return min(register, key=lambda d: (abs((d - zensus).days), d)) if register else None


def zensus_comparison(src: Source, f: Filters, zensus: date) -> Comparison | None:
    """Zensus against the nearest register Stichtag per district of the chosen level, and the
    municipality: persons and foreigners, the difference in persons and in % of the register count.
    None where the municipality has no register Stichtag."""
    register = nearest_register_date(f, zensus)
    if register is None:
        return None
    tables = {}
    for name, when in (("z", zensus), ("r", register)):
        g = dataclasses.replace(f, reference_date=when)
        table = indicator_table(src, g)
        hidden = hidden_cells(table)
        frame = table[["district_id", "district"]].copy()
        for col in MEASURES:
            frame[col] = pd.to_numeric(table[col], errors="coerce") if col in table else np.nan
            frame[f"{col}_hidden"] = hidden[col].to_numpy() if col in hidden else False
        city = city_row(src, g)
        if city is not None:  # the municipality as a whole is published as such
            total = {"district_id": "", "district": f.municipality}
            total.update({c: pd.to_numeric(city.get(c), errors="coerce") for c in MEASURES})
            total.update({f"{c}_hidden": False for c in MEASURES})
            frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        tables[name] = frame.set_index("district_id")
    z, r = tables["z"], tables["r"]
    ids = [i for i in z.index if i in r.index and i != ""] + ([""] if "" in z.index and "" in r.index else [])
    z, r = z.loc[ids], r.loc[ids]
    out = pd.DataFrame({f.level: z["district"].to_numpy()})
    hidden = pd.DataFrame({f.level: False}, index=out.index)
    zd, rd = fmt_date(zensus), fmt_date(register)
    for col, label in MEASURES.items():
        zv, rv = z[col].to_numpy(dtype=float), r[col].to_numpy(dtype=float)
        zh, rh = z[f"{col}_hidden"].to_numpy(dtype=bool), r[f"{col}_hidden"].to_numpy(dtype=bool)
        both = zh | rh
        diff = zv - rv
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(rv > 0, diff / rv * 100, np.nan)
        columns = {
            f"{label} Zensus {zd}": (zv, zh),
            f"{label} Melderegister {rd}": (rv, rh),
            f"Differenz {label}": (diff, both),
            f"Differenz {label} (%)": (pct, both),
        }
        for header, (values, mask) in columns.items():
            out[header] = np.where(mask, np.nan, values)
            hidden[header] = mask
    display = pd.DataFrame(index=out.index)
    for header in out.columns:
        display[header] = [
            _text(header, v) if not h else SUPPRESSED
            for v, h in zip(out[header], hidden[header], strict=True)
        ]
    title = f"Zensus {zd} und Melderegister {rd} je {f.level}, {f.municipality}"
    notes = [
        f"Differenz = Zensus − Melderegister, in Prozent der Zahl des Melderegisters. Der Zensus zählt zum "
        f"{zd}, das Melderegister zum {rd}: Ein Teil der Differenz ist die Entwicklung dazwischen, ein Teil der "
        "Unterschied der Verfahren (Zensus: Registerdaten mit Korrekturen aus Befragungen, Gitterzellen nach "
        "ihrem Mittelpunkt zugeordnet, mit der Cell-Key-Methode leicht verändert)."
    ]
    notes += notes_for(hidden.drop(columns=[f.level]), f.threshold)
    source = f"Quelle: {f.source_at(zensus)} · {f.source_at(register) or 'Melderegister der Kommune'}"
    return Comparison(title, out, hidden, display, source, notes)


def _text(header: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "–"
    if header.endswith("(%)"):
        return f"{fmt_number(float(value), 1, signed=True)} %"
    return fmt_int(float(value), signed=header.startswith("Differenz"))


METHOD = (
    "**Zensus 2022 aus Gitterzellen.** Wo eine Kommune keine eigenen Zahlen je Stadtteil hat oder sie neben "
    "das Melderegister stellen will, lassen sich die Gitterzellen des Zensus 2022 (100 m oder 1 km, Stichtag "
    "15.05.2022, © Statistisches Bundesamt (Destatis), Datenlizenz Deutschland – Namensnennung 2.0) laden. "
    "Jede Zelle zählt ganz zu dem Stadtteil, in dem ihr Mittelpunkt liegt. Fehlerquellen: Zellen, die eine "
    "Grenze teilt (ihr Mittelpunkt liegt weniger als eine halbe Zelle von ihr entfernt), werden ganz einer "
    "Seite zugerechnet; geheim gehaltene oder leere Werte fehlen (bei den Ausländer:innen ist für sie der "
    "Anteil der übrigen Zellen des Stadtteils angenommen); die Cell-Key-Methode des Zensus verändert die "
    "Zahl jeder Zelle um wenige Personen; bewohnte Zellen, deren Mittelpunkt außerhalb aller Stadtteile liegt, "
    "werden nicht gezählt. Wie viele Zellen und Personen das je Import betrifft, steht unten beim Stichtag und "
    "im Importprotokoll. Der Zensus zählt anders als das Melderegister: Veränderungen zu benachbarten "
    "Stichtagen mischen zwei Quellen. Hat eine Kommune zum 15.05.2022 eigene Zahlen, wird der Zensus nicht "
    "an ihre Stelle geladen."
)
