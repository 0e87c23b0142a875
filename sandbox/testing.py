"""Run the sandbox in-process for tests: `SandboxServer` (real HTTP on 127.0.0.1, random port).

    with SandboxServer() as sandbox:             # temp DB, small deterministic world
        refresh = sandbox.authorize("A1SHELFSYNCDEMO")["refresh_token"]
        ... point python-amazon-sp-api at sandbox.url ...

On stop, any response the sandbox produced that broke Amazon's model is raised as
SandboxContractError, so a test never passes on top of an invalid fake answer.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import create_app
from sandbox.seed import DEMO_SELLER_ID, seed_world

SMALL_WORLD = {"listings": 60, "orders": 20, "sellers": 3, "seed": 1}


class _QuietHandler(WSGIRequestHandler):
    """Request handler without the per-request access log (tests make thousands of calls)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log line."""


class SandboxContractError(AssertionError):
    """The sandbox answered something that does not validate against Amazon's model."""


def seed_small(app: Flask, now: float | None = None, **overrides: Any) -> dict[str, Any]:
    """Seed a small deterministic world (60 demo listings, 3 sellers) into the app's database, fast."""
    sandbox = app.extensions["sandbox"]
    result = seed_world(
        sandbox.store, now if now is not None else sandbox.clock.now(), **{**SMALL_WORLD, **overrides}
    )
    sandbox.buckets.reset()
    return result


class SandboxServer:
    """The sandbox app served by werkzeug (threaded) on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(
        self, config: dict[str, Any] | None = None, seed: dict[str, Any] | None | bool = True
    ) -> None:
        """`config` overrides settings (default DB: temp file). `seed`: True = small world, dict = options."""
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        # A fixed fault seed: a test with partial faults sees the same failures on every run.
        config = {"SANDBOX_FAULT_SEED": "shelfsync-tests", **(config or {})}
        if "SANDBOX_DB" not in config:
            self._tmp = tempfile.TemporaryDirectory(prefix="sandbox-")
            config["SANDBOX_DB"] = str(Path(self._tmp.name) / "sandbox.db")
        self.config = config
        self.seed = seed
        self.app: Flask = create_app(config)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> SandboxServer:
        """Seed (if asked) and start serving; returns self."""
        if self.seed:
            seed_small(self.app, **(self.seed if isinstance(self.seed, dict) else {}))
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, remove the temp DB, and raise SandboxContractError if a response broke the model."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        # Write the buffered call log before the temporary database goes away.
        self.sandbox.calls.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        errors = self.app.extensions["sandbox"].contract_errors
        if errors:
            raise SandboxContractError("; ".join(errors))

    def __enter__(self) -> SandboxServer:
        """Start on entering a `with` block."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop on leaving a `with` block."""
        self.stop()

    @property
    def sandbox(self):
        """The app's Sandbox state (store, clock, settings)."""
        return self.app.extensions["sandbox"]

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the `/_sandbox/` JSON API, e.g. `admin("post", "/clock/advance", json={"minutes": 6})`."""
        response = httpx.request(method, f"{self.url}/_sandbox{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def authorize(self, seller_id: str = DEMO_SELLER_ID, state: str = "test-state") -> dict[str, Any]:
        """Run consent + code exchange over HTTP; returns the LWA token response (with refresh_token)."""
        settings = self.sandbox.settings
        response = httpx.post(
            f"{self.url}/apps/authorize/consent",
            data={
                "application_id": settings["SANDBOX_APP_ID"],
                "state": state,
                "seller_id": seller_id,
                "action": "authorize",
            },
        )
        code = parse_qs(urlparse(response.headers["location"]).query)["spapi_oauth_code"][0]
        token = httpx.post(
            f"{self.url}/auth/o2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": settings["SANDBOX_LWA_CLIENT_ID"],
                "client_secret": settings["SANDBOX_LWA_CLIENT_SECRET"],
            },
        )
        token.raise_for_status()
        return token.json()
