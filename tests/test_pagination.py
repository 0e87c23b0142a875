"""Page numbers of every table: huge, negative, non-numeric and past-the-end pages give a real page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.listings_support import account_id_of, add_variant, make_channel
from tests.shipments_support import make_order
from webapp.extensions import db
from webapp.models import IntegrationRun, Notification, RunKind, RunStatus, Source, SourceItem
from webapp.timeutil import utcnow

HUGE = "100000000000000000000"
ROWS_PER_TABLE = 3  # with two rows a page: page 2 is the last page and holds one row


@pytest.fixture
def tables(app, auth) -> dict[str, tuple[str, str]]:
    """Three rows in every paged table; ``{table: (url, row pattern)}``."""
    app.config["PER_PAGE"] = 2
    auth.register()
    account_id = account_id_of()
    channel = make_channel(account_id)
    source = Source(account_id=account_id, name="Acme Supply")
    db.session.add(source)
    run = None
    for n in range(ROWS_PER_TABLE):
        at = utcnow() - timedelta(minutes=10 * (n + 1))
        run = IntegrationRun(
            account_id=account_id,
            channel_id=channel.id,
            kind=RunKind.SYNC_LISTINGS.value,
            status=RunStatus.SUCCEEDED.value,
            created_at=at,
            started_at=at,
            finished_at=at,
        )
        db.session.add(run)
        db.session.flush()
        db.session.add(
            SourceItem(account_id=account_id, source_id=source.id, sku=f"ITEM-{n}", title=f"Item {n}")
        )
        db.session.commit()
        add_variant(channel, f"SKU-{n}")
        make_order(channel, [(f"SKU-{n}", 1)])
    for n in range(ROWS_PER_TABLE):
        db.session.add(
            Notification(
                account_id=account_id,
                run_id=run.id,
                level="info",
                message=f"Note number {n}.",
                created_at=utcnow() - timedelta(minutes=n),
            )
        )
    db.session.commit()
    return {
        "runs": ("/runs/", r'href="/runs/(\d+)"'),
        "orders": ("/orders/", r'href="/orders/(\d+)"'),
        "inventory": ("/inventory/", r'href="/inventory/(\d+)"'),
        "listings": (f"/channels/{channel.id}/listings/", r"#variant-(\d+)\""),
        "notifications": (f"/runs/{run.id}/notifications", r"Note number (\d+)\."),
    }


def rows(client, url: str, pattern: str, page: str) -> list[str]:
    """The row ids (or markers) shown on ``page`` of the table at ``url``; the page must answer 200."""
    response = client.get(f"{url}?page={page}")
    assert response.status_code == 200, (url, page, response.status_code)
    return re.findall(pattern, response.get_data(as_text=True))


@pytest.mark.parametrize("table", ["runs", "orders", "inventory", "listings", "notifications"])
def test_pages_past_the_end_show_the_last_page(client, tables, table):
    url, pattern = tables[table]
    last = rows(client, url, pattern, "2")
    assert len(last) == 1 and last[0] not in rows(client, url, pattern, "1")

    for page in ("3", "999", HUGE, "9223372036854775807", "9" * 5000):
        assert rows(client, url, pattern, page) == last, page


@pytest.mark.parametrize("table", ["runs", "orders", "inventory", "listings", "notifications"])
def test_negative_zero_and_non_numeric_pages_show_the_first_page(client, tables, table):
    url, pattern = tables[table]
    first = rows(client, url, pattern, "1")
    assert len(first) == 2

    for page in ("-1", "-" + HUGE, "0", "abc", "2.5", "", "²"):
        assert rows(client, url, pattern, page) == first, page


@pytest.mark.parametrize(("url", "empty_state"), [("/runs/", "No runs yet."), ("/orders/", "No orders yet.")])
def test_a_page_past_the_end_never_claims_the_table_is_empty(client, tables, url, empty_state):
    page = client.get(f"{url}?page=999").get_data(as_text=True)

    assert empty_state not in page and "Page 2 of 2" in page
