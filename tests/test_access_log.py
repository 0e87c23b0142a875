"""The web server's access log (gunicorn, with the repository's ``gunicorn.conf.py``) never records query
strings, where searches carry buyer names."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_access_log_has_the_path_but_not_the_query_string(tmp_path, redis_url):
    port = _free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "SHELFSYNC_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "REDIS_URL": redis_url,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/orders/?q=Jane+Buyer", follow_redirects=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code in (302, 401)
    finally:
        server.terminate()
        server.wait(10)

    line = log.read_text()
    assert '"GET /orders/ HTTP/1.1"' in line
    assert "Jane" not in line and "q=" not in line
