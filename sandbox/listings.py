"""Listings Items API 2021-08-01: get, put, patch, delete and search listings items."""

from __future__ import annotations

import base64
import json
from typing import Any

from sandbox import listing_rules, listing_store
from sandbox.errors import ApiError
from sandbox.operations import OperationContext, operation
from sandbox.seed import MARKETPLACE_BY_ID

MODEL = "listingsItems_2021-08-01"
# Amazon only pages through the first 1000 SKUs of a search (use the listings report beyond that).
SEARCH_LIMIT = 1000
_SORT_COLUMNS = {"sku": "sku", "createdDate": "created_at", "lastUpdatedDate": "updated_at"}


def _one_marketplace(ctx: OperationContext) -> str:
    marketplace_ids = ctx.marketplace_ids()
    if len(marketplace_ids) != 1:
        raise ApiError(400, "InvalidInput", "Exactly one marketplaceIds value is allowed for this operation.")
    return _known(marketplace_ids)[0]


def _known(marketplace_ids: list[str]) -> list[str]:
    unknown = [m for m in marketplace_ids if m not in MARKETPLACE_BY_ID]
    if unknown:
        raise ApiError(400, "InvalidInput", f"Invalid marketplaceIds: {', '.join(unknown)}.")
    return marketplace_ids


def _catalog_for(ctx: OperationContext, asins: set[str]) -> dict[str, Any]:
    if not asins:
        return {}
    marks = ",".join("?" * len(asins))
    return {
        r["asin"]: r
        for r in ctx.store.all(f"SELECT * FROM catalog_items WHERE asin IN ({marks})", tuple(asins))
    }


@operation(MODEL, "getListingsItem")
def get_listings_item(ctx: OperationContext) -> tuple[int, dict]:
    """One listing (SKU) with the requested data sets; 404 if the SKU is not listed in those marketplaces."""
    marketplace_ids = _known(ctx.marketplace_ids())
    sku = ctx.params["sku"]
    rows = listing_store.get_rows(ctx.store.conn, ctx.seller_id, sku, marketplace_ids)
    if not rows:
        raise ApiError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {', '.join(marketplace_ids)}")
    included = ctx.params.get("includedData") or ["summaries"]
    catalog = _catalog_for(ctx, {r["asin"] for r in rows if r["asin"]})
    return 200, listing_store.render_item(rows, included, catalog, ctx.base_url)


@operation(MODEL, "putListingsItem")
def put_listings_item(ctx: OperationContext) -> tuple[int, dict]:
    """Create or fully replace a listing (or only validate it with mode=VALIDATION_PREVIEW)."""
    marketplace_id = _one_marketplace(ctx)
    with ctx.store.transaction() as conn:
        submission = listing_rules.submit_put(
            conn,
            seller_id=ctx.seller_id,
            marketplace_id=marketplace_id,
            sku=ctx.params["sku"],
            product_type=ctx.body["productType"],
            requirements=ctx.body.get("requirements"),
            attributes=ctx.body["attributes"],
            now=ctx.now,
            preview=ctx.params.get("mode") == "VALIDATION_PREVIEW",
        )
    return 200, submission.response(marketplace_id, ctx.params.get("includedData") or ["issues"])


@operation(MODEL, "patchListingsItem")
def patch_listings_item(ctx: OperationContext) -> tuple[int, dict]:
    """Apply add/replace/merge/delete patches to top-level attributes of an existing listing."""
    marketplace_id = _one_marketplace(ctx)
    with ctx.store.transaction() as conn:
        submission = listing_rules.submit_patch(
            conn,
            seller_id=ctx.seller_id,
            marketplace_id=marketplace_id,
            sku=ctx.params["sku"],
            product_type=ctx.body["productType"],
            patches=ctx.body["patches"],
            now=ctx.now,
            preview=ctx.params.get("mode") == "VALIDATION_PREVIEW",
        )
    return 200, submission.response(marketplace_id, ctx.params.get("includedData") or ["issues"])


@operation(MODEL, "deleteListingsItem")
def delete_listings_item(ctx: OperationContext) -> tuple[int, dict]:
    """Delete the listing in one marketplace."""
    marketplace_id = _one_marketplace(ctx)
    with ctx.store.transaction() as conn:
        submission = listing_rules.submit_delete(
            conn, seller_id=ctx.seller_id, marketplace_id=marketplace_id, sku=ctx.params["sku"], now=ctx.now
        )
    return 200, submission.response(marketplace_id, ["issues"])


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _page_offset(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, "InvalidInput", "Invalid pageToken.") from exc
    if offset < 0 or offset >= SEARCH_LIMIT:
        raise ApiError(400, "InvalidInput", f"Only the first {SEARCH_LIMIT} results can be paged.")
    return offset


