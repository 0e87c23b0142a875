"""Selling Partner API roles: which role an operation needs, and which roles a seller's authorization lacks.

From Amazon's developer documentation ("Roles in the Selling Partner API"): an application is granted
roles at registration; a call outside them is answered 403 ``Unauthorized`` / "Access to requested
resource is denied." with empty details (public threads show the same body for every such refusal,
amzn/selling-partner-api-models issues 826, 943, 2623), whereas a bad or expired token names the token
in ``details``. Orders 2026-01-01 gives buyer and recipient data by role, without a Restricted Data
Token: asking for ``BUYER`` or ``RECIPIENT`` needs the restricted Direct-to-Consumer Shipping role.

By default a seller's authorization has every role; tests and demos take roles away per seller.
"""

from __future__ import annotations

from typing import Any

from sandbox.db import Store, register_schema

register_schema(
    """
CREATE TABLE IF NOT EXISTS role_denials (
    seller_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (seller_id, role)
)
""",
    data_tables=("role_denials",),
)

PRODUCT_LISTING = "Product Listing"
ORDER_TRACKING = "Inventory and Order Tracking"
DIRECT_TO_CONSUMER_SHIPPING = "Direct-to-Consumer Shipping (Restricted)"
ROLES = (PRODUCT_LISTING, ORDER_TRACKING, DIRECT_TO_CONSUMER_SHIPPING)

# Operation prefixes (by model) and the role that covers them; Sellers and Tokens need no particular role.
_MODEL_ROLES = {
    "listingsItems": PRODUCT_LISTING,
    "catalogItems": PRODUCT_LISTING,
    "definitionsProductTypes": PRODUCT_LISTING,
    "feeds": PRODUCT_LISTING,
    "reports": PRODUCT_LISTING,
    "orders": ORDER_TRACKING,
    "ordersV0": ORDER_TRACKING,
}
RESTRICTED_ORDER_DATA = {"BUYER", "RECIPIENT"}


def required_roles(model: str, params: dict[str, Any]) -> set[str]:
    """The roles a call of an operation of ``model`` with these parameters needs."""
    family = model.split("_", 1)[0]
    roles = {_MODEL_ROLES[family]} if family in _MODEL_ROLES else set()
    if family == "orders" and RESTRICTED_ORDER_DATA & set(params.get("includedData") or ()):
        roles.add(DIRECT_TO_CONSUMER_SHIPPING)
    return roles


def denied_roles(store: Store, seller_id: str) -> set[str]:
    """Roles the seller's authorization of the application lacks."""
    rows = store.all("SELECT role FROM role_denials WHERE seller_id = ?", (seller_id,))
    return {row["role"] for row in rows}


def deny_role(store: Store, seller_id: str, role: str) -> None:
    """Take a role away from the seller's authorization (ValueError for a role the sandbox does not know)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    store.execute("INSERT OR IGNORE INTO role_denials (seller_id, role) VALUES (?, ?)", (seller_id, role))


def grant_role(store: Store, seller_id: str, role: str) -> None:
    """Give a role back."""
    store.execute("DELETE FROM role_denials WHERE seller_id = ? AND role = ?", (seller_id, role))
