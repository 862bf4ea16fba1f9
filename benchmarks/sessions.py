"""The running app under load: cold start and concurrent browser sessions, on 127.0.0.1 only.

Everything here is bounded: the server is started by us and stopped by us (by its process id), every
wait has a timeout, and `concurrent_sessions` gives up after `deadline_s` whatever happens.
Chromium is Debian's /usr/bin/chromium driven by Playwright, one browser with one context per session.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART = 'div[data-testid="stPlotlyChart"] .main-svg'
HOST = "127.0.0.1"
# true when any chart's SVG shows the text (the source line under the map carries the Stichtag)
CHART_SHOWS = """(text) => [...document.querySelectorAll('div[data-testid="stPlotlyChart"] .main-svg')]
                   .some(svg => svg.textContent.includes(text))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, what: str, timeout_s: float = 60.0) -> None:
    """Until `url`/_stcore/health answers 200 (directly or through a proxy); fails if `proc` exits."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{what} did not answer within {timeout_s} s")


class Server:
    """`streamlit run app.py` (or `script`, e.g. serve.py as deployed) on 127.0.0.1 with
    INTEGRATIONSMONITOR_DB=db; a context manager."""

    def __init__(self, db: Path, log: Path, script: str = "app.py"):
        self.db, self.log_path, self.script = db, log, script
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def __enter__(self) -> Server:
        self.log = open(self.log_path, "a")  # noqa: SIM115 - closed in __exit__
        env = {**os.environ, "INTEGRATIONSMONITOR_DB": str(self.db)}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", self.script, "--server.port", str(self.port),
             "--server.headless", "true", "--server.address", HOST, "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return self

    def wait_healthy(self, timeout_s: float = 60.0) -> float:
        """Seconds from process start until /_stcore/health answers."""
        wait_healthy(self.url, self.proc, f"streamlit (see {self.log_path})", timeout_s)
        return time.perf_counter() - self.started

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        stop(self.proc)
        self.log.close()


def stop(proc: subprocess.Popen | None, timeout_s: float = 20.0) -> None:
    """Terminate a process we started (by its id), kill it if it does not end in time."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- cold start --------------------------------------------------------------------------------------


def cold_start(db: Path, log: Path, browser) -> dict[str, float]:
    """Seconds from `streamlit run` process start to the first chart's SVG on the default page.

    `browser` is a launched Playwright (sync) browser, so the browser's own start is not counted.
    If `db` does not exist, the app builds the demo city first (the very first start).
    """
    with Server(db, log) as server:
        healthy = server.wait_healthy()
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        try:
            page = context.new_page()
            page.goto(f"{server.url}/", timeout=60_000)
            page.wait_for_selector(CHART, timeout=120_000)
            chart = time.perf_counter() - server.started
        finally:
            context.close()
    return {"healthy": healthy, "chart": chart}


# --- concurrent sessions -----------------------------------------------------------------------------


@dataclass
class SessionResult:
    seconds: list[float] = field(default_factory=list)  # widget change → chart shows the new Stichtag
    load_seconds: list[float] = field(default_factory=list)  # page open → first chart
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    wall: float = 0.0


def concurrent_sessions(
    db: Path,
    log: Path,
    sessions: int,
    interactions: int,
    dates: list[date],
    think_s: tuple[float, float] = (1.0, 3.0),
    deadline_s: float = 600.0,
    seed: int = 3,
) -> SessionResult:
    """`sessions` browser contexts open the Karte at once; each changes the Stichtag `interactions`
    times with a random think time between changes. Stops by itself after `deadline_s`."""
    result = SessionResult()
    with Server(db, log) as server:
        server.wait_healthy()
        cpu_before = server.cpu_seconds()
        started = time.perf_counter()
        try:
            asyncio.run(
                asyncio.wait_for(
                    _drive(server.url, sessions, interactions, dates, think_s, seed, result), deadline_s
                )
            )
        except TimeoutError:
            result.errors.append(f"deadline of {deadline_s:.0f} s reached")
        result.wall = time.perf_counter() - started
        result.server_cpu = server.cpu_seconds() - cpu_before
    return result


async def _drive(url, sessions, interactions, dates, think_s, seed, result: SessionResult) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ready = asyncio.Barrier(sessions)
            await asyncio.gather(
                *(
                    _session(
                        browser, url, i, interactions, dates, think_s, random.Random(seed + i), ready, result
                    )
                    for i in range(sessions)
                )
            )
        finally:
            await browser.close()


async def _session(browser, url, i, interactions, dates, think_s, rng, ready, result: SessionResult) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = await context.new_page()
    page.on(
        "request",
        lambda r: r.url.startswith(f"http://{HOST}") or result.errors.append(f"left 127.0.0.1: {r.url}"),
    )
    opened = False
    try:
        started = time.perf_counter()
        await page.goto(f"{url}/karte", timeout=120_000)
        await page.wait_for_selector(CHART, timeout=120_000)
        result.load_seconds.append(time.perf_counter() - started)
        opened = True
    except Exception as err:  # noqa: BLE001 - every failure counts as an error of the run
        result.errors.append(f"session {i}: open: {type(err).__name__}: {_first_line(err)}")
    await ready.wait()  # everybody is in before anybody clicks
    if not opened:
        await context.close()
        return
    shown = dates[-1]
    try:
        for _ in range(interactions):
            await asyncio.sleep(rng.uniform(*think_s))
            when = rng.choice([d for d in dates if d != shown])
            text = when.strftime("%d.%m.%Y")
            select = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
                has_text="Stichtag"
            )
            await select.click()
            await page.keyboard.type(text)
            started = time.perf_counter()
            await page.keyboard.press("Enter")
            try:
                await page.wait_for_function(CHART_SHOWS, arg=f"Stichtag {text}", timeout=30_000)
            except Exception as err:  # noqa: BLE001
                result.errors.append(f"session {i}: {text}: {type(err).__name__}")
                continue
            result.seconds.append(time.perf_counter() - started)
            shown = when
            if await page.locator('[data-testid="stException"]').count():
                result.errors.append(f"session {i}: Python exception on the page")
    except Exception as err:  # noqa: BLE001
        result.errors.append(f"session {i}: {type(err).__name__}: {_first_line(err)}")
    finally:
        await context.close()


def _first_line(err: Exception) -> str:
    """The first line of an error message (Playwright appends a multi-line call log)."""
    return (str(err).splitlines() or [""])[0][:120]
