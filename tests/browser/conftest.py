"""Browser fixtures: the app served by a real server thread, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sandbox.testing import SandboxServer
from tests.conftest import amazon_config

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
# Flags for a sandboxed CI machine with no network: no background traffic, no GPU, root-safe.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# scripts/faketime moves the clock of every process through these. Chromium hangs loading pages under
# that library, so the browser keeps the real clock; the app's server, whose clock matters, keeps the
# moved one.
FAKETIME_VARIABLES = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "DONT_FAKE_MONOTONIC")


class LiveServer:
    """The Flask app on 127.0.0.1 and a random port, in a daemon thread."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._thread.join(10)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The test app served over real HTTP."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (fails, never skips, when Chromium is missing)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run ./scripts/ensure-services (apt install chromium)")
    with sync_playwright() as playwright:
        env = {k: v for k, v in os.environ.items() if k not in FAKETIME_VARIABLES}
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request, tmp_path):
    """A fresh browser context and page; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        artifacts = Path("test-artifacts")
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the test item (for the failure screenshot)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def app_config(app_config):
    """Browser tests run with CSRF protection on, as production does."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def worker_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker process reads the sandbox's settings from its environment."""
    for key, value in amazon_config(sandbox).items():
        monkeypatch.setenv(key, str(value))
