"""Summaries (median, p95) and the RESULTS.md text: machine, sizes, every measurement, every goal."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field

import numpy as np

# Why a goal is missed and what would meet it; shown only next to a missed goal.
EXPLANATIONS = {
    "shares": "The totals query (`Store.population`) joins `population` with `districts` twice (own rows "
    "and the Stadtbezirk roll-up) and sorts by name; `shares()` adds ~13 ms of pandas. Caching per "
    "Stichtag (`st.cache_data`, as the app does) hides it after the first view.",
    "ratio": "Both paths end in the same `shares()` (~13 ms of pandas for 550 rows, nullable Int64 "
    "conversions and ranks), and the app path's totals query costs ~15 ms (two joins with `districts`, "
    "the Stadtbezirk roll-up and a sort by name), while pandas sums the ~530,000 detail rows of one "
    "Stichtag in ~70–90 ms once they are in memory (reading them there took 41 s). So storing totals "
    "makes the query ~6× faster than the groupby, but the shared `shares()` caps the ratio at ~3×. "
    "Meeting 10× needs the app path under ~10 ms: skip the roll-up CTE when the level has no children "
    "(`Store.population`), and compute shares on float arrays instead of nullable Int64 columns "
    "(`indicators.shares.ratio`/`municipality_totals`); in the running app `st.cache_data` already "
    "answers a repeated Stichtag in ~1 ms. At quick sizes the detail is tiny and the ratio means "
    "nothing.",
    "map_bytes": "Geometry is most of the figure. The Karte page sends a screen copy of the boundaries "
    "(`charts/reads.py`: `screen_shapes`, simplified to about one pixel and rounded to ~10 m, "
    "cached per database version) and puts the hover labels into the `hovertemplate` with the values "
    "as `customdata`; if this goal is missed again, lower `SCREEN_PX` or round to 3 decimals.",
    "rerun_karte": "Every rerun here changes to a Stichtag not shown before, so the finished views miss "
    "their cache and are built (~0.3 s of CPU since issue 17's fourth round). By cProfile share of such a "
    "rerun: the map (`charts.figures.district_map`: hover texts, GeoJSON, plotly's validation) ~⅕, the "
    "public Stadtteil table (`charts.reads.indicator_table`) ~⅕, the full table beside the map (Streamlit "
    "formats the Styler of 550 rows) ~⅛, the atlas table ~1/10, `st.plotly_chart` ~1/13. No single item "
    "is worth the missing time; what would meet the goal is building the default views of every "
    "Stichtag once per database version (after the import or in the warm-up), so that no reader waits "
    "for a build. A Stichtag another session already opened costs ~0.1 s.",
    "rerun_profil": "For readers each new Stichtag builds the joint protection of the detail (age "
    "pyramids and nationalities of all districts and levels at once: `charts.reads.detail_protection` → "
    "`indicators.disclosure.protect`, dense SVDs in `_determined_dense`), about a minute or more of CPU at "
    "Berlin size; serve.py's warm-up builds it for the newest Stichtag only. Remedy: compute it once per "
    "database version and Stichtag outside a reader's request (at import or by a background job into a "
    "persistent cache beside the database version) and make the rank test cheaper. Without it (editors) "
    "a new Stichtag costs ~0.4 s: three rankings of all Stadtteile with their tables, three time series "
    "and the pyramid.",
    "sessions": "Two real Chromium contexts share the 2 cores with the server and with other work on the "
    "machine; see the websocket measurements for the server's share.",
    "first_open": "The first session after `streamlit run` pays for everything Streamlit does lazily: "
    "importing app.py's libraries (pandas, geopandas/shapely, plotly's validators, duckdb: ~3–4 s on "
    "these cores), opening the store, the router's extra run for a deep link, the public view, the "
    "screen geometry and the first map. What would meet the goal: start the server with a warm-up — "
    '`st.App("app.py", lifespan=...)` (Streamlit 1.67, starlette) can import the libraries and build '
    "the default views of the newest Stichtag into the shared caches before the port opens; without it, "
    "the deployment can open one session itself after the health check, before it adds the process to "
    "nginx.",
    "load_open_Karte": "30 sessions ask at once; the first builds the view, the others wait on the cache's "
    "lock and then each runs its script (~0.1–0.2 s CPU) one after another under one GIL, on cores other "
    "work shared during this run.",
    "load_change_Karte": "Each change to a Stichtag nobody opened before builds the map (~0.5 s of CPU, "
    "see the Karte rerun), and 30 sessions × 4 changes over 39 Stichtage are mostly such misses at the "
    "start; the reruns queue behind them under one GIL. Remedies: cheaper builds (see the Karte rerun), "
    "views of every Stichtag built after an import, 2+ processes behind nginx.",
    "load_open_Stadtteilprofil": "The profile's first build (14 figures, ~1–2 s of CPU at this size) is "
    "waited for by all 30 sessions, then their 30 scripts run one after another under one GIL (each "
    "sends ~400 KB: 14 figures, three of them rankings of 550 bars).",
    "load_change_Stadtteilprofil": "A change to a new Stichtag rebuilds 14 figures (~1 s of CPU, see the "
    "profile rerun); with 30 sessions most changes at the start are such misses, and they queue. "
    "Remedies as for the profile rerun.",
    "load_errors_Karte": "Sessions that got no answer within 30 s: the tail of the same queue.",
    "load_errors_Stadtteilprofil": "Sessions that got no answer within 30 s: the tail of the same queue.",
    "scale": "Each process has its own caches (Streamlit's caches live in the process), so with 2 processes "
    "every new Stichtag is built twice, and the load generator, nginx, both servers and the other work "
    "on this machine share 2 cores. Remedy: a cache shared across processes for the finished figures' "
    "JSON (a file per database version and key beside the database), and more cores than processes.",
    "rerun_karte_exact": "As for readers: a Stichtag not shown before builds the map (the exact values skip "
    "only the public view); a Stichtag another session opened costs ~0.1 s. Remedies as for the reader's "
    "Karte rerun.",
    "rerun_profil_exact": "As for readers: a new Stichtag builds the figures of the profile again (the exact "
    "values skip only the public view). Remedies as for the reader's profile rerun.",
    "session_errors": "Interactions that did not show the new Stichtag within 30 s (or sessions that "
    "did not open within 120 s) count as errors; they are the tail of the same queue.",
}


@dataclass
class Measurement:
    key: str
    label: str
    values: list[float]
    unit: str  # "s", "B", "×" or ""
    goal: tuple[str, float] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return median(self.values)

    @property
    def p95(self) -> float:
        return percentile(self.values, 95)

    def met(self) -> bool | None:
        if self.goal is None or not self.values:
            return None if self.goal is None else False
        op, limit = self.goal
        value = self.p95 if op.startswith("p95") else self.median
        if op.endswith("≤"):
            return value <= limit
        if op.endswith("≥"):
            return value >= limit
        return value == limit


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def fmt(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "–"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if unit == "B":
        return f"{value / 1000:,.0f} KB"
    if unit == "×":
        return f"{value:,.1f}×" if value < 10 else f"{value:,.0f}×"
    return f"{value:,.0f}"


def machine() -> dict[str, str]:
    import duckdb
    import pandas
    import plotly
    import streamlit

    def first(path: str, prefix: str) -> str:
        try:
            with open(path, encoding="utf-8") as lines:
                return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(prefix)), "")
        except OSError:
            return ""

    cpu = first("/proc/cpuinfo", "model name") or "unknown"
    mem = int((first("/proc/meminfo", "MemTotal").split() or ["0"])[0])
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                                  timeout=20).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        chromium = "not found"
    load = os.getloadavg()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "ram": f"{mem / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "versions": f"Python {platform.python_version()}, duckdb {duckdb.__version__}, pandas "
        f"{pandas.__version__}, streamlit {streamlit.__version__}, plotly {plotly.__version__}, {chromium}",
        "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at start",
    }


def render(plan, machine: dict[str, str], results: list[Measurement], elapsed: float) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`python -m benchmarks{' --quick' if plan.name == 'quick' else ''}` — {plan.name} run, "
        f"{elapsed / 60:.1f} minutes. Written by the runner; see benchmarks/README.md for what each number means.",
        "",
        "## Machine",
        "",
        *(f"- **{k}**: {v}" for k, v in machine.items()),
        "",
    ]
    by_key = {m.key: m for m in results}
    if "sizes" in by_key:
        lines += ["## Sizes", "", by_key["sizes"].note, ""]
    goals = [m for m in results if m.goal]
    lines += ["## Goals", "", "| Goal | Measured | Met |", "|---|---|---|"]
    for m in goals:
        op, limit = m.goal
        value = m.p95 if op.startswith("p95") else m.median
        which = "p95" if op.startswith("p95") else ("median" if len(m.values) > 1 else "")
        goal = f"{m.label}: {op.replace('p95 ', 'p95 ')} {fmt(limit, m.unit) if m.unit else limit:}"
        lines.append(f"| {goal} | {fmt(value, m.unit)} {which} | {'✓' if m.met() else '✗'} |")
    missed = [m for m in goals if not m.met()]
    if missed:
        lines += ["", "### Missed goals", ""]
        for m in missed:
            lines.append(f"- **{m.label}** — {EXPLANATIONS.get(m.key, 'see benchmarks/README.md.')}")
    lines += [
        "",
        "## Measurements",
        "",
        "| Measurement | n | median | p95 | min | max | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in results:
        if m.key == "sizes":
            continue
        vals = m.values
        lines.append(
            f"| {m.label} | {len(vals)} | {fmt(m.median, m.unit)} | "
            + (
                f"{fmt(m.p95, m.unit)} | {fmt(min(vals), m.unit)} | {fmt(max(vals), m.unit)}"
                if len(vals) > 1
                else "| |"
            )
            + f" | {' '.join(m.note.split()).replace('|', '/')} |"
        )
    lines.append("")
    return "\n".join(lines)
