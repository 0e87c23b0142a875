"""Shared fixtures: a fresh app per test on a real database and a real Redis.

- Database: a SQLite file per test, or PostgreSQL when ``TEST_DATABASE_URL`` is set (tables created once
  per session, rows deleted after each test).
- Redis: ``REDIS_URL`` when set (a dedicated db, flushed per test), else the embedded redis-server.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
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


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The database for this test."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'test.db'}"


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
