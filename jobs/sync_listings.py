"""The "Sync listings" integration: push the prices and quantities that changed since Amazon's last
accepted push, and nothing else.

Parameters: ``selection`` (optional: every syncable variant of the channel when absent, as scheduled
runs do) and ``dry_run`` (bool). The channel is the run's.

1. Feeds an earlier run left processing are read first (one getFeed each): their answers update the
   pushed values this run compares with. A feed still processing keeps its variants out of this run.
2. The diff (``webapp.services.listing_sync``): each syncable variant's offer from the Sync template,
   compared with ``pushed_price`` / ``pushed_quantity``. Unchanged variants cost no Amazon call.
   Paused, Hidden, Delisted, Unlinked and Broken Link variants are skipped and counted, and so are
   Error variants never created on Amazon (a refused Publish): there is no offer to update.
3. A few changes (≤ ``FEED_THRESHOLD``) go as one patchListingsItem each; more go as
   JSON_LISTINGS_FEED documents of PATCH messages (≤ ``FEED_MAX_MESSAGES`` each), each stored in
   ``feed_submissions`` with what every message would record, polled with back-off and read back. A
   feed still processing at ``FEED_WAIT`` ends the run partial; the next run reads its result.
4. Answers: accepted → pushed values, sync times and history (with the rule text); refused → Error
   with Amazon's message and our help; SKU unknown → Broken Link.

A dry run computes the same diff, sends nothing and changes nothing; the diff table (up to
``DRY_RUN_ROWS`` lines) is stored in the run's params under ``diff`` for the run page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from jobs.amazon_channel import ChannelApi, open_channel, poll
from jobs.connections import report_authorization_revoked
from jobs.listing_results import (
    record_accepted,
    record_broken,
    record_error,
    refused,
    sku_unknown,
)
from jobs.listing_support import FEED_THRESHOLD
from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked, Feed, ListingIssue, NotFound
from webapp.amazon.marketplaces import get_marketplace
from webapp.extensions import db
from webapp.models import FeedSubmission, IntegrationRun, ListingVariant, TemplatePurpose, VariantStatus
from webapp.models.listing import SYNCABLE_STATUSES
from webapp.services.listing_sync import Change, iter_diff, never_on_amazon, status_counts
from webapp.services.mapping_engine import load_template
from webapp.timeutil import utcnow

COUNTS = ("linked", "already_linked", "updated", "unchanged", "skipped", "broken", "errors")
FEED_MAX_MESSAGES = 25_000
# Amazon seconds to wait for a feed; most finish in minutes.
FEED_WAIT = 30 * 60
DRY_RUN_ROWS = 1000
RESULT_BATCH = 2000
PENDING_HELP = (
    "Amazon is still processing this feed. Nothing is lost: the next Sync listings run reads its result "
    "and records what Amazon accepted; until then these variants are left out of syncs."
)
FEED_FAILED_HELP = (
    "Amazon could not process the feed as a whole, so none of its updates were applied. The variants keep "
    "their previous values and the next Sync listings run sends them again."
)
NOT_ON_AMAZON_HELP = (
    "Amazon never accepted these variants (their Publish was refused), so there is no offer to update. "
    "Fix the problem shown on each variant and publish it again; syncs include it once it is on Amazon."
)


@dataclass
class _Sync:
    """One run's working state."""

    target: ChannelApi
    marketplace_id: str
    currency: str
    dry_run: bool
    pending: list[Change] = field(default_factory=list)
    sent_as_feed: bool = False
    diff: list[dict] = field(default_factory=list)
    diff_total: int = 0


def _variants(ids: list[int]) -> dict[int, ListingVariant]:
    return {v.id: v for v in db.session.scalars(sa.select(ListingVariant).where(ListingVariant.id.in_(ids)))}


# Patches -------------------------------------------------------------------------------------------


def _patch_each(ctx: RunContext, sync: _Sync, changes: list[Change]) -> None:
    """Send each change as one patchListingsItem and record Amazon's answer."""
    api = sync.target.api
    variants = _variants([c.variant_id for c in changes])
    for change in changes:
        variant = variants.get(change.variant_id)
        if variant is None:
            continue
        try:
            answer = api.patch_listing(
                change.sku, change.product_type, change.patches(sync.marketplace_id, sync.currency)
            )
        except AuthorizationRevoked:
            raise
        except NotFound as error:
            record_broken(ctx, variant, error.message)
        except AmazonError as error:
            record_error(ctx, variant, error.message, error.help, error.code, [])
        else:
            if answer.accepted:
                record_accepted(ctx, variant, change, answer.issues, utcnow())
            elif sku_unknown(answer.issues):
                record_broken(ctx, variant, refused(answer.issues)[0])
            else:
                message, help, code = refused(answer.issues)
                record_error(ctx, variant, message, help, code, list(answer.issues))
        ctx.checkpoint()
    ctx.checkpoint(force=True)


# Feeds ---------------------------------------------------------------------------------------------


