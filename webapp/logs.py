"""Logging to stderr with request and run ids, and a last line of defence against leaked secrets."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from flask import Flask, g, request

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
run_id_var: ContextVar[str] = ContextVar("run_id", default="-")

# Amazon LWA tokens (Atzr| refresh, Atza| access, Atz.sprdt| restricted) and Fernet tokens.
_SECRET_PATTERN = re.compile(r"(Atz[a-z.]*\|)[A-Za-z0-9_\-|.=+/]+|gAAAAA[A-Za-z0-9_\-=]{20,}")

LOG_FORMAT = "%(asctime)s %(levelname)s [req=%(request_id)s run=%(run_id)s] %(name)s: %(message)s"


def scrub(text: str) -> str:
    """``text`` with anything shaped like a token masked (for log lines and stored error messages)."""
    return _SECRET_PATTERN.sub(lambda m: (m.group(1) or "") + "[REDACTED]", text)


class ContextFilter(logging.Filter):
    """Adds the current request and run ids, and masks anything shaped like a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate and scrub ``record``; never drops it."""
        record.request_id = request_id_var.get()
        record.run_id = run_id_var.get()
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def configure_logging(level: str) -> None:
    """Send every log line to stderr through the context filter (idempotent)."""
    root = logging.getLogger()
    if any(getattr(h, "_shelfsync", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._shelfsync = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start; keep its migration lines only.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def init_request_ids(app: Flask) -> None:
    """Give every request an id (or keep the proxy's ``X-Request-Id``) for log correlation."""

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:12]
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        return response

    @app.teardown_request
    def _reset_request_id(exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
