"""Static chart export: sizes, what is baked in, and that kaleido's chromium asks no server outside.

The network test starts a recording HTTP proxy on 127.0.0.1 and renders a geo map and a bar chart in a
fresh process whose chromium is told to use it (choreographer's `CHOREO_PROXY_SERVER`): every http(s)
request, e.g. to a CDN for the world map or MathJax, would pass it. A control run with kaleido's
default MathJax shows that the proxy does catch such a request.
"""

from __future__ import annotations

import socketserver
import struct
import subprocess
import sys
import threading
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.io as pio
import pytest
from shapely.geometry import box

from charts.export import BEAMER, PRINT, TOPOJSON_URL, export_figure, file_name, render
from charts.figures import district_map, ranking_bar
from indicators.catalogue import get

REPO = Path(__file__).resolve().parents[1]
SOURCE = "Quelle: Stadt Lünen, Melderegister · Stichtag 31.12.2020"
NOTE = "Ausländeranteil = Ausländer:innen / Einwohner:innen × 100."

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")


def values() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": ["1", "2", "3"],
            "district": ["Brambauer", "Lünen-Süd", "Niederaden"],
            "population": [19265, 7896, 2212],
            "foreigners": [4344, 1258, 50],
            "value": [22.55, 15.93, 2.26],
        }
    )


def bar():
    return ranking_bar(
        values(), get("foreigner_share_pct"), title="Ausländeranteil nach Stadtteil", source=SOURCE
    )


def geo_map():
    shapes = gpd.GeoDataFrame(
        {"district_id": ["1", "2", "3"], "district": ["Brambauer", "Lünen-Süd", "Niederaden"]},
        geometry=[
            box(7.40, 51.60, 7.45, 51.63),
            box(7.45, 51.60, 7.50, 51.63),
            box(7.40, 51.56, 7.50, 51.60),
        ],
        crs=4326,
    )
    return district_map(shapes, values(), get("foreigner_share_pct"), title="Ausländeranteil", source=SOURCE)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_has_beamer_and_a4_pixel_sizes():
    assert BEAMER.pixels == (1920, 1080)
    assert PRINT.pixels == (3508, 2480)  # A4 landscape at 300 dpi
    assert png_size(render(bar(), "png", BEAMER, [NOTE])) == (1920, 1080)
    assert png_size(render(geo_map(), "png", PRINT, [NOTE])) == (3508, 2480)


def test_svg_holds_title_source_stichtag_and_notes():
    svg = render(bar(), "svg", BEAMER, [NOTE, "• = Wert gesperrt"]).decode("utf-8")
    assert svg.startswith("<svg") and 'viewBox="0 0 960 540"' in svg
    for text in (
        "Ausländeranteil nach Stadtteil",
        "Quelle: Stadt Lünen",
        "Stichtag 31.12.2020",
        "Einwohner:innen × 100",
        "•",
    ):
        assert text in svg
    assert "22,6 %" in svg, "German number format"
    print_svg = render(bar(), "svg", PRINT).decode("utf-8")
    assert 'viewBox="0 0 877 620"' in print_svg


def test_export_copies_the_figure_and_adds_a_missing_source():
    fig = bar()
    before = fig.to_json()
    out = export_figure(fig, PRINT, [NOTE])
    assert fig.to_json() == before
    assert (out.layout.width, out.layout.height) == (877, 620)
    assert any(NOTE in a.text for a in out.layout.annotations)
    bare = bar()
    bare.layout.annotations = ()
    added = export_figure(bare, BEAMER, source=SOURCE)
    assert any(a.text == SOURCE for a in added.layout.annotations)


def test_file_names_are_plain_ascii():
    assert file_name("Ausländeranteil nach Stadtteil, Lünen", BEAMER, "png") == (
        "auslaenderanteil-nach-stadtteil-luenen_beamer.png"
    )


def test_topojson_points_at_the_local_empty_world_files():
    assert TOPOJSON_URL.startswith("file://") and TOPOJSON_URL.endswith("/")
    assert pio.defaults.topojson == TOPOJSON_URL
    folder = Path(TOPOJSON_URL.removeprefix("file://"))
    assert (folder / "world_110m.json").is_file() and (folder / "world_50m.json").is_file()


class _Recorder(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(4096).decode("latin-1").strip()
        if line:
            self.server.requests.append(line)
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


RENDER = """
import sys
from tests.test_export import bar, geo_map
from charts import export
export.BLOCKING_PROXY = sys.argv[2]
if sys.argv[1] == "control":
    export.KALEIDO_OPTIONS = {**export.KALEIDO_OPTIONS, "mathjax": None}  # kaleido's default: CDN
for fig in (geo_map(), bar()):
    data = export.render(fig, "png", export.BEAMER)
    assert data[:4] == b"\\x89PNG"
print("ok")
"""
#: chromium's own background calls, which the closed proxy port swallows in production
CHROMIUM_ITSELF = ("googleapis.com", "google.com", "duckduckgo.com", "gstatic.com")


def _render_through_proxy(mode: str) -> list[str]:
    proxy = _Recorder()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        done = subprocess.run(
            [sys.executable, "-c", RENDER, mode, url], cwd=REPO, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]
        return proxy.requests
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_chromium_sends_every_request_to_a_closed_local_port(monkeypatch):
    from choreographer.channels import Pipe

    from charts.export import OfflineChromium

    monkeypatch.setenv("CHOREO_PROXY_SERVER", "http://proxy.example:3128")
    browser = OfflineChromium(Pipe(), "/usr/bin/chromium")
    browser.pre_open()
    cli = browser.get_cli()
    assert [a for a in cli if a.startswith("--proxy-server")] == ["--proxy-server=http://127.0.0.1:9"]
    assert "--disable-background-networking" in cli and cli[-1] == "--remote-debugging-pipe"
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in cli)


