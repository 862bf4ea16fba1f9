"""The profile's composite chart: one Stadtteil's shares, all at once, as deviations from the city.

A diverging horizontal bar per share indicator, in percentage points (Pp.) around the municipality's
value (0). Orange to the right (higher than the city), purple to the left (lower): both ends of
ColorBrewer's PuOr, told apart without colour vision too (side of the zero line, sign in the label),
and neither reads as good or bad. No Streamlit here.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from charts.figures import TEXT_COLOUR, axis_title_room, house_layout, merge, wrap_text
from charts.formatting import fmt_number, fmt_pct, fmt_pp
from charts.labels import wrap_label
from indicators.disclosure import SUPPRESSED

#: the dark ends of PuOr (the Karte's diverging palette): 5.6:1 and 11:1 against white
HIGHER, LOWER = "#b35806", "#542788"
#: label characters per line: shorter on the beamer (larger type) and on a phone
WRAP = {"screen": 30, "presentation": 22, "compact": 18}
#: on a phone, px for the title and for the source line (which starts right of the bar names); the
#: house layout wraps for 700 px and keeps the lines it is given
PHONE_TITLE, PHONE_SOURCE = 320, 200
TICK_STEPS = (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50)


def pp_ticks(top: float, per_side: int = 3) -> list[float]:
    """About `per_side` round ticks on each side of 0 up to `top` Pp. (at least ±`top`)."""
    top = max(top, 0.5)
    step = next((s for s in TICK_STEPS if s * per_side >= top), 100.0)
    count = max(1, math.ceil(top / step))
    return [step * i for i in range(-count, count + 1)]


def deviation_bars(
    frame: pd.DataFrame,
    *,
    place: str,
    municipality: str,
    title: str,
    source: str,
    presentation: bool = False,
    compact: bool = False,
) -> go.Figure:
    """Diverging bars, the first row of `frame` on top.

    frame: label, short (the short label), value (the district's share), city (the municipality's),
    deviation (Pp.), hidden. A hidden row keeps its label and draws no bar: its text is `•`, its hover
    names no number. A row without a value (not delivered) reads "keine Daten". On a phone (`compact`)
    the bars carry the short labels, and title and source are wrapped for its width."""
    ordered = frame.iloc[::-1]  # plotly draws the first category at the bottom
    names = "short" if compact else "label"
    x, texts, hover, colours = [], [], [], []
    for row in ordered.itertuples(index=False):
        if row.hidden:
            x.append(0.0)
            texts.append(f"{SUPPRESSED} nicht ausgewiesen")
            hover.append(f"<b>{row.label}</b><br>{place}: {SUPPRESSED} gesperrt (kleine Fallzahl)")
            colours.append(TEXT_COLOUR)
            continue
        known = pd.notna(row.deviation)
        x.append(float(row.deviation) if known else 0.0)
        texts.append(fmt_pp(row.deviation) if known else "keine Daten")
        hover.append(
            f"<b>{row.label}</b><br>{place}: {fmt_pct(row.value)}<br>{municipality}: {fmt_pct(row.city)}"
            + (f"<br>Abweichung: {fmt_pp(row.deviation)}" if known else "")
        )
        colours.append(HIGHER if known and row.deviation >= 0 else LOWER)
    size = 20 if presentation else 13
    bar = {
        "type": "bar",
        "x": x,
        "y": list(ordered[names]),
        "orientation": "h",
        "marker": {"color": colours},
        "text": texts,
        "textposition": "outside",
        "textfont": {"size": size, "color": TEXT_COLOUR},
        "cliponaxis": False,
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    rows = len(frame)
    height = max(360 if not presentation else 440, (70 if presentation else 56) * rows + 200)
    if compact:
        title = "<br>".join(wrap_text(title, 17, PHONE_TITLE, bold=True))
        source = "<br>".join(wrap_text(source, 11, PHONE_SOURCE))
    layout = house_layout(title, source, presentation, height=height)
    layout["margin"]["t"] += size + 8  # "◀ niedriger" and "höher ▶" between title and bars
    shown = pd.to_numeric(frame.loc[~frame["hidden"].astype(bool), "deviation"], errors="coerce").abs()
    top = float(shown.max()) if shown.notna().any() else 1.0
    ticks = pp_ticks(top, 2 if compact else 3)
    ticks = ticks[::2] if compact and len(ticks) > 3 else ticks  # upright labels on a narrow axis
    # room for the value text beside the longest bar: more where the type is large or the screen narrow
    reach = max(ticks[-1], top * (2.2 if compact else 1.8 if presentation else 1.5))
    wrap = WRAP["presentation" if presentation else "compact" if compact else "screen"]
    merge(layout, {"showlegend": False, "bargap": 0.35})
    merge(layout["xaxis"], {
        "range": [-reach, reach], "tickvals": ticks,
        "ticktext": ["0" if t == 0 else fmt_number(t, 1 if t % 1 else 0, signed=True) for t in ticks],
        "title": {"text": "Abweichung (Pp.)" if compact else f"Abweichung von {municipality} insgesamt (Pp.)"},
        "tickangle": 0,
        "zeroline": True, "zerolinecolor": TEXT_COLOUR, "zerolinewidth": 2, "fixedrange": True,
    })  # fmt: skip
    merge(layout["yaxis"], {
        "type": "category", "tickmode": "array", "tickvals": list(ordered[names]),
        "ticktext": [wrap_label(str(label), wrap) for label in ordered[names]], "fixedrange": True,
    })  # fmt: skip
    than = "" if compact else f" als {municipality}"  # a phone has no room for the name twice
    for text, side in ((f"◀ niedriger{than}", -1), (f"höher{than} ▶", 1)):
        layout["annotations"].append({
            "text": text, "xref": "x", "yref": "paper", "x": side * reach, "y": 1.0,
            "xanchor": "left" if side < 0 else "right", "yanchor": "bottom", "showarrow": False,
            "font": {"size": size - 1, "color": LOWER if side < 0 else HIGHER},
        })  # fmt: skip
    return go.Figure(data=[bar], layout=axis_title_room(layout, source, presentation))
