"""Selling Partner API roles: which role each operation Shelfsync calls needs (for the help on a 403).

Source: Amazon's developer documentation, "Roles in the Selling Partner API" (role → APIs). Orders
2026-01-01 gives buyer and recipient data (``includedData`` BUYER, RECIPIENT) by role, without a
Restricted Data Token: the restricted Direct-to-Consumer Shipping role.
"""

from __future__ import annotations

PRODUCT_LISTING = "Product Listing"
ORDER_TRACKING = "Inventory and Order Tracking"
BUYER_DATA = "Direct-to-Consumer Shipping (Restricted)"

_ROLE_BY_OPERATION = {
    **dict.fromkeys(
        (
            "getListingsItem",
            "putListingsItem",
            "patchListingsItem",
            "deleteListingsItem",
            "searchListingsItems",
            "searchCatalogItems",
            "getCatalogItem",
            "getDefinitionsProductType",
            "createFeed",
            "createFeedDocument",
            "getFeed",
            "getFeedDocument",
            "createReport",
            "getReport",
            "getReportDocument",
        ),
        PRODUCT_LISTING,
    ),
    **dict.fromkeys(("searchOrders", "getOrder", "confirmShipment"), ORDER_TRACKING),
}


def role_for(operation: str) -> str | None:
    """The role an operation needs, or None when any role will do (getMarketplaceParticipations)."""
    return _ROLE_BY_OPERATION.get(operation)
