"""Listings Items submissions (put, patch, delete) with Amazon-like validation issues.

Used by the Listings Items API and by JSON_LISTINGS_FEED processing, so both behave the same.
Accepted submissions are applied at once (Amazon queues them; the observable end state is the same).
Issue codes follow Amazon's numeric style (e.g. 90220 missing attribute, 8541 conflicting identifiers).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox import catalog_store, listing_store
from sandbox.clock import iso
from sandbox.product_types import ATTRIBUTES, PRODUCT_TYPES, REQUIRED, attribute_validator

SELECTORS = ("marketplace_id", "language_tag", "audience", "currency", "fulfillment_channel_code", "type")
_PATCH_PATH = re.compile(r"^/attributes/([a-z0-9_]+)$")


@dataclass
class Submission:
    """Outcome of a submission: ACCEPTED / INVALID (or VALID in preview), issues, the ASIN if known."""

    sku: str
    status: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    asin: str | None = None
    submission_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def response(self, marketplace_id: str, included: list[str]) -> dict[str, Any]:
        """The ListingsItemSubmissionResponse body (`included` = includedData of the request)."""
        body: dict[str, Any] = {"sku": self.sku, "status": self.status, "submissionId": self.submission_id}
        if "issues" in included:
            body["issues"] = self.issues
        if "identifiers" in included and self.asin:
            body["identifiers"] = [{"marketplaceId": marketplace_id, "asin": self.asin}]
        return body


def issue(
    code: str, message: str, severity: str, attributes: list[str] | None, category: str
) -> dict[str, Any]:
    """An Issue object as the Listings Items API returns it."""
    result: dict[str, Any] = {
        "code": code,
        "message": message,
        "severity": severity,
        "categories": [category],
    }
    if attributes:
        result["attributeNames"] = attributes
    return result


def _errors(issues: list[dict[str, Any]]) -> bool:
    return any(i["severity"] == "ERROR" for i in issues)


def _first(attributes: dict[str, Any], name: str) -> dict[str, Any] | None:
    values = attributes.get(name)
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return values[0]
    return None


def _check_attributes(attributes: dict[str, Any], product_type: str) -> list[dict[str, Any]]:
    """Unknown attributes (dropped with a WARNING) and schema violations (ERROR)."""
    issues = []
    for name in list(attributes):
        if name not in ATTRIBUTES:
            attributes.pop(name)
            issues.append(
                issue(
                    "99022",
                    f"The attribute '{name}' is not applicable to product type "
                    f"{product_type} and was ignored.",
                    "WARNING",
                    [name],
                    "INVALID_ATTRIBUTE",
                )
            )
    for error in attribute_validator().iter_errors(attributes):
        name = str(error.absolute_path[0]) if error.absolute_path else "attributes"
        issues.append(
            issue(
                "4000001",
                f"The value provided for '{name}' is invalid: {error.message}",
                "ERROR",
                [name],
                "INVALID_ATTRIBUTE",
            )
        )
    return issues


def _check_offer(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """Fulfillment rules: one channel per offer; FBA quantity is Amazon's. Condition note on new items."""
    issues = []
    availability = attributes.get("fulfillment_availability") or []
    channels = {a.get("fulfillment_channel_code") for a in availability if isinstance(a, dict)}
    if len(channels) > 1:
        issues.append(
            issue(
                "8105",
                "An offer can have only one fulfillment channel; send either DEFAULT or "
                "one AMAZON_* channel.",
                "ERROR",
                ["fulfillment_availability"],
                "INVALID_ATTRIBUTE",
            )
        )
    for entry in availability:
        if (
            isinstance(entry, dict)
            and listing_store.is_fba(entry.get("fulfillment_channel_code"))
            and ("quantity" in entry)
        ):
            entry.pop("quantity")
            issues.append(
                issue(
                    "18316",
                    "Quantity for Amazon-fulfilled offers comes from inventory in Amazon's "
                    "fulfillment centers; the quantity provided was ignored.",
                    "WARNING",
                    ["fulfillment_availability"],
                    "INVALID_ATTRIBUTE",
                )
            )
    condition = _first(attributes, "condition_type")
    if condition and str(condition.get("value", "")).startswith("new_") and attributes.get("condition_note"):
        issues.append(
            issue(
                "99040",
                "A condition note is not allowed for new items; it was ignored.",
                "WARNING",
                ["condition_note"],
                "INVALID_ATTRIBUTE",
            )
        )
    return issues


