"""The "Import listings" integration: the seller's Amazon offers become Shelfsync listings, by SKU.

Manual only (``webapp.services.schedules.MANUAL_ONLY_KINDS``); no parameters, the channel is the run's
and its settings decide what happens to a SKU Shelfsync already has:

- **Create Only**: the variant is linked to its offer when it was not (status, ASIN, listing id,
  fulfilment channel and Amazon's price/quantity as the pushed values); its data is left alone.
- **Create & Overwrite Existing**: the variant (and its parent, when the parent is that SKU's own) takes
  Amazon's title, description, images, price, quantity, fulfilment channel, ASIN and status.
- Either way a SKU Shelfsync does not have becomes a parent (SKU = the Amazon SKU) with one variant,
  Linked (Hidden when Amazon lists it Inactive, or an FBM offer has no stock), Amazon's price and quantity
  as pushed values so the first Sync sends only real differences; Paused instead when the channel's
  "Set New Listings to Paused" is on (the history shows Linked → Paused, so Unpause returns to Linked).

Matching is by SKU only. Because a seller whose Shelfsync SKUs differ from Amazon's gets duplicates, a
warning names every imported SKU whose ASIN already belongs to another Shelfsync variant of the channel
whose SKU is not in the report.

Suspect rows are not imported, each with a warning naming the SKU and the reason: price empty; for
merchant-fulfilled offers, quantity or pending quantity empty or at least ``QUANTITY_LIMIT`` (Amazon's
"999999999" placeholders). FBA quantities are blank by design and never suspect. Damaged lines (wrong
number of fields, a value that is not a number) are not imported either, each with an error.

Robustness: the report is read as a stream and written in batches of ``BATCH_SIZE`` rows, each batch one
transaction (parents, variants and history together) committed with the run's progress, and every write
is keyed by (channel, SKU). A worker killed mid-import therefore leaves whole batches only, and the rerun
finds what was written and creates nothing twice; running the same import again changes nothing. A report
that cannot be read (missing columns, an empty document, text not in its declared encoding, FATAL or
CANCELLED) ends the run failed with an error saying why; listings are never deleted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from jobs.amazon_channel import finished_listings_report, open_channel
from jobs.bulk_insert import BulkWriter
from jobs.connections import report_authorization_revoked
from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked
from webapp.extensions import db
from webapp.models import Channel, ImportMode, Listing, ListingVariant, VariantHistory, VariantStatus
from webapp.services.listing_history import record_change, set_status
from webapp.services.listings_report import ReportRow, parse_quantity, read_rows
from webapp.timeutil import utcnow

# Rows per transaction: large enough for set-based writes, small enough to keep memory flat. The
# environment can lower it (the kill-mid-import test needs many commits from a small report).
BATCH_SIZE = int(os.environ.get("SHELFSYNC_IMPORT_BATCH_SIZE", "2000"))
# A merchant-fulfilled quantity this high is a placeholder (Amazon shows 999999999 for "unlimited"
# offers left from old feeds), not stock: syncing it back would sell what the seller does not have.
QUANTITY_LIMIT = 1_000_000
PENDING_QUANTITY_COLUMN = "pending-quantity"
# Without these the rows cannot be imported faithfully (FBA would read as FBM, prices as empty).
REQUIRED_COLUMNS = ("seller-sku", "item-name", "price", "quantity", "asin1", "fulfillment-channel")
COUNTS = (
    "rows",
    "parents_created",
    "parents_updated",
    "variants_created",
    "variants_updated",
    "variants_linked",
    "unchanged",
    "skipped_suspect",
    "skipped_damaged",
    "skipped_repeated",
    "duplicate_warnings",
)
# Statuses an imported SKU moves to Linked (or Hidden) from; the others stand for an Amazon offer or a
# seller's choice (Paused) and are kept.
LINKABLE = {VariantStatus.UNLINKED, VariantStatus.BROKEN_LINK, VariantStatus.DELISTED}
# In Create & Overwrite, Amazon's status also moves these between Linked and Hidden.
FOLLOWS_AMAZON = LINKABLE | {VariantStatus.LINKED, VariantStatus.HIDDEN}
LISTINGS = Listing.__table__
VARIANTS = ListingVariant.__table__
HISTORY = VariantHistory.__table__
REPLACEMENT_CHARACTER = "\ufffd"
PARENT_INSERT_COLUMNS = (
    "account_id",
    "channel_id",
    "sku",
    "title",
    "description",
    "images",
    "external_listing_id",
)
VARIANT_INSERT_COLUMNS = (
    "account_id",
    "channel_id",
    "listing_id",
    "sku",
    "asin",
    "product_id",
    "product_id_type",
    "title",
    "images",
    "price",
    "quantity",
    "fulfillment_channel",
    "condition",
    "status",
    "external_listing_id",
    "pushed_price",
    "pushed_quantity",
    "pushed_at",
    "issues",
)
HISTORY_INSERT_COLUMNS = ("account_id", "variant_id", "field", "old_value", "new_value", "note", "run_id")
IMPORTED_NOTE = "Imported from Amazon"
PAUSED_NOTE = "New listings from Import start Paused (channel setting)"
# What deciding whether a known SKU changes needs, identity and status first (not ``issues`` and the
# like: decoding every variant's JSON would cost more than the comparison).
COMPARED_COLUMNS = tuple(
    VARIANTS.c[name]
    for name in (
        "id",
        "sku",
        "status",
        "asin",
        "external_listing_id",
        "fulfillment_channel",
        "pushed_price",
        "pushed_quantity",
        "title",
        "images",
        "price",
        "quantity",
    )
)
PARENT_COLUMNS = (
    LISTINGS.c.sku.label("parent_sku"),
    LISTINGS.c.title.label("parent_title"),
    LISTINGS.c.description.label("parent_description"),
    LISTINGS.c.images.label("parent_images"),
    LISTINGS.c.external_listing_id.label("parent_external_listing_id"),
)

SUSPECT_HELP = (
    "Shelfsync did not import this offer, so nothing wrong is synced back to Amazon. Correct it in Seller "
    "Central (Inventory > Manage All Inventory), then run Import listings again."
)
DAMAGED_HELP = (
    "Amazon's report had a damaged line for this SKU, so it was not imported rather than imported wrong. "
    "Run Import listings again later; Amazon builds a fresh report each time."
)
DUPLICATE_HELP = (
    "Shelfsync matches listings by SKU only. If both SKUs are the same product, give the Shelfsync variant "
    "the SKU used on Amazon (or delete it), otherwise the product is synced twice."
)
REPORT_HELP = (
    "Nothing was changed by the unreadable part of the report, and no listing was deleted. Run Import "
    "listings again in a few minutes; if it keeps failing, download the All Listings Report in Seller "
    "Central (Inventory > Inventory Reports) to see what Amazon produces."
)


class ReportUnreadable(ValueError):
    """The document cannot be imported faithfully (no header, missing columns, wrong encoding)."""


@dataclass
class _Tally:
    """What the run has seen across batches."""

    seen: set[str] = field(default_factory=set)
    # (imported SKU, ASIN, the other Shelfsync SKU), settled at the end when the report has been read.
    duplicate_candidates: list[tuple[str, str, str]] = field(default_factory=list)


def _pending_quantity_problem(row: ReportRow) -> str:
    text = row.values.get(PENDING_QUANTITY_COLUMN)
    if text is None:  # older 27/28-column files have the column; the reason is only read when present
        return ""
    value = parse_quantity(text)
    if value is None:
        return (
            "pending quantity is empty" if not text.strip() else f"pending quantity {text!r} is not a number"
        )
    if value >= QUANTITY_LIMIT:
        return f"pending quantity {value} is not believable (limit {QUANTITY_LIMIT - 1:,})"
    return ""


def suspect_reason(row: ReportRow) -> str:
    """Why the row must not be imported (empty when it is fine); FBA quantities are Amazon's, never
    suspect."""
    if row.price is None:
        return "price is empty"
    if row.is_fba:
        return ""
    if row.quantity is None:
        return "quantity is empty"
    if row.quantity >= QUANTITY_LIMIT:
        return f"quantity {row.quantity} is not believable (limit {QUANTITY_LIMIT - 1:,})"
    return _pending_quantity_problem(row)


def is_hidden(row: ReportRow) -> bool:
    """True when the offer is not buyable on Amazon: listed Inactive/Incomplete, or FBM without stock."""
    status = row.status.lower()
    if status and status != "active":
        return True
    return not row.is_fba and row.quantity == 0


def _images(row: ReportRow) -> list[str]:
    return [row.image_url] if row.image_url else []


def _checked_lines(lines: Iterable[str], header_seen: list[bool]) -> Iterator[str]:
    """Pass lines through, noting the header, and stop at the first one not in its declared encoding.

    The download decodes with the charset of its Content-Type and replaces undecodable bytes; a
    replacement character therefore means the document is not in the encoding it declares, and its
    text would be stored garbled.
    """
    for number, line in enumerate(lines, start=1):
        if REPLACEMENT_CHARACTER in line:
            raise ReportUnreadable(
                f"line {number} of the report is not in the encoding Amazon declared for it, so its text "
                "cannot be read reliably"
            )
        if not header_seen[0] and line.strip():
            header_seen[0] = True
        yield line


class Importer:
    """Writes one batch of report rows at a time into a channel's listings (see the module docstring)."""

    def __init__(self, ctx: RunContext, channel: Channel) -> None:
        self.ctx = ctx
        self.channel = channel
        self.overwrite = channel.import_mode == ImportMode.CREATE_AND_OVERWRITE
        self.paused = bool(channel.import_new_paused)
        self.tally = _Tally()
        for name in COUNTS:
            ctx.counts.setdefault(name, 0)
        # What the channel holds, read once in streamed queries: batches then look up only SKUs that
        # exist, and the ASIN check needs no query at all (variants this import creates are all in the
        # report, so they never count as "another Shelfsync SKU").
        channel_rows = sa.select(VARIANTS.c.sku, VARIANTS.c.asin).where(VARIANTS.c.channel_id == channel.id)
        self.known_skus: set[str] = set()
        self.asin_owners: dict[str, list[str]] = {}
        for sku, asin in db.session.execute(channel_rows.execution_options(yield_per=10_000)):
            self.known_skus.add(sku)
            if asin:
                self.asin_owners.setdefault(asin, []).append(sku)
        self.parent_ids: dict[str, int] = dict(
            db.session.execute(
                sa.select(LISTINGS.c.sku, LISTINGS.c.id)
                .where(LISTINGS.c.channel_id == channel.id)
                .execution_options(yield_per=10_000)
            ).all()
        )

    # Reading ---------------------------------------------------------------------------------------

    def import_lines(self, lines: Iterable[str]) -> None:
        """Import a report document's decoded lines (header first), batch by batch.

        Raises:
            ReportUnreadable: the document cannot be imported (whole batches before it are kept).
        """
        header_seen = [False]
        batch: list[ReportRow] = []
        try:
            for row in read_rows(_checked_lines(lines, header_seen), self._line_left_out, REQUIRED_COLUMNS):
                self.ctx.counts["rows"] += 1
                if self._admit(row):
                    batch.append(row)
                if len(batch) >= BATCH_SIZE:
                    self.write(batch)
                    batch = []
        except ValueError as error:
            db.session.rollback()  # the batch being read when the document turned out unreadable
            raise ReportUnreadable(str(error).rstrip(".")) from error
        if not header_seen[0]:
            raise ReportUnreadable("the report document is empty (not even a header row)")
        if batch:
            self.write(batch)

    def _line_left_out(self, line: int, sku: str, message: str) -> None:
        self.ctx.counts["skipped_damaged"] += 1
        self.ctx.error(f"Report line {line}: {message}", code="report_row", help=DAMAGED_HELP)

    def _admit(self, row: ReportRow) -> bool:
        """False (with a notification) for rows not to import: damaged, suspect, or a SKU seen before."""
        if row.sku in self.tally.seen:
            self.ctx.counts["skipped_repeated"] += 1
            self.ctx.warning(
                f"{row.sku}: the report lists this SKU twice (line {row.line}); the first row was imported.",
                code="repeated_sku",
                reference=row.sku,
            )
            return False
        self.tally.seen.add(row.sku)
        damage = [p for p in row.problems if not p.startswith("a line break")]
        if damage:
            self.ctx.counts["skipped_damaged"] += 1
            self.ctx.error(
                f"{row.sku} not imported: report line {row.line} is damaged ({'; '.join(damage)}).",
                code="report_row",
                reference=row.sku,
                help=DAMAGED_HELP,
            )
            return False
        reason = suspect_reason(row)
        if reason:
            self.ctx.counts["skipped_suspect"] += 1
            self.ctx.warning(
                f"{row.sku} not imported: {reason}.", code="suspect_row", reference=row.sku, help=SUSPECT_HELP
            )
            return False
        return True

    # Writing ---------------------------------------------------------------------------------------

    def write(self, batch: list[ReportRow]) -> None:
        """Upsert one batch and commit it with the run's progress (one transaction)."""
        for row in batch:
            for other in self.asin_owners.get(row.asin, ()) if row.asin else ():
                if other != row.sku:
                    self.tally.duplicate_candidates.append((row.sku, row.asin, other))
        known = [row.sku for row in batch if row.sku in self.known_skus]
        existing = {}
        if known:
            # Create Only compares statuses alone; Create & Overwrite compares values, the parent's too.
            query = sa.select(*COMPARED_COLUMNS[:3])
            if self.overwrite:
                query = sa.select(*COMPARED_COLUMNS, *PARENT_COLUMNS).join(
                    LISTINGS, LISTINGS.c.id == VARIANTS.c.listing_id
                )
            query = query.where(VARIANTS.c.channel_id == self.channel.id, VARIANTS.c.sku.in_(known))
            existing = {current.sku: current for current in db.session.execute(query)}
        self._create([row for row in batch if row.sku not in existing])
        self._update([(current, row) for row in batch if (current := existing.get(row.sku)) is not None])
        self.ctx.progress(self.ctx.counts["rows"])
        self.ctx.checkpoint(force=True)

    def _create(self, rows: list[ReportRow]) -> None:
        """Insert the parents and variants of SKUs the channel does not have, with their history."""
        if not rows:
            return
        ctx, channel_id = self.ctx, self.channel.id
        writer = BulkWriter(utcnow())
        missing = [row for row in rows if row.sku not in self.parent_ids]
        if missing:
            parents = [
                (
                    ctx.account_id,
                    channel_id,
                    row.sku,
                    row.title,
                    row.description,
                    writer.texts(_images(row)),
                    row.listing_id,
                )
                for row in missing
            ]
            self.parent_ids.update(writer.insert_keyed(LISTINGS, PARENT_INSERT_COLUMNS, parents))
            ctx.counts["parents_created"] += len(missing)
        amazon = [self._amazon_status(row) for row in rows]
        paused = VariantStatus.PAUSED.value
        variants = [
            (
                ctx.account_id,
                channel_id,
                self.parent_ids[row.sku],
                row.sku,
                row.asin,
                row.product_id[:20],
                row.product_id_type,
                row.title,
                writer.texts(_images(row)),
                writer.number(row.price),
                row.quantity,
                row.fulfillment_channel,
                row.condition_type or "new_new",
                paused if self.paused else status,
                row.listing_id,
                writer.number(row.price),
                row.quantity,
                writer.now,
                "[]",
            )
            for row, status in zip(rows, amazon, strict=True)
        ]
        created = writer.insert_keyed(VARIANTS, VARIANT_INSERT_COLUMNS, variants)
        ctx.counts["variants_created"] += len(rows)
        # Their history, in the same transaction: Amazon's status, then the channel's Paused in rows of
        # higher ids, so that the history reads Linked → Paused and Unpause returns to Linked.
        ids = [created[row.sku] for row in rows]
        history = [
            (ctx.account_id, variant_id, "status", "", status, IMPORTED_NOTE, ctx.run_id)
            for variant_id, status in zip(ids, amazon, strict=True)
        ]
        if self.paused:
            history += [
                (ctx.account_id, variant_id, "status", status, paused, PAUSED_NOTE, ctx.run_id)
                for variant_id, status in zip(ids, amazon, strict=True)
            ]
        writer.insert(HISTORY, HISTORY_INSERT_COLUMNS, history)

    @staticmethod
    def _amazon_status(row: ReportRow) -> str:
        return (VariantStatus.HIDDEN if is_hidden(row) else VariantStatus.LINKED).value

    def _update(self, pairs: list[tuple[sa.Row, ReportRow]]) -> None:
        """Link or overwrite existing variants; only those with something to change are loaded."""
        changing = {current.id: (current, row) for current, row in pairs if self._changes(current, row)}
        self.ctx.counts["unchanged"] += len(pairs) - len(changing)
        if not changing:
            return
        variants = db.session.scalars(sa.select(ListingVariant).where(ListingVariant.id.in_(list(changing))))
        for variant in variants:
            current, row = changing[variant.id]
            self._apply(variant, row, self._parent_changes(current, row))

    def _link_values(self, row: ReportRow) -> dict:
        return {
            "asin": row.asin,
            "external_listing_id": row.listing_id,
            "fulfillment_channel": row.fulfillment_channel,
            "pushed_price": row.price,
            "pushed_quantity": row.quantity,
        }

    def _changes(self, current: sa.Row, row: ReportRow) -> bool:
        """True when importing ``row`` would change the variant ``current`` (or its own parent)."""
        if current.status in LINKABLE:
            return True
        if not self.overwrite:
            return False
        if current.status in FOLLOWS_AMAZON and current.status != self._amazon_status(row):
            return True
        values = {**self._link_values(row), "title": row.title, "images": _images(row)}
        values.update(price=row.price, quantity=row.quantity)
        if any(_differs(getattr(current, name), value) for name, value in values.items()):
            return True
        return bool(self._parent_changes(current, row))

    def _parent_changes(self, current: sa.Row, row: ReportRow) -> dict:
        """The parent's columns Amazon's row would change (Create & Overwrite, the SKU's own parent)."""
        if not self.overwrite or current.parent_sku != row.sku:
            return {}  # a parent grouping several SKUs is not one row's to overwrite
        values = {
            "title": row.title,
            "description": row.description,
            "images": _images(row),
            "external_listing_id": row.listing_id,
        }
        return {
            name: value
            for name, value in values.items()
            if _differs(getattr(current, f"parent_{name}"), value)
        }

    def _apply(self, variant: ListingVariant, row: ReportRow, parent_changes: dict) -> None:
        run_id = self.ctx.run_id
        if variant.status in LINKABLE:
            self.ctx.counts["variants_linked"] += 1
        if variant.status in (FOLLOWS_AMAZON if self.overwrite else LINKABLE):
            set_status(
                variant, self._amazon_status(row), run_id=run_id, note="Import listings: Amazon's status"
            )
        for name, value in self._link_values(row).items():
            setattr(variant, name, value)
        variant.last_error = ""
        variant.last_error_help = ""
        if not self.overwrite:
            return
        record_change(
            variant, "price", variant.price, row.price, run_id=run_id, note="Amazon's price (import)"
        )
        record_change(
            variant,
            "quantity",
            variant.quantity,
            row.quantity,
            run_id=run_id,
            note="Amazon's quantity (import)",
        )
        variant.title, variant.images = row.title, _images(row)
        variant.price, variant.quantity = row.price, row.quantity
        self.ctx.counts["variants_updated"] += 1
        if parent_changes:
            db.session.execute(
                sa.update(LISTINGS)
                .where(LISTINGS.c.id == variant.listing_id)
                .values(**parent_changes, updated_at=utcnow())
            )
            self.ctx.counts["parents_updated"] += 1

    # Ending ----------------------------------------------------------------------------------------

    def report_duplicates(self) -> None:
        """One warning per imported SKU whose ASIN another Shelfsync SKU (not on Amazon) already has."""
        for sku, asin, other in self.tally.duplicate_candidates:
            if other in self.tally.seen:
                continue  # both SKUs are Amazon offers on that ASIN: each variant has its own offer
            self.ctx.counts["duplicate_warnings"] += 1
            self.ctx.warning(
                f"{sku}: ASIN {asin} already belongs to the Shelfsync listing {other}, whose SKU is "
                "different; the product may now be listed twice.",
                code="duplicate_asin",
                reference=sku,
                help=DUPLICATE_HELP,
            )


