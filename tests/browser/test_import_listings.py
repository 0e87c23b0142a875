"""Import listings in Chromium (CSRF on, a real worker process, the sandbox as Amazon on a fast clock):
the seller clicks Run import on the channel page, watches the run, and reads its notifications."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sandbox.testing import SandboxServer
from tests.browser.accounts import register
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import FAST_SANDBOX, demo_channel
from tests.listings_support import account_id_of
from tests.runs_support import worker_process

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox():
    """A seeded sandbox whose clock makes Amazon's report ready in about a second."""
    with SandboxServer(FAST_SANDBOX, seed={"listings": 300}) as server:
        yield server


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


def test_seller_runs_an_import_from_the_channel_page_and_reads_its_notifications(
    app, live_server, sandbox, worker_env, page, tmp_path
):
    base = live_server.url
    register(page, base)
    channel = demo_channel(sandbox, account_id_of())
    suspect = sandbox.sandbox.store.one(
        "SELECT sku FROM listings WHERE marketplace_id = ? AND (price IS NULL OR quantity >= 1000000) "
        "AND fulfillment_channel = 'DEFAULT' AND seller_id = (SELECT seller_id FROM listings WHERE sku = ?)",
        ("ATVPDKIKX0DER", "DEMO-000001"),
    )["sku"]

    page.goto(f"{base}/channels/{channel.id}")
    expect(page.locator("#integration-import-listings")).to_contain_text("Manual only")
    page.on("dialog", lambda dialog: dialog.accept())
    with worker_process(app, tmp_path / "worker.log"):
        page.get_by_role("button", name="Run import").click()
        expect(
            page.get_by_role("heading", name=re.compile(r"Import listings run #\d+", re.I))
        ).to_be_visible()
        expect(page.locator("#run-progress .status-succeeded")).to_be_visible(timeout=60_000)

    log = page.locator("#run-log")
    expect(log).to_contain_text("Amazon takes a few minutes to build it")
    expect(log).to_contain_text(
        re.compile(r"Import finished in \d+\.\d s: \d+ report rows; parents \d+ created")
    )
    expect(log).to_contain_text(f"{suspect} not imported")
    expect(page.locator("#run-progress")).to_contain_text(re.compile(r"variants created: \d+"))

    page.goto(f"{base}/channels/{channel.id}")
    expect(page.locator("#integration-import-listings")).to_contain_text("Succeeded")
    page.goto(f"{base}/channels/{channel.id}/listings/")
    expect(page.locator("#listing-table")).to_contain_text("DEMO-000001")
