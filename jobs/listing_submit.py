"""Send listing changes to Amazon, one call per SKU or as JSON_LISTINGS_FEED documents, and report what
Amazon did with each.

A job describes each change once, as the body of a feed message (``UPDATE`` / ``PATCH`` / ``DELETE``);
:func:`send` either makes the matching Listings Items call for each (putListingsItem,
patchListingsItem, deleteListingsItem) or, for many changes, puts them in feeds of at most
``MAX_MESSAGES`` messages. Either way the job gets one :class:`Outcome` per change, in order.

For feeds, a ``FeedSubmission`` row is written as soon as Amazon knows the feed, with what each
message stands for, and gets the processing report when it is done: Amazon keeps reports only 28
days. The job waits for the feed (``jobs.amazon_channel.poll``: gently, with the run's cancel
checkpoint between polls),
because the outcome of each message decides each variant's status.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jobs.amazon_channel import ChannelApi, poll
from jobs.listing_support import amazon_error_issue, chunks, stop_on_revoked
from jobs.runner import RunContext
from webapp.amazon import AmazonError, AuthorizationRevoked, ListingIssue, ListingSubmission, NotFound
from webapp.extensions import db
from webapp.models import FeedSubmission
from webapp.timeutil import utcnow

MAX_MESSAGES = 25_000
# Amazon seconds after which a feed still processing is given up on (its messages are reported).
MAX_WAIT = 2 * 3600.0

NOT_PROCESSED_HELP = (
    "Amazon did not process this feed, so nothing in it was changed. Run the action again; if it keeps "
    "happening, Amazon may be having problems (check the Seller Central news)."
)


@dataclass(frozen=True)
class Change:
    """One change for one variant: a feed message body (without ``messageId``/``sku``) and what it
    would record if Amazon accepts it."""

    variant_id: int
    sku: str
    body: dict[str, Any]
    price: Decimal | None = None
    quantity: int | None = None
    asin: str = ""
    note: str = ""  # why the values are what they are (the mapping rule that bound them)


@dataclass
class Outcome:
    """What Amazon said about one change."""

    change: Change
    issues: list[ListingIssue] = field(default_factory=list)
    not_found: bool = False  # the SKU does not exist on Amazon (404)
    asin: str = ""

    @property
    def accepted(self) -> bool:
        """True when no blocking issue was reported for the change."""
        return not self.not_found and not any(i.is_error for i in self.issues)

    @property
    def errors(self) -> list[ListingIssue]:
        """The blocking issues."""
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[ListingIssue]:
        """The issues that did not block the change."""
        return [i for i in self.issues if not i.is_error]


def send(ctx: RunContext, target: ChannelApi, changes: list[Change], as_feed: bool) -> Iterator[Outcome]:
    """Send ``changes`` one call each, or as feeds when ``as_feed``; yield one outcome per change."""
    if as_feed:
        for part in chunks(changes, MAX_MESSAGES):
            yield from _send_feed(ctx, target, part)
    else:
        for change in changes:
            yield _send_one(ctx, target, change)


def _send_one(ctx: RunContext, target: ChannelApi, change: Change) -> Outcome:
    api, body = target.api, change.body
    operation = body["operationType"]
    try:
        if operation == "UPDATE":
            answer = api.put_listing(
                change.sku,
                body["productType"],
                body["attributes"],
                requirements=body.get("requirements", "LISTING"),
            )
        elif operation == "PATCH":
            answer = api.patch_listing(change.sku, body["productType"], body["patches"])
        else:
            answer = api.delete_listing(change.sku)
    except AuthorizationRevoked as error:
        stop_on_revoked(ctx, target, error)
    except NotFound as error:
        return Outcome(change, [amazon_error_issue(error)], not_found=True)
    except AmazonError as error:
        return Outcome(change, [amazon_error_issue(error)])
    return _from_submission(change, answer)


def _from_submission(change: Change, answer: ListingSubmission) -> Outcome:
    issues = list(answer.issues)
    if not answer.accepted and not any(i.is_error for i in issues):
        issues.append(
            ListingIssue(
                code=answer.status,
                message=f"Amazon answered {answer.status} without naming a problem.",
                severity="ERROR",
                help=NOT_PROCESSED_HELP,
            )
        )
    return Outcome(change, issues, asin=answer.asin or "")


def _send_feed(ctx: RunContext, target: ChannelApi, changes: list[Change]) -> list[Outcome]:
    documents = [{"messageId": number, "sku": c.sku, **c.body} for number, c in enumerate(changes, 1)]
    try:
        submitted = target.api.submit_listings_feed(documents)
    except AuthorizationRevoked as error:
        stop_on_revoked(ctx, target, error)
    record = FeedSubmission(
        account_id=ctx.account_id,
        channel_id=target.channel.id,
        run_id=ctx.run_id,
        feed_id=submitted.feed_id,
        status="IN_QUEUE",
        message_count=len(changes),
        messages={
            str(number): {
                "variant_id": c.variant_id,
                "sku": c.sku,
                "operation": c.body["operationType"],
                "price": None if c.price is None else f"{c.price:.2f}",
                "quantity": c.quantity,
            }
            for number, c in enumerate(changes, 1)
        },
    )
    db.session.add(record)
    ctx.info(
        f"Sent {len(changes)} changes to Amazon as feed {submitted.feed_id}; waiting for Amazon to "
        "process it.",
        code="feed_submitted",
        reference=submitted.feed_id,
    )
    ctx.checkpoint(force=True)
    try:
        outcomes = _await_feed(ctx, target, record, changes)
    except AuthorizationRevoked as error:
        stop_on_revoked(ctx, target, error)
    record.finished_at = utcnow()
    ctx.checkpoint(force=True)
    return outcomes


def _await_feed(
    ctx: RunContext, target: ChannelApi, record: FeedSubmission, changes: list[Change]
) -> list[Outcome]:
    api = target.api
    feed = poll(ctx, api, lambda: api.get_feed(record.feed_id), lambda f: f.done, limit_seconds=MAX_WAIT)
    record.status = feed.processing_status
    outcomes = [Outcome(c) for c in changes]
    result = None
    if feed.done and feed.result_feed_document_id:
        result = api.get_listings_feed_result(feed.result_feed_document_id)
        record.result = result.raw
    if feed.processing_status == "DONE" and result is not None:
        general = [i for i in result.issues if i.message_id is None and i.is_error]
        for issue in result.issues:
            if issue.message_id is not None and 1 <= issue.message_id <= len(outcomes):
                outcomes[issue.message_id - 1].issues.append(issue)
        for outcome in outcomes:
            outcome.issues.extend(general)
        return outcomes
    reasons = [i for i in result.issues if i.is_error] if result is not None else []
    state = feed.processing_status if feed.done else "still processing"
    problem = (
        reasons[0]
        if reasons
        else ListingIssue(
            code="FeedNotProcessed",
            message=f"Amazon did not process feed {feed.feed_id} ({state}).",
            severity="ERROR",
            help=NOT_PROCESSED_HELP,
        )
    )
    for outcome in outcomes:
        outcome.issues.append(problem)
    return outcomes