def _check_identity(
    conn: sqlite3.Connection, seller_id: str, requirements: str, attributes: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None, sqlite3.Row | None]:
    """Product ID checks, ASIN resolution and brand gating. Returns issues, ASIN, catalog item."""
    issues: list[dict[str, Any]] = []
    suggested = _first(attributes, "merchant_suggested_asin")
    suggested_asin = str(suggested.get("value")) if suggested and suggested.get("value") else None
    external = _first(attributes, "externally_assigned_product_identifier")
    external_item = None
    if external is not None:
        value = external.get("value")
        if not value:
            issues.append(
                issue(
                    "8572",
                    f"A product ID type ({external.get('type')}) was provided without a product ID value.",
                    "ERROR",
                    ["externally_assigned_product_identifier"],
                    "MISSING_ATTRIBUTE",
                )
            )
        else:
            external_item = catalog_store.find_by_identifier(conn, str(external.get("type", "")), str(value))
    item = None
    if suggested_asin:
        item = catalog_store.get_item(conn, suggested_asin)
        if item is None:
            issues.append(
                issue(
                    "8566",
                    f"The ASIN {suggested_asin} does not exist in the Amazon catalog.",
                    "ERROR",
                    ["merchant_suggested_asin"],
                    "INVALID_ATTRIBUTE",
                )
            )
        elif external_item is not None and external_item["asin"] != suggested_asin:
            issues.append(
                issue(
                    "8541",
                    f"The product identifier {external.get('value')} belongs to ASIN "
                    f"{external_item['asin']}, which conflicts with merchant_suggested_asin "
                    f"{suggested_asin}.",
                    "ERROR",
                    ["merchant_suggested_asin", "externally_assigned_product_identifier"],
                    "INVALID_ATTRIBUTE",
                )
            )
    elif external_item is not None:
        item = external_item
    brand_attr = _first(attributes, "brand")
    # A gated catalog item is checked against its own brand, whatever brand the seller typed.
    if item is not None and item["restricted"]:
        brand: str | None = item["brand"]
    elif brand_attr and brand_attr.get("value"):
        brand = str(brand_attr["value"])
        brand = brand if catalog_store.brand_is_restricted(conn, brand) else None
    else:
        brand = None
    if brand and not catalog_store.seller_approved(conn, seller_id, brand):
        issues.append(
            issue(
                "5461",
                f"You need approval to list products of the brand '{brand}'.",
                "ERROR",
                ["brand"],
                "QUALIFICATION_REQUIRED",
            )
        )
    if requirements == "LISTING_OFFER_ONLY" and item is None and not _errors(issues):
        issues.append(
            issue(
                "8566",
                "An offer needs an existing ASIN: provide merchant_suggested_asin or a product "
                "ID found in the catalog.",
                "ERROR",
                ["merchant_suggested_asin"],
                "MISSING_ATTRIBUTE",
            )
        )
    return issues, (item["asin"] if item is not None else None), item


def submit_put(
    conn: sqlite3.Connection,
    *,
    seller_id: str,
    marketplace_id: str,
    sku: str,
    product_type: str,
    requirements: str | None,
    attributes: dict[str, Any],
    now: float,
    preview: bool = False,
) -> Submission:
    """Create or fully replace a listing (putListingsItem / feed UPDATE)."""
    requirements = requirements or "LISTING"
    attributes = copy.deepcopy(attributes)
    if product_type not in PRODUCT_TYPES:
        return Submission(
            sku,
            "INVALID",
            [
                issue(
                    "4000003",
                    f"The product type '{product_type}' is not valid for this marketplace.",
                    "ERROR",
                    None,
                    "INVALID_ATTRIBUTE",
                )
            ],
        )
    issues = [
        issue("90220", f"'{name}' is required but not supplied.", "ERROR", [name], "MISSING_ATTRIBUTE")
        for name in REQUIRED[requirements]
        if not attributes.get(name)
    ]
    issues += _check_attributes(attributes, product_type)
    issues += _check_offer(attributes)
    identity_issues, asin, item = _check_identity(conn, seller_id, requirements, attributes)
    issues += identity_issues
    if _errors(issues):
        return Submission(sku, "INVALID", issues, asin)
    if preview:
        return Submission(sku, "VALID", issues, asin)
    if asin is None and requirements != "LISTING_OFFER_ONLY":
        asin = _create_catalog_item(conn, attributes, product_type)
    listing_store.write_listing(
        conn,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        sku=sku,
        product_type=product_type,
        attributes=attributes,
        issues=[i for i in issues if i["severity"] != "ERROR"],
        asin=asin,
        now_iso=iso(now),
    )
    return Submission(sku, "ACCEPTED", issues, asin)


def _create_catalog_item(conn: sqlite3.Connection, attributes: dict[str, Any], product_type: str) -> str:
    """A new ASIN for a product that is not in the catalog yet (LISTING / LISTING_PRODUCT_ONLY)."""
    asin = "B0" + "".join(secrets.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
    name = _first(attributes, "item_name") or {}
    brand = _first(attributes, "brand") or {}
    external = _first(attributes, "externally_assigned_product_identifier") or {}
    kind, value = str(external.get("type", "")), external.get("value")
    conn.execute(
        "INSERT INTO catalog_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (
            asin,
            value if kind == "upc" else None,
            value if kind in {"ean", "jan"} else None,
            brand.get("value", ""),
            brand.get("value", ""),
            product_type,
            name.get("value", ""),
            json.dumps([{"variant": "MAIN", "height": 500, "width": 500}]),
        ),
    )
    return asin