def _differs(old: object, new: object) -> bool:
    """Whether a stored value and Amazon's differ (Decimal vs Numeric, and "" / [] vs None, are equal)."""
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (None if old is None else Decimal(old)) != (None if new is None else Decimal(new))
    if isinstance(old, int) or isinstance(new, int):
        return old != new
    return (old or None) != (new or None)


def summary(ctx: RunContext, seconds: float) -> str:
    """The closing line: what was created, updated and skipped, and the time taken."""
    c = ctx.counts
    return (
        f"Import finished in {seconds:.1f} s: {c['rows']} report rows; "
        f"parents {c['parents_created']} created, {c['parents_updated']} updated; "
        f"variants {c['variants_created']} created, {c['variants_updated']} updated, "
        f"{c['variants_linked']} linked, {c['unchanged']} unchanged; "
        f"{c['skipped_suspect']} suspect rows skipped, {c['skipped_damaged']} damaged rows skipped; "
        f"{c['duplicate_warnings']} duplicate warnings."
    )


@integration_job
def run(ctx: RunContext) -> None:
    """Import the channel's Amazon listings (see the module docstring)."""
    started = time.monotonic()
    target = open_channel(ctx)
    importer = Importer(ctx, target.channel)
    ctx.progress(0, 0)
    ctx.checkpoint(force=True)
    try:
        report = finished_listings_report(ctx, target.api, "Import listings")
        importer.import_lines(target.api.iter_report_lines(report.report_document_id))
    except AuthorizationRevoked as error:
        report_authorization_revoked(ctx, target.connection, error)
    except AmazonError as error:
        ctx.fail(f"Import listings stopped: {error.message}", code=error.code, help=error.help)
    except ReportUnreadable as error:
        ctx.fail(
            f"Import listings stopped: Amazon's listings report cannot be read: {error}. "
            f"{ctx.counts['rows']} rows were read before; nothing after that was imported.",
            code="report_unreadable",
            help=REPORT_HELP,
        )
    importer.report_duplicates()
    ctx.progress(ctx.counts["rows"], ctx.counts["rows"])
    ctx.info(summary(ctx, time.monotonic() - started), code="import_summary")
    ctx.checkpoint(force=True)
