"""Back and Forward on a table in Chromium: the filter controls always match the rows shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import register
from tests.listings_support import account_id_of
from webapp.extensions import db
from webapp.models import Source, SourceItem

pytestmark = pytest.mark.browser


@pytest.fixture
def inventory_url(app, live_server, page) -> str:
    """Five items of one source, three in stock; two rows a page."""
    app.config["PER_PAGE"] = 2
    register(page, live_server.url)
    account_id = account_id_of()
    source = Source(account_id=account_id, name="Acme Supply")
    db.session.add(source)
    db.session.flush()
    for sku, quantity in [("A-IN", 5), ("B-OUT", 0), ("C-IN", 3), ("D-OUT", 0), ("E-IN", 1)]:
        db.session.add(SourceItem(account_id=account_id, source_id=source.id, sku=sku, quantity=quantity))
    db.session.commit()
    return f"{live_server.url}/inventory/"


def shown_skus(page) -> list[str]:
    """The SKUs in the inventory table, top to bottom."""
    return page.locator("#inventory-table tbody tr td a").all_inner_texts()


def test_back_and_forward_keep_the_filters_in_step_with_the_table(inventory_url, page):
    page.goto(inventory_url)
    stock = page.get_by_label("Stock")
    table = page.locator("#inventory-table")

    stock.select_option("in")
    expect(page).to_have_url(re.compile(r"stock=in"))
    expect(table).to_contain_text("Page 1 of 2")
    table.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"stock=in.*page=2"))
    expect(table).to_contain_text("Page 2 of 2")
    assert shown_skus(page) == ["E-IN"]

    page.go_back()
    expect(page).to_have_url(re.compile(r"stock=in(?!.*page=2)"))
    expect(table).to_contain_text("Page 1 of 2")
    expect(stock).to_have_value("in")
    assert shown_skus(page) == ["A-IN", "C-IN"]

    page.go_back()
    expect(page).to_have_url(re.compile(r"/inventory/$"))
    expect(table).to_contain_text("Page 1 of 3")
    expect(stock).to_have_value("")

    page.go_forward()
    expect(table).to_contain_text("Page 1 of 2")
    expect(stock).to_have_value("in")

    # The next filter change keeps the filter restored from history.
    page.get_by_label("Search").fill("C-")
    expect(page).to_have_url(re.compile(r"(?=.*stock=in)(?=.*q=C-)"))
    expect(table).to_contain_text("1 item")
    assert shown_skus(page) == ["C-IN"]
