"""Feeds 2021-06-30 (JSON_LISTINGS_FEED) through python-amazon-sp-api against the sandbox."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from sp_api.api import Feeds
from sp_api.base import SellingApiBadRequestException, SellingApiRequestThrottledException

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client, validate

MODEL = "feeds_2021-06-30"
US = "ATVPDKIKX0DER"
MODELS = Path(__file__).resolve().parents[2] / "sandbox" / "models"
REPORT_SCHEMA = Draft7Validator(
    json.loads((MODELS / "listings-feed-processing-report-schema-v2.json").read_text(encoding="utf-8"))
)


@pytest.fixture
def feeds(spapi: Callable[..., Any]) -> Any:
    """A Feeds client for the demo seller."""
    return spapi(Feeds)


def _submit(feeds: Any, document: dict[str, Any] | bytes) -> str:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode("utf-8")
    doc, feed = feeds.submit_feed(
        "JSON_LISTINGS_FEED",
        io.BytesIO(raw),
        content_type="application/json; charset=UTF-8",
        marketplaceIds=[US],
    )
    validate(MODEL, "createFeedDocument", doc.payload, 201)
    validate(MODEL, "createFeed", feed.payload, 202)
    return feed.payload["feedId"]


def _get(feeds: Any, feed_id: str) -> dict[str, Any]:
    payload = feeds.get_feed(feed_id).payload
    validate(MODEL, "getFeed", payload)
    return payload


def _advance(server: SandboxServer, **amount: float) -> None:
    server.admin("post", "/clock/advance", json=amount)


def _access_token(server: SandboxServer, refresh_token: str) -> str:
    settings = server.sandbox.settings
    response = httpx.post(
        f"{server.url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": settings["SANDBOX_LWA_CLIENT_ID"],
            "client_secret": settings["SANDBOX_LWA_CLIENT_SECRET"],
        },
    )
    return response.json()["access_token"]


def _processed(server: SandboxServer, feeds: Any, refresh_token: str, feed_id: str) -> tuple[dict, dict]:
    """Let the feed finish; returns (Feed, processing report) after checking both against their schemas."""
    _advance(server, minutes=3)
    feed = _get(feeds, feed_id)
    document_id = feed["resultFeedDocumentId"]
    raw = httpx.get(
        f"{server.url}/feeds/2021-06-30/documents/{document_id}",
        headers={"x-amz-access-token": _access_token(server, refresh_token)},
    ).json()
    validate(MODEL, "getFeedDocument", raw)
    report = json.loads(feeds.get_feed_document(document_id))
    errors = [e.message for e in REPORT_SCHEMA.iter_errors(report)]
    assert not errors, errors
    assert report["header"]["feedId"] == feed_id and report["header"]["sellerId"] == DEMO_SELLER_ID
    return feed, report


def _listing(server: SandboxServer, sku: str) -> Any:
    return server.sandbox.store.one(
        "SELECT * FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (DEMO_SELLER_ID, US, sku),
    )


def _merchant_skus(server: SandboxServer, count: int) -> list[str]:
    rows = server.sandbox.store.all(
        "SELECT sku FROM listings WHERE seller_id = ? AND marketplace_id = ? "
        "AND fulfillment_channel = 'DEFAULT' AND price IS NOT NULL ORDER BY sku LIMIT ?",
        (DEMO_SELLER_ID, US, count),
    )
    return [row["sku"] for row in rows]


def _offer(price: float) -> list[dict[str, Any]]:
    return [
        {
            "marketplace_id": US,
            "currency": "USD",
            "audience": "ALL",
            "our_price": [{"schedule": [{"value_with_tax": price}]}],
        }
    ]


def test_feed_applies_good_messages_and_rejects_bad_ones(
    sandbox_server: SandboxServer, feeds: Any, refresh_token: str
) -> None:
    qty_sku, price_sku, delete_sku, untouched_sku, update_sku = _merchant_skus(sandbox_server, 5)
    before = {sku: dict(_listing(sandbox_server, sku)) for sku in (untouched_sku, update_sku)}
    document = {
        "header": {
            "sellerId": DEMO_SELLER_ID,
            "version": "2.0",
            "issueLocale": "en_US",
            "report": {
                "includedData": ["issues", "offers", "fulfillmentAvailability"],
                "apiVersion": "2021-08-01",
            },
        },
        "messages": [
            {
                "messageId": 1,
                "sku": qty_sku,
                "operationType": "PARTIAL_UPDATE",
                "productType": "PRODUCT",
                "attributes": {
                    "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}]
                },
            },
            {
                "messageId": 2,
                "sku": price_sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {"op": "replace", "path": "/attributes/purchasable_offer", "value": _offer(33.33)}
                ],
            },
            {"messageId": 3, "sku": delete_sku, "operationType": "DELETE"},
            {
                "messageId": 4,
                "sku": untouched_sku,
                "operationType": "PATCH",
                "patches": [{"op": "replace", "path": "/attributes/purchasable_offer", "value": _offer(1.0)}],
            },
            {
                "messageId": 5,
                "sku": "NO-SUCH-SKU",
                "operationType": "PARTIAL_UPDATE",
                "productType": "PRODUCT",
                "attributes": {
                    "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]
                },
            },
            {
                "messageId": 6,
                "sku": update_sku,
                "operationType": "UPDATE",
                "productType": "PRODUCT",
                "requirements": "LISTING_OFFER_ONLY",
                "attributes": {
                    "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}]
                },
            },
            {"messageId": 7, "sku": untouched_sku, "operationType": "DELETE", "productType": "PRODUCT"},
        ],
    }
    feed, report = _processed(sandbox_server, feeds, refresh_token, _submit(feeds, document))
    assert feed["processingStatus"] == "DONE"
    summary = report["summary"]
    assert (summary["messagesProcessed"], summary["messagesAccepted"], summary["messagesInvalid"]) == (
        7,
        3,
        4,
    )
    assert summary["errors"] == sum(1 for i in report["issues"] if i["severity"] == "ERROR") >= 4
    rejected = {issue["messageId"] for issue in report["issues"] if issue["severity"] == "ERROR"}
    assert rejected == {4, 5, 6, 7}
    for issue in report["issues"]:
        assert issue["sku"] and issue["code"] and issue["message"]
    assert any(i["messageId"] == 5 and "NO-SUCH-SKU" in i["message"] for i in report["issues"])
    assert any(i["messageId"] == 6 and i["code"] == "90220" for i in report["issues"])

    assert _listing(sandbox_server, qty_sku)["quantity"] == 0
    assert _listing(sandbox_server, price_sku)["price"] == 33.33
    assert _listing(sandbox_server, delete_sku) is None
    for sku, row in before.items():
        assert dict(_listing(sandbox_server, sku)) == row
    assert _listing(sandbox_server, "NO-SUCH-SKU") is None

    items = {item["sku"]: item for item in report["items"]}
    assert set(items) == {qty_sku, price_sku}
    assert items[price_sku]["offers"][0]["price"]["amount"] == "33.33"
    assert items[qty_sku]["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 0}]
    assert summary["itemSummary"]["items"] == 2


def test_feed_moves_through_queue_and_progress(sandbox_server: SandboxServer, feeds: Any) -> None:
    sku = _merchant_skus(sandbox_server, 1)[0]
    feed_id = _submit(
        feeds,
        {
            "header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"},
            "messages": [{"messageId": 1, "sku": sku, "operationType": "DELETE"}],
        },
    )
    assert _get(feeds, feed_id)["processingStatus"] == "IN_QUEUE"
    _advance(sandbox_server, seconds=60)
    running = _get(feeds, feed_id)
    assert running["processingStatus"] == "IN_PROGRESS" and "resultFeedDocumentId" not in running
    assert _listing(sandbox_server, sku) is not None
    _advance(sandbox_server, minutes=2)
    done = _get(feeds, feed_id)
    assert done["processingStatus"] == "DONE" and done["resultFeedDocumentId"]
    assert _listing(sandbox_server, sku) is None


def test_stuck_fault_keeps_feed_in_progress(sandbox_server: SandboxServer, feeds: Any) -> None:
    sandbox_server.admin("put", "/faults/createFeed", json={"stuck": 1})
    sku = _merchant_skus(sandbox_server, 1)[0]
    feed_id = _submit(
        feeds,
        {
            "header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"},
            "messages": [{"messageId": 1, "sku": sku, "operationType": "DELETE"}],
        },
    )
    _advance(sandbox_server, minutes=30)
    assert _get(feeds, feed_id)["processingStatus"] == "IN_PROGRESS"
    assert _listing(sandbox_server, sku) is not None
    sandbox_server.admin("delete", "/faults/createFeed")
    assert _get(feeds, feed_id)["processingStatus"] == "DONE"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {
                "header": {"sellerId": DEMO_SELLER_ID},
                "messages": [{"messageId": 1, "sku": "A", "operationType": "DELETE"}],
            },
            "version",
        ),
        ({"header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"}, "messages": []}, "/messages"),
        (
            {
                "header": {"sellerId": "A9OTHERSELLER", "version": "2.0"},
                "messages": [{"messageId": 1, "sku": "A", "operationType": "DELETE"}],
            },
            "sellerId",
        ),
        (b"{not json", "not valid JSON"),
    ],
)
def test_invalid_document_is_fatal_with_a_reason(
    sandbox_server: SandboxServer, feeds: Any, refresh_token: str, document: Any, reason: str
) -> None:
    count = sandbox_server.sandbox.store.one("SELECT COUNT(*) AS n FROM listings")["n"]
    feed, report = _processed(sandbox_server, feeds, refresh_token, _submit(feeds, document))
    assert feed["processingStatus"] == "FATAL"
    assert len(report["issues"]) == 1 and reason in report["issues"][0]["message"]
    assert report["summary"]["messagesProcessed"] == 0
    assert sandbox_server.sandbox.store.one("SELECT COUNT(*) AS n FROM listings")["n"] == count


def test_more_than_25000_messages_is_fatal(
    sandbox_server: SandboxServer, feeds: Any, refresh_token: str
) -> None:
    messages = [{"messageId": n, "sku": f"SKU-{n}", "operationType": "DELETE"} for n in range(1, 25002)]
    document = {"header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"}, "messages": messages}
    feed, report = _processed(sandbox_server, feeds, refresh_token, _submit(feeds, document))
    assert feed["processingStatus"] == "FATAL"
    assert "25001" in report["issues"][0]["message"] and "25000" in report["issues"][0]["message"]


def test_duplicate_message_ids_are_rejected(
    sandbox_server: SandboxServer, feeds: Any, refresh_token: str
) -> None:
    first, second = _merchant_skus(sandbox_server, 2)
    document = {
        "header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"},
        "messages": [
            {"messageId": 1, "sku": first, "operationType": "DELETE"},
            {"messageId": 1, "sku": second, "operationType": "DELETE"},
        ],
    }
    _, report = _processed(sandbox_server, feeds, refresh_token, _submit(feeds, document))
    assert report["summary"]["messagesInvalid"] == 1
    assert _listing(sandbox_server, first) is None and _listing(sandbox_server, second) is not None


def test_upload_url_needs_no_headers_and_expires(sandbox_server: SandboxServer, feeds: Any) -> None:
    doc = feeds.create_feed_document(None, "application/json; charset=UTF-8").payload
    assert httpx.put(doc["url"], content=b"{}").status_code == 200
    _advance(sandbox_server, minutes=6)
    expired = httpx.put(doc["url"], content=b"{}")
    assert expired.status_code == 403 and "AccessDenied" in expired.text


def test_create_feed_rejects_unknown_document_and_type(feeds: Any) -> None:
    with pytest.raises(SellingApiBadRequestException):
        feeds.create_feed("JSON_LISTINGS_FEED", "amzn1.tortuga.4.na.unknown", marketplaceIds=[US])
    doc = feeds.create_feed_document(None, "application/json; charset=UTF-8").payload
    with pytest.raises(SellingApiBadRequestException, match="feedType"):
        feeds.create_feed("NOT_A_FEED", doc["feedDocumentId"], marketplaceIds=[US])


def test_json_listings_feeds_beyond_five_in_five_minutes_are_refused_with_quota_exceeded() -> None:
    """Amazon's limit on the feed type itself, well inside createFeed's own burst of 15."""
    with SandboxServer() as server:  # rate limits on, Amazon's speed
        feeds = make_client(server, Feeds, server.authorize(DEMO_SELLER_ID)["refresh_token"])
        document = {"header": {"sellerId": DEMO_SELLER_ID, "version": "2.0"}, "messages": []}
        for _ in range(5):
            _submit(feeds, document)
        with pytest.raises(SellingApiRequestThrottledException) as throttled:
            _submit(feeds, document)
        assert throttled.value.error[0]["code"] == "QuotaExceeded"

        _advance(server, minutes=5)
        assert _submit(feeds, document)
