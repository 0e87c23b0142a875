"""What the Publish, Overwrite and listing-action jobs share: the selected variants in batches, the
marketplace's currency and language, per-SKU notifications, and how a variant keeps Amazon's answer.

A job resolves its run's *selection* once into variant ids (ints: 100,000 of them are under a
megabyte), then loads and handles them ``BATCH_SIZE`` at a time, committing each batch with the
run's progress, so a killed run keeps what it finished and a rerun continues safely.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NoReturn, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from jobs.amazon_channel import ChannelApi
from jobs.connections import report_authorization_revoked
from jobs.runner import RunContext
from webapp.amazon import AmazonError, AuthorizationRevoked, ListingIssue
from webapp.extensions import db
from webapp.models import ListingVariant, VariantHistory, VariantStatus
from webapp.services.listing_selection import selected_variant_ids
from webapp.wording import counted

# Currency and language tag of the marketplaces Shelfsync connects (offers and text attributes carry them).
# Variants loaded, handled and committed together.
BATCH_SIZE = 200
# Above this many Amazon submissions a job sends one JSON_LISTINGS_FEED instead of one call per SKU
# (Sync Listings, Publish, Overwrite and the listing actions all use it): a call per SKU costs about
# 0.2 s at Amazon's 5 requests/s, a feed a few minutes whatever its size, and one processing report.
FEED_THRESHOLD = 20
# A run lists this many SKU problems one by one, then counts the rest in one line.
MAX_SKU_NOTIFICATIONS = 1000


def stop_on_revoked(ctx: RunContext, target: ChannelApi, error: AuthorizationRevoked) -> NoReturn:
    """Mark the channel's connection "Needs re-authorization" and end the run failed."""
    report_authorization_revoked(ctx, target.connection, error)


def selected_ids(ctx: RunContext, statuses: Iterable[str] | None = None) -> list[int]:
    """The ids of the run's selected variants (always inside its account and channel), optionally only
    those in ``statuses``."""
    selection = ctx.params.get("selection") or {"ids": []}
    query = selected_variant_ids(ctx.account_id, ctx.channel_id, selection)
    if statuses is not None:
        query = query.where(ListingVariant.status.in_([str(s) for s in statuses]))
    return list(db.session.scalars(query))


T = TypeVar("T")


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_variants(ids: Iterable[int], with_source: bool = False) -> list[ListingVariant]:
    """The variants of ``ids`` (in id order), optionally with their source items in one more query."""
    query = sa.select(ListingVariant).where(ListingVariant.id.in_(list(ids))).order_by(ListingVariant.id)
    if with_source:
        query = query.options(so.selectinload(ListingVariant.source_item))
    return list(db.session.scalars(query))


def column_values(row: object) -> dict:
    """A model instance's column values by column name (what the mapping engine's ``row_fields`` reads)."""
    if row is None:
        return {}
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def record_problem(
    variant: ListingVariant, message: str, help: str, issues: list[dict] | None = None
) -> None:
    """Keep the last error and Amazon's issues on the variant (its status is the caller's decision)."""
    variant.last_error = message
    variant.last_error_help = help
    variant.issues = (
        issues
        if issues is not None
        else [{"code": "", "message": message, "severity": "ERROR", "help": help}]
    )


def clear_problem(variant: ListingVariant, issues: list[dict] | None = None) -> None:
    """Amazon accepted the last submission: forget the last error, keep its warnings."""
    variant.last_error = ""
    variant.last_error_help = ""
    variant.issues = issues or []


def first_error(issues: Iterable[ListingIssue]) -> ListingIssue | None:
    """The first blocking issue, if any."""
    return next((i for i in issues if i.is_error), None)


def amazon_error_issue(error: AmazonError) -> ListingIssue:
    """An exception from a per-SKU call, shaped like a listing issue."""
    return ListingIssue(code=error.code, message=error.message, severity="ERROR", help=error.help)


def previous_status(variant: ListingVariant) -> str:
    """The status the variant had before it entered its current one (from its history).

    Hidden and Paused are temporary: Unhide and Unpause return to what was there before. The history
    already records every status change with its old value, so no extra column is needed; a variant
    without such a row (made before history existed) goes back to Linked, or Unlinked without an ASIN.
    """
    old = db.session.scalar(
        sa.select(VariantHistory.old_value)
        .where(
            VariantHistory.variant_id == variant.id,
            VariantHistory.field == "status",
            VariantHistory.new_value == variant.status,
        )
        .order_by(VariantHistory.id.desc())
        .limit(1)
    )
    if old and old in {s.value for s in VariantStatus} and old != variant.status:
        return old
    return VariantStatus.LINKED if variant.asin else VariantStatus.UNLINKED


class SkuNotes:
    """Per-SKU notifications of a run, at most ``limit`` of them, then one line for the rest (a run over
    100,000 variants must not bury the log)."""

    def __init__(self, ctx: RunContext, limit: int = MAX_SKU_NOTIFICATIONS) -> None:
        """Write into ``ctx``'s Recent Notifications."""
        self.ctx = ctx
        self.limit = limit
        self.written = 0
        self.left_out = {"error": 0, "warning": 0, "info": 0}

    def add(self, level: str, sku: str, message: str, code: str = "", help: str = "") -> None:
        """One line about ``sku`` (``level``: error, warning or info)."""
        if self.written >= self.limit:
            self.left_out[level] += 1
            return
        self.written += 1
        self.ctx.notify(level, f"{sku}: {message}", code=code, reference=sku, help=help)

    def issue(self, sku: str, issue: ListingIssue, prefix: str = "") -> None:
        """Amazon's issue about ``sku`` with its help, as an error or a warning."""
        level = "error" if issue.is_error else "warning"
        self.add(level, sku, f"{prefix}{issue.message}", code=issue.code, help=issue.help)

    def finish(self) -> None:
        """Say how many lines were left out."""
        errors, others = self.left_out["error"], self.left_out["warning"] + self.left_out["info"]
        if errors or others:
            self.ctx.notify(
                "error" if errors else "info",
                f"{errors + others} more SKU messages ({errors} errors) were left out; the first "
                f"{self.limit} are listed. Filter the listings table by “has error” to see them all.",
                code="notes_left_out",
            )


def split_selection(ctx: RunContext, statuses: Iterable[str], why: str) -> tuple[int, list[int]]:
    """(how many variants are selected, the ids of those in ``statuses``); the others are counted as
    skipped with a notification that says ``why``. Starts the run's progress."""
    selected = len(selected_ids(ctx))
    eligible = selected_ids(ctx, statuses)
    ctx.progress(0, selected)
    skipped = selected - len(eligible)
    if skipped:
        ctx.count("skipped", skipped)
        ctx.info(f"{skipped} selected variants were skipped: {why}", code="not_applicable")
        ctx.progress(skipped)
    return selected, eligible


def finish_summary(ctx: RunContext, selected: int, label: str, done: str, code: str) -> None:
    """End the run's progress and add the closing line: ``<label>: N <done>, N errors, N skipped.``"""
    ctx.progress(selected, selected)
    counts = ctx.counts
    ctx.info(
        f"{label}: {counts.get(done, 0)} {done}, {counted(counts.get('errors', 0), 'error')}, "
        f"{counts.get('skipped', 0)} skipped.",
        code=code,
    )
    ctx.checkpoint(force=True)
