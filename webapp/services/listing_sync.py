"""The Sync Listings diff: what price and quantity each syncable variant should have, and which differ
from what Amazon last accepted.

Rows are read with SQLAlchemy Core in id order, ``BATCH_SIZE`` at a time (keyset pages, so a job can
commit between pages), joined to their source items, and computed with the channel's Sync template.
Only the columns a price or quantity rule can read are fetched: a 100,000-variant channel diffs in
about a second and holds one page in memory.

A variant in Error is synced only when its offer exists on Amazon (see :func:`never_on_amazon`): an
Error left by a refused Publish has no offer to update, and patching it would only repeat Amazon's
"SKU does not exist" on every scheduled run.

The variant's own fulfilment channel always wins over the template's: an FBA offer never gets a
quantity, an FBM offer never an AMAZON_* channel code, so a sync can never create a second offer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.models import ListingVariant, SourceItem, VariantHistory
from webapp.models.listing import SYNCABLE_STATUSES, FulfillmentChannel, VariantStatus
from webapp.services.listing_selection import selected_variant_ids, unindexed
from webapp.services.mapping_engine import CompiledTemplate, Offer, offer_attributes, offer_fields

BATCH_SIZE = 5000
VARIANTS = ListingVariant.__table__
ITEMS = SourceItem.__table__
HISTORY = VariantHistory.__table__
SYNCABLE = tuple(s.value for s in SYNCABLE_STATUSES)
# Statuses whose offer exists on Amazon: an Error entered from one of them still has that offer.
ON_AMAZON = frozenset({VariantStatus.LINKED.value, VariantStatus.PUBLISHED.value, VariantStatus.HIDDEN.value})


@dataclass(slots=True)
class Change:
    """One variant whose computed offer differs from Amazon's; ``new_*`` is None for a value not sent."""

    variant_id: int
    sku: str
    product_type: str
    fulfillment_channel: str
    old_price: Decimal | None
    new_price: Decimal | None
    price_rule: str
    old_quantity: int | None
    new_quantity: int | None
    quantity_rule: str

    @property
    def is_fba(self) -> bool:
        """True for Amazon-fulfilled offers."""
        return self.fulfillment_channel != FulfillmentChannel.DEFAULT

    def attributes(self, marketplace_id: str, currency: str) -> dict[str, list]:
        """The changed attributes in Amazon's shape: the price and/or the FBM quantity; FBA offers also
        restate their AMAZON_* channel code (without quantity, which is Amazon's)."""
        offer = Offer(
            self.new_price, self.price_rule, self.new_quantity, self.quantity_rule, self.fulfillment_channel
        )
        return offer_attributes(offer, marketplace_id, currency)

    def patches(self, marketplace_id: str, currency: str) -> list[dict[str, Any]]:
        """patchListingsItem / feed PATCH operations: one ``merge`` per changed attribute.

        ``merge`` changes only the keys sent, in the entry with the same selectors (audience ALL of this
        marketplace; the fulfillment channel), where ``replace`` would swap the whole attribute: the
        seller's business (B2B) price, sale price, minimum/maximum seller-allowed prices, handling time
        and restock date, none of which Shelfsync owns, would be wiped on every sync.
        """
        return [
            {"op": "merge", "path": f"/attributes/{name}", "value": value}
            for name, value in self.attributes(marketplace_id, currency).items()
        ]

    def record(self) -> dict[str, Any]:
        """JSON-safe form, kept on a FeedSubmission until Amazon's answer is read."""
        return {
            "variant_id": self.variant_id,
            "sku": self.sku,
            "product_type": self.product_type,
            "fulfillment_channel": self.fulfillment_channel,
            "old_price": _text(self.old_price),
            "price": _text(self.new_price),
            "price_rule": self.price_rule,
            "old_quantity": self.old_quantity,
            "quantity": self.new_quantity,
            "quantity_rule": self.quantity_rule,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Change:
        """Back from :meth:`record`."""
        return cls(
            variant_id=int(data["variant_id"]),
            sku=data["sku"],
            product_type=data.get("product_type") or "PRODUCT",
            fulfillment_channel=data.get("fulfillment_channel") or FulfillmentChannel.DEFAULT,
            old_price=_decimal(data.get("old_price")),
            new_price=_decimal(data.get("price")),
            price_rule=data.get("price_rule", ""),
            old_quantity=data.get("old_quantity"),
            new_quantity=data.get("quantity"),
            quantity_rule=data.get("quantity_rule", ""),
        )

    def diff_row(self) -> dict[str, str]:
        """One line of the dry-run table: SKU, old → new price and quantity, the rules that bound them."""
        return {
            "sku": self.sku,
            "old_price": _text(self.old_price),
            "new_price": _text(self.new_price) if self.new_price is not None else _text(self.old_price),
            "price_rule": self.price_rule if self.new_price is not None else "",
            "old_quantity": _text(self.old_quantity),
            "new_quantity": (
                _text(self.new_quantity) if self.new_quantity is not None else _text(self.old_quantity)
            ),
            "quantity_rule": self.quantity_rule if self.new_quantity is not None else "",
        }


def _text(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def _decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _scope(account_id: int, channel_id: int, selection: dict | None) -> list[sa.ColumnElement[bool]]:
    conditions = [VARIANTS.c.account_id == account_id, VARIANTS.c.channel_id == channel_id]
    if selection:
        ids = selected_variant_ids(account_id, channel_id, selection).order_by(None)
        conditions.append(VARIANTS.c.id.in_(ids))
    return conditions


def status_counts(session: so.Session, account_id: int, channel_id: int, selection: dict | None) -> dict:
    """Number of selected variants per status."""
    rows = session.execute(
        sa.select(VARIANTS.c.status, sa.func.count())
        .where(*_scope(account_id, channel_id, selection))
        .group_by(VARIANTS.c.status)
    )
    return {status: count for status, count in rows}


def never_on_amazon(
    session: so.Session, account_id: int, channel_id: int, selection: dict | None
) -> set[int]:
    """Ids of the selected Error variants that have no offer on Amazon (a Sync skips them).

    The status a variant had before its Error says whether Amazon ever accepted it: Linked, Published
    or Hidden means the offer exists (a later update failed); Unlinked or Delisted means it does not
    (e.g. a Publish Amazon refused). A variant without that history row (older data) counts as on
    Amazon when Link listings recorded its listing id or Amazon accepted a push.
    """
    error = VariantStatus.ERROR.value
    before = (
        sa.select(HISTORY.c.old_value)
        .where(
            HISTORY.c.variant_id == VARIANTS.c.id, HISTORY.c.field == "status", HISTORY.c.new_value == error
        )
        .order_by(HISTORY.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(VARIANTS.c.id, before, VARIANTS.c.external_listing_id, VARIANTS.c.pushed_at).where(
            *_scope(account_id, channel_id, selection), VARIANTS.c.status == error
        )
    )
    return {
        variant_id
        for variant_id, status_before, listing_id, pushed_at in rows
        if not (status_before in ON_AMAZON if status_before else listing_id or pushed_at is not None)
    }


# The page's columns, in the order diff_rows unpacks them: what a price or quantity rule can read
# (mapping_engine.offer_fields; a variant without source item reads NULLs from the outer join), and
# what a change needs.
_COLUMNS = (
    VARIANTS.c.id,
    VARIANTS.c.sku,
    VARIANTS.c.product_type,
    VARIANTS.c.fulfillment_channel,
    VARIANTS.c.pushed_price,
    VARIANTS.c.pushed_quantity,
    VARIANTS.c.price,
    VARIANTS.c.quantity,
    ITEMS.c.cost,
    ITEMS.c.msrp,
    ITEMS.c.map_price,
    ITEMS.c.quantity,
)


def _page(
    session: so.Session, account_id: int, channel_id: int, selection: dict | None, after_id: int
) -> list[sa.Row]:
    account, channel, status = VARIANTS.c.account_id, VARIANTS.c.channel_id, VARIANTS.c.status
    if session.get_bind().dialect.name == "sqlite":
        # Walk the primary key from ``after_id``: SQLite would pick the (account, channel, status)
        # index instead, then join and sort every remaining row of the channel for each page.
        account, channel, status = unindexed(account), unindexed(channel), unindexed(status)
    query = (
        sa.select(*_COLUMNS)
        .select_from(VARIANTS.outerjoin(ITEMS, ITEMS.c.id == VARIANTS.c.source_item_id))
        .where(account == account_id, channel == channel_id, status.in_(SYNCABLE), VARIANTS.c.id > after_id)
        .order_by(VARIANTS.c.id)
        .limit(BATCH_SIZE)
    )
    if selection:
        query = query.where(
            VARIANTS.c.id.in_(selected_variant_ids(account_id, channel_id, selection).order_by(None))
        )
    return session.execute(query).all()


def diff_rows(
    rows: list[sa.Row], template: CompiledTemplate, skip_ids: frozenset[int]
) -> tuple[list[Change], int]:
    """(the changes, how many rows are unchanged) of one page; ``skip_ids`` are left out of both.

    Rows are unpacked as tuples into ``offer_fields`` (attribute access on SQLAlchemy rows cost more
    than the rules themselves at 100,000 rows), and the offer is first computed without its rule
    texts: only the rows that changed (typically 1%) are computed again to explain them.
    """
    changes: list[Change] = []
    unchanged = 0
    default = FulfillmentChannel.DEFAULT.value
    offer = template.offer
    for (
        variant_id,
        sku,
        product_type,
        channel,
        pushed_price,
        pushed_quantity,
        price,
        quantity,
        cost,
        msrp,
        map_price,
        item_quantity,
    ) in rows:
        if variant_id in skip_ids:
            continue
        channel = channel or default
        fields = offer_fields(cost, msrp, map_price, item_quantity, price, quantity)
        values = offer(fields, channel, explain=False)
        new_price = values.price if values.price is not None and values.price != pushed_price else None
        # The variant's own channel wins: an FBA offer never gets a quantity from an FBM template.
        sent_quantity = None if channel != default or values.is_fba else values.quantity
        new_quantity = (
            sent_quantity if sent_quantity is not None and sent_quantity != pushed_quantity else None
        )
        if new_price is None and new_quantity is None:
            unchanged += 1
            continue
        explained = offer(fields, channel)
        changes.append(
            Change(
                variant_id=variant_id,
                sku=sku,
                product_type=product_type or "PRODUCT",
                fulfillment_channel=channel,
                old_price=pushed_price,
                new_price=new_price,
                price_rule=explained.price_rule,
                old_quantity=pushed_quantity,
                new_quantity=new_quantity,
                quantity_rule=explained.quantity_rule,
            )
        )
    return changes, unchanged


def iter_diff(
    session: so.Session,
    account_id: int,
    channel_id: int,
    selection: dict | None,
    template: CompiledTemplate,
    skip_ids: frozenset[int] = frozenset(),
) -> Iterator[tuple[list[Change], int, int]]:
    """Per page of syncable variants: (changes, unchanged count, rows read incl. skipped ones).

    Each page is its own query, so the caller may commit between pages.
    """
    after_id = 0
    while True:
        rows = _page(session, account_id, channel_id, selection, after_id)
        if not rows:
            return
        after_id = rows[-1].id
        changes, unchanged = diff_rows(rows, template, skip_ids)
        yield changes, unchanged, len(rows)
