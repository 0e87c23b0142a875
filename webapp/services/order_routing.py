"""Routing the items of open merchant orders to sources (suppliers) that can ship them.

An item goes to a source that

- stocks it: the source item linked to the item's listing variant first, then any source item with the
  order item's SKU;
- has at least the ordered quantity;
- is marked compliant with Amazon's Business Solutions Agreement (``Source.bsa_compliant``). Amazon only
  allows drop shipping through suppliers that name the seller as seller of record, so a non-compliant
  source is never chosen, whatever its stock.

Among several eligible sources the linked one wins, then the cheapest cost, then the most stock, then the
oldest source (so the choice is the same every time).

Stock is reserved: a source item's quantity is the supplier's figure as of the upload that last stated
it (``SourceItem.stated_at``, changed or not; ``changed_at`` for items never restated), so the items
routed to that source since then (in orders not cancelled or unfulfillable) are taken off it, and so are
the items routed earlier in the same pass. Two orders for the last unit therefore do not both go to the
same supplier. The supplier's next file listing the item is taken as accounting for everything routed
before its upload; a file that leaves the item out restates nothing.

An order whose items all have a source is ``routed``; otherwise it ``needs_attention`` with one
``no_eligible_source`` entry per SKU saying why and what to do. FBA orders (Amazon ships them) and closed
orders (shipped, cancelled, unfulfillable) are never routed. Messages name the Amazon order id, SKUs and
source names only, never buyer data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models import (
    AttentionCode,
    Channel,
    FulfilledBy,
    ListingVariant,
    Order,
    OrderItem,
    OrderStatus,
    RoutingState,
    Source,
    SourceItem,
)
from webapp.models.order import CLOSED_STATUSES
from webapp.services.order_import import OrderNews
from webapp.timeutil import utcnow

# Orders whose routed items hold no stock: nothing was, or will be, shipped from it.
RELEASED_STATUSES = (OrderStatus.CANCELLED, OrderStatus.UNFULFILLABLE)

# Orders routed per transaction by Get Orders (each batch is claimed, routed and committed at once).
BATCH_SIZE = 100


class RoutingRefused(Exception):
    """A manual re-route that must not happen (the message says why, for the seller)."""


@dataclass(frozen=True)
class Candidate:
    """A source item that could ship an order item, with what decides whether it may."""

    source_item_id: int
    source_id: int
    source_name: str
    compliant: bool
    quantity: int  # the supplier's figure
    reserved: int  # routed to this source item since that figure
    cost: Decimal | None
    linked: bool  # the listing variant's own source item

    @property
    def available(self) -> int:
        """What the supplier still has for new orders: its figure less the reserved quantity."""
        return max(self.quantity - self.reserved, 0)


@dataclass
class RoutingResult:
    """What routing a set of orders did: how many orders ended routed or needing attention, and the
    warnings for the run log (one per SKU that found no eligible source)."""

    routed: int = 0
    needs_attention: int = 0
    news: list[OrderNews] = field(default_factory=list)


def is_routable(order: Order) -> bool:
    """True for orders we route: merchant-fulfilled and still open."""
    return order.fulfilled_by == FulfilledBy.MERCHANT and order.status not in CLOSED_STATUSES


def candidates_by_item(
    account_id: int, items: list[OrderItem], lock: bool = False
) -> dict[int, list[Candidate]]:
    """Every source item that stocks each order item, best first (see the module docstring for the
    order), compliant or not: the caller decides, and explains when none may ship. Three queries.

    ``lock`` locks those source item rows until the caller commits, so two runs routing at once take
    reservations one after the other instead of both taking the last unit. (SQLite has no row locks;
    there Get Orders holds the database's write lock from claiming its orders onwards.)"""
    variant_ids = {item.listing_variant_id for item in items if item.listing_variant_id}
    links: dict[int, int] = {}
    if variant_ids:
        links = dict(
            db.session.execute(
                sa.select(ListingVariant.id, ListingVariant.source_item_id).where(
                    ListingVariant.account_id == account_id,
                    ListingVariant.id.in_(variant_ids),
                    ListingVariant.source_item_id.is_not(None),
                )
            ).all()
        )
    skus = {item.sku for item in items if item.sku}
    if not skus and not links:
        return {item.id: [] for item in items}
    query = (
        sa.select(
            SourceItem.id,
            SourceItem.sku,
            SourceItem.quantity,
            SourceItem.cost,
            Source.id.label("source_id"),
            Source.name,
            Source.bsa_compliant,
        )
        .join(Source, Source.id == SourceItem.source_id)
        .where(
            SourceItem.account_id == account_id,
            sa.or_(SourceItem.sku.in_(skus), SourceItem.id.in_(set(links.values()))),
        )
        .order_by(SourceItem.id)  # one lock order for every run, so two runs cannot deadlock
    )
    if lock:
        query = query.with_for_update(of=SourceItem)
    # Reservations are read after the lock is granted: a run that waited sees what the other committed.
    rows = db.session.execute(query).all()
    reserved = reserved_quantities(account_id, {row.id for row in rows})
    result: dict[int, list[Candidate]] = {}
    for item in items:
        linked_id = links.get(item.listing_variant_id) if item.listing_variant_id else None
        found = [
            Candidate(
                source_item_id=row.id,
                source_id=row.source_id,
                source_name=row.name,
                compliant=bool(row.bsa_compliant),
                quantity=row.quantity or 0,
                reserved=reserved.get(row.id, 0),
                cost=row.cost,
                linked=row.id == linked_id,
            )
            for row in rows
            if row.id == linked_id or (item.sku and row.sku == item.sku)
        ]
        found.sort(
            key=lambda c: (not c.linked, c.cost is None, c.cost or Decimal(0), -c.available, c.source_id)
        )
        result[item.id] = found
    return result


def reserved_quantities(account_id: int, source_item_ids: set[int]) -> dict[int, int]:
    """``{source item id: quantity}`` routed to each source item since the supplier last stated its figure, in
    orders not cancelled or unfulfillable. An order item counts against a source item of the source it was
    routed to with its SKU, or linked to its listing variant. One query."""
    if not source_item_ids:
        return {}
    rows = db.session.execute(
        sa.select(SourceItem.id, sa.func.sum(OrderItem.quantity_ordered))
        .join(
            OrderItem,
            sa.and_(
                OrderItem.routed_source_id == SourceItem.source_id,
                OrderItem.routed_at > sa.func.coalesce(SourceItem.stated_at, SourceItem.changed_at),
            ),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .outerjoin(ListingVariant, ListingVariant.id == OrderItem.listing_variant_id)
        .where(
            SourceItem.id.in_(source_item_ids),
            Order.account_id == account_id,
            Order.status.not_in([s.value for s in RELEASED_STATUSES]),
            sa.or_(OrderItem.sku == SourceItem.sku, ListingVariant.source_item_id == SourceItem.id),
        )
        .group_by(SourceItem.id)
    ).all()
    return {source_item_id: int(quantity or 0) for source_item_id, quantity in rows}


def _attention_entry(order: Order, item: OrderItem, candidates: list[Candidate]) -> dict[str, str]:
    """Why no source may ship ``item``, and what the seller can do about it."""
    sku, needed = item.sku, item.quantity_ordered
    again = "then click “Route again” on the order page, or route the item by hand."
    enough_but_not_compliant = [
        c.source_name for c in candidates if not c.compliant and c.available >= needed
    ]
    compliant = [c for c in candidates if c.compliant]
    if not candidates:
        reason = f"no source has SKU “{sku}”"
        help_text = (
            f"Add SKU {sku} with its stock to a source marked compliant (Sources → the source → Upload "
            f"inventory), {again}"
        )
    elif enough_but_not_compliant:
        names = ", ".join(dict.fromkeys(enough_but_not_compliant))
        reason = f"only sources not marked compliant have enough ({names})"
        help_text = (
            f"If {names} names you as the seller of record on packing slips, invoices and packaging, turn on "
            "“Compliance with Amazon Services Business Solutions Agreement” in Sources → the source → "
            f"Edit; otherwise add stock of {sku} on a compliant source. Then click “Route again” on the "
            "order page."
        )
    elif compliant:
        best = max(compliant, key=lambda c: c.available)
        reason = f"compliant sources hold only {best.available}"
        if best.reserved:
            reason += f" not already routed to other orders ({best.source_name}: {best.quantity} in stock)"
        help_text = f"Add stock of {sku} on a compliant source (upload its inventory again), {again}"
    else:
        reason = "the sources that have it are not marked compliant and hold too few"
        help_text = (
            f"Add stock of {sku} on a source marked compliant with Amazon's Business Solutions Agreement "
            f"(Sources → the source → Edit), {again}"
        )
    return {
        "code": AttentionCode.NO_ELIGIBLE_SOURCE.value,
        "reference": sku,
        "message": (
            f"Order {order.amazon_order_id} needs attention: no compliant source can ship {needed} × "
            f"SKU “{sku}”: {reason}."
        ),
        "help": help_text,
    }


def _settle(order: Order, failures: list[dict[str, str]]) -> None:
    """Recompute the order's routing state and replace its ``no_eligible_source`` entries."""
    others = [a for a in order.attention or [] if a.get("code") != AttentionCode.NO_ELIGIBLE_SOURCE]
    order.attention = others + failures  # a new list: JSON columns only notice assignment
    order.needs_attention = bool(order.attention)
    routed = all(item.routed_source_id is not None for item in order.items)
    order.routing_state = (RoutingState.ROUTED if routed else RoutingState.NEEDS_ATTENTION).value


def _compliant_source_ids(account_id: int, source_ids: set[int]) -> set[int]:
    if not source_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Source.id).where(
                Source.account_id == account_id, Source.id.in_(source_ids), Source.bsa_compliant.is_(True)
            )
        )
    )


