"""Sellers API v1: getMarketplaceParticipations (the connection test) and getAccount."""

from __future__ import annotations

from typing import Any

from sandbox.operations import OperationContext, operation

MODEL = "sellers"
# Registered business addresses of the demo sellers' home regions (no real people involved).
_ADDRESSES = {
    "na": {
        "addressLine1": "410 Terry Ave N",
        "city": "Seattle",
        "stateOrProvinceCode": "WA",
        "postalCode": "98109",
        "countryCode": "US",
    },
    "eu": {
        "addressLine1": "38 Avenue John F. Kennedy",
        "city": "Luxembourg",
        "postalCode": "1855",
        "countryCode": "LU",
    },
}


def participations(ctx: OperationContext) -> list[dict[str, Any]]:
    """The caller's MarketplaceParticipation list."""
    rows = ctx.store.all(
        "SELECT m.*, p.is_participating, p.has_suspended_listings, s.store_name FROM participations p "
        "JOIN marketplaces m ON m.id = p.marketplace_id JOIN sellers s ON s.seller_id = p.seller_id "
        "WHERE p.seller_id = ? ORDER BY m.id",
        (ctx.seller_id,),
    )
    return [
        {
            "marketplace": {
                "id": row["id"],
                "name": row["name"],
                "countryCode": row["country_code"],
                "defaultCurrencyCode": row["currency"],
                "defaultLanguageCode": row["language"],
                "domainName": row["domain"],
            },
            "participation": {
                "isParticipating": bool(row["is_participating"]),
                "hasSuspendedListings": bool(row["has_suspended_listings"]),
            },
            "storeName": row["store_name"],
        }
        for row in rows
    ]


@operation(MODEL, "getMarketplaceParticipations")
def get_marketplace_participations(ctx: OperationContext) -> tuple[int, dict]:
    """The marketplaces the caller's seller account is registered in."""
    return 200, {"payload": participations(ctx)}


@operation(MODEL, "getAccount")
def get_account(ctx: OperationContext) -> tuple[int, dict]:
    """The seller's account: participations, business type, selling plan and business details."""
    seller = ctx.store.one("SELECT name, region FROM sellers WHERE seller_id = ?", (ctx.seller_id,))
    payload: dict[str, Any] = {
        "marketplaceParticipationList": participations(ctx),
        "businessType": "PRIVATE_LIMITED",
        "sellingPlan": "PROFESSIONAL",
    }
    if seller is not None:
        payload["business"] = {
            "name": seller["name"],
            "registeredBusinessAddress": _ADDRESSES[seller["region"]],
        }
    return 200, {"payload": payload}
