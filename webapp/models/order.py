"""Amazon orders on a channel: shipping mappings, orders and their items, shipments, the import cursor.

Designed for the whole of issue 7 (see ``notes/ORDERS.md``): Get Orders fills ``Order`` and ``OrderItem``;
routing sets ``OrderItem.routed_source_id`` and ``Order.routing_state``; shipments entered by the seller
become ``Shipment`` rows that Sync Orders sends with v0 confirmShipment; the PII redaction job clears the
encrypted buyer columns and sets ``Order.redacted_at``.

Buyer PII (name, email, phone, company, recipient name, address lines 1–3) is stored through
``EncryptedString``: the database only ever holds ciphertext. City, state, postal code and country stay in
clear for reporting and survive redaction. Never log or put these fields in notifications: name the
Amazon order id only.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.crypto import EncryptedString
from webapp.extensions import db
from webapp.timeutil import utcnow


class FulfilledBy(enum.StrEnum):
    """Who ships the order (Orders 2026-01-01 ``fulfillment.fulfilledBy``)."""

    MERCHANT = "MERCHANT"  # FBM: the seller ships; we route, take tracking and sync it
    AMAZON = "AMAZON"  # FBA: read-only in Shelfsync


class OrderStatus(enum.StrEnum):
    """Amazon's ``fulfillment.fulfillmentStatus``, stored as Amazon sends it."""

    PENDING = "PENDING"
    UNSHIPPED = "UNSHIPPED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"
    UNFULFILLABLE = "UNFULFILLABLE"
    PENDING_AVAILABILITY = "PENDING_AVAILABILITY"


# Statuses after which nothing is left to ship.
CLOSED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.UNFULFILLABLE)


class AttentionCode(enum.StrEnum):
    """Why an order needs the seller (``Order.attention`` entries carry one of these as ``code``)."""

    UNKNOWN_SKU = "unknown_sku"  # an item's SKU is not a listing variant of the channel
    UNMAPPED_SERVICE_LEVEL = "unmapped_service_level"  # no shipping mapping for the service level
    NO_ELIGIBLE_SOURCE = "no_eligible_source"  # routing: no compliant source stocks enough (next session)


class RoutingState(enum.StrEnum):
    """Where an order stands in routing its items to sources."""

    PENDING = "pending"  # imported, not routed yet
    ROUTED = "routed"  # every item has a compliant source
    NEEDS_ATTENTION = "needs_attention"  # some item could not be routed (see ``Order.attention``)
    NOT_APPLICABLE = "not_applicable"  # FBA, or closed (cancelled) before routing


class OrderSyncState(enum.StrEnum):
    """Where an order's shipments stand with Amazon (a summary of its ``Shipment.sync_state``)."""

    NOTHING_TO_SYNC = "nothing_to_sync"  # no shipment entered yet
    PENDING = "pending"  # at least one shipment waits for Sync Orders
    SYNCED = "synced"  # every shipment was accepted by Amazon
    REJECTED = "rejected"  # at least one shipment was rejected (see its last_error)
    NOT_APPLICABLE = "not_applicable"  # FBA: Amazon ships, nothing to send


class ShipmentSyncState(enum.StrEnum):
    """One package's confirmShipment state."""

    PENDING = "pending"  # entered or edited, not yet accepted: Sync Orders sends it
    ACCEPTED = "accepted"  # Amazon answered 204
    REJECTED = "rejected"  # Amazon refused it (last_error/last_error_help); editing makes it pending again


# Orders 2026-01-01 ``fulfillmentServiceLevel`` values (the orders_2026-01-01 model's description).
SERVICE_LEVELS = (
    "STANDARD",
    "EXPEDITED",
    "SECOND_DAY",
    "NEXT_DAY",
    "SAME_DAY",
    "PRIORITY",
    "FREE_ECONOMY",
    "SCHEDULED",
)


class ShippingMapping(db.Model):
    """Amazon's service level ↔ the name of the channel's shipping policy; required before Get Orders."""

    __tablename__ = "shipping_mappings"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "service_level", name="uq_shipping_mappings_channel_level"),
        sa.Index("ix_shipping_mappings_account_channel", "account_id", "channel_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    service_level: so.Mapped[str] = so.mapped_column(sa.String(30))  # one of SERVICE_LEVELS
    shipping_policy: so.Mapped[str] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<ShippingMapping {self.id} {self.service_level} → {self.shipping_policy!r}>"


class OrderCursor(db.Model):
    """Get Orders' ``lastUpdatedAfter`` cursor per channel: changes after it are not seen yet.

    Advanced only after the orders read up to it are committed, so a crash re-reads (idempotently)
    instead of skipping.
    """

    __tablename__ = "order_cursors"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE"), unique=True
    )
    last_updated_after: so.Mapped[datetime]
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)


