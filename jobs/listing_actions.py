"""The "Listing action" integration: Hide, Unhide and Delist on Amazon; Pause, Unpause and Unlink locally.

Parameters: ``action`` (hide, unhide, delist, pause, unpause, unlink) and ``selection`` (see
``webapp.services.listing_selection``); the channel is the run's.

- **Hide**: quantity 0 on Amazon (a ``merge`` patch of ``fulfillment_availability``, so lead time and
  restock date stay), status Hidden; Sync Listings leaves Hidden variants out. FBA offers cannot be
  hidden this way (Amazon owns their quantity): they get a warning and stay as they are.
- **Unhide**: only from Hidden; sends the quantity the Sync template maps now and returns the variant
  to the status it had before it was hidden.
- **Delist**: deleteListingsItem, status Delisted (Publish or Sync can bring it back later). A SKU
  Amazon no longer has is Delisted too: the goal is reached.
- **Pause / Unpause**: Shelfsync stops or resumes syncing the variant; nothing is sent to Amazon.
  Unpause returns to the status before the pause.
- **Unlink**: forgets the tie to the Amazon offer (ASIN, external id, pushed values), status Unlinked,
  so Link Listings can tie a Broken Link again; nothing is sent to Amazon.

The previous status of Hidden and Paused variants is read from their history (the status change
into Hidden/Paused records it as its old value). Variants whose status the action does not apply to
are counted as skipped. A few Amazon changes are sent one call per SKU; more than
``FEED_THRESHOLD`` go as one JSON_LISTINGS_FEED.
"""

from __future__ import annotations

from collections.abc import Callable

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
    first_error,
    load_variants,
    previous_status,
    record_problem,
    selected_ids,
)
from jobs.runner import RunContext, integration_job
from webapp.models import ListingVariant, TemplatePurpose, VariantStatus
from webapp.services.listing_history import record_change, set_status
from webapp.services.mapping_engine import load_template, row_fields
from webapp.timeutil import utcnow

S = VariantStatus
ALL = set(VariantStatus)
# The statuses each action applies to.
APPLIES_TO: dict[str, set[VariantStatus]] = {
    "hide": {S.LINKED, S.PUBLISHED, S.ERROR},
    "unhide": {S.HIDDEN},
    "delist": {S.LINKED, S.PUBLISHED, S.HIDDEN, S.ERROR, S.BROKEN_LINK, S.PAUSED},
    "pause": ALL - {S.PAUSED},
    "unpause": {S.PAUSED},
    "unlink": ALL - {S.UNLINKED},
}
LOCAL_ACTIONS = {"pause", "unpause", "unlink"}
DONE_COUNT = {
    "hide": "hidden",
    "unhide": "unhidden",
    "delist": "delisted",
    "pause": "paused",
    "unpause": "unpaused",
    "unlink": "unlinked",
}

FBA_HIDE_HELP = (
    "Amazon owns the quantity of offers it fulfills (FBA), so Shelfsync cannot hide them by sending "
    "quantity 0. Pause the variant to stop syncing its price, or delist it to remove the offer, or remove "
    "the inventory from Amazon's fulfillment centers in Seller Central."
)
NO_QUANTITY_HELP = (
    "The channel's Sync template does not map a quantity (Do Not Map), so Shelfsync does not know what to "
    "show on Amazon. Map the quantity in the Sync template, then unhide again."
)
ACTION_HELP = (
    "Amazon refused this change; the message says why. Fix the cause (often the mapping template or the "
    "source item), then run the action again."
)


@integration_job
def run(ctx: RunContext) -> None:
    """Apply the run's action to its selected variants (see the module docstring)."""
    action = str(ctx.params.get("action", ""))
    if action not in APPLIES_TO:
        ctx.fail(f"Unknown listing action “{action}”.", code="unknown_action")
    selected = selected_ids(ctx)
    eligible = selected_ids(ctx, APPLIES_TO[action])
    ctx.progress(0, len(selected))
    skipped = len(selected) - len(eligible)
    if skipped:
        ctx.count("skipped", skipped)
        ctx.info(
            f"{skipped} selected variants were skipped: {action} applies only to "
            f"{', '.join(sorted(s.label for s in APPLIES_TO[action]))} variants.",
            code="not_applicable",
        )
    ctx.progress(skipped)
    notes = SkuNotes(ctx)
    if action in LOCAL_ACTIONS:
        _run_local(ctx, action, eligible)
    elif eligible:
        _run_on_amazon(ctx, action, eligible, notes)
    notes.finish()
    ctx.progress(len(selected), len(selected))
    counts = ", ".join(f"{n} {name}" for name, n in sorted(ctx.counts.items()) if n)
    ctx.info(f"{action.capitalize()}: {counts or 'nothing to do'}.", code="action_summary")
    ctx.checkpoint(force=True)


def _run_local(ctx: RunContext, action: str, ids: list[int]) -> None:
    for batch in chunks(ids, BATCH_SIZE):
        for variant in load_variants(batch):
            if action == "pause":
                set_status(variant, S.PAUSED, run_id=ctx.run_id, note="paused: not synced")
            elif action == "unpause":
                set_status(variant, previous_status(variant), run_id=ctx.run_id, note="unpaused")
            else:
                _unlink(ctx, variant)
            ctx.count(DONE_COUNT[action])
        ctx.progress(ctx.done + len(batch))
        ctx.checkpoint(force=True)


