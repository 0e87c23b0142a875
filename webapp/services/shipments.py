"""Shipments of merchant-fulfilled orders: add (with items and quantities), edit, and the order's sync state.

A shipment is one package with its tracking. Quantities of a new package cannot exceed what the order
still has unpacked (ordered minus what earlier packages hold), so partial shipments add up to the order
at most. ``package_reference_id`` (Amazon's ``packageReferenceId``) is assigned once, as the order's
highest + 1, and never changed: Sync Orders always sends a package under the same number, which makes
Amazon replace it instead of adding a second package. Editing carrier, method, tracking or ship date
makes the shipment pending again, so the next Sync Orders sends the correction.

FBA orders are read-only (Amazon ships them) and orders Amazon will not ship (Pending, cancelled,
unfulfillable) take no shipment: the functions here refuse with :class:`ShipmentError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import (
    Order,
    OrderStatus,
    OrderSyncState,
    Shipment,
    ShipmentItem,
    ShipmentSyncState,
)
from webapp.services.carriers import CARRIER_CODES, OTHER, canonical_method
from webapp.timeutil import utcnow

# Statuses in which Amazon accepts no shipment confirmation.
NOT_SHIPPABLE = {
    OrderStatus.PENDING: "is Pending on Amazon (payment not confirmed yet); it can be shipped once Amazon "
    "releases it",
    OrderStatus.PENDING_AVAILABILITY: "is a pre-order not released yet",
    OrderStatus.CANCELLED: "was cancelled",
    OrderStatus.UNFULFILLABLE: "is unfulfillable",
}
# Attempts at a package number when another package of the order took the same one meanwhile.
REFERENCE_RETRIES = 5
MAX_LENGTHS = {"carrier_name": 120, "shipping_method": 120, "tracking_number": 120}


class ShipmentError(ValueError):
    """A shipment that cannot be saved; ``errors`` maps a field (or ``"form"``) to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        """Keep the reasons by field; the message joins them."""
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass
class ShipmentDetails:
    """The editable part of a shipment, as the seller typed it."""

    carrier_code: str
    carrier_name: str
    shipping_method: str
    tracking_number: str
    ship_date: date | None


@dataclass
class NewShipment:
    """A package to add: its details and ``quantities`` by ``OrderItem.id``."""

    details: ShipmentDetails
    quantities: dict[int, int] = field(default_factory=dict)


def refusal(order: Order) -> str:
    """Why ``order`` takes no shipment from the seller, or "" when it does."""
    if order.is_fba:
        return (
            f"Order {order.amazon_order_id} is fulfilled by Amazon: Amazon ships it and sends the tracking."
        )
    reason = NOT_SHIPPABLE.get(order.status)
    return f"Order {order.amazon_order_id} {reason}." if reason else ""


def packed_quantities(order_id: int, exclude_shipment_id: int | None = None) -> dict[int, int]:
    """How many of each order item the order's shipments hold, by ``OrderItem.id``."""
    query = (
        sa.select(ShipmentItem.order_item_id, sa.func.sum(ShipmentItem.quantity))
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.order_id == order_id)
        .group_by(ShipmentItem.order_item_id)
    )
    if exclude_shipment_id is not None:
        query = query.where(Shipment.id != exclude_shipment_id)
    return {item_id: int(total or 0) for item_id, total in db.session.execute(query)}


def remaining_quantities(order: Order) -> dict[int, int]:
    """What each item of the order still has to ship (ordered minus what shipments hold), by item id."""
    packed = packed_quantities(order.id)
    return {item.id: max(0, item.quantity_ordered - packed.get(item.id, 0)) for item in order.items}


def can_add(order: Order) -> bool:
    """True when the seller can add a package to ``order`` (shippable, something left to pack)."""
    return not refusal(order) and any(remaining_quantities(order).values())


def ship_datetime(order: Order, day: date) -> datetime:
    """The ship time sent for a ship date: now for today, else noon UTC, never before the purchase nor
    after now (Amazon refuses a ship time in the future; "tomorrow" is today east of UTC)."""
    now = utcnow().replace(microsecond=0)
    if day == now.date():
        return now
    return min(max(datetime.combine(day, time(12)), order.purchased_at), now)


def _clean(order: Order, details: ShipmentDetails) -> tuple[ShipmentDetails, dict[str, str]]:
    """Trimmed details and the reason per field they cannot be saved (empty when fine)."""
    errors: dict[str, str] = {}
    code = details.carrier_code.strip()
    name = " ".join(details.carrier_name.split())
    method = canonical_method(code, details.shipping_method)
    tracking = details.tracking_number.strip()
    if code not in CARRIER_CODES:
        errors["carrier_code"] = "Choose a carrier from Amazon's list, or Other."
    elif code == OTHER and not name:
        errors["carrier_name"] = "Type the carrier's name (Amazon requires it with Other)."
    if code != OTHER:
        name = ""  # only meaningful with Other; a stale name would be sent otherwise
    if not tracking:
        errors["tracking_number"] = "Enter the tracking number."
    for key, value in (("carrier_name", name), ("shipping_method", method), ("tracking_number", tracking)):
        if len(value) > MAX_LENGTHS[key]:
            errors[key] = f"At most {MAX_LENGTHS[key]} characters."
    day = details.ship_date
    today = utcnow().date()
    if day is None:
        errors["ship_date"] = "Enter the ship date."
    elif day > today + timedelta(days=1):  # a day of slack for sellers east of UTC
        errors["ship_date"] = "The ship date cannot be in the future."
    elif day < order.purchased_at.date():
        errors["ship_date"] = "The ship date cannot be before the order was placed."
    return ShipmentDetails(code, name, method, tracking, day), errors


