"""Failed htmx requests in Chromium (CSRF on): the seller sees what went wrong and what to do."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import register
from tests.listings_support import account_id_of, add_variant, make_channel

pytestmark = pytest.mark.browser

# What an expired form looks like: the page still holds a token the server no longer accepts.
EXPIRE_CSRF_TOKEN = """() => {
  document.querySelectorAll("input[name=csrf_token]").forEach((input) => { input.value = "expired"; });
  document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": "expired"}));
}"""


@pytest.fixture
def listings_url(app, live_server, page) -> str:
    """A signed-in seller's channel with two listings; the URL of its listings table."""
    register(page, live_server.url)
    channel = make_channel(account_id_of())
    add_variant(channel, "MUG-1")
    add_variant(channel, "MUG-2")
    return f"{live_server.url}/channels/{channel.id}/listings/"


def test_an_expired_form_says_to_reload_the_page(listings_url, page):
    page.goto(listings_url)
    alert = page.locator("#htmx-alert")
    expect(alert).to_be_empty()
    page.evaluate(EXPIRE_CSRF_TOKEN)

    page.get_by_label("Select all on this page").check()
    with page.expect_response(lambda r: r.url.endswith("/listings/confirm")) as answer:
        page.get_by_role("button", name="Link", exact=True).click()

    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Please try again")
    expect(alert).to_contain_text("Your form expired or was not sent from Shelfsync. Reload the page")
    expect(alert.get_by_role("button", name="Reload page")).to_be_visible()
    expect(page.locator("#bulk-confirm")).to_be_empty()  # the error is not swapped into the page

    alert.get_by_role("button", name="Dismiss").click()
    expect(alert).to_be_empty()


def test_a_server_error_without_an_error_page_names_the_status(listings_url, page):
    page.goto(listings_url)
    page.route("**/listings/confirm", lambda route: route.fulfill(status=409, body=""))

    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Link", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("This was changed while you were looking at it.")


def test_a_request_that_never_reaches_the_server_is_reported(listings_url, page):
    page.goto(listings_url)
    page.route("**/listings/confirm", lambda route: route.abort("internetdisconnected"))

    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Link", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("Could not reach Shelfsync")
    expect(page.get_by_role("alert")).to_contain_text("Check your connection")
