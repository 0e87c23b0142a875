"""The sandbox's Order Acknowledgement feed (POST_ORDER_ACKNOWLEDGEMENT_DATA) through python-amazon-sp-api:
Success records the seller order id, Failure cancels, bad messages are reported, non-XML is FATAL."""

from __future__ import annotations

import io
from typing import Any
from xml.etree import ElementTree

import pytest
from sp_api.api import Feeds

from sandbox.order_acknowledgements import FEED_TYPE
from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import validate

MODEL = "feeds_2021-06-30"
US = "ATVPDKIKX0DER"


@pytest.fixture
def feeds(spapi) -> Any:
    """A Feeds client for the demo seller."""
    return spapi(Feeds)


def _open_orders(server: SandboxServer, count: int) -> list[str]:
    """Place ``count`` new unshipped merchant orders for the demo seller."""
    return [server.admin("post", "/orders", json={})["order"]["orderId"] for _ in range(count)]


def _envelope(*messages: tuple[str, str | None, str]) -> bytes:
    body = "".join(
        f"<Message><MessageID>{number}</MessageID><OrderAcknowledgement><AmazonOrderID>{order_id}"
        f"</AmazonOrderID>{f'<MerchantOrderID>{ours}</MerchantOrderID>' if ours else ''}"
        f"<StatusCode>{status}</StatusCode></OrderAcknowledgement></Message>"
        for number, (order_id, ours, status) in enumerate(messages, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope><Header><DocumentVersion>1.01'
        f"</DocumentVersion><MerchantIdentifier>{DEMO_SELLER_ID}</MerchantIdentifier></Header>"
        f"<MessageType>OrderAcknowledgement</MessageType>{body}</AmazonEnvelope>"
    ).encode()


def _process(server: SandboxServer, feeds: Any, document: bytes) -> tuple[dict, ElementTree.Element]:
    _, feed = feeds.submit_feed(
        FEED_TYPE, io.BytesIO(document), content_type="text/xml; charset=UTF-8", marketplaceIds=[US]
    )
    validate(MODEL, "createFeed", feed.payload, 202)
    server.admin("post", "/clock/advance", json={"minutes": 3})
    done = feeds.get_feed(feed.payload["feedId"]).payload
    validate(MODEL, "getFeed", done)
    return done, ElementTree.fromstring(feeds.get_feed_document(done["resultFeedDocumentId"]))


def test_success_records_the_seller_order_id_and_bad_messages_are_reported(sandbox_server, feeds):
    first, second, cancelled_later = _open_orders(sandbox_server, 3)
    sandbox_server.admin("post", f"/orders/{cancelled_later}/cancel")

    feed, report = _process(
        sandbox_server,
        feeds,
        _envelope(
            (first, "SS-1", "Success"),
            (second, "x" * 65, "Success"),
            (cancelled_later, "SS-3", "Success"),
            ("999-0000000-0000000", "SS-4", "Success"),
        ),
    )

    assert feed["processingStatus"] == "DONE"
    summary = report.find("Message/ProcessingReport/ProcessingSummary")
    assert summary.findtext("MessagesProcessed") == "4"
    assert summary.findtext("MessagesSuccessful") == "1"
    assert summary.findtext("MessagesWithError") == "3"
    errors = {
        r.findtext("MessageID"): r.findtext("ResultDescription")
        for r in report.findall("Message/ProcessingReport/Result")
    }
    assert set(errors) == {"2", "3", "4"}
    assert "64 characters" in errors["2"] and "cancelled" in errors["3"] and "not found" in errors["4"]
    assert sandbox_server.admin("get", f"/orders/{first}")["sellerOrderId"] == "SS-1"
    assert sandbox_server.admin("get", f"/orders/{second}")["sellerOrderId"] is None


def test_failure_status_code_cancels_the_order(sandbox_server, feeds):
    [order_id] = _open_orders(sandbox_server, 1)

    feed, _ = _process(sandbox_server, feeds, _envelope((order_id, None, "Failure")))

    assert feed["processingStatus"] == "DONE"
    assert sandbox_server.admin("get", f"/orders/{order_id}")["status"] == "CANCELLED"


def test_a_document_that_is_not_xml_ends_fatal_with_a_parse_error(sandbox_server, feeds):
    feed, report = _process(sandbox_server, feeds, b"AmazonOrderID,StatusCode\n1,Success\n")

    assert feed["processingStatus"] == "FATAL"
    [result] = report.findall("Message/ProcessingReport/Result")
    assert result.findtext("ResultMessageCode") == "5000"
    assert "XML Parsing Fatal Error" in result.findtext("ResultDescription")
