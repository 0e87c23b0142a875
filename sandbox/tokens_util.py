"""Amazon-looking secrets: LWA tokens (`Atza|...`, `Atzr|...`) and OAuth codes."""

from __future__ import annotations

import secrets
import string

from sandbox.db import Store

_CODE_ALPHABET = string.ascii_letters


def access_token() -> str:
    """A new LWA access token string."""
    return "Atza|IwEB" + secrets.token_urlsafe(96)


def refresh_token() -> str:
    """A new LWA refresh token string."""
    return "Atzr|IwEB" + secrets.token_urlsafe(96)


def oauth_code() -> str:
    """A new `spapi_oauth_code` (Amazon's are 20 letters)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))


def issue_access_token(
    store: Store, seller_id: str, client_id: str, now: float, kind: str = "lwa", ttl: int = 3600
) -> str:
    """Store and return a new access token valid for `ttl` Amazon seconds."""
    token = access_token()
    store.execute(
        "INSERT INTO access_tokens (token, seller_id, client_id, expires_at, kind) VALUES (?, ?, ?, ?, ?)",
        (token, seller_id, client_id, now + ttl, kind),
    )
    return token
