"""Listings in Chromium (CSRF on, a real worker process, the sandbox as Amazon): search and filter the
table, tick rows, run a Sync, watch its progress bar, read its notifications and a variant's history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import register
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import add_linked, amazon_offer, amazon_offers, demo_channel, give_source
from tests.listings_support import account_id_of
from tests.runs_support import worker_process
from webapp.models import VariantStatus

pytestmark = pytest.mark.browser


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


def test_seller_filters_ticks_syncs_and_reads_the_history(
    app, live_server, sandbox, worker_env, page, tmp_path
):
    base = live_server.url
    register(page, base)
    channel = demo_channel(sandbox, account_id_of())
    fbm = amazon_offers(sandbox, fba=False)
    target = add_linked(channel, fbm[0])
    add_linked(channel, fbm[1])
    paused = add_linked(channel, fbm[2], status=VariantStatus.PAUSED.value)
    give_source(target, "10.00", 7)
    give_source(paused, "5.00", 1)
    target_id, target_sku, paused_sku = target.id, target.sku, paused.sku
    old_price = f"{target.pushed_price:.2f}"

    page.get_by_role("link", name="Listings").click()
    page.wait_for_load_state()  # htmx binds the filters at load; no seller is faster
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
