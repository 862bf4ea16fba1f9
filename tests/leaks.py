"""What must never be reachable over HTTP: secrets, the database, the code, git (used by the server
tests in tests/test_serve.py and, through nginx, tests/test_deploy.py)."""

from __future__ import annotations

import http.client
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Every path as the client sends it, unnormalised: plain and encoded `..`, through Streamlit's own
# prefixes (static files, media, components, uploads) and straight at files next to app.py.
PATHS = [
    "/../.streamlit/secrets.toml",
    "/../.streamlit/config.toml",
    "/.streamlit/secrets.toml",
    "/.streamlit/config.toml",
    "/.streamlit/secrets.toml.example",
    "/%2e%2e/.streamlit/secrets.toml",
    "/%2e%2e%2f.streamlit%2fsecrets.toml",
    "/%252e%252e/.streamlit/secrets.toml",
    "/..%2f.streamlit%2fconfig.toml",
    "/..%5c.streamlit%5cconfig.toml",
    "/app/static/../../.streamlit/secrets.toml",
    "/app/static/../../.streamlit/config.toml",
    "/app/static/%2e%2e/%2e%2e/.streamlit/config.toml",
    "/app/static/..%2f..%2f.streamlit%2fconfig.toml",
    "/app/static/..%2f..%2fserve.py",
    "/app/static/....//....//serve.py",
    "/app/static/%2e%2e%2f%2e%2e%2fapp.py",
    "/app/static/../serve.py",
    "/app/static/../../../../../../etc/passwd",
    "/app/static//etc/passwd",
    "/media/../.streamlit/config.toml",
    "/media/..%2f..%2f.streamlit%2fconfig.toml",
    "/media/%2e%2e/%2e%2e/serve.py",
    "/component/../../.streamlit/config.toml",
    "/component/x/..%2f..%2f..%2fserve.py",
    "/component/streamlit.components/%2e%2e/%2e%2e/%2e%2e/app.py",
    "/_stcore/../.streamlit/config.toml",
    "/_stcore/upload_file/..%2f..%2fserve.py",
    "/_stcore/static/../../serve.py",
    "/static/../.streamlit/config.toml",
    "/integrationsmonitor.duckdb",
    "/data/integrationsmonitor.duckdb",
    "/data/versions/",
    "/app/static/../../data/integrationsmonitor.duckdb",
    "/.git/config",
    "/.git/HEAD",
    "/app/static/../../.git/config",
    "/serve.py",
    "/app.py",
    "/settings.py",
    "/requirements.txt",
    "/deploy/start.sh",
]


def secret_markers(extra: list[Path] = ()) -> dict[str, bytes]:
    """A distinctive line of each file that must stay unreachable, as bytes."""
    files = [
        REPO / ".streamlit" / "config.toml",
        REPO / ".streamlit" / "secrets.toml.example",
        REPO / "serve.py",
        REPO / "app.py",
        REPO / "settings.py",
        REPO / "deploy" / "start.sh",
        *extra,
    ]
    markers = {}
    for path in files:
        lines = [line for line in path.read_bytes().splitlines() if len(line.strip()) > 20]
        markers[str(path)] = max(lines, key=len)
    return markers


def leaks(host: str, markers: dict[str, bytes]) -> list[str]:
    """`PATHS` requested raw from host ("127.0.0.1:port"): every answer that carries a marker,
    DuckDB's file magic, git's config or /etc/passwd."""
    found = []
    for path in PATHS:
        connection = http.client.HTTPConnection(host, timeout=30)
        try:
            connection.putrequest("GET", path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        for name, marker in markers.items():
            if marker in body:
                found.append(f"{path} → {name}")
        if body[8:12] == b"DUCK" or b"[core]" in body or b"root:x:0:0" in body or b"gitdir:" in body:
            found.append(f"{path} → {response.status} {body[:40]!r}")
    return found
