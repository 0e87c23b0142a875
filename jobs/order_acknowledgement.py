"""Get Orders' acknowledgement step: send our order numbers to Amazon through the acknowledgement feed.

Runs when the channel's "Acknowledge orders" setting is on, after the import, for every open merchant
order not acknowledged yet (new ones, and any an earlier run could not get accepted). One feed per run;
the run waits for Amazon to process it, then records each accepted order and names each rejected one.
Failures here never undo the import: the orders are saved, and the next Get Orders tries again.
"""

from __future__ import annotations

from jobs.amazon_channel import ChannelApi, poll
from jobs.connections import report_authorization_revoked
from jobs.runner import RunContext
from webapp.amazon import AmazonError, AuthorizationRevoked
from webapp.extensions import db
from webapp.services.order_acknowledgement import (
    CONTENT_TYPE,
    FEED_TYPE,
    build_document,
    due_orders,
    parse_report,
    record,
)
from webapp.timeutil import utcnow

# Amazon seconds to wait for the feed; order feeds are usually processed within minutes.
FEED_WAIT = 30 * 60
RETRY_HELP = "The orders are imported; the next Get Orders sends the acknowledgement again."


def acknowledge(ctx: RunContext, link: ChannelApi) -> None:
    """Acknowledge the channel's due orders in one feed and record the outcome as notifications."""
    orders = due_orders(link.channel)
    if not orders:
        return
    api = link.api
    try:
        submission = api.submit_feed(
            FEED_TYPE,
            build_document(link.connection.selling_partner_id, orders),
            content_type=CONTENT_TYPE,
        )
        ctx.info(
            f"Sent the acknowledgement of {len(orders)} order{'s' if len(orders) != 1 else ''} "
            f"to Amazon (feed {submission.feed_id}).",
            code="acknowledgement_sent",
            reference=submission.feed_id,
        )
        feed = poll(
            ctx, api, lambda: api.get_feed(submission.feed_id), lambda f: f.done, limit_seconds=FEED_WAIT
        )
        if not feed.done:
            ctx.warning(
                f"Amazon was still processing the acknowledgement feed {feed.feed_id} after "
                f"{FEED_WAIT // 60} minutes.",
                code="acknowledgement_pending",
                reference=feed.feed_id,
                help=RETRY_HELP,
            )
            return
        text = api.read_feed_result(feed.result_feed_document_id) if feed.result_feed_document_id else ""
    except AuthorizationRevoked as error:
        report_authorization_revoked(ctx, link.connection, error)
    except AmazonError as error:
        ctx.error(
            f"Amazon refused the acknowledgement feed: {error.message}",
            code=error.code or "acknowledgement_failed",
            help=error.help or RETRY_HELP,
        )
        return
    try:
        report = parse_report(text, orders)
    except ValueError as error:
        ctx.error(
            f"The acknowledgement feed {feed.feed_id} ended {feed.processing_status}: {error}.",
            code="acknowledgement_failed",
            reference=feed.feed_id,
            help=RETRY_HELP,
        )
        return
    if feed.processing_status != "DONE":
        reasons = "; ".join(r.description for r in report.rejections) or "no reason given"
        ctx.error(
            f"Amazon could not process the acknowledgement feed {feed.feed_id} "
            f"({feed.processing_status}): {reasons}",
            code="acknowledgement_failed",
            reference=feed.feed_id,
            help=RETRY_HELP,
        )
        return
    accepted = record(orders, report, utcnow())
    db.session.commit()
    if accepted:
        ctx.count("acknowledged", len(accepted))
    if report.processed < len(orders):
        ctx.warning(
            f"Amazon processed {report.processed} of the {len(orders)} acknowledgements in feed "
            f"{feed.feed_id}; none is recorded as acknowledged.",
            code="acknowledgement_incomplete",
            reference=feed.feed_id,
            help=RETRY_HELP,
        )
    for rejection in report.rejections:
        ctx.error(
            f"Amazon did not accept the acknowledgement of order {rejection.amazon_order_id}: "
            f"{rejection.description}",
            code="acknowledgement_rejected",
            reference=rejection.amazon_order_id,
            help=f"Amazon's code {rejection.code}. {RETRY_HELP}",
        )
