"""Shipments of merchant-fulfilled orders: add (with items and quantities), edit, and the order's sync state.

A shipment is one package with its tracking. Quantities of a new package cannot exceed what the order
still has to ship: ordered, less what Amazon shipped outside Shelfsync (its ``quantityFulfilled`` less
what our accepted packages account for, e.g. a package entered in Seller Central), less what our own
packages hold. ``package_reference_id`` (Amazon's ``packageReferenceId``) is assigned once, under the
order's row lock, after both our highest number and the highest Amazon reported at Get Orders
(``Order.amazon_package_reference``), and never changed: Sync Orders always sends a package under the
same number, which makes Amazon replace it instead of adding a second package, so a number Amazon
already holds is never given out. Editing carrier, method, tracking or ship date makes the shipment
pending again, so the next Sync Orders sends the correction. A package Amazon has not accepted
(pending or rejected) can be deleted; an accepted one cannot (Amazon has no call that removes it).

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
from webapp.services.carriers import CARRIER_CODES, OTHER, canonical_method, check
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


@dataclass(frozen=True)
class ItemProgress:
    """Where one order item stands: ordered, shipped outside Shelfsync, in our packages, left to ship."""

    ordered: int
    outside: int
    packed: int

    @property
    def left(self) -> int:
        """What the seller can still put in a package."""
        return max(0, self.ordered - self.outside - self.packed)


def packed_quantities(order_id: int, *, accepted_only: bool = False) -> dict[int, int]:
    """How many of each order item the order's shipments hold (only those Amazon accepted if
    ``accepted_only``), by ``OrderItem.id``."""
    query = (
        sa.select(ShipmentItem.order_item_id, sa.func.sum(ShipmentItem.quantity))
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.order_id == order_id)
        .group_by(ShipmentItem.order_item_id)
    )
    if accepted_only:
        query = query.where(Shipment.sync_state == ShipmentSyncState.ACCEPTED)
    return {item_id: int(total or 0) for item_id, total in db.session.execute(query)}


def item_progress(order: Order) -> dict[int, ItemProgress]:
    """Each item's progress by item id. Amazon's ``quantity_shipped`` counts our accepted packages too;
    what it holds beyond them was shipped outside Shelfsync (never below 0: Amazon's figure may predate
    our latest acceptance until the next Get Orders)."""
    packed = packed_quantities(order.id)
    accepted = packed_quantities(order.id, accepted_only=True)
    return {
        item.id: ItemProgress(
            ordered=item.quantity_ordered,
            outside=max(0, item.quantity_shipped - accepted.get(item.id, 0)),
            packed=packed.get(item.id, 0),
        )
        for item in order.items
    }


def remaining_quantities(order: Order) -> dict[int, int]:
    """What each item of the order still has to ship, by item id (see :class:`ItemProgress`)."""
    return {item_id: progress.left for item_id, progress in item_progress(order).items()}


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
    problem = None if errors else check(code, name, method)
    if problem is not None:
        # The same near miss Sync Orders would refuse ("UPS Grond"), caught while the seller is here.
        hint = f" Did you mean “{problem.suggestion}”?" if problem.suggestion else ""
        errors["shipping_method"] = problem.message + hint
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
    progress = item_progress(order)
    errors: dict[str, str] = {}
    for item_id, quantity in quantities.items():
        item = items.get(item_id)
        if item is None:
            errors["items"] = "An item that is not part of this order was given."
        elif quantity < 0:
            errors[f"quantity-{item_id}"] = "The quantity cannot be negative."
        elif quantity > progress[item_id].left:
            state = progress[item_id]
            outside = f", {state.outside} shipped outside Shelfsync" if state.outside else ""
            errors[f"quantity-{item_id}"] = (
                f"Only {state.left} of {item.sku} left to ship "
                f"({state.ordered} ordered{outside}, {state.packed} in other packages)."
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
    """One past both our highest package number and the highest Amazon reported (read under the lock,
    from the database: a Get Orders run may have stored a newer figure since the order was loaded)."""
    ours = db.session.scalar(
        sa.select(sa.func.max(Shipment.package_reference_id)).where(Shipment.order_id == order_id)
    )
    amazons = db.session.scalar(sa.select(Order.amazon_package_reference).where(Order.id == order_id))
    return max(ours or 0, amazons or 0) + 1


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


def delete_shipment(shipment: Shipment) -> None:
    """Delete a package Amazon has not accepted (pending or rejected); the caller commits.

    Raises:
        ShipmentError: the package was accepted by Amazon, or Sync Orders recorded its acceptance
            meanwhile (the delete is conditional on the state, so it cannot undo an acceptance).
    """
    order = shipment.order
    _lock(order)
    deleted = db.session.execute(
        sa.delete(Shipment).where(
            Shipment.id == shipment.id,
            Shipment.sync_state.in_([ShipmentSyncState.PENDING, ShipmentSyncState.REJECTED]),
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not deleted:
        raise ShipmentError({"form": accepted_reason(shipment)})
    db.session.expire(order, ["shipments"])
    recompute_sync_state(order)


def accepted_reason(shipment: Shipment) -> str:
    """Why an accepted package cannot be deleted, as the seller reads it."""
    return (
        f"Package {shipment.package_reference_id} was accepted by Amazon: it is part of the order on Amazon "
        "and Amazon offers no way to remove a confirmed package. To correct its carrier or tracking, edit "
        "it (Sync Orders sends the correction under the same package number)."
    )


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