def _quantity_errors(order: Order, quantities: dict[int, int]) -> dict[str, str]:
    """Reasons the quantities do not fit the order (unknown item, negative, more than left to ship)."""
    items = {item.id: item for item in order.items}
    remaining = remaining_quantities(order)
    errors: dict[str, str] = {}
    for item_id, quantity in quantities.items():
        item = items.get(item_id)
        if item is None:
            errors["items"] = "An item that is not part of this order was given."
        elif quantity < 0:
            errors[f"quantity-{item_id}"] = "The quantity cannot be negative."
        elif quantity > remaining[item_id]:
            errors[f"quantity-{item_id}"] = (
                f"Only {remaining[item_id]} of {item.sku} left to ship "
                f"({item.quantity_ordered} ordered, {item.quantity_ordered - remaining[item_id]} in "
                "other packages)."
            )
    if not errors and not any(q > 0 for q in quantities.values()):
        errors["items"] = "Put at least one item in the package."
    return errors


def _lock(order: Order) -> None:
    """Serialize package changes of one order: a write to its row takes PostgreSQL's row lock, and on
    SQLite the database's write lock before anything is read (a read first would make a concurrent
    writer's commit fail this transaction instead of waiting for it)."""
    db.session.execute(
        sa.update(Order).where(Order.id == order.id).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def add_shipment(order: Order, new: NewShipment, user_id: int | None = None) -> Shipment:
    """Add a package to ``order`` with the next package reference; the caller commits.

    Raises:
        ShipmentError: the order takes no shipment, or a field or quantity is wrong (nothing is saved).
    """
    reason = refusal(order)
    if reason:
        raise ShipmentError({"form": reason})
    _lock(order)
    details, errors = _clean(order, new.details)
    errors.update(_quantity_errors(order, new.quantities))
    if errors:
        raise ShipmentError(errors)
    for attempt in range(REFERENCE_RETRIES):
        # A concurrent add may take the same number: the unique constraint refuses the second, which
        # then tries the next number (inside a savepoint, so the caller's transaction survives).
        savepoint = db.session.begin_nested()
        try:
            shipment = Shipment(
                account_id=order.account_id,
                order_id=order.id,
                package_reference_id=_next_reference(order.id),
                carrier_code=details.carrier_code,
                carrier_name=details.carrier_name,
                shipping_method=details.shipping_method,
                tracking_number=details.tracking_number,
                ship_date=ship_datetime(order, details.ship_date),
                sync_state=ShipmentSyncState.PENDING,
                created_by_id=user_id,
                items=[
                    ShipmentItem(order_item_id=item_id, quantity=quantity)
                    for item_id, quantity in sorted(new.quantities.items())
                    if quantity > 0
                ],
            )
            db.session.add(shipment)
            db.session.flush()
            savepoint.commit()
            break
        except IntegrityError:
            savepoint.rollback()
            if attempt == REFERENCE_RETRIES - 1:
                raise
    recompute_sync_state(order)
    return shipment


def _next_reference(order_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(Shipment.package_reference_id)).where(Shipment.order_id == order_id)
    )
    return (highest or 0) + 1


def update_shipment(shipment: Shipment, details: ShipmentDetails) -> bool:
    """Change carrier, method, tracking and ship date; the caller commits.

    Returns:
        True when something changed: the shipment is then pending again (Sync Orders re-sends it under
        the same package reference). An unchanged save leaves its sync state alone.

    Raises:
        ShipmentError: the order takes no shipment any more, or a field is wrong.
    """
    order = shipment.order
    reason = refusal(order)
    if reason:
        raise ShipmentError({"form": reason})
    cleaned, errors = _clean(order, details)
    if errors:
        raise ShipmentError(errors)
    ship_date = (
        shipment.ship_date
        if cleaned.ship_date == shipment.ship_date.date()
        else ship_datetime(order, cleaned.ship_date)
    )
    values = {
        "carrier_code": cleaned.carrier_code,
        "carrier_name": cleaned.carrier_name,
        "shipping_method": cleaned.shipping_method,
        "tracking_number": cleaned.tracking_number,
        "ship_date": ship_date,
    }
    if all(getattr(shipment, key) == value for key, value in values.items()):
        return False
    for key, value in values.items():
        setattr(shipment, key, value)
    shipment.sync_state = ShipmentSyncState.PENDING
    db.session.flush()
    recompute_sync_state(order)
    return True


def summarize(states: Iterable[str]) -> OrderSyncState:
    """An order's sync state from its shipments' states."""
    states = set(states)
    if not states:
        return OrderSyncState.NOTHING_TO_SYNC
    if ShipmentSyncState.REJECTED in states:
        return OrderSyncState.REJECTED
    if ShipmentSyncState.PENDING in states:
        return OrderSyncState.PENDING
    return OrderSyncState.SYNCED


def recompute_sync_state(order: Order) -> OrderSyncState:
    """Set ``order.sync_state`` from its shipments as stored now (FBA stays not applicable)."""
    if order.is_fba:
        order.sync_state = OrderSyncState.NOT_APPLICABLE
        return order.sync_state
    states = db.session.scalars(sa.select(Shipment.sync_state).where(Shipment.order_id == order.id))
    order.sync_state = summarize(states)
    return order.sync_state
