"""Failed-login throttling per email and client IP, counted in Redis (shared by all web processes)."""

from __future__ import annotations

import hashlib

from flask import current_app

from webapp.redis_conn import get_redis


def _key(email: str, ip: str) -> str:
    # Hash the email so the key never puts an address in Redis in clear.
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return f"shelfsync:login-fail:{digest}"


def retry_after(email: str, ip: str) -> int:
    """Seconds until this email+IP may try again; 0 when not throttled."""
    redis = get_redis()
    key = _key(email, ip)
    failures = int(redis.get(key) or 0)
    if failures < current_app.config["LOGIN_THROTTLE_ATTEMPTS"]:
        return 0
    return max(1, redis.ttl(key))


def record_failure(email: str, ip: str) -> None:
    """Count one failed attempt; the window starts at the first failure."""
    redis = get_redis()
    key = _key(email, ip)
    pipe = redis.pipeline()
    # SET NX starts the window at the first failure; later failures only count (works on Redis 6).
    pipe.set(key, 0, ex=current_app.config["LOGIN_THROTTLE_WINDOW"], nx=True)
    pipe.incr(key)
    pipe.execute()


def reset(email: str, ip: str) -> None:
    """Forget the failures after a successful login."""
    get_redis().delete(_key(email, ip))
