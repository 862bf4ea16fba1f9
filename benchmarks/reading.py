"""`python -m benchmarks.reading [--mb 45]`: how fast a big published CSV is read and imported.

The file is written as a statistics portal publishes it (title lines, `;`, keys with leading zeros,
indented names, counts padded and with spaces as thousands separators, the signs `.` `-` `x`, a footer)
just under the upload limit. `data.parsing.read_table`, then the whole `import_population` (read,
check every row and Stichtag, write to a new database) run each in a fresh process, so the peak
resident memory (ru_maxrss of the child) is their own plus the interpreter with pandas; the baseline
(interpreter and imports only) is measured the same way and printed beside it. The child's CPU
seconds are printed beside its wall time: on shared cores the wall time follows the load average
(printed at the end), the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

READ = """
import time
from data.parsing import read_table
from data.population import KNOWN_HEADERS
started = time.perf_counter()
frame = read_table({path!r}, known=KNOWN_HEADERS)
print(len(frame), len(frame.attrs["warnings"]), time.perf_counter() - started)
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""
IMPORT = """
import time, tempfile
from pathlib import Path
from data.population import import_population
started = time.perf_counter()
with tempfile.TemporaryDirectory() as work:
    report = import_population({path!r}, Path(work) / "b.duckdb", "Großstadt")
print(report.rows, len(report.warnings), time.perf_counter() - started)
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""
BASELINE = "import resource, data.parsing, data.population\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"


def published_csv(path: Path, megabytes: float, seed: int = 5, chunk: int = 50_000) -> int:
    """A long Stadtteil table (Schlüssel, Stadtteil, Stichtag, three counts) of about `megabytes` MB,
    written in chunks so this process stays small (its size is inherited by the measured child)."""
    rng = np.random.default_rng(seed)
    rows = int(megabytes * 1024 * 1024 / 71)  # about 71 bytes a line

    def spaced(values: np.ndarray) -> list[str]:
        return [f"  {v:,}  ".replace(",", " ") for v in values.tolist()]

    with path.open("w", encoding="cp1252", newline="\n") as out:
        out.write("GENESIS-Tabelle: 12411-01-01-5\nBevölkerung: Stadtteile, Stichtag\n\n")
        out.write("Schlüssel;Stadtteil;Stichtag;Einwohner;Ausländer;Migrationshintergrund\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            index = np.arange(start, start + n)
            district, year = index // 25 + 1, index % 25  # every Stadtteil once per Stichtag: a valid table
            population = rng.integers(0, 60_000, n)
            foreigners = (population * rng.random(n) * 0.4).astype(int)
            signs = rng.choice(np.array(["", ".", "-", "x"], dtype=object), n, p=[0.97, 0.01, 0.01, 0.01])
            out.writelines(
                f"{d:06d};  Stadtteil {d:06d};31.12.{2000 + y};{p};{s or f};{m}\n"
                for d, y, p, f, m, s in zip(
                    district.tolist(),
                    year.tolist(),
                    spaced(population),
                    spaced(foreigners),
                    spaced(foreigners * 2),
                    signs,
                    strict=True,
                )
            )
        out.write("__________\n© IT.NRW, Düsseldorf, 2024\nStand: 12.03.2024 / 14:22:07\n")
    return path.stat().st_size


def _run(code: str) -> tuple[list[str], float]:
    """Output words and wall seconds of `code` in a fresh interpreter (measured ones end with the
    process's CPU seconds and its peak resident MB)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reading", description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=45.0, help="size of the generated CSV in MB (default 45)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="integrationsmonitor-read-") as work:
        path = Path(work) / "veroeffentlicht.csv"
        size = published_csv(path, args.mb)
        (base_mb,), _ = _run(BASELINE)
        (rows, warnings, seconds, cpu, peak_mb), wall = _run(READ.format(path=str(path)))
        print(
            f"| read_table, published CSV | {size / 1024 / 1024:.1f} MB, {int(rows)} rows, {warnings} warnings "
            f"| {float(seconds):.1f} s (process {wall:.1f} s, CPU {float(cpu):.1f} s) | peak {float(peak_mb):.0f} MB "
            f"(interpreter + imports {float(base_mb):.0f} MB) |"
        )
        (rows, warnings, seconds, cpu, peak_mb), wall = _run(IMPORT.format(path=str(path)))
        print(
            f"| import_population (check, all Stichtage, write) | {size / 1024 / 1024:.1f} MB, {int(rows)} rows, "
            f"{warnings} warnings | {float(seconds):.1f} s (process {wall:.1f} s, CPU {float(cpu):.1f} s) "
            f"| peak {float(peak_mb):.0f} MB |"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
