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
from redis import Redis

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


@pytest.fixture
def app(app_config: dict, redis: Redis):
    """A fresh app with empty tables."""
    application = create_app(app_config)
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
