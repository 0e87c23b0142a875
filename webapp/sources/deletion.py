"""What deleting a source does to listings and orders, counted for the confirmation.

The source's items are deleted with it; the database then clears the variants' and order items' links
to them (ON DELETE SET NULL), so listings stop taking its price and quantity and routed orders lose
their routing. The confirmation names each consequence with its count.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import ListingVariant, Order, OrderItem, Source, SourceItem
from webapp.models.listing import SYNCABLE_STATUSES
from webapp.models.order import CLOSED_STATUSES


@dataclass(frozen=True)
class SourceConsequences:
    """What deleting a source removes or unlinks."""

    items: int
    variants: int  # listing variants whose source item goes: they lose their source
    synced_variants: int  # of those, live on Amazon: their price and quantity stop being synced
    routed_orders: int  # orders with an item routed to the source: that routing is cleared
    open_routed_orders: int  # of those, not shipped yet (they need routing again)


def _count(query: sa.Select) -> int:
    return db.session.scalar(query) or 0


def source_consequences(source: Source) -> SourceConsequences:
    """Count what deleting ``source`` removes (its items) and unlinks (listings, order routing)."""
    items = sa.select(SourceItem.id).where(SourceItem.source_id == source.id)
    variants = sa.select(sa.func.count(ListingVariant.id)).where(ListingVariant.source_item_id.in_(items))
    orders = (
        sa.select(sa.func.count(sa.distinct(Order.id)))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(OrderItem.routed_source_id == source.id)
    )
    return SourceConsequences(
        items=_count(sa.select(sa.func.count()).where(SourceItem.source_id == source.id)),
        variants=_count(variants),
        synced_variants=_count(
            variants.where(ListingVariant.status.in_([s.value for s in SYNCABLE_STATUSES]))
        ),
        routed_orders=_count(orders),
        open_routed_orders=_count(orders.where(Order.status.not_in([s.value for s in CLOSED_STATUSES]))),
    )
