"""Which listing variants a table view or a bulk action means: filters, sorting and selections.

A bulk action is stored on its run as a *selection*: either explicit ids (rows ticked on a page) or
the filters of the table ("all matching the filter"), resolved again by the job, so that selecting
100,000 variants costs one small JSON document instead of a list of ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa

from webapp.models import ListingVariant, SourceItem, VariantStatus

# Sort keys the table accepts, each an indexed or cheap column.
SORT_COLUMNS = {
    "sku": ListingVariant.sku,
    "title": ListingVariant.title,
    "price": ListingVariant.price,
    "quantity": ListingVariant.quantity,
    "status": ListingVariant.status,
    "updated": ListingVariant.updated_at,
}


@dataclass(frozen=True)
class VariantFilters:
    """The state of the listings table (all strings, as they come from the query string)."""

    q: str = ""
    status: str = ""
    fulfillment: str = ""  # "fbm" or "fba"
    has_error: str = ""  # "1": only variants with an error
    source_id: str = ""
    sort: str = "sku"
    direction: str = "asc"

    @classmethod
    def from_mapping(cls, values) -> VariantFilters:
        """Build from a request's args (or a stored dict), ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(values.get(k, "") or "") for k in names if values.get(k)})

    def as_dict(self) -> dict:
        """The non-empty filters, for a run's params or a query string."""
        return {k: v for k, v in asdict(self).items() if v}


def filtered_variants(account_id: int, channel_id: int, filters: VariantFilters) -> sa.Select:
    """``SELECT ListingVariant`` of one channel of the account, with the table's filters (no ordering)."""
    query = sa.select(ListingVariant).where(
        ListingVariant.account_id == account_id, ListingVariant.channel_id == channel_id
    )
    if filters.q:
        term = filters.q.strip()
        like = f"%{term.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(ListingVariant.sku).like(like),
                sa.func.lower(ListingVariant.title).like(like),
                ListingVariant.asin == term.upper(),
            )
        )
    if filters.status in {s.value for s in VariantStatus}:
        query = query.where(ListingVariant.status == filters.status)
    if filters.fulfillment == "fbm":
        query = query.where(ListingVariant.fulfillment_channel == "DEFAULT")
    elif filters.fulfillment == "fba":
        query = query.where(ListingVariant.fulfillment_channel != "DEFAULT")
    if filters.has_error == "1":
        query = query.where(ListingVariant.last_error != "")
    if filters.source_id.isdigit():
        query = query.where(
            ListingVariant.source_item_id.in_(
                sa.select(SourceItem.id).where(
                    SourceItem.account_id == account_id, SourceItem.source_id == int(filters.source_id)
                )
            )
        )
    return query


def ordered(query: sa.Select, filters: VariantFilters) -> sa.Select:
    """Apply the table's sort (whitelisted column, then id for a stable order).

    The id tiebreak goes the same direction as the column, so that an index on (channel, column),
    which ends in the row id, yields rows already in order: a mixed direction would sort every row.
    """
    column = SORT_COLUMNS.get(filters.sort, ListingVariant.sku)
    if filters.direction == "desc":
        return query.order_by(column.desc(), ListingVariant.id.desc())
    return query.order_by(column.asc(), ListingVariant.id.asc())


def selection_for(ids: list[int] | None = None, filters: VariantFilters | None = None) -> dict:
    """A selection to store on a run: explicit ids, or every variant matching ``filters``."""
    if ids is not None:
        return {"ids": sorted({int(i) for i in ids})}
    return {"filter": (filters or VariantFilters()).as_dict()}


def selected_variant_ids(account_id: int, channel_id: int, selection: dict) -> sa.Select:
    """``SELECT ListingVariant.id`` for a stored selection, always inside the account and channel
    (ids of another account or channel are silently left out)."""
    if "ids" in selection:
        base = filtered_variants(account_id, channel_id, VariantFilters())
        query = base.where(ListingVariant.id.in_([int(i) for i in selection["ids"]]))
    else:
        filters = VariantFilters.from_mapping(selection.get("filter", {}))
        query = filtered_variants(account_id, channel_id, filters)
    return query.with_only_columns(ListingVariant.id).order_by(ListingVariant.id)
