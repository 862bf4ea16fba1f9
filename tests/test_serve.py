"""serve.py as a browser and an attacker meet it: `streamlit run serve.py` on a demo database, real
HTTP, Streamlit's websocket and Chromium. Editors sign in with an HttpOnly, SameSite=Strict cookie;
a replayed session, a forged or expired token, a foreign page or a reader's upload get nothing; the
files next to the app stay unreachable; the warm-up ran before the port served anybody."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from benchmarks.sessions import free_port
from tests.leaks import leaks, secret_markers

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
KEY, HOURS = "test-signing-key-0123456789", 2
PASSWORD = "geheim-genug-123"
EDITORS = ("planung", "archiv")  # archiv is the account the rate-limit test locks


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run serve.py` with two editors; behind_proxy, so each test names its own client."""
    from data.bootstrap import install_demo
    from data.passwords import hash_password

    folder = tmp_path_factory.mktemp("serve")
    db = folder / "demo.duckdb"
    install_demo(db)
    secrets = folder / "secrets.toml"
    accounts = "".join(f'{n} = "{hash_password(PASSWORD, iterations=1_000)}"\n' for n in EDITORS)
    secrets.write_text(
        f'[editors]\n{accounts}[editor_session]\nkey = "{KEY}"\nhours = {HOURS}\nbehind_proxy = true\n',
        encoding="utf-8",
    )
    port = free_port()
    log_path = folder / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.headless", "true", "--secrets.files", str(secrets)],
        cwd=REPO, env={**os.environ, "INTEGRATIONSMONITOR_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if urllib.request.urlopen(f"http://{host}/_stcore/health", timeout=5).status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve.py did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        log.flush()
        at_health = log_path.read_text(encoding="utf-8")  # what had happened when the port first answered
        yield {"host": host, "log": log_path, "at_health": at_health, "secrets": secrets}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _post(host: str, path: str, fields: dict, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, timeout=60)
    body = urlencode(fields)
    connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _sign_in(host: str, client: str, name: str = "planung", password: str = PASSWORD, **headers):
    return _post(
        host,
        "/redaktion/anmelden",
        {"username": name, "password": password},
        {"Origin": f"http://{host}", "X-Forwarded-For": client, **headers},
    )


def _cookie(response) -> str:
    """The token from a Set-Cookie header (as the browser sends it back: quoted)."""
    header = response.getheader("Set-Cookie")
    return header.split(";", 1)[0].split("=", 1)[1]


def _run_page(host: str, cookie: str | None = None, session: str | None = None) -> tuple[str, str]:
    """One run of the page *Daten laden* over Streamlit's websocket, as a browser would ask for it
    (optionally with the editor cookie, optionally resuming a session id): (session id, all text)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    from pages.components.auth import COOKIE

    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    protocols = ["streamlit", "xsrf-unused", session] if session else ["streamlit"]
    with connect(
        f"ws://{host}/_stcore/stream", subprotocols=protocols, additional_headers=headers, open_timeout=30
    ) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_name = "daten_laden"
        ws.send(back.SerializeToString())
        session_id, texts = "", []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=90))
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                session_id = msg.new_session.initialize.session_id
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                proto = getattr(element, element.WhichOneof("type"))
                texts += [str(getattr(proto, f)) for f in ("body", "label") if hasattr(proto, f)]
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                assert msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                return session_id, "\n".join(texts)
    raise TimeoutError("the page did not finish")


def _is_editor(text: str) -> bool:
    if "Angemeldet als" in text:
        assert 'action="/redaktion/anmelden"' not in text
        return True
    assert 'action="/redaktion/anmelden"' in text and "Passwort" in text  # the reader's sign-in form
    return False


# --- HTTP and the websocket -----------------------------------------------------------------------


def test_sign_in_sets_an_httponly_strict_cookie_and_the_cookie_makes_an_editor(server):
    host = server["host"]
    response = _sign_in(host, "10.1.0.1")
    assert response.status == 303 and response.getheader("Location") == "/daten_laden"
    attributes = [a.strip().lower() for a in response.getheader("Set-Cookie").split(";")]
    assert {"httponly", "samesite=strict", "path=/", f"max-age={HOURS * 3600}"} <= set(attributes)
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    assert _is_editor(_run_page(host, _cookie(response))[1])
    assert not _is_editor(_run_page(host)[1])

    behind_tls = _sign_in(host, "10.1.0.2", **{"X-Forwarded-Proto": "https"})
    assert "secure" in [a.strip().lower() for a in behind_tls.getheader("Set-Cookie").split(";")]


def test_a_replayed_session_a_forged_or_an_expired_token_is_a_reader(server):
    from pages.components.auth import issue_token

    host = server["host"]
    token = _cookie(_sign_in(host, "10.2.0.1"))
    session_id, text = _run_page(host, token)
    assert _is_editor(text)
    # a second client resumes the editor's Streamlit session (its id, as in a stolen URL or log line)
    resumed, text = _run_page(host, session=session_id)
    assert resumed == session_id and not _is_editor(text)
    payload, signature = token.strip('"').split(".")
    forged = f"{payload}.{signature[::-1]}"
    expired = issue_token("planung", now=time.time() - 3 * 3600, hours=1, key=KEY.encode())
    other_key = issue_token("planung", hours=1, key=b"another-server-key")
    for bad in (forged, expired, other_key, "planung"):
        assert not _is_editor(_run_page(host, bad)[1]), bad
    assert _is_editor(_run_page(host, issue_token("planung", hours=1, key=KEY.encode()))[1])


def test_only_the_apps_own_pages_may_post_the_forms(server):
    host = server["host"]
    fields = {"username": "planung", "password": PASSWORD}
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": f"http://{host}.evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a no-referrer page without Sec-Fetch-Site
        {"Sec-Fetch-Site": "cross-site"},
        {},
    ):
        response = _post(host, "/redaktion/anmelden", fields, {"X-Forwarded-For": "10.3.0.1", **headers})
        assert response.status == 403 and response.getheader("Set-Cookie") is None, headers
    # Referrer-Policy no-referrer (deploy/nginx) makes Chromium send Origin: null; it says same-origin
    same = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "X-Forwarded-For": "10.3.0.2"}
    assert _post(host, "/redaktion/anmelden", fields, same).status == 303
    assert _post(host, "/redaktion/abmelden", {}, {"Origin": "http://evil.example"}).status == 403


def test_failed_sign_ins_are_limited_per_user_and_per_client_and_logged(server):
    host = server["host"]
    for i in range(5):  # five clients, one account each time
        assert _sign_in(host, f"10.4.0.{i}", "archiv", "falsch").status == 401
    assert _sign_in(host, "10.4.0.99", "archiv").status == 401  # the right password, too late
    for i in range(5):  # one client, five unknown accounts
        assert _sign_in(host, "10.4.1.1", f"niemand{i}", "falsch").status == 401
    assert _sign_in(host, "10.4.1.1").status == 401
    assert _sign_in(host, "10.4.1.2").status == 303  # other clients and accounts are not affected
    log = server["log"].read_text(encoding="utf-8")
    assert "failed sign-in user='archiv' known=True client='10.4.0.0'" in log
    assert "failed sign-in user='niemand0' known=False client='10.4.1.1'" in log
    assert "sign-in refused (too many failures) user='archiv' client='10.4.0.99'" in log
    assert "sign-in refused (too many failures) user='planung' client='10.4.1.1'" in log
    assert "falsch" not in log and PASSWORD not in log


def test_sign_out_clears_the_cookie_and_the_token_stops_counting(server):
    host = server["host"]
    token = _cookie(_sign_in(host, "10.5.0.1"))
    response = _post(
        host,
        "/redaktion/abmelden",
        {},
        {"Origin": f"http://{host}", "Cookie": f"integrationsmonitor_redaktion={token}"},
    )
    assert response.status == 303
    cleared = [a.strip().lower() for a in response.getheader("Set-Cookie").split(";")]
    assert cleared[0] == 'integrationsmonitor_redaktion=""' and "max-age=0" in cleared
    assert not _is_editor(_run_page(host, token)[1])  # a copy of the cookie is worth nothing now
    assert "editor signed out user='planung'" in server["log"].read_text(encoding="utf-8")


def test_readers_cannot_upload_and_nobody_beyond_the_import_limit(server):
    """Streamlit's upload endpoint wants its XSRF token and a live session; serve.py also the editor's
    token. A reader is refused before a byte is read; an editor too above server.maxUploadSize."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    from data.parsing import MAX_FILE_BYTES

    host = server["host"]
    with urllib.request.urlopen(f"http://{host}/_stcore/health", timeout=30) as response:
        xsrf = response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    token = _cookie(_sign_in(host, "10.6.0.1"))

    def put(session: str, size: int, editor: bool) -> int:
        connection = http.client.HTTPConnection(host, timeout=60)
        connection.putrequest("PUT", f"/_stcore/upload_file/{session}/datei")
        connection.putheader("Content-Length", str(size))
        connection.putheader("X-Xsrftoken", xsrf)
        cookies = f"_streamlit_xsrf={xsrf}" + f"; integrationsmonitor_redaktion={token}" * editor
        connection.putheader("Cookie", cookies)
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status

    with connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], open_timeout=30) as ws:
        back = BackMsg()
        back.rerun_script.page_name = "daten_laden"
        ws.send(back.SerializeToString())
        msg = ForwardMsg()
        while msg.WhichOneof("type") != "new_session":
            msg.ParseFromString(ws.recv(timeout=60))
        session = msg.new_session.initialize.session_id
        assert put(session, 10, editor=False) == 403  # a reader: refused by serve.py
        assert put(session, MAX_FILE_BYTES + 2 * 2**20, editor=True) == 413  # over server.maxUploadSize
        assert put("no-session", 10, editor=True) == 400  # the editor got past serve.py to Streamlit
    assert "upload refused: no valid editor token" in server["log"].read_text(encoding="utf-8")


