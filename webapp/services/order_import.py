"""Saving Orders 2026-01-01 ``Order`` objects: new orders inserted once, imported ones kept current.

Idempotence and concurrency come from the database, not from locks: an order is inserted with
``INSERT ... ON CONFLICT (channel_id, amazon_order_id) DO NOTHING RETURNING id`` (SQLite and PostgreSQL
both support it), and its items only when that insert returned a row. Two Get Orders runs of the same
channel can therefore read the same page at the same time: exactly one of them inserts each order.
Updates are guarded by Amazon's ``lastUpdatedTime`` so an older answer never overwrites a newer one.

Nothing here commits or writes notifications: the job commits a page at a time and reports what the
returned :class:`PageResult` says, so an order is never committed without its items.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import (
    AttentionCode,
    Channel,
    FulfilledBy,
    ListingVariant,
    Order,
    OrderCursor,
    OrderItem,
    OrderStatus,
    OrderSyncState,
    RoutingState,
)
from webapp.models.order import CLOSED_STATUSES
from webapp.services.shipping_mappings import level_label

# Optional data sets Get Orders asks for: buyer, delivery address, fulfilment (status, level, windows),
# and the merchant order's packages (their reference ids, so ours never reuse one of Amazon's).
INCLUDED_DATA = ("BUYER", "RECIPIENT", "FULFILLMENT", "PACKAGES")
# The ones Amazon gives only to applications with a restricted role (webapp.amazon.roles.BUYER_DATA).
BUYER_DATA = frozenset({"BUYER", "RECIPIENT"})


@dataclass
class OrderNews:
    """Something the run log should say about one order (never its buyer's data)."""

    amazon_order_id: str
    code: str
    message: str
    help: str = ""


@dataclass
class PageResult:
    """What saving one page of orders did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    not_imported: int = 0  # cursor search: orders we never imported (outside the window or statuses)
    new_merchant_orders: int = 0
    flagged: list[OrderNews] = field(default_factory=list)
    changes: list[OrderNews] = field(default_factory=list)
    latest_update: datetime | None = None


def parse_time(value: str | None) -> datetime | None:
    """Amazon's ISO 8601 time as the naive UTC datetime the database stores."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def buyer_name_digest(name: str | None) -> str | None:
    """Keyed digest of a buyer name (case and spacing ignored) for exact-name search; None for no name."""
    if not name or not name.strip():
        return None
    normalized = " ".join(name.casefold().split())
    key = f"buyer-name:{current_app.config['SECRET_KEY']}".encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def _window(fulfillment: dict, name: str) -> tuple[datetime | None, datetime | None]:
    window = fulfillment.get(name) or {}
    return parse_time(window.get("earliestDateTime")), parse_time(window.get("latestDateTime"))


def _pii(payload: dict) -> dict[str, Any]:
    """The buyer and address columns present in the payload (absent ones are left out, not cleared)."""
    buyer = payload.get("buyer") or {}
    address = (payload.get("recipient") or {}).get("deliveryAddress") or {}
    values = {
        "buyer_name": buyer.get("buyerName"),
        "buyer_email": buyer.get("buyerEmail"),
        "buyer_company": buyer.get("buyerCompanyName") or address.get("companyName"),
        "buyer_phone": address.get("phone"),
        "recipient_name": address.get("name"),
        "address_line1": address.get("addressLine1"),
        "address_line2": address.get("addressLine2"),
        "address_line3": address.get("addressLine3"),
        "city": address.get("city"),
        "state_or_region": address.get("stateOrRegion"),
        "postal_code": address.get("postalCode"),
        "country_code": address.get("countryCode"),
        "address_type": address.get("addressType"),
    }
    values = {key: value for key, value in values.items() if value}
    if "buyer_name" in values:
        values["buyer_name_digest"] = buyer_name_digest(values["buyer_name"])
    return values


def _items(payload: dict) -> list[dict[str, Any]]:
    rows = []
    for item in payload.get("orderItems") or []:
        product = item.get("product") or {}
        price = ((product.get("price") or {}).get("unitPrice")) or {}
        rows.append(
            {
                "amazon_order_item_id": str(item["orderItemId"]),
                "sku": product.get("sellerSku") or "",
                "asin": product.get("asin") or "",
                "title": product.get("title") or "",
                "quantity_ordered": int(item.get("quantityOrdered") or 0),
                "quantity_shipped": int((item.get("fulfillment") or {}).get("quantityFulfilled") or 0),
                "unit_price": _decimal(price.get("amount")),
                "currency": price.get("currencyCode") or "",
            }
        )
    return rows


def highest_package_reference(payload: dict) -> int | None:
    """The highest numeric ``packageReferenceId`` among the order's packages on Amazon, or None.

    Sync Orders sends positive numbers only (Amazon's rule for confirmShipment), so a non-numeric
    reference cannot collide with ours and is ignored.
    """
    references = [
        int(reference)
        for package in payload.get("packages") or []
        if (reference := str(package.get("packageReferenceId") or "").strip()).isdigit()
    ]
    return max(references) if references else None


def _total(items: list[dict[str, Any]]) -> Decimal | None:
    if not items or any(item["unit_price"] is None for item in items):
        return None  # Pending orders carry no prices yet
    return sum((item["unit_price"] * item["quantity_ordered"] for item in items), Decimal("0"))


def _state_times(status: str, updated: datetime) -> dict[str, datetime]:
    if status == OrderStatus.SHIPPED:
        return {"shipped_at": updated}
    if status == OrderStatus.CANCELLED:
        return {"cancelled_at": updated}
    return {}


def _insert_ignore(table: sa.Table, values: dict[str, Any], keys: list[str]) -> int | None:
    """Insert a row unless one with the same ``keys`` exists; returns the new id, or None when it existed."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise RuntimeError(f"insert-or-ignore is not implemented for {dialect}")
    statement = (
        insert(table).values(**values).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    )
    return db.session.execute(statement).scalar()


class OrderSaver:
    """Saves pages of Amazon orders for one channel (shipping policies and SKU matches looked up per page)."""

    def __init__(self, channel: Channel, policies: dict[str, str]) -> None:
        """``policies``: the channel's ``{service level: shipping policy}`` mappings."""
        self.channel = channel
        self.policies = policies

    def save_page(self, payloads: list[dict], *, import_new: bool) -> PageResult:
        """Insert the orders not imported yet (when ``import_new``) and update the imported ones that
        changed on Amazon since we saved them. The caller commits."""
        result = PageResult()
        if not payloads:
            return result
        ids = [str(p["orderId"]) for p in payloads]
        existing = {
            row.amazon_order_id: row
            for row in db.session.execute(
                sa.select(Order.id, Order.amazon_order_id, Order.status, Order.amazon_updated_at).where(
                    Order.channel_id == self.channel.id, Order.amazon_order_id.in_(ids)
                )
            )
        }
        skus = {item["sku"] for p in payloads for item in _items(p) if item["sku"]}
        variants = dict(
            db.session.execute(
                sa.select(ListingVariant.sku, ListingVariant.id).where(
                    ListingVariant.channel_id == self.channel.id, ListingVariant.sku.in_(skus)
                )
            ).all()
        )
        for payload in payloads:
            updated = parse_time(payload.get("lastUpdatedTime"))
            if updated and (result.latest_update is None or updated > result.latest_update):
                result.latest_update = updated
            row = existing.get(str(payload["orderId"]))
            if row is not None:
                self._update(row, payload, result)
            elif import_new:
                self._insert(payload, variants, result)
            else:
                result.not_imported += 1
        return result

    def _insert(self, payload: dict, variants: dict[str, int], result: PageResult) -> None:
        amazon_id = str(payload["orderId"])
        fulfillment = payload.get("fulfillment") or {}
        status = fulfillment.get("fulfillmentStatus") or ""
        fba = fulfillment.get("fulfilledBy") == FulfilledBy.AMAZON
        level = fulfillment.get("fulfillmentServiceLevel") or ""
        items = _items(payload)
        updated = parse_time(payload.get("lastUpdatedTime")) or parse_time(payload["createdTime"])
        open_merchant_order = not fba and status not in CLOSED_STATUSES
        attention = self._attention(amazon_id, level, items, variants) if open_merchant_order else []
        ship_by = _window(fulfillment, "shipByWindow")
        deliver_by = _window(fulfillment, "deliverByWindow")
        if fba or not open_merchant_order:
            routing, sync = RoutingState.NOT_APPLICABLE, OrderSyncState.NOT_APPLICABLE
            if not fba:
                sync = OrderSyncState.NOTHING_TO_SYNC
        else:
            unknown = any(a["code"] == AttentionCode.UNKNOWN_SKU for a in attention)
            routing = RoutingState.NEEDS_ATTENTION if unknown else RoutingState.PENDING
            sync = OrderSyncState.NOTHING_TO_SYNC
        values = {
            "account_id": self.channel.account_id,
            "channel_id": self.channel.id,
            "amazon_order_id": amazon_id,
            "marketplace_id": (payload.get("salesChannel") or {}).get("marketplaceId") or "",
            "status": status,
            "fulfilled_by": FulfilledBy.AMAZON.value if fba else FulfilledBy.MERCHANT.value,
            "purchased_at": parse_time(payload["createdTime"]),
            "amazon_updated_at": updated,
            "ship_by_earliest": ship_by[0],
            "ship_by_latest": ship_by[1],
            "deliver_by_earliest": deliver_by[0],
            "deliver_by_latest": deliver_by[1],
            "service_level": level,
            "shipping_policy": None if fba else self.policies.get(level),
            "order_total": _total(items),
            "currency": next((item["currency"] for item in items if item["currency"]), ""),
            "programs": list(payload.get("programs") or []),
            "amazon_package_reference": highest_package_reference(payload),
            "needs_attention": bool(attention),
            "attention": attention,
            "routing_state": routing.value,
            "sync_state": sync.value,
            **_state_times(status, updated),
            **_pii(payload),
        }
        order_id = _insert_ignore(Order.__table__, values, ["channel_id", "amazon_order_id"])
        if order_id is None:
            result.unchanged += 1  # another run inserted it between our read and our insert
            return
        for item in items:
            item_values = {key: value for key, value in item.items() if key != "currency"}
            db.session.execute(
                sa.insert(OrderItem).values(
                    account_id=self.channel.account_id,
                    order_id=order_id,
                    listing_variant_id=variants.get(item["sku"]),
                    **item_values,
                )
            )
        result.inserted += 1
        if not fba:
            result.new_merchant_orders += 1
        for entry in attention:
            result.flagged.append(OrderNews(amazon_id, entry["code"], entry["message"], entry["help"]))

    def _attention(
        self, amazon_id: str, level: str, items: list[dict[str, Any]], variants: dict[str, int]
    ) -> list[dict[str, str]]:
        where = f"Channels → {self.channel.name} → Shipping mappings"
        entries = []
        if level not in self.policies:
            entries.append(
                {
                    "code": AttentionCode.UNMAPPED_SERVICE_LEVEL.value,
                    "reference": level,
                    "message": (
                        f"Order {amazon_id} needs attention: Amazon's service level "
                        f"{level_label(level) if level else '(none)'} has no shipping mapping."
                    ),
                    "help": f"Map {level or 'the service level'} to a shipping policy in {where}.",
                }
            )
        for sku in dict.fromkeys(item["sku"] for item in items if item["sku"] not in variants):
            entries.append(
                {
                    "code": AttentionCode.UNKNOWN_SKU.value,
                    "reference": sku,
                    "message": (
                        f"Order {amazon_id} needs attention: SKU “{sku}” is not a listing of "
                        f"channel “{self.channel.name}”."
                    ),
                    "help": (
                        "Import or link the listing with this SKU (Listings → Import Listings), "
                        "then route the order."
                    ),
                }
            )
        return entries

    def _update(self, row: Any, payload: dict, result: PageResult) -> None:
        updated = parse_time(payload.get("lastUpdatedTime"))
        if updated is None or updated <= row.amazon_updated_at:
            result.unchanged += 1
            return
        fulfillment = payload.get("fulfillment") or {}
        status = fulfillment.get("fulfillmentStatus") or row.status
        items = _items(payload)
        values: dict[str, Any] = {"status": status, "amazon_updated_at": updated}
        ship_by, deliver_by = _window(fulfillment, "shipByWindow"), _window(fulfillment, "deliverByWindow")
        if ship_by[1]:
            values["ship_by_earliest"], values["ship_by_latest"] = ship_by
        if deliver_by[1]:
            values["deliver_by_earliest"], values["deliver_by_latest"] = deliver_by
        total = _total(items)
        if total is not None:
            values["order_total"] = total
        reference = highest_package_reference(payload)
        if reference is not None:
            values["amazon_package_reference"] = reference
        if status != row.status:
            values.update(_state_times(status, updated))
            if status == OrderStatus.CANCELLED:
                values["routing_state"] = RoutingState.NOT_APPLICABLE.value
        # An order that was Pending gets its address once payment clears; never refill a redacted one.
        changed = db.session.execute(
            sa.update(Order).where(Order.id == row.id, Order.amazon_updated_at < updated).values(**values),
            execution_options={"synchronize_session": False},
        ).rowcount
        if not changed:
            result.unchanged += 1  # a concurrent run saved this (or a newer) version first
            return
        pii = _pii(payload)
        if pii:
            db.session.execute(
                sa.update(Order).where(Order.id == row.id, Order.redacted_at.is_(None)).values(**pii),
                execution_options={"synchronize_session": False},
            )
        for item in items:
            item_values = {"quantity_shipped": item["quantity_shipped"]}
            if item["unit_price"] is not None:
                item_values["unit_price"] = item["unit_price"]
            db.session.execute(
                sa.update(OrderItem)
                .where(
                    OrderItem.order_id == row.id,
                    OrderItem.amazon_order_item_id == item["amazon_order_item_id"],
                )
                .values(**item_values),
                execution_options={"synchronize_session": False},
            )
        result.updated += 1
        news = _status_news(str(payload["orderId"]), row.status, status, fulfillment)
        if news is not None:
            result.changes.append(news)


def _status_news(amazon_id: str, old: str, new: str, fulfillment: dict) -> OrderNews | None:
    if old == new:
        return None
    if new == OrderStatus.CANCELLED:
        return OrderNews(
            amazon_id,
            "order_cancelled",
            f"Order {amazon_id} was cancelled on Amazon.",
            "Do not ship it. If it was already shipped, contact the buyer through Seller Central.",
        )
    if new == OrderStatus.SHIPPED and fulfillment.get("fulfilledBy") == FulfilledBy.AMAZON:
        return OrderNews(amazon_id, "order_shipped_by_amazon", f"Order {amazon_id} was shipped by Amazon.")
    label = new.replace("_", " ").lower()
    return OrderNews(amazon_id, "order_status_changed", f"Order {amazon_id} is now {label} on Amazon.")


def read_cursor(channel: Channel) -> datetime | None:
    """The channel's ``lastUpdatedAfter`` cursor, or None before its first Get Orders."""
    return db.session.scalar(
        sa.select(OrderCursor.last_updated_after).where(OrderCursor.channel_id == channel.id)
    )


def advance_cursor(channel: Channel, to: datetime) -> None:
    """Move the channel's cursor forward to ``to`` (never back: a slower concurrent run cannot rewind it).
    The caller commits, after the orders read up to ``to`` are committed."""
    created = _insert_ignore(
        OrderCursor.__table__,
        {"account_id": channel.account_id, "channel_id": channel.id, "last_updated_after": to},
        ["channel_id"],
    )
    if created is None:
        db.session.execute(
            sa.update(OrderCursor)
            .where(OrderCursor.channel_id == channel.id, OrderCursor.last_updated_after < to)
            .values(last_updated_after=to),
            execution_options={"synchronize_session": False},
        )
