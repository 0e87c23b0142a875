"""Listings Items 2021-08-01 through python-amazon-sp-api against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sp_api.api import ListingsItems
from sp_api.base import (
    SellingApiBadRequestException,
    SellingApiForbiddenException,
    SellingApiNotFoundException,
)

from sandbox.seed import DEMO_SELLER_ID, EU_SELLER_ID, RESTRICTED_BRANDS, asin_for, upc_for
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client, validate

MODEL = "listingsItems_2021-08-01"
US = "ATVPDKIKX0DER"
ALL_DATA = ["summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "productTypes"]


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


@pytest.fixture
def listings(spapi: Callable[..., Any]) -> Any:
    """A Listings Items client for the demo seller in the US."""
    return spapi(ListingsItems)


def _put(listings: Any, sku: str, attributes: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = {"productType": "PRODUCT", "requirements": "LISTING_OFFER_ONLY", "attributes": attributes}
    payload = listings.put_listings_item(DEMO_SELLER_ID, sku, marketplaceIds=US, body=body, **kw).payload
    validate(MODEL, "putListingsItem", payload)
    return payload


def _get(listings: Any, sku: str, included: list[str] | None = None) -> dict[str, Any]:
    payload = listings.get_listings_item(
        DEMO_SELLER_ID, sku, marketplaceIds=US, includedData=included or ALL_DATA
    )
    validate(MODEL, "getListingsItem", payload.payload)
    return payload.payload


def test_get_seeded_listing_with_all_included_data(listings: Any) -> None:
    item = _get(listings, "DEMO-000001")
    assert item["sku"] == "DEMO-000001"
    assert item["summaries"][0]["asin"] == asin_for(1)
    assert item["summaries"][0]["marketplaceId"] == US
    assert item["attributes"]["merchant_suggested_asin"][0]["value"] == asin_for(1)
    assert item["productTypes"] == [{"marketplaceId": US, "productType": "PRODUCT"}]
    assert item["fulfillmentAvailability"][0]["fulfillmentChannelCode"] in {"DEFAULT", "AMAZON_NA"}


def test_image_links_point_at_the_sandbox(sandbox_server: SandboxServer, listings: Any) -> None:
    # python-amazon-sp-api sends `host: 27.0.0.1:<port>` for http:// endpoints; links must still work.
    link = _get(listings, "DEMO-000001", ["summaries"])["summaries"][0]["mainImage"]["link"]
    assert link.startswith(sandbox_server.url + "/")
    image = httpx.get(link)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")


def test_get_defaults_to_summaries_only(listings: Any) -> None:
    item = listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000002", marketplaceIds=US).payload
    assert set(item) == {"sku", "summaries"}


def test_unknown_sku_is_404(listings: Any) -> None:
    with pytest.raises(SellingApiNotFoundException) as excinfo:
        listings.get_listings_item(DEMO_SELLER_ID, "NOPE-1", marketplaceIds=US)
    validate(MODEL, "getListingsItem", {"errors": excinfo.value.error}, 404)


def test_other_sellers_listing_is_forbidden(listings: Any) -> None:
    with pytest.raises(SellingApiForbiddenException):
        listings.get_listings_item(EU_SELLER_ID, "S2-000001", marketplaceIds="A1PA6795UKMFR9")


def test_invalid_parameters_are_400_invalid_input(sandbox_server: SandboxServer) -> None:
    token = sandbox_server.authorize()["access_token"]
    base = f"{sandbox_server.url}/listings/2021-08-01/items/{DEMO_SELLER_ID}"
    headers = {"x-amz-access-token": token}
    cases = [
        (f"{base}/DEMO-000001", {}, "marketplaceIds"),
        (f"{base}/DEMO-000001", {"marketplaceIds": US, "includedData": "everything"}, "includedData"),
        (base, {"marketplaceIds": US, "pageSize": "50"}, "pageSize"),
        (base, {"marketplaceIds": US, "sortOrder": "SIDEWAYS"}, "sortOrder"),
    ]
    for url, params, name in cases:
        response = httpx.get(url, params=params, headers=headers)
        assert response.status_code == 400, (params, response.text)
        error = response.json()["errors"][0]
        assert error["code"] == "InvalidInput" and name in error["message"]
        validate(MODEL, "getListingsItem", response.json(), 400)


def test_invalid_body_is_400_invalid_input(listings: Any) -> None:
    with pytest.raises(SellingApiBadRequestException) as excinfo:
        listings.put_listings_item(DEMO_SELLER_ID, "X-1", marketplaceIds=US, body={"attributes": {}})
    assert excinfo.value.amzn_code == "InvalidInput"
    assert "productType" in excinfo.value.message
    with pytest.raises(SellingApiBadRequestException):
        listings.patch_listings_item(
            DEMO_SELLER_ID,
            "DEMO-000001",
            marketplaceIds=US,
            body={"productType": "PRODUCT", "patches": [{"op": "upsert", "path": "/attributes/item_name"}]},
        )


def test_put_offer_only_then_get(listings: Any) -> None:
    asin = asin_for(70)  # in the catalog, not listed by the demo seller
    result = _put(listings, "NEW SKU/ä 1", offer_attributes(asin), includedData=["issues", "identifiers"])
    assert result["status"] == "ACCEPTED" and result["issues"] == []
    assert result["identifiers"] == [{"marketplaceId": US, "asin": asin}]
    item = _get(listings, "NEW SKU/ä 1")
    assert item["summaries"][0]["asin"] == asin
    assert item["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]
    assert item["offers"][0]["price"] == {"currencyCode": "USD", "amount": "12.50"}
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 7}]


def test_validation_preview_writes_nothing(listings: Any) -> None:
    result = _put(listings, "PREVIEW-1", offer_attributes(asin_for(71)), mode="VALIDATION_PREVIEW")
    assert result["status"] == "VALID"
    with pytest.raises(SellingApiNotFoundException):
        listings.get_listings_item(DEMO_SELLER_ID, "PREVIEW-1", marketplaceIds=US)
    invalid = _put(
        listings, "PREVIEW-2", {"condition_type": [{"value": "new_new"}]}, mode="VALIDATION_PREVIEW"
    )
    assert invalid["status"] == "INVALID"


def _codes(result: dict[str, Any]) -> dict[str, str]:
    return {issue["code"]: issue["severity"] for issue in result["issues"]}


def test_missing_required_attribute_is_invalid(listings: Any) -> None:
    attributes = offer_attributes(asin_for(72))
    del attributes["condition_type"]
    result = _put(listings, "MISSING-1", attributes)
    assert result["status"] == "INVALID"
    missing = [i for i in result["issues"] if i["code"] == "90220"]
    assert missing[0]["attributeNames"] == ["condition_type"] and missing[0]["severity"] == "ERROR"
    with pytest.raises(SellingApiNotFoundException):
        listings.get_listings_item(DEMO_SELLER_ID, "MISSING-1", marketplaceIds=US)


def _restricted_asin(sandbox_server: SandboxServer, brand: str) -> str:
    row = sandbox_server.sandbox.store.one("SELECT asin FROM catalog_items WHERE brand = ? LIMIT 1", (brand,))
    assert row is not None
    return row["asin"]


def test_restricted_brand_needs_approval(sandbox_server: SandboxServer, listings: Any) -> None:
    gated = _restricted_asin(sandbox_server, RESTRICTED_BRANDS[0])
    result = _put(listings, "GATED-1", offer_attributes(gated))
    assert result["status"] == "INVALID"
    issue = next(i for i in result["issues"] if i["code"] == "5461")
    assert issue["severity"] == "ERROR" and issue["categories"] == ["QUALIFICATION_REQUIRED"]
    approved = _restricted_asin(sandbox_server, RESTRICTED_BRANDS[1])
    assert _put(listings, "GATED-2", offer_attributes(approved))["status"] == "ACCEPTED"


def test_product_id_type_without_value_is_invalid(listings: Any) -> None:
    attributes = offer_attributes(asin_for(73), externally_assigned_product_identifier=[{"type": "upc"}])
    result = _put(listings, "NOID-1", attributes)
    assert result["status"] == "INVALID" and _codes(result)["8572"] == "ERROR"


def test_conflicting_identifiers_are_invalid(listings: Any) -> None:
    attributes = offer_attributes(
        asin_for(74), externally_assigned_product_identifier=[{"type": "upc", "value": upc_for(75)}]
    )
    result = _put(listings, "CONFLICT-1", attributes)
    assert result["status"] == "INVALID" and _codes(result)["8541"] == "ERROR"


def test_condition_note_on_new_item_is_a_warning(listings: Any) -> None:
    attributes = offer_attributes(asin_for(76), condition_note=[{"value": "Like new", "marketplace_id": US}])
    result = _put(listings, "NOTE-1", attributes)
    assert result["status"] == "ACCEPTED" and _codes(result)["99040"] == "WARNING"
    assert any(i["code"] == "99040" for i in _get(listings, "NOTE-1")["issues"])


def _patch(listings: Any, sku: str, patches: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"productType": "PRODUCT", "patches": patches}
    payload = listings.patch_listings_item(DEMO_SELLER_ID, sku, marketplaceIds=US, body=body).payload
    validate(MODEL, "patchListingsItem", payload)
    return payload


def test_patch_price_quantity_and_content_then_get(listings: Any) -> None:
    _put(listings, "PATCH-1", offer_attributes(asin_for(77)))
    offer = {"marketplace_id": US, "currency": "USD", "our_price": [{"schedule": [{"value_with_tax": 33.1}]}]}
    result = _patch(
        listings,
        "PATCH-1",
        [
            {"op": "replace", "path": "/attributes/purchasable_offer", "value": [offer]},
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
            },
            {
                "op": "add",
                "path": "/attributes/item_name",
                "value": [{"value": "Renamed", "marketplace_id": US}],
            },
        ],
    )
    assert result["status"] == "ACCEPTED"
    item = _get(listings, "PATCH-1")
    assert item["offers"][0]["price"]["amount"] == "33.10"
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 0}]
    assert item["summaries"][0]["status"] == ["DISCOVERABLE"]
    assert item["summaries"][0]["itemName"] == "Renamed"
    _patch(listings, "PATCH-1", [{"op": "delete", "path": "/attributes/item_name"}])
    assert "item_name" not in _get(listings, "PATCH-1")["attributes"]


def test_merge_updates_quantity_and_keeps_other_fields(listings: Any) -> None:
    availability = {"fulfillment_channel_code": "DEFAULT", "quantity": 3, "lead_time_to_ship_max_days": 4}
    _put(listings, "MERGE-1", offer_attributes(asin_for(78), fulfillment_availability=[availability]))
    _patch(
        listings,
        "MERGE-1",
        [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 9}],
            }
        ],
    )
    stored = _get(listings, "MERGE-1")["attributes"]["fulfillment_availability"]
    assert stored == [{"fulfillment_channel_code": "DEFAULT", "quantity": 9, "lead_time_to_ship_max_days": 4}]


def test_fba_quantity_is_amazons(sandbox_server: SandboxServer, listings: Any) -> None:
    row = sandbox_server.sandbox.store.one(
        "SELECT sku, quantity FROM listings WHERE seller_id = ? AND marketplace_id = ? AND "
        "fulfillment_channel = 'AMAZON_NA' LIMIT 1",
        (DEMO_SELLER_ID, US),
    )
    result = _patch(
        listings,
        row["sku"],
        [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "AMAZON_NA", "quantity": 5}],
            }
        ],
    )
    assert result["status"] == "ACCEPTED" and _codes(result)["18316"] == "WARNING"
    item = _get(listings, row["sku"])
    assert item["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "AMAZON_NA", "quantity": row["quantity"]}
    ]
    assert item["summaries"][0]["fnSku"].startswith("X00")


def test_one_fulfillment_channel_per_offer(listings: Any) -> None:
    both = [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}, {"fulfillment_channel_code": "AMAZON_NA"}]
    result = _put(listings, "TWO-CHANNELS", offer_attributes(asin_for(79), fulfillment_availability=both))
    assert result["status"] == "INVALID" and _codes(result)["8105"] == "ERROR"


def test_patch_of_nested_path_is_invalid(listings: Any) -> None:
    result = _patch(
        listings,
        "DEMO-000001",
        [{"op": "replace", "path": "/attributes/purchasable_offer/0/currency", "value": [{"value": "EUR"}]}],
    )
    assert result["status"] == "INVALID"


def test_delete_then_404(listings: Any) -> None:
    result = listings.delete_listings_item(DEMO_SELLER_ID, "DEMO-000003").payload
    validate(MODEL, "deleteListingsItem", result)
    assert result["status"] == "ACCEPTED"
    with pytest.raises(SellingApiNotFoundException):
        listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000003", marketplaceIds=US)


def test_admin_delete_removes_listing_on_amazons_side(sandbox_server: SandboxServer, listings: Any) -> None:
    sandbox_server.admin("delete", f"/listings/{DEMO_SELLER_ID}/DEMO-000004")
    with pytest.raises(SellingApiNotFoundException):
        listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000004", marketplaceIds=US)


def test_search_by_identifiers(listings: Any) -> None:
    result = listings.search_listings_items(
        DEMO_SELLER_ID,
        marketplaceIds=US,
        identifiers="DEMO-000005,DEMO-000006",
        identifiersType="SKU",
        includedData="summaries,offers",
    ).payload
    validate(MODEL, "searchListingsItems", result)
    assert sorted(i["sku"] for i in result["items"]) == ["DEMO-000005", "DEMO-000006"]
    by_asin = listings.search_listings_items(
        DEMO_SELLER_ID, marketplaceIds=US, identifiers=asin_for(7), identifiersType="ASIN"
    ).payload
    assert [i["sku"] for i in by_asin["items"]] == ["DEMO-000007"]


def test_search_pages_by_sku_and_stops_at_1000() -> None:
    with SandboxServer({"SANDBOX_RATE_LIMITS": "off"}, seed={"listings": 1030}) as server:
        client = make_client(server, ListingsItems, server.authorize()["refresh_token"])
        response = client.search_listings_items(
            DEMO_SELLER_ID, marketplaceIds=US, pageSize=20, sortBy="sku", sortOrder="ASC"
        )
        first = {**response.payload, "pagination": response.pagination}
        validate(MODEL, "searchListingsItems", first)
        assert first["numberOfResults"] == 1030
        assert [i["sku"] for i in first["items"]][:2] == ["DEMO-000001", "DEMO-000002"]
        token = response.next_token
        second = client.search_listings_items(
            DEMO_SELLER_ID, marketplaceIds=US, pageSize=20, sortBy="sku", sortOrder="ASC", pageToken=token
        )
        assert second.payload["items"][0]["sku"] == "DEMO-000021"
        seen, token, pages = 0, None, 0
        while True:
            kwargs = {"pageToken": token} if token else {}
            page = client.search_listings_items(DEMO_SELLER_ID, marketplaceIds=US, pageSize=20, **kwargs)
            seen += len(page.payload["items"])
            pages += 1
            token = (page.pagination or {}).get("nextToken")
            if not token:
                break
        assert seen == 1000 and pages == 50
