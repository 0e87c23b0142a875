"""The "Overwrite listings" integration: send the content the Overwrite template chooses to Amazon.

Parameters: ``selection`` (see ``webapp.services.listing_selection``); the channel is the run's.

For Published and Linked variants (the others are skipped), the channel's Overwrite template gives
the attributes to send (title, description, browse node, MPN, UPC/GTIN, images: whatever it maps;
Do Not Map rows and empty values are not sent). Each attribute is one ``replace`` patch, so
everything else on the listing (price, quantity, attributes the template does not name) stays as it
is. A few variants go one patchListingsItem each; more than ``FEED_THRESHOLD`` go as JSON_LISTINGS_FEED
``PATCH`` messages.

A refused variant keeps its status (its offer is still live) and gets Amazon's message and our help as
its last error, with a notification; a SKU Amazon no longer has becomes Broken Link.
"""

from __future__ import annotations

from jobs.amazon_channel import ChannelApi, open_channel
from jobs.listing_results import issue_rows, record_broken, sku_unknown
from jobs.listing_submit import MAX_MESSAGES, Change, Outcome, send
from jobs.listing_support import (
    BATCH_SIZE,
    FEED_THRESHOLD,
    SkuNotes,
    chunks,
    clear_problem,
    column_values,
    finish_summary,
    first_error,
    load_variants,
    record_problem,
    split_selection,
)
from jobs.runner import RunContext, integration_job
from webapp.amazon.marketplaces import get_marketplace
from webapp.models import ListingVariant, TemplatePurpose, VariantStatus
from webapp.services.mapping_engine import CompiledTemplate, load_template, row_fields

ELIGIBLE = (VariantStatus.PUBLISHED, VariantStatus.LINKED)
# Offer attributes belong to Publish and Sync, never to Overwrite.
OFFER_ATTRIBUTES = frozenset({"merchant_suggested_asin", "condition_type", "condition_note"})

NOTHING_HELP = (
    "The channel's Overwrite template maps nothing this item has a value for. Map the attributes to send "
    "(title, description, images...) in the Overwrite template, or fill them in on the source item."
)
REFUSED_HELP = (
    "Amazon refused the new content; the offer itself is unchanged. Fix the value Amazon names (in the "
    "source item or the Overwrite template), then overwrite again."
)


class Overwriter:
    """Overwrites one run's variants (see the module docstring)."""

    def __init__(self, ctx: RunContext, target: ChannelApi, template: CompiledTemplate) -> None:
        """Bind to the run, its channel's Amazon client and the channel's Overwrite template."""
        self.ctx = ctx
        self.target = target
        self.template = template
        self.marketplace_id = target.api.marketplace_id
        self.language_tag = get_marketplace(self.marketplace_id).language_tag
        self.notes = SkuNotes(ctx)

    def run(self, ids: list[int]) -> None:
        """Overwrite the variants of ``ids`` (all eligible), a batch or a feed's worth at a time."""
        as_feed = len(ids) > FEED_THRESHOLD
        for part in chunks(ids, MAX_MESSAGES if as_feed else BATCH_SIZE):
            changes: list[Change] = []
            for batch in chunks(part, BATCH_SIZE):
                for variant in load_variants(batch, with_source=True):
                    change = self._change(variant)
                    if change is None:
                        self.ctx.progress(self.ctx.done + 1)
                    else:
                        changes.append(change)
                self.ctx.checkpoint(force=True)
            for outcomes in chunks(list(send(self.ctx, self.target, changes, as_feed)), BATCH_SIZE):
                variants = {v.id: v for v in load_variants(o.change.variant_id for o in outcomes)}
                for outcome in outcomes:
                    self._record(variants[outcome.change.variant_id], outcome)
                self.ctx.progress(self.ctx.done + len(outcomes))
                self.ctx.checkpoint(force=True)
        self.notes.finish()

    def _change(self, variant: ListingVariant) -> Change | None:
        fields = row_fields(column_values(variant), column_values(variant.source_item) or None)
        attributes = self.template.attributes(fields, self.marketplace_id, self.language_tag)
        patches = [
            {"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in sorted(attributes.items())
            if name not in OFFER_ATTRIBUTES
        ]
        if not patches:
            self.notes.add(
                "warning", variant.sku, "has nothing to overwrite.", code="nothing_to_send", help=NOTHING_HELP
            )
            self.ctx.count("skipped")
            return None
        body = {
            "operationType": "PATCH",
            "productType": variant.product_type or "PRODUCT",
            "patches": patches,
        }
        return Change(variant.id, variant.sku, body)

    def _record(self, variant: ListingVariant, outcome: Outcome) -> None:
        for warning in outcome.warnings:
            self.notes.issue(variant.sku, warning)
        if outcome.not_found or (not outcome.accepted and sku_unknown(outcome.issues)):
            record_broken(self.ctx, variant, "overwrite failed: the SKU no longer exists on Amazon")
            return
        if not outcome.accepted:
            error = first_error(outcome.issues)
            message = error.message if error else "Amazon refused the new content."
            help = error.help if error else REFUSED_HELP
            record_problem(variant, message, help, issue_rows(outcome.issues))
            self.notes.add(
                "error",
                variant.sku,
                f"not overwritten: {message}",
                code=error.code if error else "",
                help=help,
            )
            self.ctx.count("errors")
            return
        clear_problem(variant, issue_rows(outcome.warnings))
        self.ctx.count("updated")


@integration_job
def run(ctx: RunContext) -> None:
    """Overwrite the run's selected variants on Amazon (see the module docstring)."""
    selected, eligible = split_selection(
        ctx, ELIGIBLE, "only Published and Linked variants have an Amazon listing to overwrite."
    )
    if eligible:
        target = open_channel(ctx)
        Overwriter(ctx, target, load_template(target.channel.id, TemplatePurpose.OVERWRITE)).run(eligible)
    finish_summary(ctx, selected, "Overwrite", "updated", "overwrite_summary")
