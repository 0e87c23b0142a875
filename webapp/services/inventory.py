"""The inventory table: search, filters and sort over the account's source items.

Every query starts from the account (``ix_source_items_account_sku`` serves the default SKU order,
``ix_source_items_account_quantity`` the stock filter and quantity sort, ``ix_source_items_account_changed``
the "changed" sort; ``uq_source_items_source_sku`` the source filter). Text search is a substring match
on SKU and title plus an exact match on the identifiers (UPC, EAN, GTIN, ASIN, MPN; each indexed).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import SourceItem

# Sort keys accepted from the URL (anything else falls back to SKU); a leading "-" sorts descending.
SORTS = {
    "sku": SourceItem.sku,
    "title": SourceItem.title,
    "quantity": SourceItem.quantity,
    "cost": SourceItem.cost,
    "changed": SourceItem.changed_at,
}
DEFAULT_SORT = "sku"
STOCK_FILTERS = {"in": SourceItem.quantity > 0, "out": SourceItem.quantity <= 0}


@dataclass(frozen=True)
class InventoryFilters:
    """The table's state, as read from the URL."""

    q: str = ""
    source_id: int | None = None
    stock: str = ""
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        """True when something narrows the list (the empty state then says "no match")."""
        return bool(self.q or self.source_id or self.stock)


def valid_sort(sort: str | None) -> str:
    """``sort`` when whitelisted (``sku``, ``-quantity``...), else the default."""
    return sort if sort and sort.lstrip("-") in SORTS else DEFAULT_SORT


def inventory_query(account_id: int, filters: InventoryFilters) -> sa.Select:
    """The account's items matching ``filters``, sorted (ties broken by id, so pages are stable)."""
    query = sa.select(SourceItem).where(SourceItem.account_id == account_id)
    if filters.source_id:
        query = query.where(SourceItem.source_id == filters.source_id)
    if filters.stock in STOCK_FILTERS:
        query = query.where(STOCK_FILTERS[filters.stock])
    q = filters.q.strip()
    if q:
        query = query.where(
            sa.or_(
                SourceItem.sku.icontains(q, autoescape=True),
                SourceItem.title.icontains(q, autoescape=True),
                SourceItem.upc == q,
                SourceItem.ean == q,
                SourceItem.gtin == q,
                SourceItem.asin == q.upper(),
                SourceItem.mpn == q,
            )
        )
    sort = valid_sort(filters.sort)
    column = SORTS[sort.lstrip("-")]
    if sort.startswith("-"):
        return query.order_by(column.desc(), SourceItem.id.desc())
    return query.order_by(column.asc(), SourceItem.id.asc())


def has_items(account_id: int) -> bool:
    """True once the account has imported any item."""
    return db.session.scalar(sa.select(sa.exists().where(SourceItem.account_id == account_id)))
