"""Load on the server, not on browsers: N sessions speak Streamlit's own websocket protocol.

Each session connects to `/_stcore/stream` (subprotocol `streamlit`) the way the browser does, asks
for a page with a `rerun_script` BackMsg (query string, page name) and reads ForwardMsgs until
`script_finished`. Then it changes the Stichtag a few times: the sidebar selectbox keyed
`reference_date` is found among the page's elements and its new value (the option as shown) is sent as
a widget state. A page that fails shows an `exception` element or the app's German error
(`charts.texts.PAGE_FAILED`); both count as errors, as do timeouts and lost connections.

The server's CPU seconds come from /proc/<pid>/stat before and after (all processes behind a proxy are
summed). Everything is bounded: a timeout per rerun, a deadline per page, 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from charts.texts import PAGE_FAILED

RERUN_TIMEOUT_S = 30.0
# page_name (the url_path; the default page has none) → its title in the report
PAGES = {"": "Übersicht", "karte": "Karte", "profil": "Stadtteilprofil", "zeitreihen": "Zeitreihen"}
DATE_KEY = "reference_date"  # the sidebar's Stichtag selectbox (pages/components/state.py)


@dataclass
class PageLoad:
    """What N sessions saw on one page."""

    page: str
    sessions: int
    opens: list[float] = field(default_factory=list)  # seconds: rerun request → script_finished
    changes: list[float] = field(default_factory=list)  # seconds: new Stichtag sent → script_finished
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0  # CPU seconds of the server process(es) during the page's run
    wall: float = 0.0
    bytes_received: int = 0
    seen: list[tuple[str, int]] = field(
        default_factory=list
    )  # per opened session: (process, Stichtage offered)

    @property
    def reruns(self) -> int:
        return len(self.opens) + len(self.changes)

    @property
    def cpu_per_rerun(self) -> float:
        return self.server_cpu / self.reruns if self.reruns else float("nan")

    @property
    def throughput(self) -> float:
        """Finished reruns per second of wall time."""
        return self.reruns / self.wall if self.wall else float("nan")


class PageError(Exception):
    pass


def _rerun_msg(page: str, query: str, widgets: dict[str, str] | None = None) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = page
    for widget_id, value in (widgets or {}).items():
        w = state.widget_states.widgets.add()
        w.id = widget_id
        w.string_value = value
    return msg.SerializeToString()


def _element(forward) -> tuple[str, object] | None:
    """(type, proto) of a ForwardMsg's new element, None for anything else."""
    if forward.WhichOneof("type") != "delta" or forward.delta.WhichOneof("type") != "new_element":
        return None
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    return kind, getattr(element, kind)


async def _until_finished(ws, seen: dict[str, object], counter: list[int]) -> None:
    """Read ForwardMsgs until the script run finished; remember widgets by their user key."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    while True:
        data = await asyncio.wait_for(ws.recv(), RERUN_TIMEOUT_S)
        counter[0] += len(data)
        forward = ForwardMsg()
        forward.ParseFromString(data)
        kind = forward.WhichOneof("type")
        if kind == "script_finished":
            status = forward.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # a rerun was asked for (the router's first run): keep reading
            if status not in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ):
                raise PageError(f"script finished with {ForwardMsg.ScriptFinishedStatus.Name(status)}")
            return
        if kind == "page_not_found":
            raise PageError("page not found")
        element = _element(forward)
        if element is None:
            continue
        etype, proto = element
        if etype == "exception":
            raise PageError(f"exception: {proto.type}: {proto.message[:100]}")
        if etype == "alert" and PAGE_FAILED[:40] in proto.body:
            raise PageError("page failed (German error shown)")
        widget_id = getattr(proto, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            seen[widget_id.rsplit("-", 1)[-1]] = (widget_id, proto)


async def _session(url: str, page: str, query: str, changes: int, think_s: tuple[float, float],
                   rng: random.Random, ready: asyncio.Barrier, result: PageLoad) -> None:  # fmt: skip
    import websockets

    counter = [0]
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    # a cookie of its own, as a browser has one: a proxy that is sticky by cookie spreads the sessions
    headers = {"Cookie": f"_streamlit_xsrf=load-{rng.getrandbits(64):x}", "User-Agent": "benchmarks.load"}
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30,
                                      additional_headers=headers, ping_interval=None) as ws:  # fmt: skip
            await ready.wait()  # everybody is connected before anybody asks for the page
            seen: dict[str, object] = {}
            started = time.perf_counter()
            await ws.send(_rerun_msg(page, query))
            await _until_finished(ws, seen, counter)
            result.opens.append(time.perf_counter() - started)
            if DATE_KEY not in seen:
                raise PageError("no Stichtag selectbox on the page")
            widget_id, select = seen[DATE_KEY]
            options = list(select.options)
            upstream = ws.response.headers.get(
                "X-Upstream", "direct"
            )  # set by benchmarks/nginx.conf.template
            result.seen.append((upstream, len(options)))
            shown = options[select.default] if select.HasField("default") else None
            for _ in range(changes):
                await asyncio.sleep(rng.uniform(*think_s))
                when = rng.choice([o for o in options if o != shown])
                started = time.perf_counter()
                await ws.send(_rerun_msg(page, query, {widget_id: when}))
                await _until_finished(ws, seen, counter)
                result.changes.append(time.perf_counter() - started)
                shown = when
    except (PageError, TimeoutError, OSError) as err:
        result.errors.append(f"{page}: {type(err).__name__}: {err}"[:160])
    except Exception as err:  # noqa: BLE001 - a lost connection or protocol error is an error of the run
        result.errors.append(f"{page}: {type(err).__name__}: {err}"[:160])
    finally:
        result.bytes_received += counter[0]


def load_page(url: str, page: str, sessions: int, changes: int, cpu: Callable[[], float], *,
              query: str = "", think_s: tuple[float, float] = (0.5, 1.5), deadline_s: float = 300.0,
              seed: int = 17) -> PageLoad:  # fmt: skip
    """`sessions` websocket sessions open `page` at once, then each changes the Stichtag `changes`
    times with a think time in between. `cpu()` returns the server's CPU seconds so far."""
    result = PageLoad(page, sessions)

    async def drive() -> None:
        ready = asyncio.Barrier(sessions)
        await asyncio.gather(*(_session(url, page, query, changes, think_s, random.Random(seed * 1000 + i),
                                        ready, result) for i in range(sessions)))  # fmt: skip

    before, started = cpu(), time.perf_counter()
    try:
        asyncio.run(asyncio.wait_for(drive(), deadline_s))
    except TimeoutError:
        result.errors.append(f"{page}: deadline of {deadline_s:.0f} s reached")
    result.wall = time.perf_counter() - started
    result.server_cpu = cpu() - before
    return result


def open_once(url: str, page: str = "karte", query: str = "") -> float:
    """Seconds for one session to open a page (the first open after a server start)."""
    result = load_page(url, page, 1, 0, lambda: 0.0, query=query, deadline_s=120)
    if result.errors:
        raise RuntimeError(result.errors[0])
    return result.opens[0]