def _route(orders: list[Order], result: RoutingResult) -> None:
    """Route every routable order of ``orders`` (loaded with their items); the caller commits.

    Items keep a source already chosen (by hand or an earlier run) while it is still compliant; the
    others get the best eligible candidate, or an attention entry.
    """
    orders = [order for order in orders if is_routable(order)]
    if not orders:
        return
    account_id = orders[0].account_id
    items = [item for order in orders for item in order.items]
    still_compliant = _compliant_source_ids(
        account_id, {item.routed_source_id for item in items if item.routed_source_id}
    )
    candidates = candidates_by_item(account_id, items, lock=True)
    taken: dict[int, int] = {}  # source item id -> quantity routed to it by this pass
    now = utcnow()
    for order in orders:
        failures: list[dict[str, str]] = []
        for item in order.items:
            if item.routed_source_id in still_compliant:
                continue
            needed = item.quantity_ordered
            choice = next(
                (
                    c
                    for c in candidates[item.id]
                    if c.compliant and c.available - taken.get(c.source_item_id, 0) >= needed
                ),
                None,
            )
            if choice:
                taken[choice.source_item_id] = taken.get(choice.source_item_id, 0) + needed
            item.routed_source_id = choice.source_id if choice else None
            item.routed_at = now if choice else None
            if choice is None and item.sku not in {f["reference"] for f in failures}:
                failures.append(_attention_entry(order, item, candidates[item.id]))
        _settle(order, failures)
        if failures:
            result.needs_attention += 1
            for entry in failures:
                result.news.append(
                    OrderNews(order.amazon_order_id, entry["code"], entry["message"], entry["help"])
                )
        else:
            result.routed += 1


