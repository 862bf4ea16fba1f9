"""`python -m benchmarks [--quick]`: measure the dashboard at Berlin size and write benchmarks/RESULTS.md.

Full: 550 districts × 40 half-yearly Stichtage × 190 nationalities (about 20 million detail rows),
30 concurrent sessions per page over Streamlit's websocket, 1 and 2 processes behind nginx, one real
browser beside it. `--quick`: 60 × 4 × 20, three repeats, five sessions — proves in CI that every
measurement works (about two minutes). Work files go to a temporary directory that is
removed at the end (`--keep` keeps it).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks import cluster, load, measure, report, sessions
from benchmarks import generate as gen
from benchmarks.report import Measurement


@dataclass(frozen=True)
class Plan:
    name: str
    sizes: gen.Sizes
    repeats: int  # fast measurements
    import_repeats: int
    public_repeats: int  # the public view is slow at full size: fewer repeats
    register_rows: int
    register_repeats: int
    cold_repeats: int
    sessions: int  # websocket sessions per page (benchmarks/load.py)
    interactions: int  # Stichtag changes per session
    browsers: int  # real Chromium contexts beside them (benchmarks/sessions.py)


FULL = Plan("full", gen.FULL, repeats=15, import_repeats=3, public_repeats=3, register_rows=1_000_000, register_repeats=5,
            cold_repeats=5, sessions=30, interactions=4, browsers=2)  # fmt: skip
QUICK = Plan("quick", gen.QUICK, repeats=3, import_repeats=3, public_repeats=3, register_rows=100_000, register_repeats=3,
             cold_repeats=0, sessions=5, interactions=2, browsers=1)  # fmt: skip


RERUN_GOAL_S = 0.150  # page rerun after a Stichtag change (AppTest)
OPEN_GOAL_S, CHANGE_GOAL_S = 2.0, 1.0  # p95 under load, Karte and Stadtteilprofil
GOAL_PAGES = ("karte", "profil")
SCALE_GOAL = 1.8  # throughput of 2 processes / 1 process on the same load
LOAD_DEADLINE_S = 300.0  # per page and run: the benchmark ends whatever happens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 repeats, 5 sessions (CI)")
    parser.add_argument("--only-load", action="store_true", help="only the server under load (needs --workdir "
                        "with a benchstadt.duckdb from an earlier --keep run, else generates it)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--skip-browser", action="store_true", help="no cold start and no sessions")
    parser.add_argument("--only-reruns", action="store_true", help="only the AppTest page reruns (Karte, "
                        "Stadtteilprofil) on --workdir's benchstadt.duckdb (generated if missing)")  # fmt: skip
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    work = args.workdir or Path(tempfile.mkdtemp(prefix="integrationsmonitor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    machine = report.machine()
    started = time.perf_counter()
    try:
        if args.only_reruns:
            results = run_reruns_only(plan, work)
        elif args.only_load:
            results = run_load_only(plan, work, browser=not args.skip_browser)
        else:
            results = run(plan, work, browser=not args.skip_browser)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    text = report.render(plan, machine, results, elapsed)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.output} in {elapsed:.0f} s", file=sys.stderr)
    return 0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(plan: Plan, work: Path, browser: bool = True) -> list[Measurement]:
    from data.store import Store

    out: list[Measurement] = []
    sizes = plan.sizes
    n = plan.repeats

    log(f"{plan.name}: generating {sizes}")
    seconds, _ = measure.timed(lambda: gen._geometry(sizes, gen.DEFAULT_SEED))
    out.append(Measurement("geometry", "Boundaries generated and simplified (once)", [seconds], "s"))
    seconds, chunks = measure.timed(lambda: list(gen.detail_chunks(sizes)))
    rows = sum(len(c) for c in chunks)
    out.append(Measurement("generate", f"Detail generated with numpy ({rows:,} rows, once)", [seconds], "s"))

    log(f"import × {plan.import_repeats}")
    db = work / "benchstadt.duckdb"
    imports = []
    for i in range(plan.import_repeats):
        target = db if i == 0 else work / f"import-{i}.duckdb"
        seconds, result = measure.timed(lambda t=target, c=chunks: gen.install(t, sizes, c))
        imports.append(seconds)
        if i:
            for p in work.glob(f"import-{i}.duckdb*"):
                p.unlink()
    out.append(Measurement("import", f"Import: {result.detail_rows:,} detail rows + totals by SQL, one "
                           "transaction, copy-and-swap", imports, "s",
                           note=f"{result.detail_rows / min(imports):,.0f} rows/s"))  # fmt: skip
    detail_rows, population_rows = result.detail_rows, result.population_rows
    del chunks
    gc.collect()
    db_bytes = db.resolve().stat().st_size

    store = Store(db)
    dates = gen.reference_dates(sizes.stichtage)
    days = [d.date() for d in dates]
    districts = store.districts(gen.MUNICIPALITY)
    ids = districts["district_id"].tolist()
    names = dict(zip(districts["district_id"], districts["district"], strict=True))

    log("shares for one Stichtag, time series of one district")
    times = measure.repeat(lambda i: measure.app_shares(store, days[-1 - i % len(days)]), max(n, 5) * 2)
    out.append(Measurement("shares", "Shares for one Stichtag (Store.population + shares())", times, "s",
                           goal=("≤", 0.050)))  # fmt: skip
    app_median = report.median(times)
    times = measure.repeat(lambda i: measure.app_series(store, ids[i * 37 % len(ids)]), max(n, 5) * 2)
    out.append(Measurement("series", "Time series of one district (all totals + changes())", times, "s"))

    log("pandas path")
    seconds, detail = measure.timed(lambda: store.detail(gen.MUNICIPALITY))
    out.append(Measurement("pandas_load", f"Pandas path: read all {len(detail):,} detail rows into memory "
                           "(once, not part of the ratio)", [seconds], "s"))  # fmt: skip
    times = measure.repeat(lambda i, f=detail: measure.pandas_shares(f, dates[-1 - i % len(dates)], names), n)
    pandas_median = report.median(times)
    out.append(Measurement("pandas", "Pandas path: same shares from the detail in memory (filter + groupby)",
                           times, "s", note=f"app path is {pandas_median / app_median:,.0f}× faster"))  # fmt: skip
    out.append(Measurement("ratio", "Speed-up app path vs pandas path (median / median)",
                           [pandas_median / app_median], "×", goal=("≥", 10.0)))  # fmt: skip
    one_day = detail[detail["reference_date"] == dates[-1]].copy()
    del detail
    gc.collect()
    times = measure.repeat(lambda i, f=one_day: measure.pandas_shares(f, dates[-1], names), n)
    out.append(Measurement("pandas_day", "Pandas path, kindest case: only that Stichtag's detail in memory",
                           times, "s", note=f"app path is {report.median(times) / app_median:,.1f}× faster"))  # fmt: skip
    del one_day

    log("map payload")
    seconds, fig = measure.timed(lambda: measure.map_figure(store, days[-1]))
    sizes_ = measure.payload(fig)
    times = measure.repeat(lambda i: measure.map_figure(store, days[-1 - i % len(days)]), n)
    out.append(Measurement("map_build", "Karte figure built (query + shares + district_map)", times, "s"))
    out.append(Measurement("map_bytes", f"Karte figure JSON for {len(ids)} districts (fig.to_json())",
                           [sizes_["bytes"]], "B", goal=("≤", 300_000),
                           note=f"geometry {sizes_['geometry']:,} B, hover texts {sizes_['hover']:,} B, "
                           f"gzip {sizes_['gzip']:,} B"))  # fmt: skip
    for label, kwargs in (("coordinates rounded to 5 decimals (~1 m)", {"decimals": 5}),
                          ("re-simplified at 40 m + 5 decimals", {"simplify_m": 40.0, "decimals": 5})):  # fmt: skip
        what_if = measure.payload(measure.map_figure(store, days[-1], **kwargs))
        out.append(Measurement("map_bytes_" + "_".join(map(str, kwargs.values())), f"What-if: {label}",
                               [what_if["bytes"]], "B", note=f"gzip {what_if['gzip']:,} B"))  # fmt: skip
    del fig

    log("public view (small-number suppression)")
    hidden = []
    times = measure.repeat(lambda i: hidden.append(measure.public_view_once(store, days[-1 - i], days[-2 - i])),
                           plan.public_repeats, warmup=0)  # fmt: skip
    out.append(Measurement("public_view", f"Public view of the Stadtteil table (indicators.disclosure.public_view, "
                           f"{len(ids)} districts)", times, "s", note=f"hidden cells: {hidden}"))  # fmt: skip

    out += rerun_measurements(plan, db, days)

    log(f"register extract × {plan.register_repeats} ({plan.register_rows:,} persons)")
    extract = work / "melderegister.csv"
    size = measure.register_extract(extract, plan.register_rows, list(names.values()), date(2025, 6, 30))
    times, cells = [], 0
    for i in range(plan.register_repeats):
        target = work / f"register-{i}.duckdb"
        measure.districts_only_db(target, store)
        result = measure.import_register_once(extract, target, date(2025, 6, 30))
        times.append(result["seconds"])
        cells = result["cells"]
        for p in work.glob(f"register-{i}.duckdb*"):
            p.unlink()
    out.append(Measurement("register", f"Person-level extract, {plan.register_rows:,} rows ({size / 1e6:.0f} MB "
                           f"CSV) aggregated to {cells:,} cells on import", times, "s"))  # fmt: skip
    store.close()

    out += load_measurements(plan, work, db)
    if browser:
        out += browser_measurements(plan, work, db, days)
    out.insert(0, Measurement("sizes", "Sizes", [], "",
                              note=f"{sizes.districts} Stadtteile in {sizes.bezirke} Stadtbezirke, {sizes.stichtage} "
                              f"Stichtage, {sizes.nationalities} nationalities × {len(gen.AGE_GROUPS)} age groups × "
                              f"2 sexes × 2 migration statuses ({sizes.cells:,} possible cells per district and "
                              f"Stichtag); {detail_rows:,} detail rows, {population_rows:,} total rows; database "
                              f"file {db_bytes / 1e6:,.0f} MB"))  # fmt: skip
    return out


def rerun_measurements(plan: Plan, db: Path, days: list[date]) -> list[Measurement]:
    """Page reruns in AppTest after a Stichtag change, Karte and Stadtteilprofil, reader and editor."""
    log("page reruns (AppTest)")
    out = []
    new_dates = len(days) - 1  # Stichtage not shown yet: more reruns would find the shared view
    for page, key in (("pages/karte.py", "karte"), ("pages/profil.py", "profil")):
        for exact, reruns in (
            (False, max(plan.public_repeats, min(8, new_dates))),
            (True, max(plan.repeats, 5)),
        ):
            result = measure.page_reruns(db, page, days, reruns, exact=exact)
            who = "editor, exact values" if exact else "reader, public view"
            out.append(Measurement(f"rerun_{key}{'_exact' if exact else ''}",
                                   f"Rerun of {page} after a Stichtag change (AppTest, {who})",
                                   result["seconds"], "s", goal=("≤", RERUN_GOAL_S),
                                   note=f"CPU {report.median(result['cpu']) * 1000:,.0f} ms per rerun (median); "
                                   f"first run {result['first']:.2f} s (not counted), {result['charts']} charts"))  # fmt: skip
            gc.collect()
    return out


def browser_measurements(plan: Plan, work: Path, db: Path, days: list[date]) -> list[Measurement]:

    out = []
    if plan.cold_repeats:  # the server side of a first open is measured under load (`first_open`)
        out += _cold_starts(plan, work)
    log(f"{plan.browsers} real browser session(s) × {plan.interactions} interactions")
    result = sessions.concurrent_sessions(
        db, work / "streamlit-sessions.log", plan.browsers, plan.interactions, days,
        deadline_s=240 if plan.name == "full" else 120,
    )  # fmt: skip
    expected = plan.browsers * plan.interactions
    note = f"{len(result.seconds)}/{expected} interactions measured; server CPU {result.server_cpu:.1f} s in {result.wall:.0f} s wall"
    if result.seconds:
        note += f" ({result.server_cpu / len(result.seconds):.2f} s per interaction incl. page opens)"
    out.append(Measurement("sessions_open", f"Chromium, {plan.browsers} context(s): open the Karte → first chart",
                           result.load_seconds, "s"))  # fmt: skip
    out.append(Measurement("sessions", f"Chromium, {plan.browsers} context(s): Stichtag change → map shows it",
                           result.seconds, "s", goal=("p95 ≤", CHANGE_GOAL_S), note=note))  # fmt: skip
    out.append(Measurement("session_errors", "Errors in the Chromium sessions", [len(result.errors)], "",
                           goal=("=", 0), note="; ".join(result.errors[:5])))  # fmt: skip
    return out


def _cold_starts(plan: Plan, work: Path) -> list[Measurement]:
    from playwright.sync_api import sync_playwright

    from data.bootstrap import install_demo

    out = []
    log(f"cold start × {plan.cold_repeats} (demo present / missing)")
    demo = work / "demo" / "demo.duckdb"
    install_demo(demo)
    present, missing = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=sessions.CHROMIUM, args=sessions.CHROMIUM_ARGS)
        try:
            for i in range(plan.cold_repeats):
                present.append(sessions.cold_start(demo, work / "streamlit-cold.log", browser)["chart"])
                fresh = work / f"fresh-{i}" / "demo.duckdb"
                missing.append(sessions.cold_start(fresh, work / "streamlit-cold.log", browser)["chart"])
                shutil.rmtree(fresh.parent, ignore_errors=True)
        finally:
            browser.close()
    out.append(
        Measurement(
            "cold", "Cold start on the demo db: `streamlit run` → first chart in chromium", present, "s"
        )
    )
    out.append(
        Measurement("cold_missing", "Cold start without a db (the app builds the demo first)", missing, "s")
    )

    return out


def load_measurements(plan: Plan, work: Path, db: Path) -> list[Measurement]:
    """The server under load: first open after start, every population page with N websocket sessions,
    then 1 and 2 processes behind nginx on the same load (benchmarks/load.py, benchmarks/cluster.py)."""
    out = []
    n, k = plan.sessions, plan.interactions
    log("first open after start")
    with sessions.Server(db, work / "streamlit-first.log") as server:
        healthy = server.wait_healthy()
        seconds = load.open_once(server.url, "karte")
        out.append(Measurement("first_open", "First open of the Karte after server start (one session, "
                               "request → script finished)", [seconds], "s", goal=("≤", OPEN_GOAL_S),
                               note=f"server healthy after {healthy:.1f} s"))  # fmt: skip
        for page, title in load.PAGES.items():
            log(f"{n} sessions × {k} Stichtag changes on {title}")
            result = load.load_page(server.url, page, n, k, server.cpu_seconds, deadline_s=LOAD_DEADLINE_S)
            out += _page_measurements(result, title, n, page in GOAL_PAGES)
    if not cluster.nginx_available():
        log("nginx not installed: no 1-vs-2-process comparison")
        return out
    rates = {}
    for processes in (1, 2):
        log(f"{processes} process(es) behind nginx: {n} sessions × {k} changes on the Karte, no think time")
        with cluster.Cluster(db, work / f"cluster-{processes}", processes) as proxy:
            for server in proxy.servers:  # the first open after start is measured above: warm every process
                load.open_once(server.url, "karte")
            result = load.load_page(proxy.url, "karte", n, k, proxy.cpu_seconds, think_s=(0.0, 0.0),
                                    deadline_s=LOAD_DEADLINE_S)  # fmt: skip
        rates[processes] = result.throughput
        values = result.opens + result.changes
        out.append(Measurement(f"procs_{processes}", f"Karte behind nginx, {processes} process(es): {n} sessions "
                               f"× (open + {k} changes), no think time", values, "s",
                               note=f"{result.throughput:.1f} reruns/s; {len(result.errors)} errors; "
                               f"{_processes(result)}; server CPU {result.cpu_per_rerun:.2f} s per rerun"))  # fmt: skip
    out.append(Measurement("scale", "Throughput of 2 processes / 1 process (same load, reruns per second)",
                           [rates[2] / rates[1]], "×", goal=("≥", SCALE_GOAL)))  # fmt: skip
    return out


def _processes(result: load.PageLoad) -> str:
    counts = Counter(up for up, _ in result.seen)
    return "sessions per process " + " / ".join(str(c) for _, c in sorted(counts.items()))


def _page_measurements(result: load.PageLoad, title: str, n: int, goals: bool) -> list[Measurement]:
    note = (f"server CPU {result.cpu_per_rerun:.2f} s per rerun ({result.server_cpu:.1f} s for {result.reruns} "
            f"reruns in {result.wall:.0f} s wall); {result.bytes_received / max(result.reruns, 1) / 1000:,.0f} KB "
            "per rerun")  # fmt: skip
    return [
        Measurement(f"load_open_{title}", f"{title}: {n} sessions open the page at once", result.opens, "s",
                    goal=("p95 ≤", OPEN_GOAL_S) if goals else None, note=note),
        Measurement(f"load_change_{title}", f"{title}: Stichtag change with {n} sessions", result.changes, "s",
                    goal=("p95 ≤", CHANGE_GOAL_S) if goals else None),
        Measurement(f"load_errors_{title}", f"{title}: errors under load", [len(result.errors)], "",
                    goal=("=", 0), note="; ".join(result.errors[:3])),
    ]  # fmt: skip


def run_reruns_only(plan: Plan, work: Path) -> list[Measurement]:
    """Only the AppTest page reruns, on the database an earlier run kept in `work` (or a new one)."""
    db = work / "benchstadt.duckdb"
    if not db.exists():
        log(f"{plan.name}: generating {plan.sizes}")
        gen.generate(db, plan.sizes)
    return rerun_measurements(plan, db, [d.date() for d in gen.reference_dates(plan.sizes.stichtage)])


def run_load_only(plan: Plan, work: Path, browser: bool) -> list[Measurement]:
    """Only the server under load, on the database an earlier run kept in `work` (or a new one)."""
    db = work / "benchstadt.duckdb"
    if not db.exists():
        log(f"{plan.name}: generating {plan.sizes}")
        gen.generate(db, plan.sizes)
    out = load_measurements(plan, work, db)
    if browser:
        days = [d.date() for d in gen.reference_dates(plan.sizes.stichtage)]
        out += browser_measurements(plan, work, db, days)
    return out


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
