"""The process's cache of LWA access tokens, namespaced by token URL, client id and refresh token.

python-amazon-sp-api keeps its own module-level cache keyed by the refresh token only (it ignores the
LWA host, the client id and ``expires_in``, and lives 3200 s). That would hand a token from one LWA
endpoint to another (a test's sandbox, a changed ``AMAZON_LWA_URL``) and would outlive tokens of a
time-scaled sandbox, so the adapter's LWA client uses this cache instead.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

# Refresh this long (Amazon seconds) before Amazon's expiry, so a token never dies mid-request.
EXPIRY_MARGIN = 300
_MAX_ENTRIES = 1000

_lock = threading.Lock()
_tokens: dict[str, tuple[float, dict[str, Any]]] = {}


def cache_key(lwa_url: str, client_id: str, refresh_token: str) -> str:
    """A key that changes with any of the three inputs and does not reveal the refresh token."""
    return hashlib.sha256(f"{lwa_url}\0{client_id}\0{refresh_token}".encode()).hexdigest()


def get(key: str) -> dict[str, Any] | None:
    """The cached LWA response for ``key`` if it is still fresh."""
    with _lock:
        entry = _tokens.get(key)
    if entry is None or entry[0] <= time.monotonic():
        return None
    return entry[1]


def put(key: str, response: dict[str, Any], lifetime: float) -> None:
    """Cache an LWA response for ``lifetime`` real seconds."""
    now = time.monotonic()
    with _lock:
        if len(_tokens) >= _MAX_ENTRIES:
            for stale in [k for k, (expires, _) in _tokens.items() if expires <= now] or list(_tokens)[:100]:
                _tokens.pop(stale, None)
        _tokens[key] = (now + lifetime, response)


def forget(key: str) -> None:
    """Drop one token (Amazon rejected it)."""
    with _lock:
        _tokens.pop(key, None)


def clear() -> None:
    """Drop every cached token (tests; after rotating the app's LWA credentials)."""
    with _lock:
        _tokens.clear()
