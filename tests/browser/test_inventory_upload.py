"""Log in → add a source → upload its inventory CSV → the progress bar finishes → the rows are in the
inventory table, in Chromium with CSRF on and a real worker process."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import submit_registration
from tests.runs_support import worker_process
from tests.sources_support import csv_bytes

pytestmark = pytest.mark.browser
ROWS = 60


def test_seller_uploads_a_supplier_csv_and_finds_the_items(app, live_server, page, tmp_path):
    base = live_server.url
    csv_file = tmp_path / "acme-stock.csv"
    rows = [[f"ACME-{n:03d}", f"Acme widget {n}", "036000291452", "4.50", str(n % 5)] for n in range(ROWS)]
    csv_file.write_bytes(b"\xef\xbb\xbf" + csv_bytes(rows, ["Item SKU", "Title", "UPC", "Cost", "Qty"]))

    submit_registration(page, base)
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="Sources").click()
    page.get_by_role("button", name="Add a source").click()
    page.get_by_label("Name").fill("Acme Supply")
    toggle = page.get_by_label("Compliance with Amazon Services Business Solutions Agreement")
    expect(toggle).not_to_be_checked()
    page.get_by_role("button", name="Save source").click()
    expect(page.get_by_role("heading", name="Acme Supply")).to_be_visible()
    expect(page.locator("#compliance-warnings")).to_contain_text("Acme Supply")

    with worker_process(app, tmp_path / "worker.log"):
        page.get_by_label("Inventory CSV").set_input_files(str(csv_file))
        page.get_by_role("button", name="Upload and import").click()
        expect(page.get_by_role("heading", name=re.compile(r"Import source items run #\d+"))).to_be_visible()
        progress = page.locator("#run-progress progress")
        expect(page.locator("#run-progress .status-succeeded")).to_be_visible(timeout=30_000)
        expect(progress).to_have_attribute("value", str(ROWS))
        expect(progress).to_have_attribute("max", str(ROWS))
        expect(page.locator("#run-progress")).to_contain_text(f"created: {ROWS}")

    page.get_by_role("link", name="Inventory").click()
    page.wait_for_load_state()  # htmx binds the search at load; no seller is faster
    table = page.locator("#inventory-table")
    expect(table).to_contain_text(f"{ROWS} items")
    expect(table.get_by_role("link", name="ACME-000")).to_be_visible()

    page.get_by_label("Search").fill("widget 42")
    expect(table.get_by_role("link", name="ACME-042")).to_be_visible()
    expect(table).to_contain_text("1 item")
    expect(page).to_have_url(re.compile(r"/inventory/\?q=widget(%20|\+)42"))
    page.reload()  # the pushed URL renders the same table as a full page
    expect(page.locator("#inventory-table")).to_contain_text("Acme widget 42")
