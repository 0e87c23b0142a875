"""What the listing jobs share to talk to Amazon for a run's channel: the API, patient polling, and the
All Listings report.

Reports and feeds are asynchronous on Amazon: created, then polled until processed. Polling follows a
back-off schedule in Amazon seconds (converted with the adapter's time scale, so a fast sandbox clock
keeps tests quick) and checks at every poll whether the run was cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from jobs.runner import RunContext
from webapp.amazon import Report, SellerApi
from webapp.extensions import db
from webapp.models import Channel, Connection, ConnectionStatus
from webapp.services.connections import credentials_for

T = TypeVar("T")

# Amazon seconds between polls: reports and feeds take minutes; Amazon asks callers to be gentle.
POLL_DELAYS = (15.0, 15.0, 30.0, 30.0, 60.0)
POLL_DELAY_MAX = 120.0
LISTINGS_REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
# Amazon seconds to wait for the report; large accounts take several minutes, rarely more than 30.
REPORT_WAIT = 45 * 60


@dataclass(frozen=True)
class ChannelApi:
    """A run's channel, its connection, and the adapter bound to them."""

    channel: Channel
    connection: Connection
    api: SellerApi


def open_channel(ctx: RunContext) -> ChannelApi:
    """The run's channel and an adapter for its connection and marketplace; ends the run failed when
    the channel is gone, has no connection, or the connection needs re-authorization."""
    channel = db.session.scalar(
        sa.select(Channel).where(Channel.id == ctx.channel_id, Channel.account_id == ctx.account_id)
    )
    if channel is None:
        ctx.fail("The channel of this run no longer exists.", code="channel_missing")
    connection = channel.connection
    if connection is None:
        ctx.fail(
            f"The channel “{channel.name}” has no Amazon connection.",
            code="channel_without_connection",
            help="Edit the channel and choose the Amazon connection it sells through.",
        )
    if connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION:
        ctx.fail(
            f"The connection “{connection.name}” needs re-authorization before it can be used.",
            code="authorization_revoked",
            reference=connection.selling_partner_id,
            help="Open Connections and click Re-authorize, then run this again.",
        )
    marketplace_id = channel.marketplace_id or connection.marketplace_id
    return ChannelApi(channel, connection, SellerApi(credentials_for(connection, marketplace_id)))


def poll(
    ctx: RunContext,
    api: SellerApi,
    fetch: Callable[[], T],
    is_done: Callable[[T], bool],
    *,
    limit_seconds: float,
) -> T:
    """Call ``fetch`` until ``is_done`` says so or ``limit_seconds`` (Amazon time) have passed.

    Returns:
        The last answer (check ``is_done`` on it: False means Amazon was still processing at the limit).
    """
    waited = 0.0
    attempt = 0
    while True:
        answer = fetch()
        if is_done(answer) or waited >= limit_seconds:
            return answer
        delay = POLL_DELAYS[attempt] if attempt < len(POLL_DELAYS) else POLL_DELAY_MAX
        delay = min(delay, max(limit_seconds - waited, 0.0)) or delay
        attempt += 1
        waited += delay
        ctx.checkpoint(force=True)  # raises RunCancelled when the seller cancelled meanwhile
        time.sleep(api.settings.real_seconds(delay))


def _report_help(integration: str) -> str:
    return (
        f"Amazon prepares this report itself. Run {integration} again in a few minutes; if it keeps "
        "failing, check in Seller Central (Inventory > Inventory Reports) that the All Listings Report can "
        "be requested."
    )


def finished_listings_report(ctx: RunContext, api: SellerApi, integration: str) -> Report:
    """Request the All Listings report (every offer, active and inactive) and wait for it.

    Args:
        integration: the job's name as the seller knows it ("Link listings"), for the help text.

    Ends the run failed (``ctx.fail``) when Amazon is still preparing it after ``REPORT_WAIT``, cancelled
    it, or could not produce it.
    """
    report_id = api.create_report(LISTINGS_REPORT_TYPE)
    ctx.info(
        f"Requested the All Listings report from Amazon (report {report_id}). Amazon takes a few minutes "
        "to build it; this run waits for it and goes on by itself.",
        code="report_requested",
    )
    report = poll(ctx, api, lambda: api.get_report(report_id), lambda r: r.done, limit_seconds=REPORT_WAIT)
    status = report.processing_status
    if not report.done:
        ctx.fail(
            f"Amazon was still preparing the listings report {report_id} after {REPORT_WAIT // 60} minutes.",
            code="report_not_ready",
            help=_report_help(integration),
        )
    if status == "CANCELLED":
        ctx.fail(
            f"Amazon cancelled the listings report {report_id}. Amazon does this when the seller has no "
            "listings in this marketplace.",
            code="report_cancelled",
            help=f"Check in Seller Central that this marketplace has listings, then run {integration} again.",
        )
    if status != "DONE" or not report.report_document_id:
        ctx.fail(
            f"Amazon could not produce the listings report {report_id} (status {status}).",
            code="report_failed",
            help=_report_help(integration),
        )
    return report
