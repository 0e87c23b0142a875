"""Record Amazon's answer about one variant's update: accepted, refused (Error), or SKU unknown
(Broken Link). Used for patchListingsItem answers and for JSON_LISTINGS_FEED processing reports alike.

Every change of price, quantity or status goes through ``listing_history`` with the run's id; the
callers commit (they do it per batch, with the run's progress).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from jobs.listing_support import previous_status
from jobs.runner import RunContext
from webapp.amazon import ListingIssue
from webapp.models import ListingVariant, VariantStatus
from webapp.services.listing_history import record_change, set_status
from webapp.services.listing_sync import Change

# Per-SKU lines in Recent Notifications per run and kind; beyond that one line gives the rest.
MAX_SKU_NOTIFICATIONS = 500
# Amazon's answer when the SKU has no listing in the marketplace (the sandbox uses 4000002 too).
SKU_UNKNOWN_CODES = frozenset({"4000002", "NotFound"})
_SKU_UNKNOWN = re.compile(r"\bSKU\b.*\b(does not exist|not found|unknown|no longer exists)", re.IGNORECASE)
NEVER_PUBLISHED_HELP = (
    "This SKU was never created on Amazon (its last Publish failed), so there is nothing to update yet. "
    "Fix the error shown and Publish it again."
)
BROKEN_HELP = (
    "This SKU no longer exists on Amazon (it was deleted in Seller Central or by another tool), so "
    "Shelfsync cannot update it. Unlink the variant, then either Publish it again or recreate the offer "
    "on Amazon and run Link listings: it becomes Linked again."
)


def sku_unknown(issues: Iterable[ListingIssue]) -> bool:
    """True when Amazon's issues say the SKU has no listing (a broken link, not a data problem)."""
    return any(i.is_error and (i.code in SKU_UNKNOWN_CODES or _SKU_UNKNOWN.search(i.message)) for i in issues)


def issue_rows(issues: Iterable[ListingIssue]) -> list[dict]:
    """Issues as stored on a variant: [{code, message, severity, help}]."""
    return [{"code": i.code, "message": i.message, "severity": i.severity, "help": i.help} for i in issues]


def record_accepted(
    ctx: RunContext, variant: ListingVariant, change: Change, warnings: Iterable[ListingIssue], now: datetime
) -> None:
    """Amazon accepted the update: the pushed values, the history (with the rules), a clean error state."""
    if change.new_price is not None:
        record_change(
            variant,
            "price",
            variant.pushed_price,
            change.new_price,
            run_id=ctx.run_id,
            note=change.price_rule,
        )
        variant.pushed_price = variant.price = change.new_price
    if change.new_quantity is not None:
        record_change(
            variant,
            "quantity",
            variant.pushed_quantity,
            change.new_quantity,
            run_id=ctx.run_id,
            note=change.quantity_rule,
        )
        variant.pushed_quantity = variant.quantity = change.new_quantity
    variant.pushed_at = variant.last_sync_at = now
    if variant.status == VariantStatus.ERROR:
        restored = previous_status(variant)
        if restored not in (VariantStatus.LINKED, VariantStatus.PUBLISHED):
            restored = VariantStatus.LINKED  # Amazon took an update, so the offer exists
        set_status(variant, restored, run_id=ctx.run_id, note="Amazon accepted the update")
    variant.last_error = variant.last_error_help = ""
    variant.issues = issue_rows(warnings)
    ctx.count("updated")


def record_error(
    ctx: RunContext, variant: ListingVariant, message: str, help: str, code: str, issues: list[ListingIssue]
) -> None:
    """Amazon refused the update: status Error with its message and our help, and a notification."""
    if variant.status != VariantStatus.ERROR:
        set_status(variant, VariantStatus.ERROR, run_id=ctx.run_id, note=message)
    variant.last_error = message
    variant.last_error_help = help
    variant.issues = issue_rows(issues)
    ctx.count("errors")
    if ctx.counts["errors"] <= MAX_SKU_NOTIFICATIONS:
        ctx.error(
            f"{variant.sku}: Amazon refused the update: {message}",
            code=code,
            reference=variant.sku,
            help=help,
        )


def record_broken(ctx: RunContext, variant: ListingVariant, message: str) -> None:
    """The SKU is gone from Amazon: status Broken Link and a notification to unlink and relink.

    A variant in Error that was never on Amazon (e.g. its Publish failed) has no link to break: it
    stays in Error with Amazon's message.
    """
    if variant.status == VariantStatus.ERROR and previous_status(variant) == VariantStatus.UNLINKED:
        record_error(ctx, variant, message, NEVER_PUBLISHED_HELP, "sku_not_on_amazon", [])
        return
    set_status(variant, VariantStatus.BROKEN_LINK, run_id=ctx.run_id, note=message)
    variant.last_error = message
    variant.last_error_help = BROKEN_HELP
    ctx.count("broken")
    if ctx.counts["broken"] <= MAX_SKU_NOTIFICATIONS:
        ctx.error(
            f"{variant.sku} no longer exists on Amazon: the link is broken.",
            code="broken_link",
            reference=variant.sku,
            help=BROKEN_HELP,
        )


def refused(issues: Iterable[ListingIssue]) -> tuple[str, str, str]:
    """(message, help, code) of the first blocking issue."""
    first = next((i for i in issues if i.is_error), None)
    if first is None:
        return "Amazon did not accept the update and gave no reason.", "", "not_accepted"
    return first.message, first.help, first.code or "listing_issue"
