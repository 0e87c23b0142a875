"""What deleting a channel takes with it, counted for the confirmation, and the typed-name check.

The database deletes a channel's listings, variants, orders and shipments with it (ON DELETE CASCADE),
so the confirmation names each of them with its count before the seller agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, Listing, ListingVariant, Order, Shipment
from webapp.models.order import CLOSED_STATUSES


@dataclass(frozen=True)
class ChannelContents:
    """The rows deleted with a channel."""

    listings: int
    variants: int
    orders: int
    open_orders: int  # not shipped, cancelled or unfulfillable: still waiting to be shipped
    shipments: int

    @property
    def needs_typed_name(self) -> bool:
        """True when deleting loses listings or orders, so the seller must type the channel's name."""
        return bool(self.listings or self.orders)


def _count(query: sa.Select) -> int:
    return db.session.scalar(query) or 0


def channel_contents(channel: Channel) -> ChannelContents:
    """Count what deleting ``channel`` deletes with it."""
    orders = sa.select(sa.func.count(Order.id)).where(Order.channel_id == channel.id)
    return ChannelContents(
        listings=_count(sa.select(sa.func.count(Listing.id)).where(Listing.channel_id == channel.id)),
        variants=_count(
            sa.select(sa.func.count(ListingVariant.id)).where(ListingVariant.channel_id == channel.id)
        ),
        orders=_count(orders),
        open_orders=_count(orders.where(Order.status.not_in([s.value for s in CLOSED_STATUSES]))),
        shipments=_count(
            sa.select(sa.func.count(Shipment.id))
            .join(Order, Order.id == Shipment.order_id)
            .where(Order.channel_id == channel.id)
        ),
    )


def name_confirmed(channel: Channel, contents: ChannelContents, typed: str | None) -> bool:
    """True when the deletion may go ahead: nothing to lose, or the channel's name typed exactly."""
    return not contents.needs_typed_name or (typed or "").strip() == channel.name.strip()
