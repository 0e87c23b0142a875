"""The Redis connection shared by the web app, RQ and the throttles."""

from __future__ import annotations

from flask import current_app
from redis import Redis


def get_redis() -> Redis:
    """The app's Redis client (one connection pool per app)."""
    client = current_app.extensions.get("shelfsync_redis")
    if client is None:
        client = Redis.from_url(current_app.config["REDIS_URL"])
        current_app.extensions["shelfsync_redis"] = client
    return client
