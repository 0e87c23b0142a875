"""Log in → Connect with Amazon → the sandbox's consent page → Authorize → back on the connection page,
Active, with the marketplaces the test run found (Chromium, CSRF on, a real worker process)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from sandbox.testing import SandboxServer
from tests.browser.accounts import submit_registration
from tests.conftest import amazon_config
from tests.runs_support import worker_process

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox_for(app, live_server, monkeypatch) -> Iterator[SandboxServer]:
    """A sandbox whose registered redirect URI is the live server's callback; app and worker use it."""
    callback = f"{live_server.url}/connections/amazon/callback"
    with SandboxServer({"SANDBOX_REDIRECT_URIS": callback}) as server:
        settings = amazon_config(server)
        app.config.update(settings)
        for key, value in settings.items():
            monkeypatch.setenv(key, str(value))  # the worker process reads its settings from the environment
        yield server


def test_seller_connects_amazon_in_one_click(app, live_server, sandbox_for, page, tmp_path):
    base = live_server.url
    submit_registration(page, base)

    page.get_by_role("link", name="Connections").click()
    expect(page.get_by_role("heading", name="Connect your Amazon seller account")).to_be_visible()
    page.get_by_label("Marketplace").select_option("ATVPDKIKX0DER")

    with worker_process(app, tmp_path / "worker.log"):
        page.get_by_role("button", name="Connect with Amazon").click()
        expect(page).to_have_url(re.compile(re.escape(sandbox_for.url) + r"/apps/authorize/consent\?"))
        expect(page.get_by_role("heading", name="Authorize Shelfsync (demo)")).to_be_visible()
        page.get_by_role("button", name="Authorize").click()

        expect(page).to_have_url(re.compile(re.escape(base) + r"/connections/\d+$"))
        expect(page.get_by_role("heading", name="Amazon US · A1SHELFSYNCDEMO")).to_be_visible()
        health = page.locator("#connection-health")
        expect(health.locator(".connection-status")).to_have_text("Active")
        marketplaces = page.locator("#marketplaces")
        expect(marketplaces).to_contain_text("Amazon.com", timeout=30_000)
        expect(marketplaces).to_contain_text("ATVPDKIKX0DER")
        # The finished result no longer polls.
        expect(health).not_to_have_attribute("hx-trigger", re.compile("."))

    page.screenshot(path=str(tmp_path / "connection.png"))
    expect(page.locator("#reauth-banner")).to_have_count(0)
