"""Sync Orders: send the channel's shipments to Amazon (Orders v0 confirmShipment), one package per call.

Work list: every shipment of the channel's merchant-fulfilled orders that is pending or rejected (a
rejected one goes again: what Amazon refused may have changed on its side). For each:

1. Orders Amazon will not ship any more (cancelled, unfulfillable) and carrier/method problems found by
   ``webapp.services.carriers`` reject the shipment here, with help and a suggestion for a near miss;
   Amazon is not called.
2. confirmShipment with the shipment's stored ``package_reference_id``: sending it again (a retry, an
   edit, a run killed before it recorded the answer) replaces that package on Amazon, never adds one.
   204 → accepted; ``InvalidInput`` (or another refusal) → rejected with Amazon's message and our help;
   Amazon unavailable or throttled for too long → left pending for the next run (the rest too);
   authorization revoked → the connection is marked and the run fails.

The new state is written only if the shipment still holds what was sent (``_record``), so an edit made
while the package was in flight stays pending and is sent by the next run. Counts: ``sent`` (calls),
``accepted``, ``rejected`` (newly, or with a new reason), ``unchanged`` (still pending, or rejected
again for the same reason: no new notification, so a scheduled run does not repeat itself).
Notifications name the Amazon order id only, never buyer data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlalchemy as sa
import sqlalchemy.orm as so

from jobs.amazon_channel import ChannelApi, open_channel
from jobs.connections import report_authorization_revoked
from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked, InvalidInput
from webapp.amazon.types import ShipmentPackage
from webapp.extensions import db
from webapp.models import (
    FulfilledBy,
    Order,
    OrderItem,
    OrderStatus,
    Shipment,
    ShipmentItem,
    ShipmentSyncState,
)
from webapp.services.carriers import check
from webapp.services.shipments import recompute_sync_state
from webapp.timeutil import utcnow

BATCH = 200
ENDED = (OrderStatus.CANCELLED, OrderStatus.UNFULFILLABLE)
ENDED_HELP = (
    "Amazon does not accept shipments for an order that was cancelled or cannot be fulfilled. If you "
    "already sent the package, contact the buyer through Seller Central."
)
REJECTED_HELP = (
    "Edit the shipment to fix what Amazon names (carrier, method, tracking number, ship date); Sync Orders "
    "sends it again on its next run under the same package number."
)
# Amazon's list of carriers or methods can differ from ours: its refusal then names the carrier or method.
CARRIER_MESSAGE = re.compile(r"carrier|shipping ?method", re.IGNORECASE)
CARRIER_REJECTED_HELP = (
    "Amazon does not accept this carrier or shipping method as written (its message says what it "
    "expects). Edit the shipment: choose the carrier from Amazon's list, or Other with the carrier's name, "
    "and the carrier's own service name as the method. Sync Orders sends it again on its next run."
)
# Amazon refuses a package's contents (quantity beyond what is unshipped, an item not in the order): the
# package itself is wrong, not its carrier or tracking.
CONTENTS_MESSAGE = re.compile(r"quantity|orderItemId|order item", re.IGNORECASE)
CONTENTS_REJECTED_HELP = (
    "Amazon has already shipped some of these items, for example in a package entered in Seller Central, "
    "so this package holds more than is left to ship. Run Get Orders to read what Amazon shipped, then "
    "delete this package on the order page (Amazon never accepted it) and add one with what is left."
)
UNAVAILABLE_HELP = (
    "Nothing was lost: the shipments stay pending and the next Sync Orders run sends them. Amazon usually "
    "answers again within minutes."
)


def _work_list(channel_id: int, account_id: int, after_id: int) -> list[Shipment]:
    """The next batch of pending or rejected shipments of the channel's merchant orders, by id."""
    return list(
        db.session.scalars(
            sa.select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Order.channel_id == channel_id,
                Order.account_id == account_id,
                Order.fulfilled_by == FulfilledBy.MERCHANT,
                Shipment.account_id == account_id,
                Shipment.sync_state.in_([ShipmentSyncState.PENDING, ShipmentSyncState.REJECTED]),
                Shipment.id > after_id,
            )
            .options(
                so.contains_eager(Shipment.order),
                so.selectinload(Shipment.items).joinedload(ShipmentItem.order_item),
            )
            .order_by(Shipment.id)
            .limit(BATCH)
        )
    )


def _batches(ctx: RunContext, channel_id: int) -> Iterator[list[Shipment]]:
    after = 0
    while batch := _work_list(channel_id, ctx.account_id, after):
        yield batch
        after = batch[-1].id


def _package(shipment: Shipment) -> ShipmentPackage:
    items: list[tuple[str, int]] = []
    for entry in shipment.items:
        item: OrderItem = entry.order_item
        items.append((item.amazon_order_item_id, entry.quantity))
    return ShipmentPackage(
        package_reference_id=str(shipment.package_reference_id),
        carrier_code=shipment.carrier_code,
        tracking_number=shipment.tracking_number,
        ship_date=shipment.ship_date.replace(microsecond=0).isoformat() + "Z",
        items=tuple(items),
        carrier_name=shipment.carrier_name or None,
        shipping_method=shipment.shipping_method or None,
    )


