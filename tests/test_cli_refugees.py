"""The refugee commands as a statistics office scripts them: real processes, the Kamp-Lintfort fixtures."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data"
ZUWEISUNGEN = FIXTURES / "kamp_lintfort_zuweisungen_2021_2022.csv"
UNTERBRINGUNG = FIXTURES / "kamp_lintfort_unterbringung.csv"


def run(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "INTEGRATIONSMONITOR_DB"}
    cmd = [sys.executable, "-m", *args, "--db", str(db)]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def rows(stdout: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(stdout)))


@pytest.fixture
def kamp_lintfort(db_path: Path) -> Path:
    done = run(
        "data", "import", "allocations", str(ZUWEISUNGEN), "--municipality", "Kamp-Lintfort", db=db_path
    )
    assert done.returncode == 0, done.stderr
    assert "21 Zeilen importiert" in done.stdout
    done = run(
        "data", "import", "occupancy", str(UNTERBRINGUNG), "--municipality", "Kamp-Lintfort", db=db_path
    )
    assert done.returncode == 0, done.stderr
    assert "Verdichtung" in done.stdout
    return db_path


def test_allocations_csv_gives_the_published_figures(kamp_lintfort):
    out = run("indicators", "allocations", db=kamp_lintfort)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "period,country,persons,minors"
    table = {(r["period"], r["country"]): (r["persons"], r["minors"]) for r in rows(out.stdout)}
    assert table[("2021", "TOTAL")] == ("61", "27")
    assert table[("2022", "TOTAL")] == ("445", "155")
    assert table[("2022", "Ukraine")] == ("388", "135")
    assert table[("2021", "Ägypten")] == ("2", "")  # unknown stays empty
    assert rows(out.stdout)[-1]["country"] == "TOTAL"


def test_yearly_allocations_refuse_months(kamp_lintfort):
    out = run("indicators", "allocations", "--by", "month", db=kamp_lintfort)
    assert out.returncode == 1 and out.stdout == ""
    assert "nur Jahreszahlen" in out.stderr and "2021, 2022" in out.stderr


def test_occupancy_csv(kamp_lintfort):
    out = run("indicators", "occupancy", db=kamp_lintfort)
    assert out.returncode == 0, out.stderr
    header = "date,facility,capacity,occupants,occupancy_rate_pct,fehlbeleger,fehlbeleger_share_pct"
    assert out.stdout.splitlines()[0] == header
    total = rows(out.stdout)[-1]
    assert (total["date"], total["facility"], total["occupants"], total["fehlbeleger"]) == (
        "2022-10-31", "TOTAL", "314", "121")  # fmt: skip
    assert round(float(total["fehlbeleger_share_pct"]), 1) == 38.5
    assert float(total["fehlbeleger_share_pct"]) == pytest.approx(121 / 314 * 100, abs=1e-12)  # unrounded
    same = run("indicators", "occupancy", "--date", "2022-10-31", db=kamp_lintfort)
    assert same.stdout == out.stdout
    missing = run("indicators", "occupancy", "--date", "2022-11-30", db=kamp_lintfort)
    assert missing.returncode == 1 and "2022-10-31" in missing.stderr


def test_monthly_demo_allocations(db_path):
    assert run("data", "demo", db=db_path).returncode == 0
    out = run("indicators", "allocations", "--by", "month", "--municipality", "Musterstadt", db=db_path)
    assert out.returncode == 0, out.stderr
    periods = {r["period"] for r in rows(out.stdout)}
    assert "2022-03" in periods and "2014-01" in periods
    years = rows(run("indicators", "allocations", "--municipality", "Musterstadt", db=db_path).stdout)
    months = rows(out.stdout)
    by_year = sum(int(r["persons"]) for r in years if r["country"] == "TOTAL" and r["period"] == "2022")
    by_month = sum(
        int(r["persons"]) for r in months if r["country"] == "TOTAL" and r["period"].startswith("2022")
    )
    assert by_year == by_month


def test_quota_import(db_path, tmp_path):
    src = tmp_path / "quote.csv"
    src.write_text("Stichtag;Kommune;Aufnahmeverpflichtung;Ist;Erfüllungsquote\n"
                   "31.12.2022;Kamp-Lintfort;520;498;95,77\n", encoding="cp1252")  # fmt: skip
    done = run("data", "import", "quota", str(src), db=db_path)
    assert done.returncode == 0, done.stderr
    bad = tmp_path / "falsch.csv"
    bad.write_text("Stichtag;Kommune;Aufnahmeverpflichtung;Ist;Erfüllungsquote\n"
                   "31.12.2022;Kamp-Lintfort;520;498;99\n", encoding="utf-8")  # fmt: skip
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    refused = run("data", "import", "quota", str(bad), db=db_path)
    assert refused.returncode == 1
    assert 'Datei falsch.csv, Zeile 2, Spalte "Erfüllungsquote"' in refused.stderr
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_malformed_allocations_exit_1_and_change_nothing(kamp_lintfort, tmp_path):
    bad = tmp_path / "kaputt.csv"
    bad.write_text("Zeitraum;Herkunftsland;Personen;davon Kinder\n2023;Syrien;3;5\n", encoding="utf-8")
    before = hashlib.sha256(kamp_lintfort.read_bytes()).hexdigest()
    out = run("data", "import", "allocations", str(bad), "--municipality", "Kamp-Lintfort", db=kamp_lintfort)
    assert out.returncode == 1
    assert 'Datei kaputt.csv, Zeile 2, Spalte "davon Kinder": Mehr Kinder (5) als Personen (3).' in out.stderr
    assert "es wurde nichts geändert" in out.stderr
    assert hashlib.sha256(kamp_lintfort.read_bytes()).hexdigest() == before
