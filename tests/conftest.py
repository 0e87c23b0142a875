"""Shared fixtures: a fresh app per test on a real database and a real Redis.

- Database: a SQLite file per test, or PostgreSQL when ``TEST_DATABASE_URL`` is set (a schema of the
  session's own, tables created once, rows deleted after each test).
- Redis: ``REDIS_URL`` when set (a dedicated db, flushed per test), else the embedded redis-server.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from redis import Redis

from sandbox.testing import SandboxServer
from webapp import create_app
from webapp.embedded_redis import start as start_embedded_redis
from webapp.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """URL of a real Redis for the whole session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    process, url = start_embedded_redis(tmp_path_factory.mktemp("redis"))
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis(redis_url: str) -> Redis:
    """A flushed Redis database."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    return client


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """``TEST_DATABASE_URL`` narrowed to a schema of this test session's own, dropped at the end.

    Tables left by an older checkout cannot leak in (``create_all`` does not alter existing tables),
    and two test sessions on the same database do not see each other's rows.
    """
    if not TEST_DATABASE_URL:
        yield None
        return
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str | None) -> str:
    """The database for this test."""
    return postgres_url or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(database_url: str, redis_url: str, tmp_path: Path) -> dict:
    """Settings of the app under test; tests may tweak them before ``app`` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATA_ENCRYPTION_KEYS": "ZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWQ=",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_DIR": str(tmp_path),
        "WTF_CSRF_ENABLED": False,
    }


def _forget_previous_user() -> None:
    g.pop("_login_user", None)


@pytest.fixture
def app(app_config: dict, redis: Redis):
    """A fresh app with empty tables."""
    application = create_app(app_config)
    # Requests reuse the app context this fixture keeps open, so ``g`` (where Flask-Login caches the
    # signed-in user) would outlive a request and a second test client would act as the first one's
    # user. Each request must find its user from its own session cookie, as in production.
    application.before_request(_forget_previous_user)
    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()
        if TEST_DATABASE_URL:
            # Faster than dropping: keep the schema for the next test, empty every table.
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


class AuthActions:
    """Register and log in through the real views."""

    def __init__(self, client) -> None:
        self._client = client

    def register(
        self,
        email: str = "seller@example.com",
        password: str = "correct horse battery",
        account_name: str = "Acme Goods",
    ):
        """Create an account (and log in, as the view does)."""
        return self._client.post(
            "/auth/register",
            data={
                "account_name": account_name,
                "email": email,
                "password": password,
                "confirm": password,
            },
        )

    def login(self, email: str = "seller@example.com", password: str = "correct horse battery"):
        """Log in."""
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        """Log out."""
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    """Auth helper bound to ``client``."""
    return AuthActions(client)


def csrf_token_from(html: str) -> str:
    """Extract the CSRF token a page rendered (hidden input or the htmx header)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def amazon_config(server: SandboxServer) -> dict:
    """App settings that point the Amazon adapter (consent page, LWA, SP-API) at a running sandbox.

    Use it to extend ``app_config`` in a test module::

        @pytest.fixture
        def app_config(app_config, sandbox):
            return {**app_config, **amazon_config(sandbox)}
    """
    settings = server.sandbox.settings
    return {
        "AMAZON_APP_ID": settings["SANDBOX_APP_ID"],
        "AMAZON_LWA_CLIENT_ID": settings["SANDBOX_LWA_CLIENT_ID"],
        "AMAZON_LWA_CLIENT_SECRET": settings["SANDBOX_LWA_CLIENT_SECRET"],
        "AMAZON_SPAPI_URL": server.url,
        "AMAZON_LWA_URL": f"{server.url}/auth/o2/token",
        "AMAZON_SELLER_CENTRAL_URL": server.url,
        "AMAZON_RATE_TIME_SCALE": server.sandbox.clock.scale,
        "AMAZON_THROTTLE_MAX_WAIT": 30.0,
        "AMAZON_HTTP_TIMEOUT": 10.0,
    }


@pytest.fixture
def sandbox_app_config(app_config: dict, sandbox: SandboxServer) -> dict:
    """``app_config`` pointing the app under test at the ``sandbox`` fixture.

    A test module adopts it as its ``app_config`` (its own ``sandbox`` fixture, if any, is the one used)::

        app_config = sandbox_app_config
    """
    return {**app_config, **amazon_config(sandbox)}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A seeded sandbox (the local Amazon) over real HTTP on a random port; see ``amazon_config``."""
    with SandboxServer() as server:
        yield server
