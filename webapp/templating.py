"""Template helpers: query-string builder for tables, durations, the unread-errors badge."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_login import current_user


def qs(**changes) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key); page resets to 1
    unless it is one of the changes, since a new filter or sort starts from the first page."""
    args = {k: v for k, v in request.args.items() if v != ""}
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return urlencode(args)


def duration(seconds: float | None) -> str:
    """Human duration: ``42 s``, ``3 min 5 s``, ``2 h 10 min``."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def init_app(app: Flask) -> None:
    """Register globals, filters and the navigation context."""
    app.jinja_env.globals["qs"] = qs
    app.jinja_env.filters["duration"] = duration

    @app.context_processor
    def navigation_context() -> dict:
        if not current_user.is_authenticated:
            return {}
        from webapp.services.notifications import unread_error_count

        return {"unread_errors": unread_error_count(current_user.account_id)}
