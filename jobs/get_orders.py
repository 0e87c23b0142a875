"""Get Orders: import the channel's new Amazon orders and keep imported ones current.

Two searches (Orders 2026-01-01 searchOrders, every page, ``includedData`` BUYER, RECIPIENT, FULFILLMENT):

1. ``createdAfter`` = now − the channel's window, with the channel's statuses: orders not imported yet
   are inserted (once, even under two concurrent runs: see ``webapp.services.order_import``).
2. ``lastUpdatedAfter`` = the channel's cursor, any status: imported orders that changed on Amazon
   (cancelled, shipped by Amazon, released from Pending) are updated. After each page is committed the
   cursor moves to the newest ``lastUpdatedTime`` on it, so a crash re-reads instead of skipping.

Neither search passes ``*Before``: Amazon then answers up to two minutes before *its* now, and every
cursor value comes from Amazon's own ``lastUpdatedTime``s, so our clock never has to agree with Amazon's.
The first run starts the cursor at the newest ``lastUpdatedTime`` the created search saw, capped at
now − ``SEARCH_LAG`` (a later ``lastUpdatedAfter`` within Amazon's two minutes would be refused).
Orders whose items have unknown SKUs or whose service level has no shipping mapping are flagged
"Needs attention" with a notification naming the fix. Notifications name the Amazon order id only.

Last, flags the seller has fixed since are cleared (``webapp.services.order_attention``: an unknown SKU
that is a listing now, a service level mapped now), orders still waiting for a source (routing
``needs_attention``) are routed again, oldest first,
then the new open merchant orders (routing ``pending``) are routed to compliant sources
(``webapp.services.order_routing``); new ones that cannot be get a warning saying what to do.

Acknowledgement, when the channel asks for it, is a last step with its own notifications: our order
numbers go to Amazon in an Order Acknowledgement feed (``jobs.order_acknowledgement``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from jobs.amazon_channel import ChannelApi, open_channel
from jobs.connections import report_authorization_revoked
from jobs.order_acknowledgement import acknowledge
from jobs.runner import RunContext, integration_job
from webapp.amazon import AccessDenied, AmazonError, AuthorizationRevoked, role_help
from webapp.amazon.roles import BUYER_DATA as BUYER_DATA_ROLE
from webapp.extensions import db
from webapp.models import Channel
from webapp.services.order_attention import recheck_batch
from webapp.services.order_import import (
    BUYER_DATA,
    INCLUDED_DATA,
    OrderSaver,
    PageResult,
    advance_cursor,
    read_cursor,
)
from webapp.services.order_routing import route_again_batch, route_pending_batch
from webapp.services.shipping_mappings import policy_by_level
from webapp.timeutil import utcnow
from webapp.wording import counted

PAGE_SIZE = 100
# Amazon answers nothing updated in its last two minutes; 30 s more absorbs clock differences.
SEARCH_LAG = timedelta(minutes=2, seconds=30)


def _pages(orders: Iterator[dict]) -> Iterator[list[dict]]:
    """The adapter yields orders one by one over all pages; regroup them a page at a time."""
    while page := list(islice(orders, PAGE_SIZE)):
        yield page


def _report(ctx: RunContext, result: PageResult) -> None:
    for name in ("inserted", "updated", "unchanged", "not_imported"):
        value = getattr(result, name)
        if value:
            ctx.count({"inserted": "imported"}.get(name, name), value)
    flagged_orders = len({news.amazon_order_id for news in result.flagged})
    if flagged_orders:
        ctx.count("needs_attention", flagged_orders)
    for news in result.flagged:
        ctx.warning(news.message, code=news.code, reference=news.amazon_order_id, help=news.help)
    for news in result.changes:
        level = "warning" if news.code == "order_cancelled" else "info"
        ctx.notify(level, news.message, code=news.code, reference=news.amazon_order_id, help=news.help)


@dataclass
class Datasets:
    """The ``includedData`` of a run's searches. Buyer and recipient data need a restricted role; once
    Amazon refuses them, the run's searches go on without them (said once, with the role to request)."""

    included: tuple[str, ...] = INCLUDED_DATA

    def drop_buyer_data(self) -> bool:
        """Leave buyer and recipient data out from now on; False when they were already left out."""
        kept = tuple(name for name in self.included if name not in BUYER_DATA)
        dropped, self.included = kept != self.included, kept
        return dropped


