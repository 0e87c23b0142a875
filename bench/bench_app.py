"""The Shelfsync app a benchmark measures: its database, instance folder and (optionally) Redis, with
fixed keys and quiet logs, so the scripts differ only in what they measure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from webapp import create_app

# A fixed Fernet key: benchmark data is throwaway, and a worker process started apart must share it.
KEYS = "ZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWQ="


def bench_app(database_url: str, instance: Path, redis_url: str | None = None, **config: Any) -> Flask:
    """The app on ``database_url`` (and ``redis_url``), files in ``instance``; ``config`` adds settings."""
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "bench",
        "DATA_ENCRYPTION_KEYS": KEYS,
        "INSTANCE_DIR": str(instance),
        "LOG_LEVEL": "WARNING",
    }
    if redis_url is not None:
        settings["REDIS_URL"] = redis_url
    return create_app({**settings, **config})
