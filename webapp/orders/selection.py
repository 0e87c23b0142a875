"""Which orders the orders table shows: search, filters, ship-by urgency and sorting.

Search takes one box: an Amazon order id (or its beginning), a SKU (or its beginning) of one of the
order's items, or a buyer's exact name. Names are encrypted at rest, so a name matches through
``Order.buyer_name_digest`` (a keyed digest of the normalized name): exact names only, no partial match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.models import FulfilledBy, Order, OrderItem
from webapp.models.order import CLOSED_STATUSES
from webapp.services.order_import import buyer_name_digest

# An open order whose latest ship-by time is this close is "at risk".
AT_RISK_WITHIN = timedelta(hours=24)

# Ship-by filter values and their labels.
SHIP_BY_FILTERS = {"overdue": "Overdue", "at_risk": "At risk (within 24 h)", "later": "Later"}

# Sort keys the table accepts, each an indexed or cheap column.
SORT_COLUMNS: dict[str, sa.ColumnElement] = {
    "purchased": Order.purchased_at,
    "ship_by": Order.ship_by_latest,
    "order": Order.amazon_order_id,
    "status": Order.status,
    "total": Order.order_total,
}


@dataclass(frozen=True)
class OrderFilters:
    """The state of the orders table (strings, as they come from the query string)."""

    q: str = ""
    status: str = ""
    channel_id: str = ""
    routing: str = ""
    sync: str = ""
    ship_by: str = ""  # a key of SHIP_BY_FILTERS
    attention: str = ""  # "1": only orders that need the seller
    sort: str = "purchased"
    direction: str = "desc"

    def as_dict(self) -> dict:
        """The non-empty filters, for a query string."""
        return {k: v for k, v in asdict(self).items() if v}


def _open_merchant() -> sa.ColumnElement[bool]:
    """Orders the seller still has to ship (the only ones a ship-by time concerns: Amazon ships FBA)."""
    return sa.and_(
        Order.fulfilled_by == FulfilledBy.MERCHANT.value,
        Order.status.not_in([s.value for s in CLOSED_STATUSES]),
    )


def ship_by_state(order: Order, now: datetime) -> str:
    """``overdue``, ``at_risk`` or "" for one order (the table's and the order page's badge)."""
    if order.ship_by_latest is None or order.is_fba or order.status in CLOSED_STATUSES:
        return ""
    if order.ship_by_latest < now:
        return "overdue"
    if order.ship_by_latest < now + AT_RISK_WITHIN:
        return "at_risk"
    return ""


def _like_prefix(term: str) -> str:
    """``term%`` with LIKE's wildcards in ``term`` escaped (searched for as themselves)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def filtered_orders(account_id: int, filters: OrderFilters, now: datetime) -> sa.Select:
    """``SELECT Order`` of the account with the table's search and filters (no ordering)."""
    query = sa.select(Order).where(Order.account_id == account_id)
    term = filters.q.strip()
    if term:
        prefix = _like_prefix(term)
        matches = [
            Order.amazon_order_id.like(prefix, escape="\\"),
            Order.id.in_(
                sa.select(OrderItem.order_id).where(
                    OrderItem.account_id == account_id, OrderItem.sku.like(prefix, escape="\\")
                )
            ),
        ]
        digest = buyer_name_digest(term)
        if digest:
            matches.append(Order.buyer_name_digest == digest)
        query = query.where(sa.or_(*matches))
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.channel_id.isdigit():
        query = query.where(Order.channel_id == int(filters.channel_id))
    if filters.routing:
        query = query.where(Order.routing_state == filters.routing)
    if filters.sync:
        query = query.where(Order.sync_state == filters.sync)
    if filters.attention == "1":
        query = query.where(Order.needs_attention.is_(True))
    if filters.ship_by in SHIP_BY_FILTERS:
        soon = now + AT_RISK_WITHIN
        window = {
            "overdue": Order.ship_by_latest < now,
            "at_risk": sa.and_(Order.ship_by_latest >= now, Order.ship_by_latest < soon),
            "later": Order.ship_by_latest >= soon,
        }[filters.ship_by]
        query = query.where(_open_merchant(), window)
    return query


def ordered(query: sa.Select, filters: OrderFilters) -> sa.Select:
    """Apply the table's sort (whitelisted column, then id the same direction, for a stable order)."""
    column = SORT_COLUMNS.get(filters.sort, Order.purchased_at)
    key = column.asc() if filters.direction == "asc" else column.desc()
    if column is Order.ship_by_latest or column is Order.order_total:
        key = key.nulls_last()  # SQLite and PostgreSQL disagree on where NULLs go otherwise
    tiebreak = Order.id.asc() if filters.direction == "asc" else Order.id.desc()
    return query.order_by(key, tiebreak)
