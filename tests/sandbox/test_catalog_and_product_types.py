"""Catalog Items 2022-04-01 and Product Type Definitions 2020-09-01 against the sandbox."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from sp_api.api import CatalogItems, ProductTypeDefinitions
from sp_api.base import SellingApiBadRequestException, SellingApiNotFoundException

from sandbox.seed import asin_for, check_digit, ean_for, upc_for
from sandbox.testing import SandboxServer
from tests.sandbox.support import validate

CATALOG = "catalogItems_2022-04-01"
PTD = "definitionsProductTypes_2020-09-01"
US = "ATVPDKIKX0DER"
INCLUDED = "summaries,identifiers,productTypes,images"


@pytest.fixture
def catalog(spapi: Callable[..., Any]) -> Any:
    """A Catalog Items 2022-04-01 client."""
    return spapi(CatalogItems, version="2022-04-01")


def test_seeded_identifiers_have_valid_check_digits() -> None:
    for index in (1, 2, 99):
        assert upc_for(index)[-1] == check_digit(upc_for(index)[:-1]) and len(upc_for(index)) == 12
        assert ean_for(index)[-1] == check_digit(ean_for(index)[:-1]) and len(ean_for(index)) == 13
    assert check_digit("03600029145") == "2"  # a real UPC-A: 036000291452


def test_search_by_upc_ean_gtin_and_asin(catalog: Any) -> None:
    for kind, value in (
        ("UPC", upc_for(3)),
        ("EAN", ean_for(3)),
        ("GTIN", "00" + upc_for(3)),
        ("ASIN", asin_for(3)),
    ):
        payload = catalog.search_catalog_items(
            identifiers=value, identifiersType=kind, marketplaceIds=US, includedData=INCLUDED
        ).payload
        validate(CATALOG, "searchCatalogItems", payload)
        assert [item["asin"] for item in payload["items"]] == [asin_for(3)], kind
    item = payload["items"][0]
    assert item["productTypes"] == [{"marketplaceId": US, "productType": "PRODUCT"}]
    assert {"identifierType": "UPC", "identifier": upc_for(3)} in item["identifiers"][0]["identifiers"]
    assert item["images"][0]["images"][0]["variant"] == "MAIN"
    assert item["summaries"][0]["brand"]


def test_search_several_identifiers_csv(catalog: Any) -> None:
    values = ",".join(upc_for(i) for i in (4, 5, 6)) + ",000000000000"
    payload = catalog.search_catalog_items(
        identifiers=values, identifiersType="UPC", marketplaceIds=US
    ).payload
    assert sorted(i["asin"] for i in payload["items"]) == sorted(asin_for(i) for i in (4, 5, 6))


def test_search_without_identifier_type_is_invalid(catalog: Any) -> None:
    with pytest.raises(SellingApiBadRequestException) as excinfo:
        catalog.search_catalog_items(identifiers=upc_for(3), marketplaceIds=US)
    assert excinfo.value.amzn_code == "InvalidInput"


def test_too_many_identifiers_is_invalid(sandbox_server: SandboxServer) -> None:
    token = sandbox_server.authorize()["access_token"]
    response = httpx.get(
        f"{sandbox_server.url}/catalog/2022-04-01/items",
        params={
            "identifiers": ",".join(upc_for(i) for i in range(1, 22)),
            "identifiersType": "UPC",
            "marketplaceIds": US,
        },
        headers={"x-amz-access-token": token},
    )
    assert response.status_code == 400 and "identifiers" in response.json()["errors"][0]["message"]


def test_get_catalog_item_and_404(catalog: Any) -> None:
    payload = catalog.get_catalog_item(asin_for(8), marketplaceIds=US, includedData=INCLUDED).payload
    validate(CATALOG, "getCatalogItem", payload)
    assert payload["asin"] == asin_for(8)
    with pytest.raises(SellingApiNotFoundException):
        catalog.get_catalog_item("B000000000", marketplaceIds=US)


def test_product_type_definition_and_schema(spapi: Callable[..., Any]) -> None:
    client = spapi(ProductTypeDefinitions)
    offer_only = client.get_definitions_product_type(
        "PRODUCT", marketplaceIds=US, requirements="LISTING_OFFER_ONLY"
    ).payload
    validate(PTD, "getDefinitionsProductType", offer_only)
    assert offer_only["requirements"] == "LISTING_OFFER_ONLY"
    schema_response = httpx.get(offer_only["schema"]["link"]["resource"])
    assert schema_response.status_code == 200
    checksum = base64.b64encode(hashlib.md5(schema_response.content).digest()).decode()
    assert checksum == offer_only["schema"]["checksum"]
    schema = schema_response.json()
    Draft7Validator.check_schema(schema)
    assert set(schema["required"]) == {"merchant_suggested_asin", "condition_type"}
    full = client.get_definitions_product_type("PRODUCT", marketplaceIds=US).payload
    assert "item_name" in httpx.get(full["schema"]["link"]["resource"]).json()["required"]


def test_unknown_product_type_is_404(spapi: Callable[..., Any]) -> None:
    with pytest.raises(SellingApiNotFoundException):
        spapi(ProductTypeDefinitions).get_definitions_product_type("SPACESHIP", marketplaceIds=US)


def test_product_type_definition_needs_marketplace(sandbox_server: SandboxServer) -> None:
    token = sandbox_server.authorize()["access_token"]
    response = httpx.get(
        f"{sandbox_server.url}/definitions/2020-09-01/productTypes/PRODUCT",
        headers={"x-amz-access-token": token},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "InvalidInput"