def route_order(order: Order) -> RoutingResult:
    """Route one order again (the order page's "Route again"): unrouted items, and items whose source is
    no longer compliant. The caller commits.

    Raises:
        RoutingRefused: FBA or closed orders.
    """
    if not is_routable(order):
        raise RoutingRefused(_not_routable_reason(order))
    result = RoutingResult()
    _route([order], result)
    return result


def _not_routable_reason(order: Order) -> str:
    if order.fulfilled_by != FulfilledBy.MERCHANT:
        return "Amazon ships this order (FBA): it is not routed to a source."
    status = order.status.replace("_", " ").lower()
    return f"This order is {status}: there is nothing left to route."


def reroute_item(order: Order, item: OrderItem, source: Source) -> list[str]:
    """Route one item to the source the seller chose, then recompute the order's routing state (its
    ``no_eligible_source`` entry for the SKU goes once no item of that SKU lacks a source). The caller
    loads ``order``, ``item`` and ``source`` within the seller's account and commits.

    The seller may know better than the supplier's last upload, so too little stock does not refuse
    the choice; it comes back among the cautions to show, with what still keeps the order waiting.

    Raises:
        RoutingRefused: the source is not marked compliant, or the order is FBA or closed.
    """
    if not is_routable(order):
        raise RoutingRefused(_not_routable_reason(order))
    if not source.bsa_compliant:
        raise RoutingRefused(
            f"{source.name} is not marked compliant with Amazon's Business Solutions Agreement, so it "
            "cannot receive Amazon orders. Turn the compliance on in Sources → Edit if it qualifies."
        )
    available = [
        c.available for c in candidates_by_item(order.account_id, [item])[item.id] if c.source_id == source.id
    ]
    cautions = []
    if not available:
        cautions.append(
            f"{source.name} does not list SKU {item.sku} in its inventory: make sure it can ship it."
        )
    elif max(available) < item.quantity_ordered:
        cautions.append(
            f"{source.name} has only {max(available)} of SKU {item.sku} available for new orders "
            f"({item.quantity_ordered} ordered): check with the supplier before sending the order."
        )
    item.routed_source_id = source.id
    item.routed_at = utcnow()
    unrouted_skus = {i.sku for i in order.items if i.routed_source_id is None}
    remaining = [
        a
        for a in order.attention or []
        if a.get("code") != AttentionCode.NO_ELIGIBLE_SOURCE or a.get("reference") in unrouted_skus
    ]
    _settle(order, [a for a in remaining if a.get("code") == AttentionCode.NO_ELIGIBLE_SOURCE])
    # Entries read "Order X needs attention: <why>"; the seller is on order X's page, so just the why.
    cautions += [f"The order still needs attention: {a['message'].split(': ', 1)[-1]}" for a in remaining]
    return cautions


