"""deploy/ as a city runs it: nginx from Debian with exactly the files in deploy/nginx in front of two
`deploy/start.sh serve` processes on one database (Docker cannot run on these machines; what the
container adds is linted, not run)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


# --- deploy files ---------------------------------------------------------------------------------


def test_dockerfile_runs_as_non_root_with_chromium_fonts_and_a_volume():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert "chromium" in text and "fonts-dejavu-core" in text
    assert re.search(r"^USER 10001", text, re.M) and "VOLUME" in text
    assert '"data", "check"' in text


def test_dockerfile_commands_are_plain_shell_and_the_start_script_parses():
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    runs = [line[4:] for line in text.splitlines() if line.startswith("RUN ")]
    assert len(runs) >= 3
    for command in runs:
        subprocess.run(["sh", "-n", "-c", command], check=True)
    subprocess.run(["sh", "-n", str(DEPLOY / "start.sh")], check=True)
    assert os.access(DEPLOY / "start.sh", os.X_OK)


def test_nginx_limit_matches_the_import_limit():
    from data.parsing import MAX_FILE_BYTES

    conf = (DEPLOY / "nginx" / "integrationsmonitor-locations.conf").read_text()
    limit_mb = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert MAX_FILE_BYTES // 2**20 <= limit_mb <= MAX_FILE_BYTES // 2**20 + 1


# --- nginx in front of two Streamlit processes ----------------------------------------------------

PASSWORD = "geheim-genug-123"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(url)
        time.sleep(0.5)


def _nginx_config(folder: Path, port: int, upstreams: list[int]) -> Path:
    """deploy/nginx as it is, with the replicas and the port of this test and paths in `folder`."""
    site = (DEPLOY / "nginx" / "integrationsmonitor.conf").read_text()
    site, replaced = re.subn(
        r"^\s*server app:8501 ([^;]*);",
        "\n".join(f"    server 127.0.0.1:{p} \\1;" for p in upstreams),
        site,
        flags=re.M,
    )
    assert replaced == 1
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    site = site.replace("/etc/nginx/integrationsmonitor-locations.conf", str(folder / "locations.conf"))
    shutil.copy(DEPLOY / "nginx" / "integrationsmonitor-locations.conf", folder / "locations.conf")
    (folder / "site.conf").write_text(site)
    temps = "\n".join(f"  {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy"))
    main = f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 128; }}
http {{
  log_format upstream '$remote_addr "$request" $status $upstream_addr';
  access_log {folder}/access.log upstream;
{temps}
  fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  include {folder}/site.conf;
}}
"""
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf"