class Order(db.Model):
    """One Amazon order on a channel, imported once (unique per channel + Amazon order id)."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "amazon_order_id", name="uq_orders_channel_amazon_order_id"),
        sa.Index("ix_orders_account_created", "account_id", "purchased_at"),
        sa.Index("ix_orders_account_status", "account_id", "status"),
        sa.Index("ix_orders_account_channel_status", "account_id", "channel_id", "status"),
        sa.Index("ix_orders_account_ship_by", "account_id", "ship_by_latest"),
        sa.Index("ix_orders_account_routing", "account_id", "routing_state"),
        sa.Index("ix_orders_account_sync", "account_id", "sync_state"),
        sa.Index("ix_orders_account_attention", "account_id", "needs_attention"),
        sa.Index("ix_orders_account_amazon_id", "account_id", "amazon_order_id"),
        sa.Index("ix_orders_account_buyer_digest", "account_id", "buyer_name_digest"),
        # Only orders still holding PII: the hourly sweep reads this, and redacted orders (most of them,
        # in time) drop out of it instead of piling up in its range.
        sa.Index(
            "ix_orders_redaction_due",
            "shipped_at",
            sqlite_where=sa.text("redacted_at IS NULL"),
            postgresql_where=sa.text("redacted_at IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    amazon_order_id: so.Mapped[str] = so.mapped_column(sa.String(40))
    marketplace_id: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(30))  # OrderStatus
    fulfilled_by: so.Mapped[str] = so.mapped_column(sa.String(10), default=FulfilledBy.MERCHANT)
    # Amazon's times (naive UTC): createdTime (the purchase) and lastUpdatedTime.
    purchased_at: so.Mapped[datetime]
    amazon_updated_at: so.Mapped[datetime]
    ship_by_earliest: so.Mapped[datetime | None]
    ship_by_latest: so.Mapped[datetime | None]
    deliver_by_earliest: so.Mapped[datetime | None]
    deliver_by_latest: so.Mapped[datetime | None]
    # fulfillment.fulfillmentServiceLevel, and the shipping policy its mapping named at import.
    service_level: so.Mapped[str] = so.mapped_column(sa.String(30), default="")
    shipping_policy: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    order_total: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="")
    programs: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # PRIME, AMAZON_BUSINESS...
    # The highest numeric packageReferenceId among the packages Amazon reported (ours and any entered in
    # Seller Central): our package numbers continue after it, so Sync Orders never replaces one of theirs.
    amazon_package_reference: so.Mapped[int | None]
    # Needs attention: [{"code": AttentionCode, "message": "...", "reference": sku or level}].
    needs_attention: so.Mapped[bool] = so.mapped_column(default=False)
    attention: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    routing_state: so.Mapped[str] = so.mapped_column(sa.String(20), default=RoutingState.PENDING)
    sync_state: so.Mapped[str] = so.mapped_column(sa.String(20), default=OrderSyncState.NOTHING_TO_SYNC)
    # When Amazon accepted our order number (``order_number``) as its seller order id.
    acknowledged_at: so.Mapped[datetime | None]
    # Buyer PII: encrypted at rest, cleared by redaction.
    buyer_name: so.Mapped[str | None] = so.mapped_column(EncryptedString(500))
    buyer_email: so.Mapped[str | None] = so.mapped_column(EncryptedString(500))
    buyer_phone: so.Mapped[str | None] = so.mapped_column(EncryptedString(300))
    buyer_company: so.Mapped[str | None] = so.mapped_column(EncryptedString(500))
    recipient_name: so.Mapped[str | None] = so.mapped_column(EncryptedString(500))
    address_line1: so.Mapped[str | None] = so.mapped_column(EncryptedString(600))
    address_line2: so.Mapped[str | None] = so.mapped_column(EncryptedString(600))
    address_line3: so.Mapped[str | None] = so.mapped_column(EncryptedString(600))
    # Keyed digest of the normalized buyer name: exact-name search without decrypting every row.
    buyer_name_digest: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    city: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    state_or_region: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    postal_code: so.Mapped[str] = so.mapped_column(sa.String(30), default="")
    country_code: so.Mapped[str] = so.mapped_column(sa.String(2), default="")
    address_type: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    redacted_at: so.Mapped[datetime | None]
    # When the order became fully shipped (by us or by Amazon): the PII retention clock starts here.
    shipped_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    items: so.Mapped[list[OrderItem]] = so.relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True, order_by="OrderItem.id"
    )
    shipments: so.Mapped[list[Shipment]] = so.relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Shipment.package_reference_id",
    )

    @property
    def is_fba(self) -> bool:
        """True when Amazon ships it (read-only here: no routing, no shipment sync)."""
        return self.fulfilled_by == FulfilledBy.AMAZON

    @property
    def order_number(self) -> str:
        """Shelfsync's order number, sent to Amazon as the seller order id on acknowledgement."""
        return f"SS-{self.id}"

    @property
    def is_redacted(self) -> bool:
        """True once the buyer PII was removed (pages show "Redacted")."""
        return self.redacted_at is not None

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.amazon_order_id} {self.status}>"