def _identifier_filter(ctx: OperationContext) -> tuple[str, list[Any]]:
    identifiers = ctx.params.get("identifiers")
    kind = ctx.params.get("identifiersType")
    if not identifiers:
        if kind:
            raise ApiError(400, "InvalidInput", "identifiersType requires identifiers.")
        return "", []
    if not kind:
        raise ApiError(400, "InvalidInput", "identifiers requires identifiersType.")
    marks = ",".join("?" * len(identifiers))
    if kind == "SKU":
        return f" AND sku IN ({marks})", list(identifiers)
    if kind == "ASIN":
        return f" AND asin IN ({marks})", list(identifiers)
    if kind in {"UPC", "EAN", "GTIN", "JAN", "ISBN"}:
        column = "upc" if kind == "UPC" else "ean"
        if kind == "GTIN":
            return (
                f" AND asin IN (SELECT asin FROM catalog_items WHERE upc IN ({marks}) OR ean IN ({marks}))",
                [g.zfill(14)[2:] for g in identifiers] + [g.zfill(14)[1:] for g in identifiers],
            )
        return f" AND asin IN (SELECT asin FROM catalog_items WHERE {column} IN ({marks}))", list(identifiers)
    raise ApiError(400, "InvalidInput", f"identifiersType {kind} is not supported by this sandbox.")


@operation(MODEL, "searchListingsItems")
def search_listings_items(ctx: OperationContext) -> tuple[int, dict]:
    """Search a seller's listings in one marketplace with filters, sorting and paging (first 1000 only)."""
    marketplace_id = _known(ctx.marketplace_ids())[0]
    where = "seller_id = ? AND marketplace_id = ?"
    args: list[Any] = [ctx.seller_id, marketplace_id]
    clause, values = _identifier_filter(ctx)
    where += clause
    args += values
    for param, op in (
        ("createdAfter", ">="),
        ("createdBefore", "<="),
        ("lastUpdatedAfter", ">="),
        ("lastUpdatedBefore", "<="),
    ):
        if ctx.params.get(param):
            column = "created_at" if param.startswith("created") else "updated_at"
            where += f" AND {column} {op} ?"
            args.append(ctx.params[param][:19] + "Z")
    statuses = {"BUYABLE": ("ACTIVE",), "DISCOVERABLE": ("ACTIVE", "INACTIVE")}
    for status in ctx.params.get("withStatus") or []:
        where += f" AND status IN ({','.join('?' * len(statuses[status]))})"
        args += statuses[status]
    for status in ctx.params.get("withoutStatus") or []:
        where += f" AND status NOT IN ({','.join('?' * len(statuses[status]))})"
        args += statuses[status]
    severities = ctx.params.get("withIssueSeverity") or []
    if severities:
        where += " AND (" + " OR ".join("issues LIKE ?" for _ in severities) + ")"
        args += [f'%"severity":"{s}"%' for s in severities]
    total = ctx.store.one(f"SELECT COUNT(*) AS n FROM listings WHERE {where}", tuple(args))["n"]
    page_size = ctx.params.get("pageSize", 10)
    offset = _page_offset(ctx.params["pageToken"]) if ctx.params.get("pageToken") else 0
    page_size = min(page_size, SEARCH_LIMIT - offset)
    column = _SORT_COLUMNS[ctx.params.get("sortBy", "lastUpdatedDate")]
    order = ctx.params.get("sortOrder", "DESC")
    rows = ctx.store.all(
        f"SELECT * FROM listings WHERE {where} ORDER BY {column} {order}, sku {order} LIMIT ? OFFSET ?",
        (*args, page_size, offset),
    )
    included = ctx.params.get("includedData") or ["summaries"]
    catalog = _catalog_for(ctx, {r["asin"] for r in rows if r["asin"]})
    pagination: dict[str, str] = {}
    if offset + len(rows) < min(total, SEARCH_LIMIT):
        pagination["nextToken"] = _page_token(offset + len(rows))
    if offset > 0:
        pagination["previousToken"] = _page_token(max(0, offset - ctx.params.get("pageSize", 10)))
    body: dict[str, Any] = {
        "numberOfResults": total,
        "items": [listing_store.render_item([row], included, catalog, ctx.base_url) for row in rows],
    }
    if pagination:
        body["pagination"] = pagination
    return 200, body
