"""The "Import source items" integration: upsert a supplier CSV into ``source_items`` by (source, SKU).

Parameters: ``upload_id`` (a ``source_uploads`` row of the run's account).

The source's existing items (SKU → id, content hash) are read once, in one streamed query. The file
is streamed from the bytes stored in the database and handled in batches of ``BATCH_SIZE`` rows, each
set-based: one bulk INSERT of the new SKUs, one executemany UPDATE of the changed ones, then one
commit together with the run's progress and counts. Each row is a single statement, so no row is ever half
written; a run killed mid-file and started again converges, because rows committed by the first run
come back "unchanged". Only rows whose content hash differs are updated, and they get ``changed_at``
= now (Sync Listings pushes what changed since its last run).

Bad rows (missing SKU, a number that isn't one, a negative quantity, a bad UPC/EAN/GTIN check digit,
a SKU already seen earlier in the file) are skipped, each with an error naming the row; the good rows
land. Columns the file does not have are left as they are on existing items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from jobs.runner import RunContext, integration_job
from webapp.extensions import db
from webapp.models import SourceItem, SourceUpload
from webapp.services.csv_import.formats import CsvFormat, estimate_rows, iter_records
from webapp.services.csv_import.values import DEFAULT_CONDITION, ParsedRow, RowError, RowParser
from webapp.services.source_uploads import RETENTION, release_content
from webapp.timeutil import utcnow
from webapp.wording import counted

BATCH_SIZE = 2000
# Skipped rows listed one by one in Recent Notifications; beyond this a single line gives the rest.
MAX_ROW_NOTIFICATIONS = 1000
COUNTS = ("created", "updated", "unchanged", "skipped")
ITEMS = SourceItem.__table__
# Values of a new item for the columns the file does not have.
NEW_ITEM_DEFAULTS = {
    "title": "",
    "description": "",
    "brand": "",
    "upc": "",
    "ean": "",
    "gtin": "",
    "mpn": "",
    "asin": "",
    "cost": None,
    "msrp": None,
    "map_price": None,
    "quantity": 0,
    "image_urls": [],
    "weight": None,
    "condition": DEFAULT_CONDITION,
}
SKIPPED_HELP = "Fix these rows in the file and upload it again; the rows that were fine are already imported."


class ImportProblem(Exception):
    """The import cannot run at all (its file is gone); the message tells the seller what to do."""


@dataclass
class _Tally:
    """What this run did so far."""

    rows: int = 0
    reported: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    first_row_of_sku: dict[str, int] = field(default_factory=dict)


def _load_upload(ctx: RunContext) -> SourceUpload:
    upload = db.session.get(SourceUpload, int(ctx.params["upload_id"]))
    if upload is None or upload.account_id != ctx.account_id:
        raise ImportProblem("The uploaded file no longer exists (its source was deleted).")
    if upload.content_deleted_at is not None or upload.content is None:
        days = RETENTION.days
        raise ImportProblem(
            f"The uploaded file is no longer kept (files are kept {days} days, or until imported). "
            "Upload it again."
        )
    return upload


def _skip(ctx: RunContext, tally: _Tally, number: int, sku: str, problem: str, code: str) -> None:
    """Count a skipped row and, within the notification budget, say which and why."""
    tally.counts["skipped"] += 1
    if tally.reported < MAX_ROW_NOTIFICATIONS:
        tally.reported += 1
        ctx.error(f"Row {number} skipped: {problem}", code=code, reference=sku, help=SKIPPED_HELP)


def _existing_items(source_id: int) -> dict[str, tuple[int, str]]:
    """SKU → (id, content hash) of the source's items, read once in one streamed query.

    Per-batch lookups (``sku IN`` 2,000 parameters) looked cheaper, but PostgreSQL caches a generic plan
    for them that compares every item of the source with every SKU of the batch: seconds per batch at
    100,000 items. One pass costs about 100 bytes per item.
    """
    rows = db.session.execute(
        sa.select(ITEMS.c.sku, ITEMS.c.id, ITEMS.c.content_hash)
        .where(ITEMS.c.source_id == source_id)
        .execution_options(yield_per=10_000)
    )
    return {sku: (item_id, digest) for sku, item_id, digest in rows}


def _write_batch(
    ctx: RunContext,
    source_id: int,
    batch: list[ParsedRow],
    existing: dict[str, tuple[int, str]],
    tally: _Tally,
    stated_at: datetime,
) -> None:
    """Upsert one batch set-based (see the module docstring) and commit it with the run's progress.

    Every item of the batch, unchanged ones too, gets ``stated_at`` (the upload's time): the supplier
    restated its figures then, which ends routing's reservations made before (one UPDATE per batch).
    """
    now = utcnow()
    inserts, updates, restated = [], [], []
    for row in batch:
        found = existing.get(row.sku)
        if found is None:
            inserts.append(
                {
                    **NEW_ITEM_DEFAULTS,
                    **row.values,
                    "account_id": ctx.account_id,
                    "source_id": source_id,
                    "sku": row.sku,
                    "content_hash": row.content_hash,
                    "changed_at": now,
                    "stated_at": stated_at,
                    "created_at": now,
                }
            )
        elif found[1] != row.content_hash:
            updates.append(
                {
                    **row.values,
                    "item_id": found[0],
                    "content_hash": row.content_hash,
                    "changed_at": now,
                    "stated_at": stated_at,
                }
            )
        else:
            restated.append(found[0])
    if inserts:
        db.session.execute(sa.insert(ITEMS), inserts)
    if updates:
        db.session.execute(sa.update(ITEMS).where(ITEMS.c.id == sa.bindparam("item_id")), updates)
    if restated:
        db.session.execute(sa.update(ITEMS).where(ITEMS.c.id.in_(restated)).values(stated_at=stated_at))
    tally.counts["created"] += len(inserts)
    tally.counts["updated"] += len(updates)
    tally.counts["unchanged"] += len(batch) - len(inserts) - len(updates)
    _report(ctx, tally)


def _report(ctx: RunContext, tally: _Tally) -> None:
    """Publish counts and progress and commit them with the batch just written."""
    for name in COUNTS:
        ctx.counts[name] = tally.counts[name]
    ctx.progress(tally.rows, max(ctx.total, tally.rows))
    ctx.checkpoint(force=True)


@integration_job
def run(ctx: RunContext) -> None:
    """Import the upload's rows into its source (see the module docstring)."""
    upload = _load_upload(ctx)
    upload_id, source_id, filename = upload.id, upload.source_id, upload.filename
    stated_at = upload.created_at
    headers, mapping = list(upload.headers), list(upload.mapping)
    fmt = CsvFormat(upload.encoding, upload.delimiter)
    content = upload.content
    parser = RowParser(mapping, fmt.decimal_comma)
    tally = _Tally()

    ctx.progress(0, estimate_rows(content))
    ignored = [header for header, name in zip(headers, mapping, strict=False) if header and not name]
    if ignored:
        ctx.info(f"Columns not imported: {', '.join(ignored)}.", code="columns_ignored")
    _report(ctx, tally)

    existing = _existing_items(source_id)
    records = iter_records(content, fmt)
    for record in records:  # the header: the first line with any content
        if record.cells and any(cell.strip() for cell in record.cells):
            break
    batch: list[ParsedRow] = []
    for record in records:
        if record.cells is not None and not any(cell.strip() for cell in record.cells):
            continue  # blank lines are not rows
        tally.rows += 1
        if record.cells is None:
            _skip(ctx, tally, record.number, "", record.error + ".", "row_unreadable")
            continue
        try:
            row = parser.parse(record.number, record.cells)
        except RowError as problem:
            sku_index = mapping.index("sku")
            sku = record.cells[sku_index].strip()[:120] if sku_index < len(record.cells) else ""
            _skip(ctx, tally, record.number, sku, str(problem), "row_invalid")
            continue
        first = tally.first_row_of_sku.setdefault(row.sku, row.number)
        if first != row.number:
            _skip(
                ctx,
                tally,
                row.number,
                row.sku,
                f"SKU {row.sku} already appeared on row {first} (the first one is kept).",
                "duplicate_sku",
            )
            continue
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            _write_batch(ctx, source_id, batch, existing, tally, stated_at)
            batch = []
    if batch:
        _write_batch(ctx, source_id, batch, existing, tally, stated_at)

    del content
    ctx.progress(tally.rows, tally.rows)
    if tally.counts["skipped"] > tally.reported:
        ctx.error(
            f"{tally.counts['skipped'] - tally.reported} more rows were skipped; the first "
            f"{MAX_ROW_NOTIFICATIONS} are listed.",
            code="rows_skipped",
            help=SKIPPED_HELP,
        )
    c = tally.counts
    ctx.info(
        f"Imported {filename}: {counted(tally.rows, 'row')} read; {c['created']} created, "
        f"{c['updated']} updated, {c['unchanged']} unchanged, {c['skipped']} skipped.",
        code="import_summary",
    )
    release_content(upload_id)  # imported: the file is not needed any more
    _report(ctx, tally)