def _matches(entry: dict[str, Any], other: dict[str, Any]) -> bool:
    return all(entry.get(key) == other.get(key) for key in SELECTORS if key in entry or key in other)


def apply_patches(
    attributes: dict[str, Any], patches: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Apply JSON-Patch-like operations on top-level attributes; returns new attributes and issues."""
    result = copy.deepcopy(attributes)
    issues: list[dict[str, Any]] = []
    for patch in patches:
        match = _PATCH_PATH.match(str(patch.get("path", "")))
        if match is None:
            issues.append(
                issue(
                    "4000004",
                    f"Invalid patch path '{patch.get('path')}': only top-level attributes "
                    "(/attributes/<name>) can be patched.",
                    "ERROR",
                    None,
                    "INVALID_ATTRIBUTE",
                )
            )
            continue
        name, op, value = match.group(1), patch.get("op"), copy.deepcopy(patch.get("value") or [])
        if op in {"add", "replace"}:
            if not value:
                issues.append(
                    issue(
                        "4000005",
                        f"A value is required to {op} '{name}'.",
                        "ERROR",
                        [name],
                        "MISSING_ATTRIBUTE",
                    )
                )
                continue
            result[name] = value
        elif op == "merge":
            if name == "fulfillment_availability" and any("fulfillment_channel_code" not in v for v in value):
                issues.append(
                    issue(
                        "4000006",
                        "Merging 'fulfillment_availability' needs fulfillment_channel_code in every value.",
                        "ERROR",
                        [name],
                        "MISSING_ATTRIBUTE",
                    )
                )
                continue
            entries = result.setdefault(name, [])
            for new in value:
                target = next((e for e in entries if isinstance(e, dict) and _matches(e, new)), None)
                if target is None:
                    entries.append(new)
                else:
                    target.update(new)
        elif op == "delete":
            if value:
                kept = [e for e in result.get(name, []) if not any(_matches(e, v) for v in value)]
                if kept:
                    result[name] = kept
                else:
                    result.pop(name, None)
            else:
                result.pop(name, None)
    return result, issues


def submit_patch(
    conn: sqlite3.Connection,
    *,
    seller_id: str,
    marketplace_id: str,
    sku: str,
    product_type: str,
    patches: list[dict[str, Any]],
    now: float,
    preview: bool = False,
) -> Submission:
    """Modify an existing listing (patchListingsItem / feed PATCH and PARTIAL_UPDATE)."""
    rows = listing_store.get_rows(conn, seller_id, sku, [marketplace_id])
    if not rows:
        return Submission(
            sku,
            "INVALID",
            [
                issue(
                    "4000002",
                    f"The SKU '{sku}' does not exist for this seller in marketplace {marketplace_id}.",
                    "ERROR",
                    None,
                    "INVALID_ATTRIBUTE",
                )
            ],
        )
    row = rows[0]
    attributes, issues = apply_patches(json.loads(row["attributes"]), patches)
    patched = {m.group(1) for p in patches if (m := _PATCH_PATH.match(str(p.get("path", ""))))}
    issues += [
        issue("90220", f"'{name}' is required but not supplied.", "ERROR", [name], "MISSING_ATTRIBUTE")
        for name in REQUIRED["LISTING_OFFER_ONLY"]
        if name in patched and not attributes.get(name) and json.loads(row["attributes"]).get(name)
    ]
    issues += _check_attributes(attributes, product_type)
    issues += _check_offer(attributes)
    if _errors(issues):
        return Submission(sku, "INVALID", issues, row["asin"])
    if preview:
        return Submission(sku, "VALID", issues, row["asin"])
    kept = [i for i in json.loads(row["issues"]) if not set(i.get("attributeNames") or []) & patched]
    listing_store.write_listing(
        conn,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        sku=sku,
        product_type=product_type or row["product_type"],
        attributes=attributes,
        issues=kept + issues,
        asin=row["asin"],
        now_iso=iso(now),
    )
    return Submission(sku, "ACCEPTED", issues, row["asin"])


def submit_delete(
    conn: sqlite3.Connection,
    *,
    seller_id: str,
    marketplace_id: str,
    sku: str,
    now: float,
    preview: bool = False,
) -> Submission:
    """Delete a listing (deleteListingsItem / feed DELETE)."""
    rows = listing_store.get_rows(conn, seller_id, sku, [marketplace_id])
    if not rows:
        return Submission(
            sku,
            "INVALID",
            [
                issue(
                    "4000002",
                    f"The SKU '{sku}' does not exist for this seller in marketplace {marketplace_id}.",
                    "ERROR",
                    None,
                    "INVALID_ATTRIBUTE",
                )
            ],
        )
    if not preview:
        listing_store.delete_listing(conn, seller_id, marketplace_id, sku)
    return Submission(sku, "VALID" if preview else "ACCEPTED", [], rows[0]["asin"])
