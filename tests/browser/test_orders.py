"""Orders in Chromium (CSRF on, a real worker process, the sandbox as Amazon): Get Orders, open an order,
add its tracking, run Sync Orders, and see Amazon accept the package."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import register
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel
from tests.listings_support import account_id_of
from tests.orders_support import place_order, with_default_mappings
from tests.runs_support import worker_process

pytestmark = pytest.mark.browser


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


def run_from_orders_page(page, base: str, button: str) -> None:
    """Click a run button of the channel on the orders page and wait for the run to succeed."""
    page.goto(f"{base}/orders/")
    page.locator("#order-runs").get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(r"/runs/\d+"))
    expect(page.locator("#run-progress .status-succeeded")).to_be_visible(timeout=30_000)


def test_seller_gets_orders_adds_tracking_syncs_and_sees_it_accepted(
    app, live_server, sandbox, worker_env, page, tmp_path
):
    base = live_server.url
    register(page, base)
    with_default_mappings(demo_channel(sandbox, account_id_of()))
    order_id = place_order(sandbox)  # a new unshipped order on Amazon, one item

    with worker_process(app, tmp_path / "worker.log"):
        run_from_orders_page(page, base, "Get Orders")

        page.goto(f"{base}/orders/")
        page.get_by_label("Search").fill(order_id)
        page.locator("#order-table").get_by_role("link", name=order_id).click()
        expect(page.get_by_role("heading", name=re.compile(order_id))).to_be_visible()
        shipments = page.locator("#shipments")
        expect(shipments).to_contain_text("No shipment yet.")

        shipments.get_by_role("button", name="Add shipment").click()
        page.locator("#carrier_code").select_option("UPS")
        page.get_by_label("Shipping method").fill("UPS Ground")
        page.get_by_label("Tracking number").fill("1Z999AA10123456784")
        page.get_by_role("button", name="Save shipment").click()
        expect(page.locator("#flashes")).to_contain_text("Package 1 saved")
        package = page.locator("#shipments tr.shipment")
        expect(package).to_contain_text("1Z999AA10123456784")
        expect(package).to_contain_text("Waiting for Sync Orders")

        run_from_orders_page(page, base, "Sync Orders")
        expect(page.locator("#run-progress")).to_contain_text("accepted: 1")

    page.goto(f"{base}/orders/")
    page.get_by_label("Search").fill(order_id)
    page.locator("#order-table").get_by_role("link", name=order_id).click()
    expect(page.locator("#shipments tr.shipment")).to_contain_text("Accepted by Amazon")
    packages = sandbox.sandbox.store.all(
        "SELECT tracking_number, shipping_method FROM order_packages WHERE order_id = ?", (order_id,)
    )
    assert [tuple(row) for row in packages] == [("1Z999AA10123456784", "UPS Ground")]
