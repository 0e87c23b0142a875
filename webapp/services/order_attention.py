"""Clearing the import-time attention of orders once the seller has fixed its cause.

Get Orders flags an open merchant order when an item's SKU is not a listing of the channel
(``unknown_sku``; the order is not routed) or its service level has no shipping mapping
(``unmapped_service_level``). Both are fixed outside the order (Import Listings, Shipping mappings), so
each Get Orders run looks again: items are matched to the channel's variants by SKU, the mapping is
applied, the settled entries go, and an order whose SKUs are all known is queued for routing
(``pending``) again. Routing's own entries (``no_eligible_source``) are routing's to settle.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models import AttentionCode, Channel, ListingVariant, Order, RoutingState
from webapp.services.order_routing import open_merchant_order_ids

# Orders looked at per transaction.
BATCH_SIZE = 200
IMPORT_CODES = (AttentionCode.UNKNOWN_SKU, AttentionCode.UNMAPPED_SERVICE_LEVEL)


def _variant_ids(channel: Channel, skus: set[str]) -> dict[str, int]:
    if not skus:
        return {}
    return dict(
        db.session.execute(
            sa.select(ListingVariant.sku, ListingVariant.id).where(
                ListingVariant.channel_id == channel.id, ListingVariant.sku.in_(skus)
            )
        ).all()
    )


def _recheck(order: Order, variants: dict[str, int], policies: dict[str, str]) -> bool:
    """Settle what is fixed on ``order``; True when it lost an entry."""
    for item in order.items:
        if item.listing_variant_id is None and item.sku in variants:
            item.listing_variant_id = variants[item.sku]
    unknown = {item.sku for item in order.items if item.listing_variant_id is None}
    if order.service_level in policies and order.shipping_policy is None:
        order.shipping_policy = policies[order.service_level]
    kept = [
        entry
        for entry in order.attention or []
        if not (
            (entry.get("code") == AttentionCode.UNKNOWN_SKU and entry.get("reference") not in unknown)
            or (entry.get("code") == AttentionCode.UNMAPPED_SERVICE_LEVEL and order.service_level in policies)
        )
    ]
    if len(kept) == len(order.attention or []):
        return False
    order.attention = kept  # a new list: JSON columns only notice assignment
    order.needs_attention = bool(kept)
    never_routed = not any(entry.get("code") == AttentionCode.NO_ELIGIBLE_SOURCE for entry in kept)
    if not unknown and order.routing_state == RoutingState.NEEDS_ATTENTION and never_routed:
        order.routing_state = RoutingState.PENDING.value  # routing comes next in the same run
    return True


def recheck_batch(channel: Channel, policies: dict[str, str], after_id: int) -> tuple[int, int] | None:
    """Look again at up to ``BATCH_SIZE`` of the channel's open merchant orders needing attention with
    ids above ``after_id``; (orders that lost an entry, last id looked at), or None when none is left.
    The orders are locked (``FOR UPDATE``) so a concurrent run waits; the caller commits each batch."""
    ids = open_merchant_order_ids(channel, Order.needs_attention.is_(True), after_id, BATCH_SIZE)
    if not ids:
        return None
    orders = db.session.scalars(
        sa.select(Order)
        .where(Order.id.in_(ids), Order.needs_attention.is_(True))
        .options(so.selectinload(Order.items))
        .order_by(Order.id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    ).all()
    flagged = [o for o in orders if any(a.get("code") in IMPORT_CODES for a in o.attention or [])]
    variants = _variant_ids(
        channel, {item.sku for order in flagged for item in order.items if item.listing_variant_id is None}
    )
    cleared = sum(_recheck(order, variants, policies) for order in flagged)
    return cleared, ids[-1]
