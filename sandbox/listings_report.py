"""The GET_MERCHANT_LISTINGS_*_DATA flat file: a tab-separated document built from the listings table.

Header and values follow NOTES §5.4: the common 29-column header, the older 27/28-column ones and the
B2B extras; quantity is blank for FBA rows; open-date is locale-formatted; status Active/Inactive/
Incomplete. Test variants (see `sandbox.reports.REPORT_OPTIONS`) can drop columns, break rows or
leave the document empty, because real files do all of that to parsers.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.listing_store import is_fba

HEADER_29 = [
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "zshop-shipping-fee",
    "item-note",
    "item-condition",
    "zshop-category1",
    "zshop-browse-path",
    "zshop-storefront-feature",
    "asin1",
    "asin2",
    "asin3",
    "will-ship-internationally",
    "expedited-shipping",
    "zshop-boldface",
    "product-id",
    "bid-for-featured-placement",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
]
B2B_COLUMNS = [
    "Business Price",
    "Quantity Price Type",
    *[name for n in range(1, 6) for name in (f"Quantity Lower Bound {n}", f"Quantity Price {n}")],
    "Progressive Price Type",
    *[name for n in range(1, 4) for name in (f"Progressive Lower Bound {n}", f"Progressive Price {n}")],
]
HEADERS = {
    "29": HEADER_29,
    "28": HEADER_29[:28],
    "27": HEADER_29[:27],
    "b2b": [*HEADER_29[:27], *B2B_COLUMNS, *HEADER_29[27:]],
}

REPORT_STATUSES = {
    "GET_MERCHANT_LISTINGS_ALL_DATA": None,
    "GET_MERCHANT_LISTINGS_DATA": ("ACTIVE",),
    "GET_MERCHANT_LISTINGS_INACTIVE_DATA": ("INACTIVE", "INCOMPLETE"),
}
"""Supported report types and the listing statuses each includes (None = all)."""

STATUS_LABELS = {"ACTIVE": "Active", "INACTIVE": "Inactive", "INCOMPLETE": "Incomplete"}
# item-condition codes: 11 New, 1-4 Used, 5-8 Collectible, 10 Refurbished (NOTES §5.4).
CONDITION_CODES = {
    "new_new": "11",
    "new_open_box": "11",
    "new_oem": "11",
    "refurbished_refurbished": "10",
    "used_like_new": "1",
    "used_very_good": "2",
    "used_good": "3",
    "used_acceptable": "4",
    "collectible_like_new": "5",
    "collectible_very_good": "6",
    "collectible_good": "7",
    "collectible_acceptable": "8",
    "club_club": "11",
}
# Seller Central formats open-date in the marketplace's local time, e.g. `2013-01-07 07:35:42 PST`
# in the US and `08/07/2016 10:12:40 BST` in Europe.
_DATE_STYLE = {
    "na": ("America/Los_Angeles", "%Y-%m-%d %H:%M:%S %Z"),
    "eu": ("Europe/London", "%d/%m/%Y %H:%M:%S %Z"),
}
PRODUCT_ID_TYPES = {"asin": "1", "isbn": "2", "upc": "3", "ean": "4"}
BROKEN_EVERY = 7
"""With the broken-rows option, every 7th data row is damaged (cycling through BROKEN_KINDS)."""
BROKEN_KINDS = ("short", "extra", "bad-number", "split")


def build_rows(
    conn: sqlite3.Connection, seller_id: str, marketplace_ids: list[str], report_type: str, image_base: str
) -> list[dict[str, str]]:
    """The report's rows (column name -> value) for a seller's listings in the marketplaces, by SKU."""
    statuses = REPORT_STATUSES[report_type]
    placeholders = ",".join("?" for _ in marketplace_ids)
    sql = (
        # SQLite's JSON functions pull the few attributes the report needs far faster than json.loads.
        "SELECT l.seller_id, l.marketplace_id, l.sku, l.asin, l.price, l.quantity, l.fulfillment_channel, "
        "l.condition_type, l.status, l.created_at, m.region, c.title AS catalog_title, "
        "c.images AS catalog_images, json_extract(l.attributes, '$.item_name[0].value') AS item_name, "
        "json_extract(l.attributes, '$.product_description[0].value') AS description, "
        "json_extract(l.attributes, '$.condition_note[0].value') AS note, "
        "json_extract(l.attributes, '$.externally_assigned_product_identifier[0].type') AS id_type, "
        "json_extract(l.attributes, '$.externally_assigned_product_identifier[0].value') AS id_value, "
        "CASE WHEN instr(l.attributes, '\"B2B\"') > 0 THEN l.attributes END AS b2b_attributes "
        "FROM listings l "
        "JOIN marketplaces m ON m.id = l.marketplace_id LEFT JOIN catalog_items c ON c.asin = l.asin "
        f"WHERE l.seller_id = ? AND l.marketplace_id IN ({placeholders})"
    )
    params: list[Any] = [seller_id, *marketplace_ids]
    if statuses:
        sql += f" AND l.status IN ({','.join('?' for _ in statuses)})"
        params.extend(statuses)
    sql += " ORDER BY l.marketplace_id, l.sku"
    return [_row_values(row, image_base) for row in conn.execute(sql, params)]


def _clean(value: Any) -> str:
    """Amazon's flat files have no quoting: tabs and line breaks inside values become spaces."""
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


