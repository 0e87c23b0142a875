"""The `@operation` decorator: every SP-API route goes through the same Amazon-like machinery.

For each request, in order: request id, access token -> seller (403 Unauthorized), fault injection
(latency, dropped connection, 429/500/503), token-bucket rate limit (429 QuotaExceeded), request
validation against the model (400 InvalidInput), the handler, response validation against the model
(when SANDBOX_VALIDATE), the x-amzn-* headers, and one row in the call log.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request

from sandbox.db import Store
from sandbox.errors import (
    INTERNAL_FAILURE,
    QUOTA_EXCEEDED,
    SERVICE_UNAVAILABLE,
    UNAUTHORIZED_MESSAGE,
    ApiError,
    error_body,
)
from sandbox.faults import faults_for
from sandbox.ratelimit import RATE_LIMITS
from sandbox.roles import denied_roles, required_roles
from sandbox.spec import InvalidRequest, OperationSpec, get_operation
from sandbox.state import Sandbox, current

log = logging.getLogger(__name__)

bp = Blueprint("spapi", __name__)

Handler = Callable[["OperationContext"], "tuple[int, Any] | Response"]


def base_url() -> str:
    """Base URL of this sandbox for links in responses.

    SANDBOX_PUBLIC_URL if set; else the address the server is bound to when it is a concrete host
    (python-amazon-sp-api sends a broken Host header for http:// endpoints: `host = endpoint[8:]`);
    else the request's Host.
    """
    public = current().settings.get("SANDBOX_PUBLIC_URL")
    if public:
        return str(public).rstrip("/")
    server, port = request.environ.get("SERVER_NAME", ""), request.environ.get("SERVER_PORT", "")
    if server and server not in {"0.0.0.0", "::", "localhost"} and port and server[0].isdigit():
        return f"{request.scheme}://{server}:{port}"
    return request.host_url.rstrip("/")


@dataclass
class OperationContext:
    """What a handler gets: the caller, the validated inputs and the sandbox state."""

    sandbox: Sandbox
    spec: OperationSpec
    seller_id: str
    token_kind: str
    params: dict[str, Any]
    body: Any
    request_id: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        """The sandbox Store (SQLite)."""
        return self.sandbox.store

    @property
    def now(self) -> float:
        """Amazon time now (Unix seconds)."""
        return self.sandbox.clock.now()

    @property
    def base_url(self) -> str:
        """The sandbox's own base URL, e.g. `http://127.0.0.1:5055` (for links the client follows)."""
        return base_url()

    def marketplace_ids(self) -> list[str]:
        """The `marketplaceIds` parameter (query) as a list, empty if absent."""
        return list(self.params.get("marketplaceIds") or [])


# Call-log status of a request whose connection was dropped on purpose.
DROPPED = 0


def operation(
    model: str,
    operation_id: str,
    *,
    rate: float | None = None,
    burst: int | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler` as the SP-API operation `operation_id` of model file `model` (stem).

    The route, method and parameters come from the model. Rate and burst default to Amazon's
    documented usage plan (`sandbox.ratelimit.RATE_LIMITS`). The handler receives an
    OperationContext and returns `(status, body)`, or raises ApiError.
    """
    spec = get_operation(model, operation_id)
    if rate is None or burst is None:
        rate, burst = RATE_LIMITS[(model, operation_id)]
    limits = (float(rate), int(burst))

    def register(handler: Handler) -> Handler:
        """Add the route for `handler` to the SP-API blueprint."""

        def view(**path_args: str) -> Response:
            """Flask view: run the handler inside the Amazon machinery."""
            return _run(spec, handler, limits, path_args)

        bp.add_url_rule(spec.flask_rule, f"{model}:{operation_id}", view, methods=[spec.method])
        return handler

    return register


def _run(
    spec: OperationSpec, handler: Handler, limits: tuple[float, int], path_args: dict[str, str]
) -> Response:
    sandbox = current()
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, "x-amzn-RateLimit-Limit": repr(limits[0])}
    seller_id: str | None = None
    status = 500
    try:
        token = sandbox.store.one(
            "SELECT seller_id, kind, expires_at FROM access_tokens WHERE token = ?",
            (request.headers.get("x-amz-access-token", ""),),
        )
        now = sandbox.clock.now()
        if token is None or token["expires_at"] <= now:
            status = 403
            details = (
                "The access token you provided is revoked, malformed or invalid."
                if token is None
                else "The access token you provided has expired."
            )
            return _respond(
                sandbox, spec, 403, error_body("Unauthorized", UNAUTHORIZED_MESSAGE, details), headers
            )
        seller_id = token["seller_id"]
        injected = _inject_faults(sandbox, spec)
        if injected is not None:
            status = injected[0]
            if status == DROPPED:
                # The socket is already shut down; werkzeug/gunicorn fail quietly writing this.
                return Response(b"", status=500)
            return _respond(sandbox, spec, injected[0], injected[1], headers)
        if sandbox.settings["SANDBOX_RATE_LIMITS"] and not sandbox.buckets.take(
            (seller_id, spec.operation_id), limits[0], limits[1], now
        ):
            status = 429
            return _respond(sandbox, spec, 429, QUOTA_EXCEEDED, headers)
        ctx = OperationContext(
            sandbox=sandbox,
            spec=spec,
            seller_id=seller_id,
            token_kind=token["kind"],
            params=spec.parse_params(path_args, request.args),
            body=spec.parse_body(_json_body()) if spec.body_validator is not None else None,
            request_id=request_id,
        )
        if required_roles(spec.model, ctx.params) & denied_roles(sandbox.store, seller_id):
            # Amazon's refusal for a missing role: the same code and message as a bad token, no details.
            raise ApiError(403, "Unauthorized", UNAUTHORIZED_MESSAGE, "")
        if "sellerId" in ctx.params and ctx.params["sellerId"] != seller_id:
            raise ApiError(
                403, "Unauthorized", UNAUTHORIZED_MESSAGE, "The access token does not match the sellerId."
            )
        result = handler(ctx)
        headers.update(ctx.extra_headers)
        if isinstance(result, Response):
            status = result.status_code
            result.headers.update(headers)
            return result
        status, body = result
        return _respond(sandbox, spec, status, body, headers)
    except InvalidRequest as exc:
        status = 400
        return _respond(sandbox, spec, 400, error_body("InvalidInput", str(exc)), headers)
    except ApiError as exc:
        status = exc.status
        return _respond(sandbox, spec, exc.status, exc.body(), headers)
    finally:
        _log_call(sandbox, seller_id, spec.operation_id, status, request_id)


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw:
        raise InvalidRequest("Missing request body.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest(f"Request body is not valid JSON: {exc}") from exc


def _inject_faults(sandbox: Sandbox, spec: OperationSpec) -> tuple[int, dict[str, Any] | None] | None:
    """Apply the configured faults; returns an error (status, body) to send, or None to go on."""
    faults = faults_for(sandbox.store, spec.operation_id)
    if faults is None:
        return None
    if faults["latency_ms"]:
        time.sleep(faults["latency_ms"] / 1000.0)
    if sandbox.chance(faults["p_drop"]):
        drop_connection()
        return DROPPED, None
    if sandbox.chance(faults["p429"]):
        return 429, QUOTA_EXCEEDED
    if sandbox.chance(faults["p500"]):
        return 500, INTERNAL_FAILURE
    if sandbox.chance(faults["p503"]):
        return 503, SERVICE_UNAVAILABLE
    return None


def drop_connection() -> None:
    """Shut the client socket down without answering (the client sees a transport error).

    Works with the werkzeug server (`werkzeug.socket`) and gunicorn (`gunicorn.socket`); the server's
    later write fails with a broken pipe, which both treat as a client that went away. Without a
    socket (Flask's test client) there is nothing to drop, so this raises RuntimeError.
    """
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        raise RuntimeError("dropped-connection faults need a real server (werkzeug or gunicorn)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        log.debug("socket already closed")


def _respond(
    sandbox: Sandbox, spec: OperationSpec, status: int, body: Any, headers: dict[str, str]
) -> Response:
    if sandbox.settings["SANDBOX_VALIDATE"]:
        problems = spec.response_errors(status, body)
        if problems:
            # The sandbox itself broke Amazon's contract: record it loudly and answer 500.
            log.error("sandbox response violates the model: %s", problems)
            sandbox.contract_errors.extend(problems)
            status, body = 500, INTERNAL_FAILURE
    response = Response(
        json.dumps(body, separators=(",", ":")) if body is not None else b"",
        status=status,
        mimetype="application/json",
    )
    response.headers.update(headers)
    return response


def _log_call(
    sandbox: Sandbox, seller_id: str | None, operation_id: str, status: int, request_id: str
) -> None:
    sandbox.calls.record(seller_id, operation_id, sandbox.clock.now(), status, request_id)