def _submit_feed(ctx: RunContext, sync: _Sync, changes: list[Change]) -> None:
    """Submit one JSON_LISTINGS_FEED of PATCH messages, store it, wait for it and read it back."""
    messages = [
        {
            "messageId": number,
            "sku": change.sku,
            "operationType": "PATCH",
            "productType": change.product_type,
            "patches": change.patches(sync.marketplace_id, sync.currency),
        }
        for number, change in enumerate(changes, start=1)
    ]
    try:
        submitted = sync.target.api.submit_listings_feed(messages)
    except AuthorizationRevoked:
        raise
    except AmazonError as error:
        ctx.count("errors", len(changes))
        ctx.error(
            f"Amazon did not take the feed of {len(changes)} updates: {error.message}",
            code=error.code,
            help=error.help,
        )
        return
    del messages
    submission = FeedSubmission(
        account_id=ctx.account_id,
        channel_id=sync.target.channel.id,
        run_id=ctx.run_id,
        feed_id=submitted.feed_id,
        status="IN_QUEUE",
        message_count=len(changes),
        messages={str(number): change.record() for number, change in enumerate(changes, start=1)},
    )
    db.session.add(submission)
    ctx.info(
        f"Sent {len(changes)} updates to Amazon as feed {submitted.feed_id}.",
        code="feed_submitted",
        reference=submitted.feed_id,
    )
    ctx.checkpoint(force=True)
    _await_feed(ctx, sync, submission, FEED_WAIT)


def _await_feed(ctx: RunContext, sync: _Sync, submission: FeedSubmission, wait: float) -> bool:
    """Poll the feed up to ``wait`` Amazon seconds and read its result; False while still processing."""
    api = sync.target.api
    try:
        feed = poll(ctx, api, lambda: api.get_feed(submission.feed_id), lambda f: f.done, limit_seconds=wait)
    except AuthorizationRevoked:
        raise
    except AmazonError as error:
        feed = None
        ctx.warning(f"Could not check feed {submission.feed_id}: {error.message}", code=error.code)
    if feed is None or not feed.done:
        submission.status = feed.processing_status if feed is not None else submission.status
        ctx.error(
            f"Amazon is still processing feed {submission.feed_id} ({submission.message_count} updates); "
            "the next Sync listings run will read its result.",
            code="feed_pending",
            reference=submission.feed_id,
            help=PENDING_HELP,
        )
        ctx.checkpoint(force=True)
        return False
    _read_feed(ctx, sync, submission, feed)
    return True


def _read_feed(ctx: RunContext, sync: _Sync, submission: FeedSubmission, feed: Feed) -> None:
    """Store the processing report on the submission and record each message's outcome."""
    api = sync.target.api
    submission.status = feed.processing_status
    issues: list[ListingIssue] = []
    summary: dict = {}
    if feed.result_feed_document_id:
        try:
            result = api.get_listings_feed_result(feed.result_feed_document_id)
        except AuthorizationRevoked:
            raise
        except AmazonError as error:
            ctx.error(
                f"Could not read the result of feed {submission.feed_id}: {error.message}",
                code=error.code,
                help=error.help,
            )
            ctx.checkpoint(force=True)
            return
        issues, summary = list(result.issues), result.summary
        # The reported items (offers, availability) repeat what we sent; the summary and issues are kept.
        submission.result = {"summary": summary, "issues": result.raw.get("issues") or []}
    submission.finished_at = utcnow()
    if feed.processing_status != "DONE":
        detail = next((i.message for i in issues if i.is_error), "")
        status = feed.processing_status
        ctx.error(
            f"Amazon could not process feed {submission.feed_id} ({status}). {detail}".strip(),
            code=f"feed_{feed.processing_status.lower()}",
            reference=submission.feed_id,
            help=FEED_FAILED_HELP,
        )
        ctx.count("errors", submission.message_count)
        ctx.checkpoint(force=True)
        return
    by_message: dict[int, list[ListingIssue]] = defaultdict(list)
    for issue in issues:
        if issue.message_id is not None:
            by_message[issue.message_id].append(issue)
    now = utcnow()
    records = list(submission.messages.items())
    for start in range(0, len(records), RESULT_BATCH):
        chunk = [
            (int(number), Change.from_record(data)) for number, data in records[start : start + RESULT_BATCH]
        ]
        variants = _variants([change.variant_id for _, change in chunk])
        for number, change in chunk:
            variant = variants.get(change.variant_id)
            if variant is None:
                continue
            found = by_message.get(number, [])
            if not any(i.is_error for i in found):
                record_accepted(ctx, variant, change, found, now)
            elif sku_unknown(found):
                record_broken(ctx, variant, refused(found)[0])
            else:
                message, help, code = refused(found)
                record_error(ctx, variant, message, help, code, found)
        ctx.checkpoint(force=True)
    ctx.info(
        f"Amazon processed feed {submission.feed_id}: {summary.get('messagesAccepted', 0)} accepted, "
        f"{summary.get('messagesInvalid', 0)} refused.",
        code="feed_done",
        reference=submission.feed_id,
    )
    ctx.checkpoint(force=True)