def _unlink(ctx: RunContext, variant: ListingVariant) -> None:
    set_status(variant, S.UNLINKED, run_id=ctx.run_id, note=f"unlinked from ASIN {variant.asin or '-'}")
    variant.asin = ""
    variant.external_listing_id = ""
    variant.pushed_price = None
    variant.pushed_quantity = None
    variant.pushed_at = None
    clear_problem(variant)


def _run_on_amazon(ctx: RunContext, action: str, ids: list[int], notes: SkuNotes) -> None:
    target = open_channel(ctx)
    prepare = _preparer(ctx, target, action, notes)
    as_feed = len(ids) > FEED_THRESHOLD
    for part in chunks(ids, MAX_MESSAGES if as_feed else BATCH_SIZE):
        changes: list[Change] = []
        for batch in chunks(part, BATCH_SIZE):
            for variant in load_variants(batch, with_source=action == "unhide"):
                change = prepare(variant)
                if change is None:
                    ctx.progress(ctx.done + 1)
                else:
                    changes.append(change)
            ctx.checkpoint(force=True)
        for outcomes in chunks(list(send(ctx, target, changes, as_feed)), BATCH_SIZE):
            variants = {v.id: v for v in load_variants(o.change.variant_id for o in outcomes)}
            for outcome in outcomes:
                _apply(ctx, action, variants[outcome.change.variant_id], outcome, notes)
            ctx.progress(ctx.done + len(outcomes))
            ctx.checkpoint(force=True)


def _quantity_patch(variant: ListingVariant, quantity: int) -> dict:
    return {
        "operationType": "PATCH",
        "productType": variant.product_type or "PRODUCT",
        "patches": [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": variant.fulfillment_channel, "quantity": quantity}],
            }
        ],
    }


def _preparer(
    ctx: RunContext, target: ChannelApi, action: str, notes: SkuNotes
) -> Callable[[ListingVariant], Change | None]:
    """The function turning a variant into its Amazon change (None: handled here, nothing to send)."""
    if action == "hide":

        def hide(variant: ListingVariant) -> Change | None:
            if variant.is_fba:
                notes.add(
                    "warning",
                    variant.sku,
                    "is fulfilled by Amazon (FBA) and cannot be hidden by setting its quantity to 0; "
                    "it was left as it is.",
                    code="fba_cannot_hide",
                    help=FBA_HIDE_HELP,
                )
                ctx.count("skipped")
                return None
            return Change(variant.id, variant.sku, _quantity_patch(variant, 0), quantity=0, note="hidden")

        return hide
    if action == "unhide":
        template = load_template(target.channel.id, TemplatePurpose.SYNC)

        def unhide(variant: ListingVariant) -> Change | None:
            if variant.is_fba:
                # Never hidden on Amazon (see hide): only the status goes back.
                set_status(variant, previous_status(variant), run_id=ctx.run_id, note="unhidden")
                ctx.count("unhidden")
                return None
            fields = row_fields(column_values(variant), column_values(variant.source_item) or None)
            offer = template.offer(fields, variant.fulfillment_channel)
            if offer.quantity is None:
                record_problem(variant, "The Sync template maps no quantity.", NO_QUANTITY_HELP)
                notes.add(
                    "error",
                    variant.sku,
                    "was not unhidden: the Sync template maps no quantity.",
                    code="no_quantity",
                    help=NO_QUANTITY_HELP,
                )
                ctx.count("errors")
                return None
            return Change(
                variant.id,
                variant.sku,
                _quantity_patch(variant, offer.quantity),
                quantity=offer.quantity,
                note=offer.quantity_rule,
            )

        return unhide

    def delist(variant: ListingVariant) -> Change | None:
        return Change(variant.id, variant.sku, {"operationType": "DELETE"})

    return delist


def _apply(ctx: RunContext, action: str, variant: ListingVariant, outcome: Outcome, notes: SkuNotes) -> None:
    """Record what Amazon did with one variant's change."""
    for warning in outcome.warnings:
        notes.issue(variant.sku, warning)
    gone = outcome.not_found or (not outcome.accepted and sku_unknown(outcome.issues))
    if action == "delist" and (outcome.accepted or gone):
        if gone:
            notes.add("info", variant.sku, "was already gone from Amazon.", code="already_delisted")
        set_status(variant, S.DELISTED, run_id=ctx.run_id, note="deleted from Amazon")
        variant.pushed_price = None
        variant.pushed_quantity = None
        clear_problem(variant)
        ctx.count("delisted")
        return
    if gone:
        record_broken(ctx, variant, f"{action} failed: the SKU no longer exists on Amazon")
        return
    if not outcome.accepted:
        error = first_error(outcome.issues)
        message, help = (error.message, error.help) if error else ("Amazon refused the change.", ACTION_HELP)
        record_problem(variant, message, help, issue_rows(outcome.issues))
        notes.add(
            "error", variant.sku, f"{action} failed: {message}", code=error.code if error else "", help=help
        )
        ctx.count("errors")
        return
    record_change(
        variant,
        "quantity",
        variant.pushed_quantity,
        outcome.change.quantity,
        run_id=ctx.run_id,
        note=outcome.change.note,
    )
    variant.pushed_quantity = outcome.change.quantity
    variant.pushed_at = utcnow()
    clear_problem(variant, issue_rows(outcome.warnings))
    if action == "hide":
        set_status(variant, S.HIDDEN, run_id=ctx.run_id, note="quantity 0 on Amazon")
    else:
        set_status(variant, previous_status(variant), run_id=ctx.run_id, note="unhidden")
    ctx.count(DONE_COUNT[action])
