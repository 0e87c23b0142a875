"""The "Link listings" integration: tie variants to the seller's existing Amazon offers, by SKU only.

Parameters: ``selection`` (see ``webapp.services.listing_selection``; absent = every variant of the
channel). The channel is the run's.

Amazon's GET_MERCHANT_LISTINGS_ALL_DATA report lists every offer of the marketplace (active and
inactive); searchListingsItems would only page through the first 1,000. The report is requested,
polled, then streamed row by row. A row whose ``seller-sku`` is a selected variant's SKU links it:
status Linked (from Unlinked, Broken Link or Delisted), ASIN, listing id and fulfillment channel from
Amazon, and Amazon's current price and quantity as the pushed values, so the first sync sends only
real differences. ASINs, UPCs and the like are never used to match: two offers on one ASIN are two
SKUs. Variants already tied to an offer are counted, not touched, so running it again changes nothing.

The run ends with the link report: linked, already linked, Amazon SKUs without a Shelfsync variant and
selected variants whose SKU is not on Amazon (counts and a few examples each).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from jobs.amazon_channel import finished_listings_report, open_channel
from jobs.connections import report_authorization_revoked
from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked
from webapp.extensions import db
from webapp.models import ListingVariant, VariantStatus
from webapp.services.listing_history import set_status
from webapp.services.listing_selection import selected_variant_ids
from webapp.services.listings_report import ReportRow, read_rows

BATCH_SIZE = 2000
EXAMPLES = 5
MAX_ROW_WARNINGS = 50
COUNTS = (
    "linked",
    "already_linked",
    "updated",
    "unchanged",
    "skipped",
    "broken",
    "errors",
    "amazon_only",
    "not_on_amazon",
)
# Statuses a found SKU moves to Linked from; every other status already stands for an Amazon offer.
LINKABLE = (VariantStatus.UNLINKED, VariantStatus.BROKEN_LINK, VariantStatus.DELISTED)
VARIANTS = ListingVariant.__table__
ROW_HELP = "Amazon's report had a damaged line; the SKU was still matched. Nothing to do unless it recurs."


@dataclass
class _Tally:
    """What this run found so far."""

    done: int = 0
    row_warnings: int = 0
    matched: set[int] = field(default_factory=set)
    amazon_only: list[str] = field(default_factory=list)


def _channel_skus(channel_id: int) -> dict[str, int]:
    """SKU → variant id for every variant of the channel, read once in one streamed query."""
    rows = db.session.execute(
        sa.select(VARIANTS.c.sku, VARIANTS.c.id)
        .where(VARIANTS.c.channel_id == channel_id)
        .execution_options(yield_per=10_000)
    )
    return {sku: variant_id for sku, variant_id in rows}


def _link_batch(ctx: RunContext, batch: list[tuple[int, ReportRow]], tally: _Tally) -> None:
    """Link the batch's variants to their Amazon offers and commit with the run's progress."""
    rows = dict(batch)
    variants = db.session.scalars(sa.select(ListingVariant).where(ListingVariant.id.in_(list(rows))))
    for variant in variants:
        row = rows[variant.id]
        if variant.status not in LINKABLE:
            ctx.count("already_linked")
            continue
        set_status(variant, VariantStatus.LINKED, run_id=ctx.run_id, note="SKU found in Amazon's listings")
        variant.asin = row.asin or variant.asin
        variant.external_listing_id = row.listing_id
        variant.fulfillment_channel = row.fulfillment_channel
        variant.pushed_price = row.price
        variant.pushed_quantity = row.quantity
        variant.last_error = ""
        variant.last_error_help = ""
        ctx.count("linked")
    tally.done += len(batch)
    ctx.progress(tally.done)
    ctx.checkpoint(force=True)


def _examples(skus: list[str], total: int) -> str:
    shown = ", ".join(skus[:EXAMPLES])
    return f" (e.g. {shown}{', …' if total > EXAMPLES else ''})" if skus else ""


def _report(ctx: RunContext, tally: _Tally, missing: list[str]) -> None:
    """The link report: one summary line, and one line per kind of mismatch."""
    counts = ctx.counts
    ctx.info(
        f"Link report: {counts['linked']} linked, {counts['already_linked']} already linked, "
        f"{counts['amazon_only']} Amazon SKUs without a Shelfsync listing, "
        f"{counts['not_on_amazon']} Shelfsync SKUs not on Amazon.",
        code="link_report",
    )
    if counts["amazon_only"]:
        ctx.info(
            f"{counts['amazon_only']} SKUs on Amazon have no Shelfsync listing"
            f"{_examples(tally.amazon_only, counts['amazon_only'])}.",
            code="amazon_only",
            help="Import listings brings Amazon's offers into Shelfsync; or build listings with these SKUs "
            "from your source items, then link again.",
        )
    if counts["not_on_amazon"]:
        ctx.warning(
            f"{counts['not_on_amazon']} Shelfsync SKUs are not on Amazon"
            f"{_examples(missing, counts['not_on_amazon'])}.",
            code="not_on_amazon",
            help="Links match SKUs exactly. Publish these listings to create their offers, or correct the "
            "SKU to the one used in Seller Central, then link again.",
        )


@integration_job
def run(ctx: RunContext) -> None:
    """Link the selected variants to Amazon offers by SKU (see the module docstring)."""
    for name in COUNTS:
        ctx.counts.setdefault(name, 0)
    target = open_channel(ctx)
    selection = ctx.params.get("selection") or {"filter": {}}
    selected = set(db.session.scalars(selected_variant_ids(ctx.account_id, target.channel.id, selection)))
    channel_skus = _channel_skus(target.channel.id)
    ctx.progress(0, len(selected))
    ctx.checkpoint(force=True)
    tally = _Tally()

    def row_problem(line: int, sku: str, message: str) -> None:
        if tally.row_warnings < MAX_ROW_WARNINGS:
            tally.row_warnings += 1
            ctx.warning(f"Report line {line}: {message}", code="report_row", reference=sku, help=ROW_HELP)

    try:
        report = finished_listings_report(ctx, target.api, "Link listings")
        batch: list[tuple[int, ReportRow]] = []
        for row in read_rows(target.api.iter_report_lines(report.report_document_id), row_problem):
            if row.problems:
                row_problem(row.line, row.sku, f"{row.sku}: {'; '.join(row.problems)}.")
            variant_id = channel_skus.get(row.sku)
            if variant_id is None:
                ctx.count("amazon_only")
                if len(tally.amazon_only) < EXAMPLES:
                    tally.amazon_only.append(row.sku)
            elif variant_id in selected and variant_id not in tally.matched:
                tally.matched.add(variant_id)
                batch.append((variant_id, row))
                if len(batch) >= BATCH_SIZE:
                    _link_batch(ctx, batch, tally)
                    batch = []
        if batch:
            _link_batch(ctx, batch, tally)
    except AuthorizationRevoked as error:
        report_authorization_revoked(ctx, target.connection, error)
    except AmazonError as error:
        ctx.fail(f"Link listings stopped: {error.message}", code=error.code, help=error.help)

    unmatched = selected - tally.matched
    ctx.count("not_on_amazon", len(unmatched))
    missing = sorted(sku for sku, variant_id in channel_skus.items() if variant_id in unmatched)[:EXAMPLES]
    _report(ctx, tally, missing)
    ctx.progress(len(selected), len(selected))
    ctx.checkpoint(force=True)
