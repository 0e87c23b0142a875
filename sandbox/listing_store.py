"""Listing state on "Amazon's side": reading, writing and rendering listings.

A listing row is one (seller, marketplace, SKU). `attributes` (JSON) is the source of truth; the
price, currency, quantity, fulfillment channel and condition columns are derived from it on every
write by `derive_columns`, so reports can read plain columns. For FBA channels (AMAZON_*) the
quantity belongs to Amazon: writes keep the stored quantity and never take it from attributes.

Status (column `status`): ACTIVE (buyable + discoverable), INACTIVE (discoverable only: no price
or no stock) or INCOMPLETE (has ERROR issues). Reports map these to Active/Inactive/Incomplete.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

ACTIVE, INACTIVE, INCOMPLETE = "ACTIVE", "INACTIVE", "INCOMPLETE"
SUMMARY_STATUS = {ACTIVE: ["BUYABLE", "DISCOVERABLE"], INACTIVE: ["DISCOVERABLE"], INCOMPLETE: []}
CONDITIONS = frozenset(
    {
        "new_new",
        "new_open_box",
        "new_oem",
        "refurbished_refurbished",
        "used_like_new",
        "used_very_good",
        "used_good",
        "used_acceptable",
        "collectible_like_new",
        "collectible_very_good",
        "collectible_good",
        "collectible_acceptable",
        "club_club",
    }
)


def is_fba(channel: str | None) -> bool:
    """True for Amazon-fulfilled channel codes (AMAZON_NA, AMAZON_EU, ...)."""
    return bool(channel) and channel.upper().startswith("AMAZON")


def _first_value(attributes: dict[str, Any], name: str, marketplace_id: str) -> Any:
    for entry in attributes.get(name) or []:
        if isinstance(entry, dict) and entry.get("marketplace_id", marketplace_id) == marketplace_id:
            return entry.get("value")
    return None


def offer_price(attributes: dict[str, Any], marketplace_id: str) -> tuple[float | None, str | None]:
    """The B2C (audience ALL) price and currency from `purchasable_offer`, or (None, None)."""
    for offer in attributes.get("purchasable_offer") or []:
        if not isinstance(offer, dict) or offer.get("marketplace_id", marketplace_id) != marketplace_id:
            continue
        if offer.get("audience", "ALL") != "ALL":
            continue
        for price in offer.get("our_price") or []:
            for entry in price.get("schedule") or []:
                if entry.get("value_with_tax") is not None:
                    return float(entry["value_with_tax"]), offer.get("currency")
    return None, None


def derive_columns(
    attributes: dict[str, Any],
    marketplace_id: str,
    issues: list[dict[str, Any]],
    previous: sqlite3.Row | None,
) -> dict[str, Any]:
    """Columns of a listing row derived from its attributes (FBA quantity kept from `previous`)."""
    price, currency = offer_price(attributes, marketplace_id)
    availability = next(iter(attributes.get("fulfillment_availability") or []), None) or {}
    channel = availability.get("fulfillment_channel_code") or (
        previous["fulfillment_channel"] if previous is not None else "DEFAULT"
    )
    if is_fba(channel):
        quantity = (
            previous["quantity"] if previous is not None and is_fba(previous["fulfillment_channel"]) else 0
        )
    else:
        quantity = availability.get("quantity")
        if quantity is None and previous is not None and not is_fba(previous["fulfillment_channel"]):
            quantity = previous["quantity"]
    condition = _first_value(attributes, "condition_type", marketplace_id)
    return {
        "price": price,
        "currency": currency,
        "quantity": quantity,
        "fulfillment_channel": channel,
        "condition_type": condition,
        "status": status_for(price, quantity, issues),
    }


def status_for(price: float | None, quantity: int | None, issues: list[dict[str, Any]]) -> str:
    """ACTIVE, INACTIVE or INCOMPLETE for a listing with this price, quantity and issues."""
    if any(issue.get("severity") == "ERROR" for issue in issues):
        return INCOMPLETE
    if price is None or not quantity:
        return INACTIVE
    return ACTIVE


def get_rows(
    conn: sqlite3.Connection, seller_id: str, sku: str, marketplace_ids: list[str]
) -> list[sqlite3.Row]:
    """The listing rows of a seller's SKU in the given marketplaces (in that order)."""
    rows = []
    for marketplace_id in marketplace_ids:
        row = conn.execute(
            "SELECT * FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
            (seller_id, marketplace_id, sku),
        ).fetchone()
        if row is not None:
            rows.append(row)
    return rows