class OrderItem(db.Model):
    """One line of an order: the SKU, quantities, price, its listing variant and (once routed) source."""

    __tablename__ = "order_items"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "amazon_order_item_id", name="uq_order_items_order_item"),
        sa.Index("ix_order_items_account_sku", "account_id", "sku"),
        # Routing's stock reservations: what was routed to a source since a given time.
        sa.Index("ix_order_items_routed_source_at", "routed_source_id", "routed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amazon_order_item_id: so.Mapped[str] = so.mapped_column(sa.String(40))
    sku: so.Mapped[str] = so.mapped_column(sa.String(120))
    asin: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    quantity_ordered: so.Mapped[int] = so.mapped_column(default=0)
    quantity_shipped: so.Mapped[int] = so.mapped_column(default=0)  # Amazon's quantityFulfilled
    unit_price: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))  # None while Pending
    listing_variant_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("listing_variants.id", ondelete="SET NULL"), index=True
    )
    routed_source_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("sources.id", ondelete="SET NULL")
    )
    routed_at: so.Mapped[datetime | None]

    order: so.Mapped[Order] = so.relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<OrderItem {self.id} {self.sku!r} x{self.quantity_ordered}>"


class Shipment(db.Model):
    """One package of an order with its tracking, sent to Amazon by Sync Orders (v0 confirmShipment).

    ``package_reference_id`` is Amazon's ``packageReferenceId``: a positive number, stable for the
    package, unique per order (the next one is max + 1). Sending the same number again replaces that
    package on Amazon instead of adding one, which is what makes retries and edits safe.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "package_reference_id", name="uq_shipments_order_package"),
        sa.Index("ix_shipments_account_sync", "account_id", "sync_state"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    order_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    package_reference_id: so.Mapped[int]
    carrier_code: so.Mapped[str] = so.mapped_column(sa.String(60))  # Amazon's carrier list, or "Other"
    carrier_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")  # required with "Other"
    shipping_method: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    tracking_number: so.Mapped[str] = so.mapped_column(sa.String(120))
    ship_date: so.Mapped[datetime]
    sync_state: so.Mapped[str] = so.mapped_column(sa.String(20), default=ShipmentSyncState.PENDING)
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    last_error_help: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    synced_at: so.Mapped[datetime | None]  # when Amazon accepted it
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    order: so.Mapped[Order] = so.relationship(back_populates="shipments")
    items: so.Mapped[list[ShipmentItem]] = so.relationship(
        back_populates="shipment", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Shipment {self.id} order={self.order_id} #{self.package_reference_id} {self.sync_state}>"


class ShipmentItem(db.Model):
    """How many of one order item a package holds (partial shipments split items over packages)."""

    __tablename__ = "shipment_items"
    __table_args__ = (
        sa.UniqueConstraint("shipment_id", "order_item_id", name="uq_shipment_items_shipment_item"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    shipment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shipments.id", ondelete="CASCADE"))
    order_item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("order_items.id", ondelete="CASCADE"), index=True
    )
    quantity: so.Mapped[int]

    shipment: so.Mapped[Shipment] = so.relationship(back_populates="items")
    order_item: so.Mapped[OrderItem] = so.relationship()
