"""Helpers for the shipment tests: orders of a channel as Get Orders stores them, reading shipments, and
packages confirmed on Amazon outside Shelfsync."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import sqlalchemy as sa

from sandbox.orders import apply_shipment
from tests.orders_support import advance
from webapp.extensions import db
from webapp.models import (
    Channel,
    FulfilledBy,
    Order,
    OrderItem,
    OrderStatus,
    OrderSyncState,
    RoutingState,
    Shipment,
    ShipmentItem,
    ShipmentSyncState,
)
from webapp.timeutil import utcnow

_numbers = count(1000001)


def make_order(
    channel: Channel,
    items: list[tuple[str, int]],
    *,
    fulfilled_by: FulfilledBy = FulfilledBy.MERCHANT,
    status: OrderStatus = OrderStatus.UNSHIPPED,
) -> Order:
    """An order of ``channel`` with ``items`` = [(sku, quantity ordered)], placed two days ago."""
    number = next(_numbers)
    now = utcnow()
    order = Order(
        account_id=channel.account_id,
        channel_id=channel.id,
        amazon_order_id=f"112-{number:07d}-{number:07d}",
        marketplace_id=channel.marketplace_id,
        status=status,
        fulfilled_by=fulfilled_by,
        purchased_at=now - timedelta(days=2),
        amazon_updated_at=now - timedelta(days=2),
        routing_state=RoutingState.NOT_APPLICABLE
        if fulfilled_by == FulfilledBy.AMAZON
        else RoutingState.PENDING,
        sync_state=(
            OrderSyncState.NOT_APPLICABLE
            if fulfilled_by == FulfilledBy.AMAZON
            else OrderSyncState.NOTHING_TO_SYNC
        ),
        items=[
            OrderItem(
                account_id=channel.account_id,
                amazon_order_item_id=f"{number}{index:04d}",
                sku=sku,
                quantity_ordered=quantity,
            )
            for index, (sku, quantity) in enumerate(items)
        ],
    )
    db.session.add(order)
    db.session.commit()
    return order


def shipments_of(order: Order) -> list[Shipment]:
    """The order's shipments as committed now, by package number."""
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.package_reference_id)
        )
    )


def fresh_order(order_id: int) -> Order:
    """The order as committed now."""
    db.session.rollback()
    return db.session.get(Order, order_id)


def ship_in_seller_central(
    sandbox, amazon_order_id: str, reference: str, items: list[tuple[str, int]], tracking: str
) -> None:
    """Confirm a package on Amazon's side, as the seller would in Seller Central (not through Shelfsync):
    ``items`` = [(Amazon order item id, quantity)]. Amazon's clock then moves so Get Orders sees it."""
    state = sandbox.sandbox
    order = state.store.one(
        "SELECT marketplace_id, seller_id FROM orders WHERE order_id = ?", (amazon_order_id,)
    )
    now = state.clock.now()
    body = {
        "marketplaceId": order["marketplace_id"],
        "packageDetail": {
            "packageReferenceId": reference,
            "carrierCode": "FedEx",
            "shippingMethod": "FedEx Ground",
            "trackingNumber": tracking,
            "shipDate": state.clock.now_iso(),
            "orderItems": [{"orderItemId": item_id, "quantity": quantity} for item_id, quantity in items],
        },
    }
    with state.store.transaction() as conn:
        apply_shipment(conn, order["seller_id"], amazon_order_id, body, now)
    advance(sandbox)


def saved_without_the_method_check(order: Order, carrier: str, method: str, tracking: str) -> Shipment:
    """A pending package holding the whole order, stored as Shelfsync did before the form refused near
    misses of a shipping method (such packages can still be waiting for Sync Orders)."""
    shipment = Shipment(
        account_id=order.account_id,
        order_id=order.id,
        package_reference_id=1,
        carrier_code=carrier,
        shipping_method=method,
        tracking_number=tracking,
        ship_date=utcnow().replace(microsecond=0),
        sync_state=ShipmentSyncState.PENDING,
        items=[ShipmentItem(order_item_id=item.id, quantity=item.quantity_ordered) for item in order.items],
    )
    db.session.add(shipment)
    db.session.flush()
    order.sync_state = OrderSyncState.PENDING
    db.session.commit()
    return shipment