def _record(shipment: Shipment, **values) -> bool:
    """Write the outcome if the shipment still holds what was checked/sent; False when it was edited."""
    result = db.session.execute(
        sa.update(Shipment)
        .where(
            Shipment.id == shipment.id,
            Shipment.sync_state.in_([ShipmentSyncState.PENDING, ShipmentSyncState.REJECTED]),
            Shipment.carrier_code == shipment.carrier_code,
            Shipment.carrier_name == shipment.carrier_name,
            Shipment.shipping_method == shipment.shipping_method,
            Shipment.tracking_number == shipment.tracking_number,
            Shipment.ship_date == shipment.ship_date,
        )
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


class ShipmentSync:
    """One run's pass over the work list, with its counts and notifications."""

    def __init__(self, ctx: RunContext, link: ChannelApi) -> None:
        self.ctx = ctx
        self.link = link
        self.unavailable: AmazonError | None = None
        self.waiting = 0  # shipments left pending because Amazon did not answer

    def label(self, shipment: Shipment) -> str:
        """How a notification names a package (never buyer data)."""
        return f"package {shipment.package_reference_id} of order {shipment.order.amazon_order_id}"

    def reject(self, shipment: Shipment, message: str, help: str, *, sent: bool) -> None:
        """Mark the shipment rejected; notify unless it was already rejected for the same reason."""
        again = shipment.sync_state == ShipmentSyncState.REJECTED and shipment.last_error == message
        values = {"sync_state": ShipmentSyncState.REJECTED, "last_error": message, "last_error_help": help}
        if sent:
            values["attempts"] = Shipment.attempts + 1
        if not _record(shipment, **values) or again:
            self.ctx.count("unchanged")
            return
        self.ctx.count("rejected")
        self.ctx.error(
            f"{'Amazon rejected' if sent else 'Not sent:'} {self.label(shipment)}: {message}",
            code="shipment_rejected",
            reference=shipment.order.amazon_order_id,
            help=help,
        )

    def sync(self, shipment: Shipment) -> None:
        """Check one shipment, then send it if it passed and Amazon is answering."""
        order = shipment.order
        if order.status in ENDED:
            self.reject(
                shipment, f"Order {order.amazon_order_id} is {order.status.lower()}.", ENDED_HELP, sent=False
            )
            return
        problem = check(shipment.carrier_code, shipment.carrier_name, shipment.shipping_method)
        if problem is not None:
            self.reject(shipment, problem.message, problem.full_help, sent=False)
            return
        if self.unavailable is not None:
            self.waiting += 1
            self.ctx.count("unchanged")
            return
        self.ctx.count("sent")
        try:
            self.link.api.confirm_shipment(order.amazon_order_id, _package(shipment))
        except AuthorizationRevoked as error:
            db.session.commit()
            report_authorization_revoked(self.ctx, self.link.connection, error)
        except AmazonError as error:
            if error.retryable:  # unavailable or throttled for too long: the next run sends it
                self.unavailable = error
                self.waiting += 1
                self.ctx.count("unchanged")
                return
            self.reject(shipment, error.message, _amazon_help(error), sent=True)
            return
        accepted = _record(
            shipment,
            sync_state=ShipmentSyncState.ACCEPTED,
            last_error="",
            last_error_help="",
            attempts=Shipment.attempts + 1,
            synced_at=utcnow(),
        )
        self.ctx.count("accepted" if accepted else "unchanged")


def _amazon_help(error: AmazonError) -> str:
    """Our help for one of Amazon's refusals (its message says what is wrong)."""
    if CONTENTS_MESSAGE.search(error.message):
        return CONTENTS_REJECTED_HELP
    if CARRIER_MESSAGE.search(error.message):
        return CARRIER_REJECTED_HELP
    if isinstance(error, InvalidInput):
        return REJECTED_HELP
    return f"{error.help} {REJECTED_HELP}" if error.help else REJECTED_HELP


@integration_job
def run(ctx: RunContext) -> None:
    """Sync Orders for the run's channel (no parameters)."""
    link = open_channel(ctx)
    channel = link.channel
    total = db.session.scalar(
        sa.select(sa.func.count(Shipment.id))
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Order.channel_id == channel.id,
            Order.account_id == ctx.account_id,
            Order.fulfilled_by == FulfilledBy.MERCHANT,
            Shipment.sync_state.in_([ShipmentSyncState.PENDING, ShipmentSyncState.REJECTED]),
        )
    )
    ctx.progress(0, total)
    sync = ShipmentSync(ctx, link)
    for batch in _batches(ctx, channel.id):
        for shipment in batch:
            sync.sync(shipment)
            db.session.expire(shipment)
            recompute_sync_state(shipment.order)
            ctx.progress(ctx.done + 1)
        ctx.checkpoint(force=True)
    if sync.unavailable is not None:
        ctx.warning(
            f"Amazon did not answer ({sync.unavailable.message}); "
            f"{sync.waiting} shipment{'s stay' if sync.waiting != 1 else ' stays'} pending for the next run.",
            code="amazon_unavailable",
            help=UNAVAILABLE_HELP,
        )
    ctx.progress(ctx.done, ctx.done)
