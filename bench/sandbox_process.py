"""What the benchmark scripts run against, started and torn down the same way in each: the sandbox as a
process of its own (``python -m sandbox``), the demo seller connected through its consent page and LWA,
Redis (``REDIS_URL`` or the embedded server) and a throwaway PostgreSQL schema.

The scripts put the repository root on ``sys.path`` before importing this module, as its imports need.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import sqlalchemy as sa

from sandbox.config import DEFAULTS as SANDBOX_DEFAULTS
from sandbox.seed import DEMO_SELLER_ID
from webapp.embedded_redis import start as start_embedded_redis
from webapp.extensions import db
from webapp.models import Account, Channel, Connection

ROOT = Path(__file__).resolve().parents[1]
US = "ATVPDKIKX0DER"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_sandbox(env: Mapping[str, str], *args: str) -> str:
    """Run one ``python -m sandbox`` command (``seed``, ``place-orders``, …) to its end; returns what it
    printed."""
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process`` and wait for it to exit (at most 10 s)."""
    process.terminate()
    process.wait(10)


def wait_for_health(process: subprocess.Popen, url: str, timeout: float = 30) -> None:
    """Return once the sandbox at ``url`` answers ``/_sandbox/health``; kill ``process`` and raise if it
    does not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{url}/_sandbox/health").raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                # Killed, not left serving (or half started) after the script has given up on it.
                process.kill()
                process.wait()
                raise
            time.sleep(0.2)


@contextmanager
def serve_sandbox(env: Mapping[str, str]) -> Iterator[str]:
    """Serve the sandbox configured by ``env`` on a free port in its own process for the ``with`` block;
    yields its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_health(process, url)
    try:
        yield url
    finally:
        stop(process)


def authorize(url: str) -> str:
    """The demo seller's refresh token, through the sandbox's consent page and LWA."""
    response = httpx.post(
        f"{url}/apps/authorize/consent",
        data={
            "application_id": SANDBOX_DEFAULTS["SANDBOX_APP_ID"],
            "state": "bench",
            "seller_id": DEMO_SELLER_ID,
            "action": "authorize",
        },
    )
    code = parse_qs(urlparse(response.headers["location"]).query)["spapi_oauth_code"][0]
    token = httpx.post(
        f"{url}/auth/o2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_ID"],
            "client_secret": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_SECRET"],
        },
    )
    token.raise_for_status()
    return token.json()["refresh_token"]


def amazon_settings(sandbox_url: str, rate_scale: float) -> dict[str, str]:
    """The app's Amazon settings for the sandbox at ``sandbox_url`` (as config keys and as environment:
    the names are the same), with our rate limits at ``rate_scale`` Amazon seconds per real second."""
    return {
        "AMAZON_APP_ID": SANDBOX_DEFAULTS["SANDBOX_APP_ID"],
        "AMAZON_LWA_CLIENT_ID": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_ID"],
        "AMAZON_LWA_CLIENT_SECRET": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_SECRET"],
        "AMAZON_SPAPI_URL": sandbox_url,
        "AMAZON_LWA_URL": f"{sandbox_url}/auth/o2/token",
        "AMAZON_RATE_TIME_SCALE": str(rate_scale),
    }


def connect_demo_seller(sandbox_url: str) -> Channel:
    """A new account "Bench" with the sandbox's demo seller connected and its "Amazon US" channel,
    flushed, not committed (the caller may add to it first)."""
    account = Account(name="Bench")
    db.session.add(account)
    db.session.flush()
    connection = Connection(
        account_id=account.id,
        name="Demo seller",
        selling_partner_id=DEMO_SELLER_ID,
        marketplace_id=US,
        region="na",
        refresh_token=authorize(sandbox_url),
    )
    db.session.add(connection)
    db.session.flush()
    channel = Channel(account_id=account.id, connection_id=connection.id, name="Amazon US", marketplace_id=US)
    db.session.add(channel)
    db.session.flush()
    return channel


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """``REDIS_URL`` when set (a spare database: the scripts flush it), else an embedded redis-server
    keeping its files in ``directory`` for the ``with`` block; yields the URL."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    process, url = start_embedded_redis(directory)
    try:
        yield url
    finally:
        stop(process)


def postgres_url() -> str | None:
    """The PostgreSQL database to run the benchmark on as well: ``BENCH_DATABASE_URL`` or
    ``TEST_DATABASE_URL``; None when neither is set."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throwaway schema of the PostgreSQL database at ``url`` for the ``with`` block, dropped with all
    its tables afterwards; yields a URL whose connections work in it."""
    schema = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
