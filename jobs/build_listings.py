"""The "Build listings" integration: source items → listings on a channel, Unlinked, ready to link or
publish.

Parameters: ``items`` (``{"ids": [...]}`` or ``{"filter": {q, source_id, stock}}``, see
``webapp.services.listings.item_selection``); the channel is the run's.

Each item becomes one parent listing (parent SKU = item SKU) with one variant (SKU = item SKU, tied to
the item, identifiers from UPC → EAN → GTIN, the channel's default fulfilment). Idempotent by
(channel, SKU): a variant that already exists is tied to the item when it was not, and otherwise left
alone, so running it twice creates nothing the second time.

Set-based: the channel's existing listing and variant SKUs are read once, then items are streamed in
batches of ``BATCH_SIZE``, each committed with the run's progress. A batch's new parents and variants are
written at driver level by ``jobs.bulk_insert.BulkWriter`` (multi-row INSERTs on SQLite, where a
statement per row makes the search index's FTS5 trigger flush at every row; COPY on PostgreSQL), and
variants that exist but are not tied to their item get one executemany UPDATE. Image lists are carried
as the JSON text the item stores, never decoded.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from jobs.bulk_insert import BulkWriter
from jobs.runner import RunContext, integration_job
from webapp.extensions import db
from webapp.models import Channel, Listing, ListingVariant, SourceItem, VariantStatus
from webapp.services.inventory import inventory_query
from webapp.services.listings import item_filters
from webapp.timeutil import utcnow

BATCH_SIZE = 2000
# SKUs found in two sources are listed one by one up to this many; a single line gives the rest.
MAX_SKU_NOTIFICATIONS = 200
COUNTS = ("created", "already_existed", "skipped")
LISTINGS = Listing.__table__
VARIANTS = ListingVariant.__table__
ITEMS = SourceItem.__table__
ITEM_COLUMNS = (
    ITEMS.c.id,
    ITEMS.c.sku,
    ITEMS.c.title,
    ITEMS.c.description,
    # As stored: the writer takes JSON text, so decoding and re-encoding every list would be wasted.
    sa.cast(ITEMS.c.image_urls, sa.Text).label("images"),
    ITEMS.c.upc,
    ITEMS.c.ean,
    ITEMS.c.gtin,
    ITEMS.c.asin,
    ITEMS.c.condition,
)
UNLINKED = VariantStatus.UNLINKED.value
LISTING_COLUMNS = ("account_id", "channel_id", "sku", "title", "description", "images", "external_listing_id")
# The variant's other columns take their model defaults (product type, empty error) or stay NULL (price,
# quantity, pushed values: nothing is priced until a Sync).
VARIANT_COLUMNS = (
    "account_id",
    "channel_id",
    "listing_id",
    "source_item_id",
    "sku",
    "asin",
    "product_id",
    "product_id_type",
    "title",
    "images",
    "fulfillment_channel",
    "condition",
    "status",
    "issues",
)
DUPLICATE_HELP = (
    "Two sources sell the same SKU, and a channel can hold a SKU only once. The item imported first "
    "was used; give the other source's item its own SKU if it should be listed too."
)


def _items_query(account_id: int, items: dict) -> sa.Select:
    """Ids of the selected items of the account, oldest first (the first of two equal SKUs wins)."""
    if "ids" in items:
        query = sa.select(ITEMS.c.id).where(
            ITEMS.c.account_id == account_id, ITEMS.c.id.in_([int(i) for i in items["ids"]])
        )
    else:
        query = inventory_query(account_id, item_filters(items.get("filter", {}))).with_only_columns(
            SourceItem.id
        )
    return query.order_by(None).order_by(ITEMS.c.id)


def _batch_items(ids: list[int]) -> list[sa.Row]:
    """The columns of the items ``ids``, in id order."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One array parameter: an IN list of 2,000 placeholders costs SQLAlchemy and psycopg more to
        # render and parse than the server spends on the query.
        selected = ITEMS.c.id == sa.any_(sa.literal(ids, postgresql.ARRAY(sa.Integer)))
    else:
        selected = ITEMS.c.id.in_(ids)
    return db.session.execute(sa.select(*ITEM_COLUMNS).where(selected).order_by(ITEMS.c.id)).all()


def _product_id(item) -> tuple[str, str]:
    """(identifier, type) from UPC, else EAN, else GTIN; empty when the item has none."""
    for kind in ("upc", "ean", "gtin"):
        value = getattr(item, kind)
        if value:
            return value, kind.upper()
    return "", ""


def _images(item) -> str:
    """The item's image URLs as JSON text; an item stored without a list (JSON null) has none."""
    return item.images if item.images not in (None, "null") else "[]"