def write_listing(
    conn: sqlite3.Connection,
    *,
    seller_id: str,
    marketplace_id: str,
    sku: str,
    product_type: str,
    attributes: dict[str, Any],
    issues: list[dict[str, Any]],
    asin: str | None,
    now_iso: str,
) -> dict[str, Any]:
    """Insert or fully replace a listing (keeps createdDate and Amazon's FBA quantity); returns the row."""
    previous = conn.execute(
        "SELECT * FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (seller_id, marketplace_id, sku),
    ).fetchone()
    columns = derive_columns(attributes, marketplace_id, issues, previous)
    if asin is None and previous is not None:
        asin = previous["asin"]
    row = {
        "seller_id": seller_id,
        "marketplace_id": marketplace_id,
        "sku": sku,
        "asin": asin,
        "product_type": product_type,
        "attributes": json.dumps(attributes, separators=(",", ":")),
        "issues": json.dumps(issues, separators=(",", ":")),
        "created_at": previous["created_at"] if previous is not None else now_iso,
        "updated_at": now_iso,
        **columns,
    }
    conn.execute(
        "INSERT OR REPLACE INTO listings (seller_id, marketplace_id, sku, asin, product_type, "
        "condition_type, price, currency, quantity, fulfillment_channel, status, attributes, issues, "
        "created_at, updated_at) VALUES (:seller_id, :marketplace_id, :sku, :asin, :product_type, "
        ":condition_type, :price, :currency, :quantity, :fulfillment_channel, :status, :attributes, "
        ":issues, :created_at, :updated_at)",
        row,
    )
    return row


def delete_listing(conn: sqlite3.Connection, seller_id: str, marketplace_id: str, sku: str) -> bool:
    """Remove a listing; False if it did not exist."""
    cur = conn.execute(
        "DELETE FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (seller_id, marketplace_id, sku),
    )
    return cur.rowcount > 0


def fn_sku(asin: str | None, sku: str) -> str:
    """A stable FBA fulfillment network SKU for a listing."""
    return "X00" + format(zlib.crc32(f"{asin}|{sku}".encode()), "08X")[:7]


def render_item(
    rows: list[sqlite3.Row], included: list[str], catalog: dict[str, sqlite3.Row], image_base: str
) -> dict[str, Any]:
    """A Listings Items `Item` for one SKU from its rows, limited to `included` data sets."""
    item: dict[str, Any] = {"sku": rows[0]["sku"]}
    parsed = [(row, json.loads(row["attributes"]), json.loads(row["issues"])) for row in rows]
    if "summaries" in included:
        item["summaries"] = [
            _summary(row, attrs, catalog.get(row["asin"] or ""), image_base) for row, attrs, _ in parsed
        ]
    if "attributes" in included:
        merged: dict[str, list[Any]] = {}
        for _, attrs, _ in parsed:
            for name, values in attrs.items():
                merged.setdefault(name, []).extend(values if isinstance(values, list) else [values])
        item["attributes"] = merged
    if "issues" in included:
        item["issues"] = [
            {**issue, "marketplaceIds": issue.get("marketplaceIds") or [row["marketplace_id"]]}
            for row, _, issues in parsed
            for issue in issues
        ]
    if "offers" in included:
        item["offers"] = [
            {
                "marketplaceId": row["marketplace_id"],
                "offerType": "B2C",
                "price": {"currencyCode": row["currency"] or "USD", "amount": f"{row['price']:.2f}"},
                "audience": {"value": "ALL", "displayName": "Sell on Amazon"},
            }
            for row, _, _ in parsed
            if row["price"] is not None
        ]
    if "fulfillmentAvailability" in included:
        seen: dict[str, dict[str, Any]] = {}
        for row, _, _ in parsed:
            entry: dict[str, Any] = {"fulfillmentChannelCode": row["fulfillment_channel"]}
            if row["quantity"] is not None:
                entry["quantity"] = max(0, int(row["quantity"]))
            seen.setdefault(row["fulfillment_channel"], entry)
        item["fulfillmentAvailability"] = list(seen.values())
    if "productTypes" in included:
        item["productTypes"] = [
            {"marketplaceId": row["marketplace_id"], "productType": row["product_type"]}
            for row, _, _ in parsed
        ]
    if "relationships" in included:
        item["relationships"] = [
            {"marketplaceId": row["marketplace_id"], "relationships": []} for row, _, _ in parsed
        ]
    if "procurement" in included:
        item["procurement"] = []
    return item


def _summary(
    row: sqlite3.Row, attrs: dict[str, Any], catalog_item: sqlite3.Row | None, image_base: str
) -> dict:
    summary: dict[str, Any] = {
        "marketplaceId": row["marketplace_id"],
        "productType": row["product_type"],
        "status": SUMMARY_STATUS[row["status"]],
        "createdDate": row["created_at"],
        "lastUpdatedDate": row["updated_at"],
    }
    if row["asin"]:
        summary["asin"] = row["asin"]
    if row["condition_type"] in CONDITIONS:
        summary["conditionType"] = row["condition_type"]
    if is_fba(row["fulfillment_channel"]):
        summary["fnSku"] = fn_sku(row["asin"], row["sku"])
    name = _first_value(attrs, "item_name", row["marketplace_id"])
    if name is None and catalog_item is not None:
        name = catalog_item["title"]
    if name is not None:
        summary["itemName"] = str(name)
    if catalog_item is not None:
        images = json.loads(catalog_item["images"])
        if images:
            summary["mainImage"] = {
                "link": image_link(image_base, catalog_item["asin"], images[0]),
                "height": images[0]["height"],
                "width": images[0]["width"],
            }
    return summary


def image_link(base: str, asin: str, image: dict[str, Any]) -> str:
    """Absolute URL of a catalog image served by this sandbox (seeded images are SVG placeholders)."""
    return f"{base}/_sandbox/images/{asin}/{image['variant']}.svg"
