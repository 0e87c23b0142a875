"""Login with Amazon token endpoint `POST /auth/o2/token`: code exchange, refresh and client credentials."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from sandbox.db import Store
from sandbox.errors import lwa_error
from sandbox.state import current
from sandbox.tokens_util import issue_access_token, refresh_token

bp = Blueprint("lwa", __name__)

ACCESS_TOKEN_SECONDS = 3600


@bp.post("/auth/o2/token")
def token():
    """Exchange a code or refresh token for an access token, as api.amazon.com does."""
    sandbox = current()
    store = sandbox.store
    form = request.form
    grant_type = form.get("grant_type", "")
    app_row = store.one("SELECT client_id, client_secret FROM application LIMIT 1")
    client_id = form.get("client_id", "")
    if (
        app_row is None
        or not hmac.compare_digest(client_id, app_row["client_id"])
        or not hmac.compare_digest(form.get("client_secret", ""), app_row["client_secret"])
    ):
        return lwa_error(401, "invalid_client", "Client authentication failed")
    now = sandbox.clock.now()
    if grant_type == "authorization_code":
        return _exchange_code(store, client_id, now)
    if grant_type == "refresh_token":
        return _refresh(store, client_id, now)
    if grant_type == "client_credentials":
        if not form.get("scope"):
            return lwa_error(400, "invalid_scope", "The request has an invalid parameter : scope")
        token = issue_access_token(store, "", client_id, now, kind="grantless")
        return jsonify({"access_token": token, "token_type": "bearer", "expires_in": ACCESS_TOKEN_SECONDS})
    return lwa_error(400, "unsupported_grant_type", "Invalid grant_type parameter value")


def _exchange_code(store: Store, client_id: str, now: float) -> Response:
    code = request.form.get("code", "")
    invalid = lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : code")
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM auth_codes WHERE code = ?", (code,)).fetchone()
        if row is None or row["used"] or row["client_id"] != client_id:
            return invalid
        # A code is single-use even when the attempt fails for another reason (as LWA does).
        conn.execute("UPDATE auth_codes SET used = 1 WHERE code = ?", (code,))
        if row["expires_at"] <= now:
            return lwa_error(400, "invalid_grant", "The authorization code has expired")
        redirect_uri = request.form.get("redirect_uri")
        if redirect_uri is not None and redirect_uri != row["redirect_uri"]:
            return lwa_error(
                400, "invalid_grant", "The redirect_uri does not match the one used for the code"
            )
        refresh = refresh_token()
        conn.execute(
            "INSERT INTO refresh_tokens (token, seller_id, client_id, created_at, revoked) "
            "VALUES (?, ?, ?, ?, 0)",
            (refresh, row["seller_id"], client_id, now),
        )
    access = issue_access_token(store, row["seller_id"], client_id, now)
    return jsonify(
        {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        }
    )


def _refresh(store: Store, client_id: str, now: float) -> Response:
    refresh = request.form.get("refresh_token", "")
    row = store.one("SELECT * FROM refresh_tokens WHERE token = ?", (refresh,))
    if row is None or row["revoked"] or row["client_id"] != client_id:
        return lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
    access = issue_access_token(store, row["seller_id"], client_id, now)
    return jsonify(
        {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        }
    )
