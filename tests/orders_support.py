"""Helpers for the order tests: the demo seller's orders as the sandbox holds them, Amazon-side changes
made through the sandbox's admin API, and Get Orders runs (worked by a real RQ worker, or two at once)."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask import Flask

from jobs import get_orders
from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from webapp.extensions import db
from webapp.models import Channel, IntegrationRun, Order, OrderItem, RunKind
from webapp.services.shipping_mappings import add_defaults

US = "ATVPDKIKX0DER"
# Amazon answers nothing updated in its last two minutes: moving its clock on makes a change visible now.
VISIBLE_AFTER_MINUTES = 3


def with_default_mappings(channel: Channel) -> Channel:
    """Give the channel the default shipping mappings (Get Orders refuses without mappings)."""
    add_defaults(channel)
    db.session.commit()
    return channel


def amazon_orders(sandbox: SandboxServer) -> list[dict]:
    """The demo seller's US orders as Amazon (the sandbox) holds them: id, status, channel, times."""
    rows = sandbox.sandbox.store.all(
        "SELECT order_id, status, fulfilled_by, created_at, updated_at FROM orders "
        "WHERE seller_id = ? AND marketplace_id = ? ORDER BY order_id",
        (DEMO_SELLER_ID, US),
    )
    return [dict(row) for row in rows]


def amazon_item_count(sandbox: SandboxServer, order_ids: set[str]) -> int:
    """How many items Amazon holds for ``order_ids``."""
    rows = sandbox.sandbox.store.all("SELECT order_id FROM order_items")
    return sum(1 for row in rows if row["order_id"] in order_ids)


def searchable(sandbox: SandboxServer, statuses: list[str], window_days: int) -> set[str]:
    """Order ids a created search with these statuses and window finds now (Amazon hides its last 2 min)."""
    since = time.time() - window_days * 86400  # Get Orders counts its window on our clock
    latest = sandbox.sandbox.clock.now() - 120
    return {
        o["order_id"]
        for o in amazon_orders(sandbox)
        if o["status"] in statuses and since <= o["created_at"] <= latest
    }


def place_order(sandbox: SandboxServer, **order) -> str:
    """Place an order on Amazon's side (admin API) and let Amazon's clock move past its two minutes."""
    summary = sandbox.admin("post", "/orders", json=order)
    advance(sandbox)
    return summary["order"]["orderId"]


def amazon_change(sandbox: SandboxServer, order_id: str, action: str) -> None:
    """``cancel`` / ``release`` / ``ship`` (FBA) an order on Amazon's side, visible to the next search."""
    sandbox.admin("post", f"/orders/{order_id}/{action}")
    advance(sandbox)


def advance(sandbox: SandboxServer) -> None:
    """Move Amazon's clock past the two minutes searchOrders never answers for."""
    sandbox.admin("post", "/clock/advance", json={"minutes": VISIBLE_AFTER_MINUTES})


def imported(channel: Channel) -> dict[str, Order]:
    """The channel's orders as committed now, by Amazon order id."""
    db.session.rollback()
    orders = db.session.scalars(sa.select(Order).where(Order.channel_id == channel.id))
    return {order.amazon_order_id: order for order in orders}


def item_count(channel: Channel) -> int:
    """How many order items the channel's orders have."""
    return db.session.scalar(
        sa.select(sa.func.count(OrderItem.id)).join(Order).where(Order.channel_id == channel.id)
    )


def queued_run(channel: Channel) -> int:
    """A queued Get Orders run row (bypassing ``start_run``'s one-active-run rule, to race two runs)."""
    run = IntegrationRun(account_id=channel.account_id, channel_id=channel.id, kind=RunKind.GET_ORDERS.value)
    db.session.add(run)
    db.session.commit()
    return run.id


def run_concurrently(app: Flask, run_ids: list[int]) -> None:
    """Execute the Get Orders job of each run at the same time, one thread (and app context) each."""
    barrier = threading.Barrier(len(run_ids))
    errors: list[BaseException] = []

    def work(run_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                get_orders.run(run_id)
            except BaseException as exc:  # surfaced in the test below, not swallowed
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