def test_no_secret_database_or_code_file_is_reachable(server):
    host = server["host"]
    with urllib.request.urlopen(f"http://{host}/app/static/favicon.png", timeout=30) as response:
        assert response.read() == (REPO / "static" / "favicon.png").read_bytes()  # static serving is on
    assert leaks(host, secret_markers([server["secrets"]])) == []


def test_the_warm_up_ran_before_the_port_served(server):
    assert (
        "warm-up finished" in server["at_health"]
        and "Übersicht und Karte, Musterstadt" in server["at_health"]
    )


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_an_editor_signs_in_in_chromium_stays_after_a_reload_and_signs_out(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("INTEGRATIONSMONITOR_REQUIRE_BROWSER"):
            pytest.fail("/usr/bin/chromium is missing")
        pytest.skip("/usr/bin/chromium is not installed")
    from pages.components.auth import COOKIE

    url = f"http://{server['host']}"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            context = browser.new_context(locale="de-DE")
            page = context.new_page()
            sent = []
            page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
            page.on("request", lambda r: sent.append(r.url))
            uploads = []
            page.on("response", lambda r: "/_stcore/upload_file/" in r.url and uploads.append(r.status))
            page.goto(f"{url}/daten_laden")
            page.fill("input[name=username]", "planung", timeout=60_000)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.im-sign-in button[type=submit]")
            page.wait_for_selector("text=Angemeldet als", timeout=60_000)
            cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
            assert COOKIE not in page.evaluate("document.cookie")
            assert not any(PASSWORD.encode() in (f if isinstance(f, bytes) else f.encode()) for f in sent)

            page.reload()
            page.wait_for_selector("text=Angemeldet als", timeout=60_000)
            # the upload goes through for the editor (serve.py refuses it without the cookie)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                str(REPO / "tests" / "data" / "luenen_stadtteile_2020.csv")
            )
            page.get_by_role("heading", name="Vorschau").wait_for(timeout=60_000)  # the server read it
            assert uploads == [204]

            other = browser.new_context(locale="de-DE").new_page()  # another person: a reader
            other.goto(f"{url}/daten_laden")
            other.wait_for_selector("input[name=password]", timeout=60_000)
            assert not other.get_by_text("Angemeldet als").count()

            page.click("button.im-sign-out")
            page.wait_for_selector("input[name=password]", timeout=60_000)
            assert COOKIE not in {c["name"] for c in context.cookies()}
        finally:
            browser.close()


@pytest.mark.browser
def test_the_sign_in_forms_pass_axe(server):
    """The plain forms (on *Daten laden* and the route's own page after a failed attempt) have labels,
    contrast and the page language axe-core asks for (WCAG 2.1 AA, tests/test_accessibility.py)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from tests.test_accessibility import axe_violations  # skips where axe-core is not installed

    url = f"http://{server['host']}"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(locale="de-DE")
            page.goto(f"{url}/daten_laden")
            page.wait_for_selector("form.im-sign-in input[name=password]", timeout=60_000)
            page.wait_for_timeout(1_000)
            on_the_page = [v for v in axe_violations(page) if "im-" in v["html"] or "im-" in v["target"]]
            page.fill("input[name=username]", "niemand")
            page.fill("input[name=password]", "falsch")
            page.click("form.im-sign-in button[type=submit]")
            page.wait_for_selector(".im-error", timeout=60_000)
            failed_page = axe_violations(page)
            language = page.evaluate("document.documentElement.lang")
        finally:
            browser.close()
    assert on_the_page == [] and failed_page == [], on_the_page + failed_page
    assert language == "de"