class _Builder:
    """What the channel already holds, and the writes of one batch."""

    def __init__(self, ctx: RunContext, channel: Channel) -> None:
        self.ctx = ctx
        # Plain values, read once: the channel object is expired by every batch's commit.
        self.channel_id = channel.id
        self.fulfillment_channel = channel.fulfillment_channel
        self.listing_ids: dict[str, int] = dict(
            db.session.execute(
                sa.select(LISTINGS.c.sku, LISTINGS.c.id).where(LISTINGS.c.channel_id == self.channel_id)
            ).all()
        )
        self.variants: dict[str, tuple[int, int | None]] = {
            sku: (variant_id, item_id)
            for sku, variant_id, item_id in db.session.execute(
                sa.select(VARIANTS.c.sku, VARIANTS.c.id, VARIANTS.c.source_item_id)
                .where(VARIANTS.c.channel_id == self.channel_id)
                .execution_options(yield_per=10_000)
            )
        }
        self.seen: dict[str, int] = {}
        self.reported = 0

    def write(self, batch: list) -> None:
        """Create what is missing for ``batch``, tie existing variants to their items (SKUs repeated
        within the run are caught by ``seen``, so new variants need not be added to ``variants``)."""
        now = utcnow()
        new_items, ties = [], []
        for item in batch:
            if item.sku in self.seen:
                self._duplicate(item)
                continue
            self.seen[item.sku] = item.id
            existing = self.variants.get(item.sku)
            if existing is None:
                new_items.append(item)
            else:
                self.ctx.counts["already_existed"] += 1
                if existing[1] != item.id:
                    ties.append({"variant_id": existing[0], "item_id": item.id})
        if ties:
            db.session.execute(
                sa.update(VARIANTS)
                .where(VARIANTS.c.id == sa.bindparam("variant_id"))
                .values(source_item_id=sa.bindparam("item_id"), updated_at=now),
                ties,
            )
        if not new_items:
            return
        writer = BulkWriter(now)
        self._insert_listings(writer, [i for i in new_items if i.sku not in self.listing_ids])
        writer.insert(VARIANTS, VARIANT_COLUMNS, [self._variant_row(item) for item in new_items])
        self.ctx.counts["created"] += len(new_items)

    def _insert_listings(self, writer: BulkWriter, items: list) -> None:
        if not items:
            return
        rows = [
            (
                self.ctx.account_id,
                self.channel_id,
                item.sku,
                item.title or "",
                item.description or "",
                _images(item),
                "",
            )
            for item in items
        ]
        self.listing_ids.update(writer.insert_keyed(LISTINGS, LISTING_COLUMNS, rows))

    def _variant_row(self, item) -> tuple:
        product_id, product_id_type = _product_id(item)
        return (
            self.ctx.account_id,
            self.channel_id,
            self.listing_ids[item.sku],
            item.id,
            item.sku,
            item.asin or "",
            product_id,
            product_id_type,
            item.title or "",
            _images(item),
            self.fulfillment_channel,
            item.condition or "new_new",
            UNLINKED,
            "[]",
        )

    def _duplicate(self, item) -> None:
        self.ctx.counts["skipped"] += 1
        if self.reported < MAX_SKU_NOTIFICATIONS:
            self.reported += 1
            self.ctx.warning(
                f"SKU {item.sku} is in more than one source; the item imported first is used.",
                code="duplicate_sku",
                reference=item.sku,
                help=DUPLICATE_HELP,
            )


@integration_job
def run(ctx: RunContext) -> None:
    """Build listings from the selected source items (see the module docstring)."""
    channel = db.session.get(Channel, ctx.channel_id) if ctx.channel_id else None
    if channel is None or channel.account_id != ctx.account_id:
        ctx.fail("The channel of this run no longer exists.", code="channel_missing")
    # Ids first (small), then each batch's columns: memory stays bounded by the batch, and no cursor
    # stays open across the batch commits.
    ids = list(db.session.scalars(_items_query(ctx.account_id, ctx.params.get("items", {}))))
    total = len(ids)
    for name in COUNTS:
        ctx.counts.setdefault(name, 0)
    ctx.progress(0, total)
    builder = _Builder(ctx, channel)
    for start in range(0, total, BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        builder.write(_batch_items(chunk))
        ctx.progress(start + len(chunk))
        ctx.checkpoint(force=True)
    if ctx.counts["skipped"] > builder.reported:
        ctx.warning(
            f"{ctx.counts['skipped'] - builder.reported} more items were skipped for a SKU seen in another "
            f"source; the first {MAX_SKU_NOTIFICATIONS} are listed.",
            code="duplicate_skus",
            help=DUPLICATE_HELP,
        )
    c = ctx.counts
    ctx.info(
        f"Built listings on {channel.name} from {total} source items: {c['created']} created, "
        f"{c['already_existed']} already existed, {c['skipped']} skipped.",
        code="build_summary",
    )
    ctx.checkpoint(force=True)
