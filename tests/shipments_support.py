"""Helpers for the shipment tests: orders of a channel as Get Orders stores them, and reading shipments."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import sqlalchemy as sa

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
