"""Acknowledgement in Get Orders: our order number reaches Amazon through the Order Acknowledgement feed,
accepted orders are recorded, rejected ones are named, and nothing is sent when the setting is off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sandbox.order_acknowledgements import FEED_TYPE
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, fast_sandbox, run_job
from tests.listings_support import account_id_of
from tests.orders_support import imported, place_order, with_default_mappings
from tests.runs_support import notes
from webapp.extensions import db
from webapp.models import Channel, Order, RunKind, RunStatus
from webapp.models.order import FulfilledBy
from webapp.services.order_acknowledgement import build_document, parse_report

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = fast_sandbox
app_config = sandbox_app_config


@pytest.fixture
def channel(app, sandbox) -> Channel:
    """The demo seller's US channel with the default shipping mappings."""
    return with_default_mappings(demo_channel(sandbox))


def acknowledgement_feeds(sandbox) -> list[str]:
    """Ids of the acknowledgement feeds Amazon received."""
    rows = sandbox.sandbox.store.all("SELECT feed_id FROM feeds WHERE feed_type = ?", (FEED_TYPE,))
    return [row["feed_id"] for row in rows]


def amazon_seller_order_id(sandbox, amazon_order_id: str) -> str | None:
    """The seller order id Amazon holds for the order."""
    return sandbox.admin("get", f"/orders/{amazon_order_id}")["sellerOrderId"]


def open_merchant(channel: Channel) -> list[Order]:
    """The channel's imported open merchant orders."""
    return [
        order
        for order in imported(channel).values()
        if order.fulfilled_by == FulfilledBy.MERCHANT and order.status in ("PENDING", "UNSHIPPED")
    ]


def test_acknowledgement_sends_our_order_number_as_amazons_seller_order_id(app, redis, auth, client, sandbox):
    auth.register()
    channel = with_default_mappings(demo_channel(sandbox, account_id_of()))
    channel.acknowledge_orders = True
    db.session.commit()
    place_order(sandbox)

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert run.status == RunStatus.SUCCEEDED
    orders = open_merchant(channel)
    assert orders
    for order in orders:
        assert order.acknowledged_at is not None
        assert amazon_seller_order_id(sandbox, order.amazon_order_id) == f"SS-{order.id}"
    assert run.counts["acknowledged"] == len(orders)
    assert len(acknowledgement_feeds(sandbox)) == 1, "one feed for the whole run"
    [sent] = [n for n in notes(run.id, "info") if n.code == "acknowledgement_sent"]
    assert f"{len(orders)} orders" in sent.message
    page = client.get(f"/orders/{orders[0].id}").get_data(as_text=True)
    assert f"SS-{orders[0].id}" in page and "acknowledged on Amazon" in page


def test_acknowledged_orders_are_not_sent_again(app, redis, channel, sandbox):
    channel.acknowledge_orders = True
    db.session.commit()
    run_job(app, redis, channel, RunKind.GET_ORDERS)
    first = acknowledgement_feeds(sandbox)

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert acknowledgement_feeds(sandbox) == first
    assert "acknowledged" not in run.counts


def test_acknowledgement_off_sends_no_feed(app, redis, channel, sandbox):
    assert channel.acknowledge_orders is False

    run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert acknowledgement_feeds(sandbox) == []
    assert all(order.acknowledged_at is None for order in db.session.scalars(sa.select(Order)))


def test_an_order_amazon_rejects_is_named_and_retried_while_the_others_are_recorded(
    app, redis, channel, sandbox
):
    run_job(app, redis, channel, RunKind.GET_ORDERS)
    orders = open_merchant(channel)
    assert orders
    # An open order Amazon does not know for this seller (say, imported under another seller's account
    # before the channel's connection was changed): Amazon refuses its acknowledgement.
    [template] = orders[:1]
    unknown = Order(
        account_id=channel.account_id,
        channel_id=channel.id,
        amazon_order_id="999-0000000-0000001",
        status="UNSHIPPED",
        fulfilled_by=FulfilledBy.MERCHANT,
        purchased_at=template.purchased_at,
        amazon_updated_at=template.amazon_updated_at,
    )
    db.session.add(unknown)
    channel.acknowledge_orders = True
    db.session.commit()

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)
    again = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert run.status == RunStatus.PARTIAL
    after = imported(channel)
    assert after[unknown.amazon_order_id].acknowledged_at is None
    assert all(after[o.amazon_order_id].acknowledged_at is not None for o in orders)
    assert run.counts["acknowledged"] == len(orders)
    [rejected] = [n for n in notes(run.id, "error") if n.code == "acknowledgement_rejected"]
    assert rejected.reference == unknown.amazon_order_id
    assert unknown.amazon_order_id in rejected.message and "not found" in rejected.message
    assert "next Get Orders" in rejected.help
    [retried] = [n for n in notes(again.id, "info") if n.code == "acknowledgement_sent"]
    assert "1 order " in retried.message, "only the rejected order is sent again"


def test_the_processing_report_maps_each_error_to_its_order(app, sandbox, channel):
    orders = [
        Order(id=7, amazon_order_id="111-0000001-0000001"),
        Order(id=8, amazon_order_id="111-0000001-0000002"),
    ]
    document = build_document("SELLER", orders).decode()
    assert "<MerchantOrderID>SS-7</MerchantOrderID>" in document
    report = (
        "<?xml version='1.0' encoding='utf-8'?><AmazonEnvelope><MessageType>ProcessingReport</MessageType>"
        "<Message><MessageID>1</MessageID><ProcessingReport><StatusCode>Complete</StatusCode>"
        "<ProcessingSummary><MessagesProcessed>2</MessagesProcessed></ProcessingSummary>"
        "<Result><MessageID>2</MessageID><ResultCode>Error</ResultCode><ResultMessageCode>25"
        "</ResultMessageCode><ResultDescription>not found</ResultDescription></Result>"
        "<Result><MessageID>1</MessageID><ResultCode>Warning</ResultCode></Result>"
        "</ProcessingReport></Message></AmazonEnvelope>"
    )

    parsed = parse_report(report, orders)

    assert parsed.processed == 2
    [rejection] = parsed.rejections
    assert (rejection.amazon_order_id, rejection.code, rejection.description) == (
        "111-0000001-0000002",
        "25",
        "not found",
    )
    with pytest.raises(ValueError):
        parse_report("{not xml", orders)
