"""Catalog Items API 2022-04-01: searchCatalogItems (identifiers or keywords) and getCatalogItem."""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from sandbox import catalog_store
from sandbox.errors import ApiError
from sandbox.listing_store import image_link
from sandbox.operations import OperationContext, operation
from sandbox.seed import MARKETPLACE_BY_ID

MODEL = "catalogItems_2022-04-01"
SUPPORTED = ("summaries", "identifiers", "productTypes", "images", "attributes")


def render(row: sqlite3.Row, marketplace_id: str, included: list[str], base_url: str) -> dict[str, Any]:
    """A catalog `Item` for one marketplace, limited to the supported `included` data sets."""
    item: dict[str, Any] = {"asin": row["asin"]}
    language = MARKETPLACE_BY_ID[marketplace_id][5]
    if "summaries" in included:
        item["summaries"] = [
            {
                "marketplaceId": marketplace_id,
                "brand": row["brand"],
                "itemName": row["title"],
                "manufacturer": row["manufacturer"],
                "itemClassification": "BASE_PRODUCT",
                "packageQuantity": 1,
            }
        ]
    if "attributes" in included:
        item["attributes"] = {
            "item_name": [
                {"value": row["title"], "language_tag": language, "marketplace_id": marketplace_id}
            ],
            "brand": [{"value": row["brand"], "language_tag": language, "marketplace_id": marketplace_id}],
        }
    if "identifiers" in included:
        identifiers = [
            {"identifierType": kind, "identifier": row[column]}
            for kind, column in (("UPC", "upc"), ("EAN", "ean"))
            if row[column]
        ]
        item["identifiers"] = [{"marketplaceId": marketplace_id, "identifiers": identifiers}]
    if "productTypes" in included:
        item["productTypes"] = [{"marketplaceId": marketplace_id, "productType": row["product_type"]}]
    if "images" in included:
        images = [
            {
                "variant": i["variant"],
                "link": image_link(base_url, row["asin"], i),
                "height": i["height"],
                "width": i["width"],
            }
            for i in json.loads(row["images"])
        ]
        item["images"] = [{"marketplaceId": marketplace_id, "images": images}]
    return item


def _marketplace(ctx: OperationContext) -> str:
    marketplace_ids = ctx.marketplace_ids()
    if len(marketplace_ids) != 1 or marketplace_ids[0] not in MARKETPLACE_BY_ID:
        raise ApiError(400, "InvalidInput", "Exactly one valid marketplaceIds value is required.")
    return marketplace_ids[0]


@operation(MODEL, "searchCatalogItems")
def search_catalog_items(ctx: OperationContext) -> tuple[int, dict]:
    """Find catalog items by identifiers (UPC, EAN, GTIN, ASIN, SKU...) or by keywords in the title."""
    marketplace_id = _marketplace(ctx)
    included = ctx.params.get("includedData") or ["summaries"]
    identifiers = ctx.params.get("identifiers")
    keywords = ctx.params.get("keywords")
    if bool(identifiers) == bool(keywords):
        raise ApiError(400, "InvalidInput", "Provide either identifiers or keywords (exactly one of them).")
    conn = ctx.store.conn
    if identifiers:
        kind = ctx.params.get("identifiersType")
        if not kind:
            raise ApiError(400, "InvalidInput", "identifiersType is required with identifiers.")
        rows = []
        for value in identifiers:
            if kind == "SKU":
                seller = ctx.params.get("sellerId")
                if not seller:
                    raise ApiError(400, "InvalidInput", "sellerId is required when identifiersType is SKU.")
                listing = conn.execute(
                    "SELECT asin FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
                    (seller, marketplace_id, value),
                ).fetchone()
                row = catalog_store.get_item(conn, listing["asin"]) if listing and listing["asin"] else None
            else:
                row = catalog_store.find_by_identifier(conn, kind, value)
            if row is not None and all(r["asin"] != row["asin"] for r in rows):
                rows.append(row)
        items = [render(r, marketplace_id, included, ctx.base_url) for r in rows]
        return 200, {"numberOfResults": len(items), "items": items}
    page_size = min(int(ctx.params.get("pageSize", 10)), 20)
    offset = 0
    if ctx.params.get("pageToken"):
        try:
            offset = int(base64.urlsafe_b64decode(ctx.params["pageToken"].encode()).decode())
        except ValueError as exc:
            raise ApiError(400, "InvalidInput", "Invalid pageToken.") from exc
    where = " AND ".join("title LIKE ?" for _ in keywords)
    args = [f"%{k}%" for k in keywords]
    total = conn.execute(f"SELECT COUNT(*) FROM catalog_items WHERE {where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM catalog_items WHERE {where} ORDER BY asin LIMIT ? OFFSET ?",
        (*args, page_size, offset),
    ).fetchall()
    body: dict[str, Any] = {
        "numberOfResults": total,
        "items": [render(r, marketplace_id, included, ctx.base_url) for r in rows],
    }
    if offset + len(rows) < total:
        body["pagination"] = {
            "nextToken": base64.urlsafe_b64encode(str(offset + len(rows)).encode()).decode()
        }
    return 200, body


@operation(MODEL, "getCatalogItem")
def get_catalog_item(ctx: OperationContext) -> tuple[int, dict]:
    """One catalog item by ASIN."""
    marketplace_id = _known_first(ctx)
    row = catalog_store.get_item(ctx.store.conn, ctx.params["asin"])
    if row is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Requested item '{ctx.params['asin']}' not found in marketplace {marketplace_id}.",
        )
    return 200, render(row, marketplace_id, ctx.params.get("includedData") or ["summaries"], ctx.base_url)


def _known_first(ctx: OperationContext) -> str:
    marketplace_ids = ctx.marketplace_ids()
    if not marketplace_ids or marketplace_ids[0] not in MARKETPLACE_BY_ID:
        raise ApiError(400, "InvalidInput", "A valid marketplaceIds value is required.")
    return marketplace_ids[0]
