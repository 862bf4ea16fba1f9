"""N `streamlit run serve.py` processes (as deploy/start.sh starts them) behind nginx on 127.0.0.1,
all reading one versioned database.

The template `benchmarks/nginx.conf.template` is the deployable part; this module fills it in for a
temporary prefix and starts nginx unprivileged in the foreground (`nginx -p PREFIX -c nginx.conf`).
Every process opens the database read-only and notices an import (a new version file behind the
symlink) at its next rerun, so an import through one process is seen through all.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

from benchmarks.sessions import HOST, Server, free_port, stop, wait_healthy

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_available() -> bool:
    return Path(NGINX).exists()


def nginx_config(prefix: Path, port: int, backends: list[int]) -> str:
    servers = "\n".join(f"        server {HOST}:{p};" for p in backends)
    text = TEMPLATE.read_text(encoding="utf-8")
    return (
        text.replace("@PREFIX@", str(prefix))
        .replace("@LISTEN@", f"{HOST}:{port}")
        .replace("@SERVERS@", servers)
    )


class Cluster:
    """`processes` Streamlit servers behind nginx; a context manager. `url` is nginx's."""

    def __init__(self, db: Path, workdir: Path, processes: int = 2):
        self.db, self.workdir, self.processes = db, Path(workdir), processes
        self.servers: list[Server] = []
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.nginx: subprocess.Popen | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Cluster:
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            for i in range(self.processes):
                self.servers.append(
                    self._stack.enter_context(
                        Server(self.db, self.workdir / f"streamlit-{i}.log", script="serve.py")
                    )
                )
            for server in self.servers:
                server.wait_healthy()
            prefix = self.workdir / "nginx"
            prefix.mkdir(exist_ok=True)
            conf = prefix / "nginx.conf"
            conf.write_text(nginx_config(prefix, self.port, [s.port for s in self.servers]), encoding="utf-8")
            log = self._stack.enter_context(open(prefix / "stderr.log", "a"))  # noqa: SIM115
            self.nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf)], stdout=log, stderr=log)
            self._stack.callback(stop, self.nginx)
            wait_healthy(self.url, self.nginx, f"nginx (see {prefix})", timeout_s=30)
        except BaseException:
            self._stack.close()
            raise
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU of all Streamlit processes so far (nginx's own is negligible)."""
        return sum(s.cpu_seconds() for s in self.servers)

    def __exit__(self, *exc) -> None:
        self._stack.close()