def _resume_pending(ctx: RunContext, sync: _Sync) -> frozenset[int]:
    """Read feeds earlier runs left processing; returns the variant ids of those still processing."""
    waiting = list(
        db.session.scalars(
            sa.select(FeedSubmission)
            .where(
                FeedSubmission.channel_id == sync.target.channel.id,
                FeedSubmission.account_id == ctx.account_id,
                FeedSubmission.finished_at.is_(None),
                FeedSubmission.feed_id != "",
            )
            .order_by(FeedSubmission.id)
        )
    )
    still: set[int] = set()
    for submission in waiting:
        ctx.info(f"Reading feed {submission.feed_id} left by an earlier run.", code="feed_resumed")
        if not _await_feed(ctx, sync, submission, 0):
            still.update(int(data["variant_id"]) for data in submission.messages.values())
    return frozenset(still)


# The run -------------------------------------------------------------------------------------------


def _flush(ctx: RunContext, sync: _Sync, final: bool) -> None:
    """Send what is pending: as patches when the whole run has few changes, else as feeds."""
    if sync.dry_run:
        return
    if final and not sync.sent_as_feed and len(sync.pending) <= FEED_THRESHOLD:
        _patch_each(ctx, sync, sync.pending)
    elif sync.pending:
        sync.sent_as_feed = True
        _submit_feed(ctx, sync, sync.pending)
    sync.pending = []


def _collect(ctx: RunContext, sync: _Sync, changes: list[Change]) -> None:
    """Queue a page's changes (dry run: add them to the diff table instead)."""
    if sync.dry_run:
        sync.diff_total += len(changes)
        ctx.count("would_update", len(changes))
        room = DRY_RUN_ROWS - len(sync.diff)
        sync.diff.extend(change.diff_row() for change in changes[:room])
        return
    for change in changes:
        sync.pending.append(change)
        if len(sync.pending) >= FEED_MAX_MESSAGES:
            _flush(ctx, sync, final=False)


def _save_diff(ctx: RunContext, sync: _Sync) -> None:
    """Store the dry run's diff table in the run's params (the run page renders it)."""
    params = {**ctx.params, "diff": sync.diff, "diff_total": sync.diff_total}
    db.session.execute(
        sa.update(IntegrationRun)
        .where(IntegrationRun.id == ctx.run_id)
        .values(params=json.loads(json.dumps(params)))
    )
    ctx.info(
        f"Dry run: {sync.diff_total} variants would be updated, {ctx.counts['unchanged']} are unchanged; "
        "nothing was sent to Amazon.",
        code="dry_run",
    )
    ctx.checkpoint(force=True)


def _skip_report(ctx: RunContext, statuses: dict[str, int]) -> None:
    syncable = {s.value for s in SYNCABLE_STATUSES}
    skipped = {status: n for status, n in statuses.items() if status not in syncable}
    if skipped:
        ctx.count("skipped", sum(skipped.values()))
        parts = ", ".join(f"{n} {VariantStatus(s).label}" for s, n in sorted(skipped.items()))
        ctx.info(f"Skipped (not synced in their status): {parts}.", code="skipped")


@integration_job
def run(ctx: RunContext) -> None:
    """Sync the channel's changed prices and quantities to Amazon (see the module docstring)."""
    for name in COUNTS:
        ctx.counts.setdefault(name, 0)
    target = open_channel(ctx)
    channel = target.channel
    marketplace_id = target.api.marketplace_id
    currency = get_marketplace(marketplace_id).currency
    sync = _Sync(target, marketplace_id, currency, bool(ctx.params.get("dry_run")))
    selection = ctx.params.get("selection") or None
    template = load_template(channel.id, TemplatePurpose.SYNC)
    statuses = status_counts(db.session, ctx.account_id, channel.id, selection)
    _skip_report(ctx, statuses)
    absent = frozenset(never_on_amazon(db.session, ctx.account_id, channel.id, selection))
    if absent:
        ctx.count("skipped", len(absent))
        ctx.info(
            f"Skipped {len(absent)} Error variants that were never created on Amazon.",
            code="not_on_amazon",
            help=NOT_ON_AMAZON_HELP,
        )
    total = sum(n for s, n in statuses.items() if s in {v.value for v in SYNCABLE_STATUSES})
    ctx.progress(0, total)
    ctx.checkpoint(force=True)
    try:
        held = frozenset() if sync.dry_run else _resume_pending(ctx, sync)
        if held - absent:
            ctx.count("skipped", len(held - absent))
        done = 0
        for changes, unchanged, read in iter_diff(
            db.session, ctx.account_id, channel.id, selection, template, held | absent
        ):
            ctx.count("unchanged", unchanged)
            _collect(ctx, sync, changes)
            done += read
            ctx.progress(done)
            ctx.checkpoint(force=True)
        _flush(ctx, sync, final=True)
    except AuthorizationRevoked as error:
        report_authorization_revoked(ctx, target.connection, error)
    if sync.dry_run:
        _save_diff(ctx, sync)
    ctx.progress(total, total)
    ctx.checkpoint(force=True)
