"""Accounts: register, log in, log out, and how unauthenticated requests are answered."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, redirect, request, url_for

from webapp.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    """Wire Flask-Login to our user model and our htmx-aware unauthorized handler."""
    from webapp.models import User

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(".")
        if not (user_id.isdigit() and version.isdigit()):
            return None  # a cookie from before session versions, or tampered: sign in again
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.session_version == int(version) else None

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        # A 302 would be followed by XHR and the login page swapped into a table cell: tell htmx to
        # navigate instead (htmx reads HX-Redirect; it ignores headers on 3xx).
        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            return Response("", 401, {"HX-Redirect": target})
        return redirect(target)


from webapp.auth import routes  # noqa: E402,F401  (registers the views on bp)
