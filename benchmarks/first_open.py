"""First open after a server start, with and without serve.py's warm-up (issue 17: ≤ 2 s).

`python -m benchmarks.first_open [--size full|quick|demo] [--repeats N] [--db PATH]`

Per repeat and per start command (`streamlit run app.py`, `streamlit run serve.py`) a fresh server
on one database: seconds from the process start until /_stcore/health answers, then one websocket
session opens a page (request → script finished, `benchmarks.load.open_once`) — the Karte on one
server, the Übersicht on another. serve.py answers its health check only after the warm-up, so
"start → page shown" (the sum) says what a reader who comes right after a restart waits in all.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks import generate as gen
from benchmarks import load, sessions

SCRIPTS = ("app.py", "serve.py")
PAGES = {"karte": "Karte", "": "Übersicht"}


def measure(db: Path, work: Path, repeats: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(script, page) → [(seconds until healthy, seconds of the first open)] per repeat."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for i in range(repeats):
        for script in SCRIPTS:
            for page in PAGES:
                log = work / f"{Path(script).stem}-{page or 'start'}-{i}.log"
                with sessions.Server(db, log, script=script) as server:
                    healthy = server.wait_healthy(timeout_s=300)
                    opened = load.open_once(server.url, page)
                out.setdefault((script, page), []).append((healthy, opened))
                print(
                    f"{script:9} {PAGES[page]:10} healthy {healthy:5.2f} s, first open {opened:5.2f} s",
                    flush=True,
                )
    return out


def table(results: dict[tuple[str, str], list[tuple[float, float]]]) -> str:
    lines = [
        "| start command | page | healthy after (median) | first open (median, all) | start → page shown |",
        "|---|---|---|---|---|",
    ]
    for (script, page), runs in results.items():
        healthy = statistics.median(h for h, _ in runs)
        opens = [o for _, o in runs]
        every = ", ".join(f"{o:.2f}" for o in opens)
        total = statistics.median(h + o for h, o in runs)
        lines.append(
            f"| `streamlit run {script}` | {PAGES[page]} | {healthy:.2f} s | "
            f"{statistics.median(opens):.2f} s ({every}) | {total:.2f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["full", "quick", "demo"], default="quick")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", type=Path, help="an existing database (else one is generated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="first-open-") as folder:
        work = Path(folder)
        db = args.db
        if db is None:
            db = work / "bench.duckdb"
            if args.size == "demo":
                from data.bootstrap import install_demo

                install_demo(db)
            else:
                gen.generate(db, gen.FULL if args.size == "full" else gen.QUICK)
        print(table(measure(db, work, args.repeats)))


if __name__ == "__main__":
    main()