def _search(
    ctx: RunContext,
    link: ChannelApi,
    saver: OrderSaver,
    datasets: Datasets,
    *,
    import_new: bool,
    since: datetime,
) -> PageResult:
    """Run one search and save it page by page; returns the totals (``latest_update`` over all pages)."""
    channel, api = link.channel, link.api
    totals = PageResult()
    while True:
        if import_new:
            orders = api.search_orders(
                created_after=since,
                fulfillment_statuses=channel.order_statuses or None,
                included_data=datasets.included,
                page_size=PAGE_SIZE,
            )
        else:
            orders = api.search_orders(
                last_updated_after=since, included_data=datasets.included, page_size=PAGE_SIZE
            )
        try:
            for page in _pages(orders):
                result = saver.save_page(page, import_new=import_new)
                db.session.commit()  # the page's orders with their items, before anything is reported
                totals.new_merchant_orders += result.new_merchant_orders
                if result.latest_update and (
                    not totals.latest_update or result.latest_update > totals.latest_update
                ):
                    totals.latest_update = result.latest_update
                if not import_new and result.latest_update is not None:
                    advance_cursor(channel, result.latest_update)
                _report(ctx, result)
                ctx.progress(ctx.done + len(page))
                ctx.checkpoint(force=True)
        except AccessDenied as error:
            if datasets.drop_buyer_data():
                # Amazon refuses the whole request, before any page: asking again without them loses nothing.
                ctx.warning(
                    "Amazon refused the buyers' names and shipping addresses, so orders are imported "
                    "without them until the application has the role for them.",
                    code="buyer_data_denied",
                    help=role_help(BUYER_DATA_ROLE),
                )
                continue
            ctx.fail(f"Amazon refused the order search: {error.message}", code=error.code, help=error.help)
        except AuthorizationRevoked as error:
            report_authorization_revoked(ctx, link.connection, error)
        except AmazonError as error:
            ctx.fail(
                f"Amazon refused the order search: {error.message}",
                code=error.code,
                help=error.help or "Orders saved before the error are kept; run Get Orders again.",
            )
        return totals


def _recheck_flagged_orders(ctx: RunContext, channel: Channel, policies: dict[str, str]) -> None:
    """Clear the unknown-SKU and unmapped-service-level flags the seller has fixed since (an imported
    listing, a new shipping mapping); orders whose SKUs are all known go on to routing."""
    after, cleared = 0, 0
    while (batch := recheck_batch(channel, policies, after)) is not None:
        count, after = batch
        db.session.commit()
        cleared += count
        ctx.checkpoint(force=True)
    if cleared:
        ctx.count("attention_cleared", cleared)
        ctx.info(
            f"{counted(cleared, 'order')} flagged for an unknown SKU or an unmapped service level "
            "had the flag cleared: the listing or the shipping mapping exists now.",
            code="attention_cleared",
        )


def _route_waiting_orders(ctx: RunContext, channel: Channel) -> None:
    """Route again the orders that still need a source (the seller may have fixed stock or compliance
    since); warnings were given when they were first flagged, so only the ones now routed are told."""
    after, routed = 0, 0
    while (batch := route_again_batch(channel, after)) is not None:
        result, after = batch
        db.session.commit()
        routed += result.routed
        ctx.checkpoint(force=True)
    if routed:
        ctx.count("routed_again", routed)
        ctx.info(
            f"{counted(routed, 'order')} that needed a source could be routed now.",
            code="routed_again",
        )


def _route_new_orders(ctx: RunContext, channel: Channel) -> None:
    """Route the channel's orders waiting for routing, a committed batch at a time, and report it."""
    while (result := route_pending_batch(channel)) is not None:
        db.session.commit()  # the batch's routing, before it is reported
        if result.routed:
            ctx.count("routed", result.routed)
        if result.needs_attention:
            ctx.count("not_routed", result.needs_attention)
        for news in result.news:
            ctx.warning(news.message, code=news.code, reference=news.amazon_order_id, help=news.help)
        ctx.checkpoint(force=True)


@integration_job
def run(ctx: RunContext) -> None:
    """Get Orders for the run's channel (no parameters)."""
    link = open_channel(ctx)
    channel = link.channel
    policies = policy_by_level(channel.id)
    if not policies:
        ctx.fail(
            f"Get Orders needs shipping mappings for channel “{channel.name}” before it can import orders.",
            code="no_shipping_mappings",
            help=(
                f"Open Channels → {channel.name} → Shipping mappings, click “Add the defaults” "
                "(Standard, Expedited, SecondDay, FreeEconomy) or map each Amazon service level to "
                "your shipping policy, then run Get Orders again."
            ),
        )
    saver = OrderSaver(channel, policies)
    now = utcnow()
    cursor = read_cursor(channel)
    datasets = Datasets()
    created = _search(
        ctx, link, saver, datasets, import_new=True, since=now - timedelta(days=channel.orders_window_days)
    )
    if cursor is None:
        start = now - SEARCH_LAG
        advance_cursor(channel, min(created.latest_update, start) if created.latest_update else start)
        db.session.commit()
    else:
        _search(ctx, link, saver, datasets, import_new=False, since=cursor)
    _recheck_flagged_orders(ctx, channel, policies)
    # Orders waiting for a source first: they were placed earlier, so they get the stock first.
    _route_waiting_orders(ctx, channel)
    _route_new_orders(ctx, channel)
    if channel.acknowledge_orders:
        acknowledge(ctx, link)
    ctx.progress(ctx.done, ctx.done)
