"""Which listing variants a table view or a bulk action means: filters, sorting and selections.

The search (SKU and title substrings, exact ASIN) runs on each database's trigram index, see
``webapp.models.listing_search``.

A bulk action is stored on its run as a *selection*: either explicit ids (rows ticked on a page) or
the filters of the table ("all matching the filter"), resolved again by the job, so that selecting
100,000 variants costs one small JSON document instead of a list of ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from webapp.extensions import db
from webapp.models import ListingVariant, SourceItem, VariantStatus
from webapp.models.listing_search import MIN_INDEXED_TERM, SEARCH_TABLE, search_index_ready

# The FTS5 table of SQLite databases (its rowid is the variant's id).
SEARCH = sa.table(SEARCH_TABLE, sa.column("rowid"))

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
    term = filters.q.strip()
    indexed = bool(term) and _fts_ready(term)
    account, channel = ListingVariant.account_id, ListingVariant.channel_id
    if indexed:
        # The index's matches drive the query: SQLite keeps no statistics unless ANALYZEd, and would
        # rather walk the channel's 100,000 index entries testing each one against the matches.
        account, channel = unindexed(account), unindexed(channel)
    query = sa.select(ListingVariant).where(account == account_id, channel == channel_id)
    if indexed:
        query = query.where(_fts_condition(channel_id, term))
    elif term:
        query = query.where(_like_condition(term))
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


def _fts_ready(term: str) -> bool:
    """True when the search can use SQLite's FTS5 trigram table (see ``webapp.models.listing_search``)."""
    connection = db.session.connection()
    return (
        connection.dialect.name == "sqlite"
        and len(term) >= MIN_INDEXED_TERM
        and search_index_ready(connection)
    )


def unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """``+column``: the same value, but SQLite will not use an index for a condition on it (SQLite
    keeps no statistics unless ANALYZEd, so it takes any equality on an index to be selective)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _fts_condition(channel_id: int, term: str) -> sa.ColumnElement[bool]:
    """SKU or title contains ``term`` (any case), or the ASIN is ``term``, through the FTS5 table."""
    # A quoted FTS5 string is a phrase of the term's trigrams, i.e. a substring (quotes doubled).
    phrase = '"' + term.replace('"', '""') + '"'
    matches = sa.select(SEARCH.c.rowid).where(sa.literal_column(SEARCH_TABLE).op("MATCH")(phrase))
    by_asin = sa.select(ListingVariant.id).where(
        ListingVariant.channel_id == channel_id, ListingVariant.asin == term.upper()
    )
    return ListingVariant.id.in_(sa.union_all(matches, by_asin))


def _like_condition(term: str) -> sa.ColumnElement[bool]:
    """SKU or title contains ``term`` (any case), or the ASIN is ``term``: on PostgreSQL, ``ILIKE``
    uses the pg_trgm GIN index; on SQLite this is the scan for terms too short for the trigrams."""
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        ListingVariant.sku.ilike(pattern, escape="\\"),
        ListingVariant.title.ilike(pattern, escape="\\"),
        ListingVariant.asin == term.upper(),
    )


def ordered(query: sa.Select, filters: VariantFilters) -> sa.Select:
    """Apply the table's sort (whitelisted column, then id for a stable order).

    The id tiebreak goes the same direction as the column, so that an index on (channel, column, id)
    yields rows already in order: a mixed direction would sort every row.
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
