"""Each adapter operation against the sandbox over HTTP, with requests and responses checked against
Amazon's models (tests/amazon/models.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator

from sandbox.seed import RESTRICTED_BRANDS, asin_for, upc_for
from sandbox.testing import SandboxServer
from tests.amazon.conftest import US
from tests.amazon.models import MODELS, check_all
from webapp.amazon import InvalidInput, NotFound, SellerApi, ShipmentPackage
from webapp.amazon.transport import Exchange


def offer_attributes(asin: str, price: float = 12.5, quantity: int = 7, **extra: Any) -> dict[str, Any]:
    """Attributes of an offer-only listing on an existing ASIN."""
    return {
        "merchant_suggested_asin": [{"value": asin, "marketplace_id": US}],
        "condition_type": [{"value": "new_new", "marketplace_id": US}],
        "purchasable_offer": [
            {
                "marketplace_id": US,
                "currency": "USD",
                "our_price": [{"schedule": [{"value_with_tax": price}]}],
            }
        ],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
        **extra,
    }


def test_marketplace_participations(api: SellerApi, exchanges: list[Exchange]):
    participations = api.marketplace_participations()
    us = next(p for p in participations if p.marketplace_id == US)
    assert us.is_participating and us.currency == "USD" and us.store_name
    assert check_all(exchanges) == ["getMarketplaceParticipations"]
    # The library would send Host "27.0.0.1:<port>" (endpoint[8:]) to an http:// endpoint.
    assert exchanges[-1].request_headers["host"] == urlsplit(exchanges[-1].url).netloc


def test_offer_only_listing_lifecycle(api: SellerApi, exchanges: list[Exchange]):
    asin = asin_for(70)
    preview = api.put_listing(
        "NEW SKU/ä 1", "PRODUCT", offer_attributes(asin), requirements="LISTING_OFFER_ONLY", preview=True
    )
    assert preview.status == "VALID"
    with pytest.raises(NotFound):
        api.get_listing("NEW SKU/ä 1")

    put = api.put_listing("NEW SKU/ä 1", "PRODUCT", offer_attributes(asin), requirements="LISTING_OFFER_ONLY")
    assert put.accepted and put.asin == asin and put.issues == ()
    item = api.get_listing("NEW SKU/ä 1")
    assert (item.sku, item.asin, item.status) == ("NEW SKU/ä 1", asin, ("BUYABLE", "DISCOVERABLE"))
    assert item.offers[0]["price"] == {"currencyCode": "USD", "amount": "12.50"}

    quantity = [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}]
    patched = api.patch_listing(
        "NEW SKU/ä 1",
        "PRODUCT",
        [{"op": "replace", "path": "/attributes/fulfillment_availability", "value": quantity}],
    )
    assert patched.status == "ACCEPTED"
    assert api.get_listing("NEW SKU/ä 1").fulfillment_availability == (
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 0},
    )

    assert api.delete_listing("NEW SKU/ä 1").status == "ACCEPTED"
    with pytest.raises(NotFound) as missing:
        api.get_listing("NEW SKU/ä 1")
    assert "Unlink the listing" in missing.value.help

    operations = check_all(exchanges)
    assert operations == [
        "putListingsItem", "getListingsItem", "putListingsItem", "getListingsItem", "patchListingsItem",
        "getListingsItem", "deleteListingsItem", "getListingsItem",
    ]  # fmt: skip
    sku_paths = {e.url.split("?")[0].rsplit("/", 1)[1] for e in exchanges if "/listings/" in e.url}
    assert sku_paths == {"NEW%20SKU%2F%C3%A4%201"}


def test_listing_issues_carry_help_text(api: SellerApi, sandbox: SandboxServer, exchanges: list[Exchange]):
    gated = sandbox.sandbox.store.one(
        "SELECT asin FROM catalog_items WHERE brand = ?", (RESTRICTED_BRANDS[0],)
    )
    brand = api.put_listing(
        "GATED-1", "PRODUCT", offer_attributes(gated["asin"]), requirements="LISTING_OFFER_ONLY"
    )
    assert brand.status == "INVALID" and not brand.accepted
    assert "Apply to sell the brand" in next(i for i in brand.issues if i.code == "5461").help

    no_id = offer_attributes(asin_for(73), externally_assigned_product_identifier=[{"type": "upc"}])
    result = api.put_listing("NOID-1", "PRODUCT", no_id, requirements="LISTING_OFFER_ONLY")
    assert "no Product ID" in next(i for i in result.issues if i.code == "8572").help

    conflict = offer_attributes(
        asin_for(74), externally_assigned_product_identifier=[{"type": "upc", "value": upc_for(75)}]
    )
    result = api.put_listing("CONFLICT-1", "PRODUCT", conflict, requirements="LISTING_OFFER_ONLY")
    assert next(i for i in result.issues if i.code == "8541").is_error

    incomplete = offer_attributes(asin_for(72))
    del incomplete["condition_type"]
    result = api.put_listing("MISSING-1", "PRODUCT", incomplete, requirements="LISTING_OFFER_ONLY")
    missing = next(i for i in result.issues if i.code == "90220")
    assert missing.attribute_names == ("condition_type",) and "required attribute" in missing.help
    assert check_all(exchanges) == ["putListingsItem"] * 4


def test_search_listings_follows_every_page(api: SellerApi, exchanges: list[Exchange]):
    items = list(api.search_listings(page_size=20))
    assert len(items) == len({i.sku for i in items}) == 60
    assert check_all(exchanges) == ["searchListingsItems"] * 3
    assert "pageToken=" in exchanges[-1].url


def test_search_listings_by_identifiers(api: SellerApi, exchanges: list[Exchange]):
    first = next(api.search_listings(page_size=2))
    found = list(api.search_listings(identifiers=[first.sku], identifiers_type="SKU"))
    assert [i.sku for i in found] == [first.sku]
    check_all(exchanges)


def test_catalog_search_get_and_product_type(api: SellerApi, exchanges: list[Exchange]):
    asin = asin_for(70)
    found = api.search_catalog([upc_for(70)], "UPC")
    assert [c.asin for c in found] == [asin]
    item = api.get_catalog_item(asin)
    assert item.asin == asin and item.product_type and item.item_name
    assert {"identifierType": "UPC", "identifier": upc_for(70)} in item.identifiers
    definition = api.get_product_type_definition("PRODUCT", requirements="LISTING_OFFER_ONLY")
    assert definition.product_type == "PRODUCT" and definition.requirements == "LISTING_OFFER_ONLY"
    assert definition.schema_url.startswith("http")
    assert check_all(exchanges) == ["searchCatalogItems", "getCatalogItem", "getDefinitionsProductType"]
    assert any("/catalog/2022-04-01/items?" in e.url for e in exchanges)


def test_bad_request_is_invalid_input_with_help_and_not_retried(api: SellerApi, sandbox: SandboxServer):
    with pytest.raises(InvalidInput) as error:
        api.search_catalog([], "UPC")
    assert error.value.status == 400 and error.value.code == "InvalidInput"
    assert "rejected the data" in error.value.help
    calls = sandbox.admin("get", "/calls", params={"operation": "searchCatalogItems"})["calls"]
    assert [c["status"] for c in calls] == [400]


@pytest.mark.parametrize("options", [{}, {"encoding": "windows-1252", "gzip": True}])
def test_listings_report_is_streamed_and_decoded(
    api: SellerApi, sandbox: SandboxServer, exchanges: list[Exchange], options: dict
):
    sandbox.admin("put", "/report-options", json={**options, "queue_seconds": 1, "processing_seconds": 1})
    # A title with non-ASCII letters, so a wrong charset would show.
    sku = next(api.search_listings(page_size=1)).sku
    api.patch_listing(
        sku,
        "PRODUCT",
        [
            {
                "op": "replace",
                "path": "/attributes/item_name",
                "value": [{"value": "Zoë café lamp", "language_tag": "en_US", "marketplace_id": US}],
            }
        ],
    )
    report_id = api.create_report("GET_MERCHANT_LISTINGS_ALL_DATA")
    sandbox.admin("post", "/clock/advance", json={"seconds": 5})
    report = api.get_report(report_id)
    assert report.done and report.processing_status == "DONE"
    lines = list(api.iter_report_lines(report.report_document_id))
    header = lines[0].split("\t")
    assert "seller-sku" in header and len(lines) > 1
    rows = [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]
    assert {r["seller-sku"] for r in rows} == {i.sku for i in api.search_listings()}
    assert next(r for r in rows if r["seller-sku"] == sku)["item-name"] == "Zoë café lamp"
    assert check_all(exchanges)[2:5] == ["createReport", "getReport", "getReportDocument"]
    document = json.loads(
        next(e for e in exchanges if "/reports/2021-06-30/documents/" in e.url).response_body
    )
    assert ("compressionAlgorithm" in document) is bool(options.get("gzip"))
    download = next(e for e in exchanges if e.url == document["url"])
    assert "x-amz-access-token" not in download.request_headers


def test_seller_in_another_marketplace_uses_that_marketplace(
    api: SellerApi, amazon_settings, redis, exchanges
):
    canada = SellerApi(
        dataclasses.replace(api.seller, marketplace_id="A2EUQ1WTGCTBG2"),
        settings=amazon_settings,
        redis=redis,
    )
    with pytest.raises(NotFound):
        canada.get_listing("DOES-NOT-EXIST")
    assert "marketplaceIds=A2EUQ1WTGCTBG2" in exchanges[-1].url


def test_listings_feed_round_trip(api: SellerApi, sandbox: SandboxServer, exchanges: list[Exchange]):
    sku = next(api.search_listings(page_size=1)).sku
    messages = [
        {"messageId": 1, "sku": sku, "operationType": "PATCH", "productType": "PRODUCT", "patches": [
            {"op": "replace", "path": "/attributes/fulfillment_availability",
             "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}]}]},
        {"messageId": 2, "sku": "FEED-ä-1", "operationType": "UPDATE", "productType": "PRODUCT",
         "requirements": "LISTING_OFFER_ONLY", "attributes": offer_attributes(asin_for(80))},
        {"messageId": 3, "sku": "FEED-2", "operationType": "UPDATE", "productType": "PRODUCT",
         "requirements": "LISTING_OFFER_ONLY",
         "attributes": {"condition_type": [{"value": "new_new", "marketplace_id": US}]}},
    ]  # fmt: skip
    submission = api.submit_listings_feed(messages)
    sandbox.admin("post", "/clock/advance", json={"minutes": 5})
    feed = api.get_feed(submission.feed_id)
    assert feed.done and feed.processing_status == "DONE" and feed.feed_type == "JSON_LISTINGS_FEED"
    result = api.get_listings_feed_result(feed.result_feed_document_id)
    assert result.summary["messagesProcessed"] == 3 and result.summary["messagesInvalid"] == 1
    missing = [i for i in result.issues if i.message_id == 3 and i.is_error]
    assert missing and all(i.help for i in missing)
    assert api.get_listing("FEED-ä-1").asin == asin_for(80)
    assert api.get_listing(sku).fulfillment_availability[0]["quantity"] == 4

    assert check_all(exchanges)[:4] == ["searchListingsItems", "createFeedDocument", "createFeed", "getFeed"]
    document = json.loads(
        next(e for e in exchanges if e.url.endswith("/feeds/2021-06-30/documents")).response_body
    )
    upload = next(e for e in exchanges if e.method == "PUT" and e.url == document["url"])
    assert "x-amz-access-token" not in upload.request_headers
    uploaded = json.loads(upload.request_body.decode("utf-8"))  # UTF-8, not the library's ISO-8859-1
    feed_schema = json.loads((MODELS / "listings-feed-schema-v2.json").read_text())
    assert not list(Draft7Validator(feed_schema).iter_errors(uploaded))
    assert uploaded["messages"][1]["sku"] == "FEED-ä-1"


def test_orders_search_get_and_confirm_shipment(
    api: SellerApi, sandbox: SandboxServer, exchanges: list[Exchange]
):
    store = sandbox.sandbox.store
    expected = {
        r["order_id"]
        for r in store.all(
            "SELECT order_id FROM orders WHERE seller_id = ? AND marketplace_id = ?",
            (api.seller.selling_partner_id, US),
        )
    }
    since = datetime.now(UTC) - timedelta(days=400)
    orders = list(
        api.search_orders(created_after=since, included_data=["RECIPIENT", "FULFILLMENT"], page_size=5)
    )
    assert {o["orderId"] for o in orders} == expected and len(expected) > 5

    row = store.one(
        "SELECT o.order_id, i.order_item_id, i.quantity FROM orders o JOIN order_items i USING (order_id) "
        "WHERE o.seller_id = ? AND o.marketplace_id = ? AND o.status = 'UNSHIPPED' "
        "AND o.fulfilled_by = 'MERCHANT' "
        "ORDER BY o.order_id LIMIT 1",
        (api.seller.selling_partner_id, US),
    )
    order = api.get_order(row["order_id"], included_data=["RECIPIENT"])
    assert order["orderId"] == row["order_id"] and order["orderItems"]
    package = ShipmentPackage(
        "1",
        "USPS",
        "9400100000000000000001",
        sandbox.sandbox.clock.now_iso(),  # shipped now: after the order, not in Amazon's future
        ((row["order_item_id"], row["quantity"]),),
        shipping_method="Priority Mail",
    )
    api.confirm_shipment(row["order_id"], package)
    with pytest.raises(InvalidInput) as error:
        api.confirm_shipment(row["order_id"], dataclasses.replace(package, carrier_code="Pigeon Post"))
    assert "carrier codes" in error.value.help
    with pytest.raises(NotFound):
        api.get_order("111-0000000-0000000")
    operations = check_all(exchanges)
    assert operations[-4:] == ["getOrder", "confirmShipment", "confirmShipment", "getOrder"]
    searches = [e.url for e in exchanges if "/orders/2026-01-01/orders?" in e.url]
    assert len(searches) > 1 and "paginationToken=" not in searches[0]
    assert all("paginationToken=" in url for url in searches[1:])
