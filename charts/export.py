"""Static export of a chart: PNG or SVG for the beamer and for print, rendered offline by kaleido.

The figure keeps its title and source line (with the Stichtag, both set by `figures.style`); the
chart's notes are baked in below the source line. Kaleido drives the system's chromium (Debian's
`/usr/bin/chromium`; `BROWSER_PATH` overrides) and nothing leaves the machine:

- plotly.js comes from the plotly package (a file URL), MathJax is switched off (kaleido would load it
  from a CDN by default), and geo maps read the empty world TopoJSON in `static/` through a file URL
  instead of the plotly CDN (`TOPOJSON_URL`, also set as `plotly.io.defaults.topojson`).
- chromium itself would call Google's update and time servers and preconnect to its search engine:
  its background networking is off and every request is sent to a closed local port
  (`OfflineChromium`), so nothing leaves even where the firewall would allow it.
- One kaleido server per process renders every image (about 0.2 s each after the first); a lock
  keeps Streamlit's session threads from taking each other's results.

No Streamlit here. Export only figures built from public (disclosure-controlled) data.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import kaleido
import plotly.graph_objects as go
import plotly.io as pio
from choreographer.browsers.chromium import Chromium

from charts.figures import rewrap_for_width
from charts.labels import fit_category_axis, thin_map_labels, wrap_to_width

STATIC = Path(__file__).resolve().parents[1] / "static"
#: plotly.js appends "world_110m.json" / "world_50m.json" to this
TOPOJSON_URL = STATIC.as_uri() + "/"
NOTE_COLOUR = "#4a4f55"
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
#: Headless chromium talks to servers on its own (component updates, time and account checks, the
#: default search engine), background networking flags or not. The export needs no server at all, so
#: every http(s) request goes to a closed local port (the discard port) and fails at once, and no host
#: name is resolved. Tests point `BLOCKING_PROXY` at a recording proxy to see what would have left.
BLOCKING_PROXY = "http://127.0.0.1:9"
QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--no-pings",
    "--dns-prefetch-disable",
    "--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication",
)


class OfflineChromium(Chromium):
    """choreographer's Chromium with chromium's background networking switched off."""

    def get_cli(self):
        cli = [arg for arg in super().get_cli() if not arg.startswith("--proxy-server")]
        at = cli.index("--remote-debugging-pipe") if "--remote-debugging-pipe" in cli else len(cli)
        blocking = (
            f"--proxy-server={BLOCKING_PROXY}",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        )
        return [*cli[:at], *QUIET_FLAGS, *blocking, *cli[at:]]


KALEIDO_OPTIONS = {"mathjax": False, "browser_cls": OfflineChromium}

pio.defaults.topojson = TOPOJSON_URL


@dataclass(frozen=True)
class ExportSize:
    """Layout size in CSS pixels and the scale; the PNG has ``width × scale`` by ``height × scale`` px."""

    key: str
    label: str
    width: int
    height: int
    scale: float

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


#: 1920 × 1080 px; laid out at 960 × 540 so the chart's type reads from the back row
BEAMER = ExportSize("beamer", "Beamer (1920 × 1080)", 960, 540, 2)
#: A4 landscape at 300 dpi: 3508 × 2480 px (877 × 620 layout px, 13 px type ≈ 12 pt on paper)
PRINT = ExportSize("a4", "Druck (A4 quer, 300 dpi)", 877, 620, 4)
SIZES: dict[str, ExportSize] = {s.key: s for s in (BEAMER, PRINT)}

_lock = threading.Lock()


def export_figure(
    fig: go.Figure, size: ExportSize = BEAMER, notes: Iterable[str] = (), source: str | None = None
) -> go.Figure:
    """A copy of the figure laid out for `size`, with the notes (and `source`, if the figure has no
    source line yet) written under the chart, and room for every label (`charts.labels`): axes
    push the margins out (automargin), bar names are wrapped and the left margin is measured from the
    longest, overlapping map names are left out; what the image cannot show is said in a note."""
    out = go.Figure(fig)
    out.update_layout(width=size.width, height=size.height, autosize=False)
    # the title wrapped for this width (the figure's was wrapped for the screen); the source line back
    # on one line, wrapped below with the notes
    rewrap_for_width(out, size.width, source=False)
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    label_left, label_notes = fit_category_axis(out, size.height)
    note_size = max(9, (out.layout.font.size or 13) - 2)
    line_px = note_size * 1.3
    annotations = list(out.layout.annotations or [])
    source_note = next((a for a in annotations if str(a.text or "").startswith("Quelle")), None)
    margin_b = out.layout.margin.b if out.layout.margin.b is not None else 56
    margin_l = max(out.layout.margin.l or 0, label_left)
    shift = source_note.yshift if source_note is not None and source_note.yshift is not None else -38
    # notes start at the plot area's left edge (paper x = 0), right of the axis labels
    room = size.width - margin_l - (0 if label_left else 70) - 16
    if source_note is None and source:
        source_note = out.add_annotation(
            text=source, xref="paper", yref="paper", x=0, y=0, yshift=shift, xanchor="left",
            yanchor="top", showarrow=False, font={"size": note_size, "color": NOTE_COLOUR},
        ).layout.annotations[-1]  # fmt: skip
    source_lines = 1
    if source_note is not None and "<br>" not in str(source_note.text):
        wrapped = wrap_to_width(str(source_note.text), note_size, room)
        source_note.text, source_lines = "<br>".join(wrapped), len(wrapped)
    lines = [line for note in [*notes, *label_notes] for line in wrap_to_width(str(note), note_size, room)]

    def notes_height(count: int) -> int:
        return round(line_px * (source_lines - 1 + (count + 0.6 if count else 0)))

    margin_r = max(out.layout.margin.r or 0, 48)  # room for value labels outside the longest bar
    # map names are placed for the map as large as it is drawn once a note on them is added, too
    out.update_layout(margin={"b": margin_b + notes_height(len(lines) + 2), "r": margin_r, "l": margin_l})
    for note in thin_map_labels(out, size.width, size.height):
        lines += wrap_to_width(note, note_size, room)
    if lines:
        out.add_annotation(
            text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0,
            yshift=shift - line_px * (source_lines + 0.2), xanchor="left", yanchor="top", align="left",
            showarrow=False, font={"size": note_size, "color": NOTE_COLOUR},
        )  # fmt: skip
    out.update_layout(margin={"b": margin_b + notes_height(len(lines))})
    return out


def render(
    fig: go.Figure,
    fmt: str = "png",
    size: ExportSize = BEAMER,
    notes: Iterable[str] = (),
    source: str | None = None,
) -> bytes:
    """PNG or SVG bytes of the chart at `size`, with notes baked in."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    prepared = export_figure(fig, size, notes, source)
    opts = {"format": fmt, "width": size.width, "height": size.height, "scale": size.scale}
    with _lock:
        _ensure_server()
        result = kaleido.calc_fig_sync(prepared, opts=opts, topojson=TOPOJSON_URL)
    if isinstance(result, BaseException):
        raise result
    return result


def file_name(title: str, size: ExportSize, fmt: str) -> str:
    """`auslaenderanteil-nach-stadtteil_beamer.png`: ASCII, lower case, umlauts spelt out."""
    return f"{slug(title)}_{size.key}.{fmt}"


def slug(title: str) -> str:
    """A title as a file name stem: ASCII, lower case, umlauts spelt out, at most 80 characters."""
    text = title.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "grafik"


def _ensure_server() -> None:
    if not kaleido._global_server.is_running():  # noqa: SLF001 - kaleido has no public "is running"
        kaleido.start_sync_server(silence_warnings=True, **KALEIDO_OPTIONS)


def render_as_shown(fig: go.Figure, fmt: str = "svg", width: int = 1024) -> bytes:
    """The figure as the page shows it (its own title, source and height) at `width` px: how a chart
    looks in a browser window that wide, for tests and for looking at it."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    shown = go.Figure(fig)
    shown.update_layout(width=width, autosize=False)
    height = shown.layout.height or 450
    with _lock:
        _ensure_server()
        result = kaleido.calc_fig_sync(
            shown, opts={"format": fmt, "width": width, "height": height, "scale": 1}, topojson=TOPOJSON_URL
        )
    if isinstance(result, BaseException):
        raise result
    return result
