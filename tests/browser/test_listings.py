"""Listings in Chromium (CSRF on, a real worker process, the sandbox as Amazon): search and filter the
table, tick rows, run a Sync, watch its progress bar, read its notifications and a variant's history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sandbox.seed import DEMO_SELLER_ID
from tests.conftest import amazon_config
from tests.listing_sync_support import add_linked, amazon_offer, amazon_offers, give_source
from tests.listings_support import account_id_of
from tests.runs_support import worker_process
from webapp.extensions import db
from webapp.models import Channel, Connection, VariantStatus

pytestmark = pytest.mark.browser
US = "ATVPDKIKX0DER"


@pytest.fixture
def app_config(app_config, sandbox):
    """The app under test talks to the sandbox."""
    return {**app_config, **amazon_config(sandbox)}


@pytest.fixture
def worker_env(sandbox, monkeypatch):
    """The worker process reads the sandbox's settings from its environment."""
    for key, value in amazon_config(sandbox).items():
        monkeypatch.setenv(key, str(value))


def register(page, base: str) -> None:
    page.goto(f"{base}/auth/register")
    page.get_by_label("Business name").fill("Acme Goods")
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def demo_channel_of(account_id: int, sandbox) -> Channel:
    """The demo seller connected to ``account_id`` (a real refresh token) with a US channel."""
    connection = Connection(
        account_id=account_id,
        name="Demo seller",
        selling_partner_id=DEMO_SELLER_ID,
        marketplace_id=US,
        region="na",
        refresh_token=sandbox.authorize()["refresh_token"],
    )
    db.session.add(connection)
    db.session.flush()
    channel = Channel(account_id=account_id, connection_id=connection.id, name="Amazon US", marketplace_id=US)
    db.session.add(channel)
    db.session.commit()
    return channel


def test_seller_filters_ticks_syncs_and_reads_the_history(
    app, live_server, sandbox, worker_env, page, tmp_path
):
    base = live_server.url
    register(page, base)
    channel = demo_channel_of(account_id_of(), sandbox)
    fbm = amazon_offers(sandbox, fba=False)
    target = add_linked(channel, fbm[0])
    add_linked(channel, fbm[1])
    paused = add_linked(channel, fbm[2], status=VariantStatus.PAUSED.value)
    give_source(target, "10.00", 7)
    give_source(paused, "5.00", 1)
    target_id, target_sku, paused_sku = target.id, target.sku, paused.sku
    old_price = f"{target.pushed_price:.2f}"

    page.get_by_role("link", name="Listings").click()
    expect(page.get_by_role("heading", name="Listings on Amazon US")).to_be_visible()
    table = page.locator("#listing-table")
    expect(table).to_contain_text("3 variants")

    page.get_by_label("Status").select_option("paused")
    expect(table).to_contain_text("1 variant")
    expect(table.get_by_role("link", name=paused_sku)).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=paused"))
    page.reload()  # the pushed URL renders the same table as a full page
    expect(page.locator("#listing-table")).to_contain_text("1 variant")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Search").fill(target_sku)
    expect(table).to_contain_text("1 variant")
    expect(page).to_have_url(re.compile(r"q=" + re.escape(target_sku)))
    page.get_by_label("Search").fill("")
    expect(table).to_contain_text("3 variants")

    select_page = page.get_by_label("Select all on this page")
    select_page.check()
    expect(table.locator("input[name=ids]:checked")).to_have_count(3)
    select_page.uncheck()
    expect(table.locator("input[name=ids]:checked")).to_have_count(0)
    page.get_by_label(f"Select {target_sku}").check()
    page.get_by_label(f"Select {paused_sku}").check()
    page.get_by_role("group", name="Bulk actions").get_by_role("button", name="Sync", exact=True).click()
    confirmation = page.locator("#bulk-confirm")
    expect(confirmation).to_contain_text("Sync 2 variants on Amazon US")
    expect(confirmation.get_by_role("button", name="Dry run (send nothing)")).to_be_visible()

    with worker_process(app, tmp_path / "worker.log"):
        confirmation.get_by_role("button", name="Sync 2 variants").click()
        expect(page.get_by_role("heading", name=re.compile(r"Sync listings run #\d+"))).to_be_visible()
        run_id = int(re.search(r"/runs/(\d+)", page.url).group(1))
        expect(page.locator("#run-progress .status-succeeded")).to_be_visible(timeout=30_000)
        progress = page.locator("#run-progress progress")
        expect(progress).to_have_attribute("value", re.compile(r"\d+"))
        assert progress.get_attribute("value") == progress.get_attribute("max")
        expect(page.locator("#run-progress")).to_contain_text("updated: 1")
        expect(page.locator("#run-log")).to_contain_text("Skipped (not synced in their status): 1 Paused.")

    new_price = f"{amazon_offer(sandbox, target_sku)['price']:.2f}"
    assert new_price != old_price
    page.get_by_role("link", name="Listings").click()
    page.locator("#listing-table").get_by_role("link", name=target_sku).click()
    history = page.locator(f"#history-{target_id}")
    expect(history).to_contain_text(f"{old_price} → {new_price}")
    expect(history.get_by_role("link", name=f"Run #{run_id}").first).to_be_visible()
    expect(page.locator(f"#variant-{target_id}")).to_contain_text("Linked")