def test_rendering_a_map_requests_nothing_for_the_page():
    """plotly.js, the world map and MathJax come from files or not at all; whatever chromium still
    tries on its own goes to the proxy (in production: a closed port)."""
    requests = _render_through_proxy("offline")
    page = [r for r in requests if not any(host in r for host in CHROMIUM_ITSELF)]
    assert page == []


def test_the_proxy_would_see_a_cdn_request():
    assert any("cdnjs.cloudflare.com" in r for r in _render_through_proxy("control"))


def _downloads_app():
    import pandas as pd

    from charts.view import ChartView
    from pages.components.downloads import chart_downloads
    from tests.test_export import NOTE, bar

    chart_downloads(
        ChartView("karte", "Ausländeranteil nach Stadtteil", bar(), pd.DataFrame(), [NOTE]), key="karte"
    )


def test_chart_downloads_offers_png_and_svg_for_beamer_and_print():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_downloads_app).run(timeout=30)
    assert not at.exception
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels == ["PNG · Beamer", "SVG · Beamer", "PNG · Druck", "SVG · Druck"]


# --- every label inside the picture ---------------------------------------------------------------

LONG_NAME = "Vereinigtes Königreich Großbritannien und Nordirland (ohne Überseegebiete)"


def _long_bar():
    frame = values().assign(district=["Brambauer", LONG_NAME, "Gahmen-Wethmar-Nordlünen-Ost"])
    return ranking_bar(frame, get("foreigner_share_pct"), title="Anteil", source=SOURCE)


def test_longest_bar_label_lies_inside_the_svg_at_both_sizes():
    from tests.svgtext import clipped, text_boxes, view_box

    fig = _long_bar().update_yaxes(automargin=False)  # the export must not rely on the figure's setting
    for size in (BEAMER, PRINT):
        svg = render(fig, "svg", size, [NOTE]).decode("utf-8")
        assert clipped(svg) == []
        width, _ = view_box(svg)
        words = {t: (left, right) for t, left, _, right, _ in text_boxes(svg)}
        longest = next(t for t in words if t.startswith("Vereinigtes Königreich"))
        assert longest.replace("  ", " ") == LONG_NAME, "the full name, wrapped onto lines"
        assert words[longest][0] >= 0 and words[longest][1] <= width
        assert "Gahmen-Wethmar-Nordlünen-Ost" in words and words["Gahmen-Wethmar-Nordlünen-Ost"][0] >= 0


def test_a_bar_chart_too_long_for_the_picture_says_so():
    many = pd.DataFrame({"district_id": [f"{i:03d}" for i in range(86)],
                         "district": [f"Stadtteil {i}" for i in range(86)], "value": range(1, 87)})  # fmt: skip
    fig = ranking_bar(many, get("foreigner_share_pct"), title="Anteil", source=SOURCE)
    out = export_figure(fig, BEAMER)
    assert out.layout.yaxis.ticktext[0] == "Stadtteil 85", "the largest value is always named"
    assert any("alle Namen und Werte stehen in der Tabelle" in a.text for a in out.layout.annotations)
    few = export_figure(bar(), BEAMER)
    assert len(few.layout.yaxis.tickvals) == 3


def _grid_map(n: int = 81):
    side = int(n**0.5)
    names = [f"Stadtteil-Nord-{i}" for i in range(n)]
    shapes = gpd.GeoDataFrame(
        {"district_id": [str(i) for i in range(n)], "district": names},
        geometry=[box(7 + (i % side) * 0.01, 51 + (i // side) * 0.01, 7.01 + (i % side) * 0.01,
                      51.01 + (i // side) * 0.01) for i in range(n)],
        crs=4326,
    )  # fmt: skip
    data = pd.DataFrame({"district_id": [str(i) for i in range(n)], "value": [float(i) for i in range(n)]})
    return district_map(shapes, data, get("foreigner_share_pct"), title="Karte", source=SOURCE), set(names)


def test_map_labels_in_an_export_never_overlap():
    from tests.svgtext import clipped, text_boxes

    fig, names = _grid_map()
    svg = render(fig, "svg", PRINT).decode("utf-8")
    boxes = [b for b in text_boxes(svg) if b[0] in names]
    assert 0 < len(boxes) < len(names)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, f"{a[0]} overlaps {b[0]}"
    assert "alle Namen stehen in der Tabelle" in svg and clipped(svg) == []
    few, _ = _grid_map(4)
    out = export_figure(few, PRINT)
    assert all(out.data[-1].text), "few districts: every name is written"