def compliant_sources(account_id: int, item: OrderItem) -> list[tuple[Source, int | None]]:
    """The account's compliant sources for the re-route form, each with how many of the item's SKU it
    still has for new orders (None when it does not stock it): those with enough first, then by name."""
    sources = db.session.scalars(
        sa.select(Source)
        .where(Source.account_id == account_id, Source.bsa_compliant.is_(True))
        .order_by(Source.name, Source.id)
    ).all()
    stock: dict[int, int] = {}
    for candidate in candidates_by_item(account_id, [item])[item.id]:
        if candidate.compliant:
            stock[candidate.source_id] = max(stock.get(candidate.source_id, 0), candidate.available)
    ranked = [(source, stock.get(source.id)) for source in sources]
    ranked.sort(key=lambda pair: ((pair[1] or 0) < item.quantity_ordered, pair[0].name, pair[0].id))
    return ranked


def open_merchant_order_ids(
    channel: Channel, condition: sa.ColumnElement[bool], after_id: int = 0, limit: int = BATCH_SIZE
) -> list[int]:
    """Ids of the channel's open merchant-fulfilled orders that meet ``condition``, above ``after_id``,
    oldest first, at most ``limit``: the batches Get Orders works through."""
    return list(
        db.session.scalars(
            sa.select(Order.id)
            .where(
                Order.channel_id == channel.id,
                Order.id > after_id,
                condition,
                Order.fulfilled_by == FulfilledBy.MERCHANT.value,
                Order.status.not_in([s.value for s in CLOSED_STATUSES]),
            )
            .order_by(Order.id)
            .limit(limit)
        )
    )


def _claim_and_route(
    ids: list[int], state: RoutingState, only: Callable[[Order], bool] | None = None
) -> RoutingResult:
    """Route the orders ``ids`` that are still in ``state`` (and pass ``only``), claimed first with a
    conditional UPDATE: when two runs route the same orders at once, the second waits for the first's
    commit, then finds them no longer in ``state`` and skips them, so each order is routed and reported
    once."""
    claimed = list(
        db.session.execute(
            sa.update(Order)
            .where(Order.id.in_(ids), Order.routing_state == state.value)
            .values(routing_state=state.value)
            .returning(Order.id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )
    result = RoutingResult()
    if claimed:
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.id.in_(claimed))
            .options(so.selectinload(Order.items))
            .order_by(Order.id)
            .execution_options(populate_existing=True)
        ).all()
        _route([order for order in orders if only is None or only(order)], result)
    return result


def _waits_for_a_source_only(order: Order) -> bool:
    """True when routing is all the order lacks: an unknown SKU or an unmapped service level is the
    seller's to fix on the order's own terms, so routing alone would not settle it."""
    return all(a.get("code") == AttentionCode.NO_ELIGIBLE_SOURCE for a in order.attention or [])


def route_pending_batch(channel: Channel) -> RoutingResult | None:
    """Route up to ``BATCH_SIZE`` of the channel's open merchant orders still waiting for routing
    (``pending``: imported and never routed); None when none is left. The caller commits each batch."""
    ids = open_merchant_order_ids(channel, Order.routing_state == RoutingState.PENDING.value)
    if not ids:
        return None
    return _claim_and_route(ids, RoutingState.PENDING)


def route_again_batch(channel: Channel, after_id: int) -> tuple[RoutingResult, int] | None:
    """Route again up to ``BATCH_SIZE`` of the channel's open merchant orders that need attention only
    for want of a source, with ids above ``after_id`` (oldest first, so they get stock before newer
    orders); the result and the last id looked at, or None when none is left. The caller commits each
    batch.

    Get Orders runs this every time, so an order waiting for stock or a compliant source is routed as
    soon as the seller's fix (an inventory upload, the compliance switch) is in, without "Route again"
    on each order.
    """
    ids = open_merchant_order_ids(
        channel, Order.routing_state == RoutingState.NEEDS_ATTENTION.value, after_id
    )
    if not ids:
        return None
    return _claim_and_route(ids, RoutingState.NEEDS_ATTENTION, _waits_for_a_source_only), ids[-1]