@lru_cache(maxsize=256)
def _main_variant(images: str | None) -> str | None:
    """Variant of the first catalog image (catalog rows share a handful of image lists, hence the cache)."""
    parsed = json.loads(images) if images else []
    return parsed[0]["variant"] if parsed else None


def _open_date(created_at: str, region: str) -> str:
    zone, fmt = _DATE_STYLE.get(region, _DATE_STYLE["na"])
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return moment.strftime(fmt)


def _business_price(attributes: dict[str, Any]) -> str:
    for offer in attributes.get("purchasable_offer") or []:
        if isinstance(offer, dict) and offer.get("audience") == "B2B":
            for price in offer.get("our_price") or []:
                for entry in price.get("schedule") or []:
                    if entry.get("value_with_tax") is not None:
                        return f"{float(entry['value_with_tax']):.2f}"
    return ""


def _row_values(row: sqlite3.Row, image_base: str) -> dict[str, str]:
    fba = is_fba(row["fulfillment_channel"])
    asin = row["asin"] or ""
    checksum = zlib.crc32(f"{row['seller_id']}|{row['marketplace_id']}|{row['sku']}".encode())
    # Most listings report the ASIN as product id; those created from a barcode keep the barcode.
    if row["id_value"] and checksum % 10 < 3:
        product_id_type = PRODUCT_ID_TYPES.get(str(row["id_type"] or "").lower(), "1")
        product_id = str(row["id_value"])
    else:
        product_id_type, product_id = "1", asin
    variant = _main_variant(row["catalog_images"])
    values = {
        "item-name": _clean(row["item_name"] or row["catalog_title"]),
        "item-description": _clean(row["description"]),
        "listing-id": row["created_at"][5:7]
        + row["created_at"][8:10]
        + format(checksum, "X").rjust(8, "0")[:7],
        "seller-sku": _clean(row["sku"]),
        "price": "" if row["price"] is None else f"{row['price']:.2f}",
        "quantity": "" if fba or row["quantity"] is None else str(row["quantity"]),
        "open-date": _open_date(row["created_at"], row["region"]),
        "image-url": f"{image_base}/_sandbox/images/{asin}/{variant}.svg" if variant and asin else "",
        "item-is-marketplace": "y",
        "product-id-type": product_id_type,
        "item-note": _clean(row["note"]),
        "item-condition": CONDITION_CODES.get(row["condition_type"] or "new_new", "11"),
        "asin1": asin,
        "product-id": product_id,
        "pending-quantity": "" if fba else "0",
        "fulfillment-channel": row["fulfillment_channel"],
        "merchant-shipping-group": "" if fba else "Migrated Template",
        "status": STATUS_LABELS.get(row["status"], "Inactive"),
        "Business Price": _business_price(json.loads(row["b2b_attributes"])) if row["b2b_attributes"] else "",
    }
    # Only the free-text fields above can hold tabs or line breaks; the rest are generated values.
    return values


def render(rows: list[dict[str, str]], options: dict[str, Any]) -> str:
    """The flat file text for `rows` under the report options (header variant, dropped columns, damage)."""
    if options.get("empty"):
        return ""
    missing = set(options.get("missing_columns") or [])
    header = [name for name in HEADERS[str(options.get("header", "29"))] if name not in missing]
    lines = ["\t".join(header)]
    for index, values in enumerate(rows, start=1):
        fields = [values.get(name, "") for name in header]
        if options.get("broken_rows") and index % BROKEN_EVERY == 0:
            lines.append(
                _damage(fields, header, BROKEN_KINDS[(index // BROKEN_EVERY - 1) % len(BROKEN_KINDS)])
            )
        else:
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def _damage(fields: list[str], header: list[str], kind: str) -> str:
    """One damaged line, as seen in real downloads: cut short, an extra field, junk numbers, a split line."""
    if kind == "short":
        return "\t".join(fields[: max(1, len(fields) - 3)])
    if kind == "extra":
        return "\t".join([*fields, "UNEXPECTED"])
    if kind == "bad-number":
        damaged = list(fields)
        for name, junk in (("price", "N/A"), ("quantity", "1.234,00")):
            if name in header:
                damaged[header.index(name)] = junk
        return "\t".join(damaged)
    damaged = list(fields)
    damaged[0] = damaged[0][: len(damaged[0]) // 2] + "\n" + damaged[0][len(damaged[0]) // 2 :]
    return "\t".join(damaged)
