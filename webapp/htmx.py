"""htmx conventions in one place: full page or partial, redirects htmx can follow, Vary."""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request

from webapp.extensions import htmx


def is_htmx() -> bool:
    """True for htmx requests that want a fragment (not boosted navigation, not a history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str, status: int = 200, **context) -> Response:
    """Render ``partial`` for htmx requests and ``page`` (which includes it) otherwise.

    The same URL answers with two bodies, so caches must key on ``HX-Request``.
    """
    response = make_response(render_template(partial if is_htmx() else page, **context), status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str) -> Response:
    """Redirect that works for both htmx (``HX-Redirect``; htmx ignores 3xx) and plain requests."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def form_error(template: str, **context) -> Response:
    """Re-render a form partial with its errors as 422 (htmx is configured to swap 422)."""
    return make_response(render_template(template, **context), 422)
