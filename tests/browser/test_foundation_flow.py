"""Register → log in → dashboard → diagnostic run → progress done → notification → log out, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.runs_support import worker_process

pytestmark = pytest.mark.browser


def test_newcomer_registers_runs_a_diagnostic_and_logs_out(app, live_server, page, tmp_path):
    base = live_server.url
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))

    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Business name").fill("Acme Goods")
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    with worker_process(app, tmp_path / "worker.log"):
        page.get_by_text("Diagnostic options").click()
        page.get_by_label("Steps").fill("8")
        page.get_by_role("button", name="Run diagnostic").click()
        expect(page.get_by_role("heading", name=re.compile(r"run #\d+"))).to_be_visible()
        progress = page.locator("#run-progress progress")
        expect(progress).to_have_attribute("value", "8", timeout=30_000)
        expect(progress).to_have_attribute("max", "8")
        expect(page.locator("#run-progress .status-succeeded")).to_be_visible()
        # Polling stopped: the finished partial carries no hx-trigger.
        expect(page.locator("#run-progress")).not_to_have_attribute("hx-trigger", re.compile("."))

    expect(page.locator("#run-log")).to_contain_text("Step 8 of 8")
    page.screenshot(path=str(tmp_path / "run.png"))

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.goto(f"{base}/runs/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