@pytest.fixture
def proxied_app(tmp_path):
    """Two `deploy/start.sh serve` processes on one demo database, nginx in front: yields nginx's URL."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing (CI installs it: apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    from data.passwords import hash_password

    db = tmp_path / "db" / "integrationsmonitor.duckdb"
    secrets = tmp_path / "secrets.toml"  # one editor, the same signing key for both replicas
    secrets.write_text(
        f'[editors]\nplanung = "{hash_password(PASSWORD, iterations=1_000)}"\n'
        '[editor_session]\nkey = "replicas-share-this-key"\nbehind_proxy = true\n',
        encoding="utf-8",
    )
    env = {**os.environ, settings.DB.name: str(db), "ADDRESS": "127.0.0.1", settings.LOG_FORMAT.name: "json"}
    subprocess.run([str(DEPLOY / "start.sh"), "init"], env=env, check=True, timeout=300, capture_output=True)
    ports = [_free_port(), _free_port()]
    apps, logs = [], []
    folder = Path(tempfile.mkdtemp(prefix="integrationsmonitor-nginx-"))
    nginx = None
    try:
        for port in ports:
            log = open(tmp_path / f"app-{port}.log", "wb")  # noqa: SIM115 (closed below)
            logs.append(log)
            apps.append(
                subprocess.Popen(
                    [
                        str(DEPLOY / "start.sh"),
                        "serve",
                        "--server.headless",
                        "true",
                        "--secrets.files",
                        str(secrets),
                    ],
                    env={**env, "PORT": str(port)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for port in ports:
            _wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        front = _free_port()
        conf = _nginx_config(folder, front, ports)
        user = {}
        if os.geteuid() == 0:  # nginx itself unprivileged, as in a container: the folder is its own
            shutil.chown(folder, "nobody")
            for path in folder.iterdir():
                shutil.chown(path, "nobody")
            os.chmod(folder, 0o755)
            user = {"user": "nobody"}
        nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf)], stderr=subprocess.PIPE, **user)
        _wait_for(f"http://127.0.0.1:{front}/_stcore/health", 30)
        yield f"127.0.0.1:{front}", folder, secrets
    finally:
        for process in [nginx, *apps]:
            if process is not None:
                process.terminate()
        for process in [nginx, *apps]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        for log in logs:
            log.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_nginx_serves_the_app_with_websocket_headers_and_upload_limit(proxied_app):
    import http.client

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    host, folder, _ = proxied_app
    with urllib.request.urlopen(f"http://{host}/", timeout=30) as response:
        assert response.status == 200 and "<html" in response.read().decode().lower()
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN" and headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "Server" not in headers or "nginx/" not in headers["Server"]
    with urllib.request.urlopen(f"http://{host}/_stcore/health", timeout=30) as response:
        assert response.status == 200 and response.read() == b"ok"

    # the browser protocol through nginx: upgrade handshake, then one run of the start page
    with connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], open_timeout=30) as ws:
        assert ws.response.status_code == 101
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_name = ""
        ws.send(back.SerializeToString())
        kinds = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=120))
            kinds.append(msg.WhichOneof("type"))
            if kinds[-1] == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                break
        assert kinds[-1] == "script_finished" and "delta" in kinds

    # a file over the import limit is refused by nginx before it reaches a replica
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.putrequest("PUT", "/_stcore/upload_file/x/y")
    connection.putheader("Content-Length", str(60 * 2**20))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()

    # sticky: every request of this client went to one replica
    upstreams = {line.rsplit(" ", 1)[-1] for line in (folder / "access.log").read_text().splitlines()}
    upstreams.discard("-")
    assert len(upstreams) == 1, upstreams


def test_through_nginx_editors_get_a_secure_cookie_and_no_file_is_reachable(proxied_app):
    """deploy/start.sh serves serve.py: the sign-in route answers through nginx (the browser sends
    `Origin: null` under the shipped no-referrer policy and says same-origin); no traversal path
    reaches a secret, the database or the code."""
    import http.client

    from tests.leaks import leaks, secret_markers

    host, _, secrets = proxied_app
    connection = http.client.HTTPConnection(host, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null",
               "Sec-Fetch-Site": "same-origin", "X-Forwarded-Proto": "https"}  # fmt: skip
    connection.request("POST", "/redaktion/anmelden", f"username=planung&password={PASSWORD}", headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 303 and response.getheader("Location") == "/daten_laden"
    attributes = [a.strip().lower() for a in response.getheader("Set-Cookie").split(";")]
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert "secure" not in attributes  # nginx sets X-Forwarded-Proto itself: a client cannot claim https
    assert leaks(host, secret_markers([secrets])) == []


@pytest.mark.browser
def test_the_page_works_in_chromium_under_the_content_security_policy(proxied_app):
    """The CSP of deploy/nginx blocks nothing Streamlit and Plotly need: the map is drawn, no violation;
    the editors' sign-in form posts through nginx (Chromium sends `Origin: null` under its
    no-referrer policy and `Sec-Fetch-Site: same-origin`, which serve.py accepts)."""
    chromium = Path("/usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        if os.environ.get("INTEGRATIONSMONITOR_REQUIRE_BROWSER"):
            pytest.fail("/usr/bin/chromium is missing")
        pytest.skip("/usr/bin/chromium is not installed")
    host, _, _ = proxied_app
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=args)
        try:
            page = browser.new_page(locale="de-DE")
            page.add_init_script(
                "window.__csp = []; document.addEventListener('securitypolicyviolation',"
                " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            console = []
            page.on("console", lambda m: console.append(m.text))
            page.goto(f"http://{host}/karte")
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            page.wait_for_timeout(1_000)
            page.goto(f"http://{host}/daten_laden")
            page.fill("input[name=username]", "planung", timeout=60_000)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.im-sign-in button[type=submit]")
            page.wait_for_selector("text=Angemeldet als", timeout=60_000)
            violations = page.evaluate("window.__csp")
        finally:
            browser.close()
    assert violations == [], violations
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_csp_allows_the_apps_own_inline_script_by_its_hash():
    """The frame script (page language, current page) runs under the shipped policy: its sha256 is in it."""
    import base64
    import hashlib

    from pages.components.setup import FRAME_SCRIPT

    body = re.search(r"<script>(.*)</script>", FRAME_SCRIPT, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    policy = (REPO / "deploy" / "nginx" / "integrationsmonitor-locations.conf").read_text(encoding="utf-8")
    assert f"'sha256-{digest}'" in policy
