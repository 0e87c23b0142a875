"""Log lines carry request ids and never a token."""

from __future__ import annotations

import logging

from webapp.logs import ContextFilter, request_id_var


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)


def test_tokens_are_masked_in_log_lines():
    record = _record("exchanged code, got %s and %s", "Atzr|IwEBIA-secret-part", "Atza|abc.def")
    ContextFilter().filter(record)
    text = record.getMessage()
    assert "secret-part" not in text
    assert "abc.def" not in text
    assert "Atzr|[REDACTED]" in text


def test_each_request_gets_an_id_in_its_logs_and_response(app, client):
    seen: list[str] = []

    @app.get("/_test/log")
    def log_something():
        logging.getLogger("webapp.test").info("hello from a view")
        seen.append(request_id_var.get())
        return "ok"

    response = client.get("/_test/log", headers={"X-Request-Id": "req-12345"})
    assert response.headers["X-Request-Id"] == "req-12345"
    assert seen == ["req-12345"]
    assert request_id_var.get() == "-"
