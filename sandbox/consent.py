"""Seller Central consent page: `/apps/authorize/consent` (the website authorization workflow)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request

from sandbox.state import current
from sandbox.tokens_util import oauth_code

bp = Blueprint("consent", __name__)

CODE_SECONDS = 300


def _application(app_id: str):
    row = current().store.one("SELECT * FROM application WHERE app_id = ?", (app_id,))
    if row is None:
        return None
    return {"app_id": row["app_id"], "name": row["name"], "redirect_uris": json.loads(row["redirect_uris"])}


def _redirect_uri(app: dict, requested: str | None) -> str:
    """The requested redirect URI if registered on the app, else the first registered one."""
    if requested and requested in app["redirect_uris"]:
        return requested
    return app["redirect_uris"][0]


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


@bp.get("/apps/authorize/consent")
def consent_page():
    """The consent page: app name, a picker of the demo sellers, Authorize and Cancel."""
    app = _application(request.args.get("application_id", ""))
    if app is None:
        return render_template(
            "error.html", message="We could not find the application you are trying to authorize."
        ), 404
    sellers = current().store.all("SELECT seller_id, name, region FROM sellers ORDER BY position")
    response = render_template(
        "consent.html",
        app=app,
        sellers=sellers,
        state=request.args.get("state", ""),
        version=request.args.get("version", ""),
        redirect_uri=_redirect_uri(app, request.args.get("redirect_uri")),
    )
    return response, 200, {"Referrer-Policy": "no-referrer"}


@bp.post("/apps/authorize/consent")
def consent_decision():
    """Authorize -> redirect with a single-use code; Cancel -> redirect with error=access_denied."""
    sandbox = current()
    form = request.form
    app = _application(form.get("application_id", ""))
    if app is None:
        return render_template(
            "error.html", message="We could not find the application you are trying to authorize."
        ), 404
    redirect_uri = _redirect_uri(app, form.get("redirect_uri"))
    state = form.get("state", "")
    if form.get("action") != "authorize":
        return redirect(_with_query(redirect_uri, {"error": "access_denied", "state": state}), 302)
    seller = sandbox.store.one(
        "SELECT seller_id FROM sellers WHERE seller_id = ?", (form.get("seller_id", ""),)
    )
    if seller is None:
        return render_template("error.html", message="Choose the seller account to authorize."), 400
    code = oauth_code()
    sandbox.store.execute(
        "INSERT INTO auth_codes (code, seller_id, client_id, redirect_uri, expires_at, used) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        (
            code,
            seller["seller_id"],
            sandbox.settings["SANDBOX_LWA_CLIENT_ID"],
            redirect_uri,
            sandbox.clock.now() + CODE_SECONDS,
        ),
    )
    params = {"state": state, "selling_partner_id": seller["seller_id"], "spapi_oauth_code": code}
    return redirect(_with_query(redirect_uri, params), 302)
