"""Error pages: a full page for browsers, a small fragment for htmx requests."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from webapp.extensions import db
from webapp.htmx import is_htmx


def _render(code: int, title: str, message: str):
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(404)
    def not_found(error):
        return _render(404, "Not found", "We could not find that page. It may have been deleted.")

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return _render(
            400,
            "Please try again",
            "Your form expired or was not sent from Shelfsync. Reload the page and submit it again.",
        )

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500, "Something went wrong", "The error was logged. Please try again in a moment.")
