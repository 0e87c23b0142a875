"""PII redaction: orders shipped (or cancelled) more than 30 days ago lose the buyer's data, once a day.

Orders are made on Amazon's side (the sandbox) and imported by a real Get Orders run; redaction runs
on a real RQ worker. "31 days later" is reached either by giving the service a clock 31 days ahead, or
by an order Amazon shipped 31 days ago (Get Orders takes ``shipped_at`` from Amazon's lastUpdatedTime).
The kill test bulk-inserts its orders instead (thousands, so that the run is killed between batches) and
runs them on a ``python -m jobs.worker`` process whose work horse it kills.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from croniter import croniter
from markupsafe import escape
from rq.cron import CronJob, CronScheduler

from jobs.scheduler import dispatch_due
from sandbox.clock import iso
from sandbox.orders import apply_shipment, cancel_order, place_order
from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, run_job
from tests.orders_support import US, imported, with_default_mappings
from tests.runs_support import fresh, horse_pids, notes, user_by_email, wait_for, work, worker_process
from webapp.extensions import db
from webapp.models import (
    Channel,
    IntegrationRun,
    Order,
    OrderStatus,
    RunKind,
    RunStatus,
    Schedule,
    Source,
    SourceUpload,
)
from webapp.models.channel import ORDER_STATUSES
from webapp.services.order_import import buyer_name_digest
from webapp.services.order_redaction import BATCH, SHIPPED, SWEEP_INTERVAL, cutoff, redact_batch
from webapp.services.runs import WORKER_LOST_MESSAGE, reap_abandoned_runs, start_run
from webapp.services.schedules import SCHEDULABLE_KINDS, dispatchable_kinds
from webapp.services.source_uploads import RETENTION as UPLOAD_RETENTION
from webapp.timeutil import utcnow

DAY = 86400
# What the issue names: the buyer's name, email and phone, the shipping address lines (and the
# recipient's name and company on it), plus the searchable digest of the name.
PII_COLUMNS = (
    "buyer_name",
    "buyer_email",
    "buyer_phone",
    "buyer_company",
    "recipient_name",
    "address_line1",
    "address_line2",
    "address_line3",
    "buyer_name_digest",
)
KEPT = ("city", "state_or_region", "postal_code", "country_code")
# Orders due in the kill test: many whole batches of shipped ones (the kill lands after the first), then
# the cancelled ones, which end on a part batch.
DUE_SHIPPED, DUE_CANCELLED = 14 * BATCH, BATCH + 250


@pytest.fixture
def sandbox():
    """A sandbox whose demo seller has listings but no seeded orders: each test makes its own."""
    with SandboxServer(seed={"orders": 0}) as server:
        yield server


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


@pytest.fixture
def channel(app, auth, sandbox) -> Channel:
    """The demo seller's US channel in the signed-in seller's account, every status over 60 days."""
    auth.register()
    channel = with_default_mappings(demo_channel(sandbox, user_by_email().account_id))
    channel.order_statuses, channel.orders_window_days = list(ORDER_STATUSES), 60
    db.session.commit()
    return channel


def amazon_order(sandbox: SandboxServer, days_ago: float, action: str = "ship") -> str:
    """An order placed on Amazon ``days_ago`` days ago and shipped (or cancelled) an hour later."""
    state = sandbox.sandbox
    placed = state.clock.now() - days_ago * DAY
    order_id = place_order(state.store, placed)
    if action == "cancel":
        cancel_order(state.store, placed + 3600, order_id)
        return order_id
    items = state.store.all("SELECT order_item_id, quantity FROM order_items WHERE order_id = ?", (order_id,))
    package = {
        "packageReferenceId": "1",
        "carrierCode": "UPS",
        "shippingMethod": "UPS Ground",
        "trackingNumber": "1Z999AA10123456784",
        "shipDate": iso(placed + 3600),
        "orderItems": [{"orderItemId": i["order_item_id"], "quantity": i["quantity"]} for i in items],
    }
    with state.store.transaction() as conn:
        apply_shipment(
            conn, DEMO_SELLER_ID, order_id, {"marketplaceId": US, "packageDetail": package}, placed + 3600
        )
    return order_id


def get_orders(app, redis, channel: Channel) -> dict[str, Order]:
    """Import the channel's orders with a real Get Orders run; the imported orders by Amazon id."""
    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED
    return imported(channel)


def redact(app, redis, account_id: int) -> IntegrationRun:
    """One Redact PII run of the account, worked by a real RQ worker; the finished run."""
    result = start_run(account_id, RunKind.REDACT_ORDERS, trigger="scheduled")
    work(app, redis)
    return fresh(result.run.id)


def pii(order: Order) -> dict[str, str | None]:
    return {column: getattr(order, column) for column in PII_COLUMNS}


def housekeeping_entry(redis) -> CronJob:
    """The hourly housekeeping entry of ``jobs/cron_config.py``, as the cron process loads it."""
    cron = CronScheduler(connection=redis)
    cron.load_config_from_file("jobs.cron_config")
    [entry] = [job for job in cron.get_jobs() if job.func_name == "jobs.housekeeping.run_housekeeping"]
    return entry


def bulk_orders(channel: Channel, name: str, count: int, status: OrderStatus, **fields) -> None:
    """Insert ``count`` orders with every buyer field filled, in one statement (imports are too slow for
    thousands). Their Amazon ids start with ``name``; ``fields`` sets the times (shipped_at...)."""
    purchased = utcnow() - timedelta(days=40)
    rows = []
    for i in range(count):
        buyer = f"Buyer {name} {i}"
        rows.append(
            {
                "account_id": channel.account_id,
                "channel_id": channel.id,
                "amazon_order_id": f"{name}-{i:05d}",
                "marketplace_id": US,
                "status": status.value,
                "purchased_at": purchased,
                "amazon_updated_at": purchased,
                "buyer_name": buyer,
                "buyer_email": f"{name}-{i}@marketplace.amazon.com",
                "buyer_phone": f"+1 206 555 {i:04d}",
                "buyer_company": f"{buyer} LLC",
                "recipient_name": buyer,
                "address_line1": f"{i} {name} Street",
                "address_line2": f"Suite {i}",
                "address_line3": "Building 7",
                "buyer_name_digest": buyer_name_digest(buyer),
                "city": "Seattle",
                "state_or_region": "WA",
                "postal_code": "98109",
                "country_code": "US",
                **fields,
            }
        )
    db.session.execute(sa.insert(Order), rows)
    db.session.commit()


def orders_named(*names: str) -> sa.ColumnElement[bool]:
    """Orders whose Amazon id starts with one of ``names`` (see :func:`bulk_orders`)."""
    return sa.or_(*(Order.amazon_order_id.startswith(f"{name}-") for name in names))


def order_count(*conditions: sa.ColumnElement[bool]) -> int:
    """How many orders meet ``conditions``, as committed now."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(*conditions))


def with_any_pii() -> sa.ColumnElement[bool]:
    return sa.or_(*(getattr(Order, column).is_not(None) for column in PII_COLUMNS))


def with_all_pii() -> sa.ColumnElement[bool]:
    return sa.and_(*(getattr(Order, column).is_not(None) for column in PII_COLUMNS))


@contextmanager
def batch_gate(order_id: int) -> Iterator[Callable[[], bool]]:
    """Where the database allows it, make a redaction stop inside the batch that holds ``order_id``.

    On PostgreSQL a second connection locks that order's row until the block ends: the batch's UPDATE
    waits on it with the rows before it written but not committed, so a kill lands mid-batch. Yields a
    check that a statement is waiting on the lock. SQLite has no row locks (one writer locks the whole
    file); there the check is always true and the kill lands wherever the run is.
    """
    if db.engine.dialect.name != "postgresql":
        yield lambda: True
        return
    with db.engine.connect() as gate:
        gate.execute(sa.select(Order.id).where(Order.id == order_id).with_for_update())
        gate_pid = gate.scalar(sa.text("SELECT pg_backend_pid()"))

        def waiting() -> bool:
            # A connection of its own per look: pg_stat_activity is a snapshot per transaction.
            with db.engine.connect() as probe:
                blocked = sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                )
                return bool(probe.scalar(blocked, {"pid": gate_pid}))

        yield waiting  # closing the connection rolls back: the lock goes with it


def redaction_runs() -> list[IntegrationRun]:
    """Every Redact PII run, oldest first, as committed now."""
    db.session.rollback()
    query = sa.select(IntegrationRun).where(IntegrationRun.kind == RunKind.REDACT_ORDERS.value)
    return list(db.session.scalars(query.order_by(IntegrationRun.id)))


def test_an_order_is_redacted_when_the_clock_is_31_days_past_shipment_and_not_at_29(
    app, redis, channel, sandbox
):
    order_id = amazon_order(sandbox, days_ago=0.1)
    order = get_orders(app, redis, channel)[order_id]
    assert order.shipped_at is not None and order.buyer_name and order.address_line1
    kept = {column: getattr(order, column) for column in KEPT}
    shipped = order.shipped_at

    assert redact_batch(channel.account_id, SHIPPED, now=shipped + timedelta(days=29)) == 0
    db.session.commit()
    assert imported(channel)[order_id].redacted_at is None
    # Sweeps run every SWEEP_INTERVAL; the last two before day 30 both take the order, so it keeps no PII
    # past 30 days even when one of those sweeps is lost.
    for sweeps_before in (1, 2):
        sweep = shipped + timedelta(days=30) - sweeps_before * SWEEP_INTERVAL + timedelta(minutes=1)
        assert cutoff(sweep) > shipped

    later = shipped + timedelta(days=31)
    assert redact_batch(channel.account_id, SHIPPED, now=later) == 1
    db.session.commit()

    order = imported(channel)[order_id]
    assert order.redacted_at == later
    assert pii(order) == dict.fromkeys(PII_COLUMNS)
    assert {column: getattr(order, column) for column in KEPT} == kept and kept["city"]


def test_the_redaction_run_redacts_orders_shipped_31_days_ago_and_keeps_those_shipped_29_days_ago(
    app, client, redis, channel, sandbox, caplog
):
    caplog.set_level(logging.DEBUG)
    old, recent = amazon_order(sandbox, days_ago=31), amazon_order(sandbox, days_ago=29)
    cancelled, open_order = (
        amazon_order(sandbox, days_ago=31, action="cancel"),
        place_order(sandbox.sandbox.store, sandbox.sandbox.clock.now() - 40 * DAY),
    )
    # Copies: the ORM objects are refreshed in place when the orders are read again.
    before = {
        key: {**pii(o), "postal_code": o.postal_code} for key, o in get_orders(app, redis, channel).items()
    }
    secrets = [
        v for o in before.values() for v in (o["buyer_name"], o["buyer_email"], o["address_line1"]) if v
    ]
    assert all(before[key]["buyer_name"] for key in (old, recent, open_order, cancelled))
    assert before[old]["address_line1"] and before[recent]["address_line1"]
    started = utcnow()

    run = redact(app, redis, channel.account_id)

    after = imported(channel)
    assert run.status == RunStatus.SUCCEEDED
    assert run.counts == {"redacted_shipped": 1, "redacted_cancelled": 1}
    assert (run.channel_id, run.trigger) == (None, "scheduled")
    for order_id in (old, cancelled):
        assert pii(after[order_id]) == dict.fromkeys(PII_COLUMNS)
        assert started <= after[order_id].redacted_at <= run.finished_at, "the order records when"
        assert after[order_id].postal_code == before[order_id]["postal_code"]
    for order_id in (recent, open_order):
        assert after[order_id].redacted_at is None
        assert pii(after[order_id]) == {column: before[order_id][column] for column in PII_COLUMNS}
    messages = [n.message for n in notes(run.id)]
    # The instant each line states is the run's cutoff (to the minute): in the two hours before midnight
    # UTC its date is already tomorrow's less 30 days, so it is compared as an instant, not as a date.
    earliest = cutoff(run.started_at).replace(second=0, microsecond=0)
    for reason in ("shipped", "cancelled"):
        [stated] = [
            datetime.strptime(m.removeprefix(f"Redacted 1 order {reason} before "), "%Y-%m-%d %H:%M UTC.")
            for m in messages
            if m.startswith(f"Redacted 1 order {reason} before ")
        ]
        assert earliest <= stated <= cutoff(run.finished_at), messages
    logged = caplog.text + " ".join(n.message + n.help + n.reference for n in notes(run.id))
    assert secrets and not [secret for secret in secrets if secret in logged]

    page = client.get(f"/orders/{after[old].id}").get_data(as_text=True)
    assert "Redacted" in page and str(escape(after[old].city)) in page
    for secret in (before[old]["buyer_name"], before[old]["address_line1"]):
        assert secret not in page and str(escape(secret)) not in page
    page = client.get(f"/orders/{after[recent].id}").get_data(as_text=True)
    assert "Redacted" not in page and str(escape(before[recent]["buyer_name"])) in page

    again = redact(app, redis, channel.account_id)
    assert again.counts == {} and imported(channel)[old].redacted_at == after[old].redacted_at
    assert any(n.message.startswith("Nothing to redact") for n in notes(again.id))


def test_get_orders_never_refills_a_redacted_order(app, redis, channel, sandbox):
    order_id = amazon_order(sandbox, days_ago=31)
    read_at = get_orders(app, redis, channel)[order_id].amazon_updated_at
    redact(app, redis, channel.account_id)
    # Amazon changes the order (a new lastUpdatedTime with the buyer data): the cursor search reads it.
    with sandbox.sandbox.store.transaction() as conn:
        conn.execute(
            "UPDATE orders SET updated_at = ? WHERE order_id = ?",
            (sandbox.sandbox.clock.now() - 600, order_id),
        )

    get_orders(app, redis, channel)

    order = imported(channel)[order_id]
    assert order.amazon_updated_at > read_at, "the change was read"
    assert order.redacted_at is not None and pii(order) == dict.fromkeys(PII_COLUMNS)


def test_the_hourly_housekeeping_entry_purges_old_uploads_and_starts_one_run_per_account_with_due_orders(
    app, redis, channel, sandbox
):
    housekeeping = housekeeping_entry(redis)
    times = croniter(housekeeping.cron, datetime(2026, 1, 1))
    assert times.get_next(datetime) + timedelta(hours=1) == times.get_next(datetime), "every hour"
    assert housekeeping.queue_name == app.config["RQ_QUEUE"]

    amazon_order(sandbox, days_ago=31)
    get_orders(app, redis, channel)
    idle = demo_channel(sandbox)  # another account, with nothing due
    source = Source(account_id=channel.account_id, name="Acme Supply")
    db.session.add(source)
    db.session.flush()
    old_upload, new_upload = (
        SourceUpload(account_id=channel.account_id, source_id=source.id, filename=name, content=b"sku\nA\n")
        for name in ("old.csv", "new.csv")
    )
    old_upload.created_at = utcnow() - UPLOAD_RETENTION - timedelta(hours=1)
    db.session.add_all([old_upload, new_upload])
    db.session.commit()

    housekeeping.enqueue(redis)  # what the cron process does every hour
    work(app, redis)

    db.session.rollback()
    runs = db.session.scalars(
        sa.select(IntegrationRun).where(IntegrationRun.kind == RunKind.REDACT_ORDERS)
    ).all()
    assert [(r.account_id, r.trigger, r.channel_id, r.status) for r in runs] == [
        (channel.account_id, "scheduled", None, RunStatus.SUCCEEDED)
    ]
    assert idle.account_id != channel.account_id
    assert all(order.redacted_at for order in imported(channel).values())
    uploads = {u.filename: u for u in db.session.scalars(sa.select(SourceUpload))}
    assert uploads["old.csv"].content is None and uploads["old.csv"].content_deleted_at is not None
    assert uploads["new.csv"].content == b"sku\nA\n"


def test_redact_pii_is_never_a_channel_schedule(app, channel, caplog):
    assert RunKind.REDACT_ORDERS not in SCHEDULABLE_KINDS
    assert RunKind.REDACT_ORDERS.value not in dispatchable_kinds()
    db.session.add(
        Schedule(
            account_id=channel.account_id,
            channel_id=channel.id,
            kind=RunKind.REDACT_ORDERS.value,
            interval_minutes=60,
            next_run_at=utcnow() - timedelta(minutes=1),
        )
    )
    db.session.commit()

    with caplog.at_level(logging.WARNING, logger="webapp.services.schedules"):
        assert dispatch_due() == 0

    db.session.rollback()
    assert db.session.scalars(sa.select(IntegrationRun)).all() == []
    assert db.session.scalar(sa.select(Schedule.interval_minutes)) is None, "switched off, not retried"
    assert "runs for the whole account from housekeeping" in caplog.text


def test_a_redaction_killed_mid_run_is_reaped_and_the_next_sweep_redacts_the_rest_exactly_once(
    app, redis, channel, tmp_path
):
    now = utcnow()
    bulk_orders(channel, "due-shipped", DUE_SHIPPED, OrderStatus.SHIPPED, shipped_at=now - timedelta(days=31))
    bulk_orders(
        channel, "due-cancelled", DUE_CANCELLED, OrderStatus.CANCELLED, cancelled_at=now - timedelta(days=31)
    )
    bulk_orders(channel, "recent-shipped", 3, OrderStatus.SHIPPED, shipped_at=now - timedelta(days=29))
    bulk_orders(channel, "recent-cancelled", 3, OrderStatus.CANCELLED, cancelled_at=now - timedelta(days=29))
    bulk_orders(channel, "open", 3, OrderStatus.UNSHIPPED)
    bulk_orders(
        channel,
        "redacted",
        3,
        OrderStatus.SHIPPED,
        shipped_at=now - timedelta(days=33),
        redacted_at=now - timedelta(days=2),
        **dict.fromkeys(PII_COLUMNS),
    )
    due = orders_named("due-shipped", "due-cancelled")
    kept = orders_named("recent-shipped", "recent-cancelled", "open", "redacted")
    before = {
        o.amazon_order_id: {**pii(o), "redacted_at": o.redacted_at, "updated_at": o.updated_at}
        for o in db.session.scalars(sa.select(Order).where(kept))
    }
    # Half way through the second batch (batches go by id, shipped orders first).
    gate_id = db.session.scalar(
        sa.select(Order.id).where(due).order_by(Order.id).offset(BATCH + BATCH // 2).limit(1)
    )
    log_path = tmp_path / "worker.log"

    with worker_process(app, log_path) as worker:
        with batch_gate(gate_id) as waiting:
            run_id = start_run(channel.account_id, RunKind.REDACT_ORDERS, trigger="scheduled").run.id
            # Each batch commits with the run's progress: once some is done, most batches are still to go
            # (and on PostgreSQL the second one is waiting on the gate, half written).
            wait_for(lambda: fresh(run_id).progress_done and waiting(), timeout=60, interval=0.005)
            [horse] = horse_pids(worker.pid)
            os.kill(horse, signal.SIGKILL)  # what the out-of-memory killer does
        # What the scheduler does every minute (and the run page on a visit): the dead job fails its run.
        wait_for(lambda: reap_abandoned_runs([run_id]) == 1, timeout=30, interval=0.2)

        killed = fresh(run_id)
        stopped_at = order_count(due, Order.redacted_at.is_not(None))
        assert 0 < stopped_at < DUE_SHIPPED, "killed mid-run, with shipped orders still to do"
        assert stopped_at % BATCH == 0, "only whole batches were committed"
        assert order_count(due, Order.redacted_at.is_not(None), with_any_pii()) == 0
        assert (
            order_count(due, Order.redacted_at.is_(None), with_all_pii())
            == DUE_SHIPPED + DUE_CANCELLED - stopped_at
        )
        assert killed.status == RunStatus.FAILED
        assert sum(killed.counts.values()) == stopped_at, "its counts are what it committed"
        assert killed.progress_total == DUE_SHIPPED + DUE_CANCELLED
        assert killed.progress_done == stopped_at, "each batch commits with its count and progress"
        assert [n.message for n in notes(run_id, "error")] == [WORKER_LOST_MESSAGE]

        housekeeping_entry(redis).enqueue(redis)  # the next hourly sweep, on the same worker
        wait_for(lambda: len(runs := redaction_runs()) == 2 and runs[1].finished, timeout=60, interval=0.2)

    killed, rerun = redaction_runs()
    assert killed.id == run_id and killed.status == RunStatus.FAILED
    assert (rerun.status, rerun.trigger, rerun.channel_id) == (RunStatus.SUCCEEDED, "scheduled", None)
    left = DUE_SHIPPED + DUE_CANCELLED - stopped_at
    assert rerun.progress_done == rerun.progress_total == sum(rerun.counts.values()) == left
    for reason, total in (("shipped", DUE_SHIPPED), ("cancelled", DUE_CANCELLED)):
        name = f"redacted_{reason}"
        assert killed.counts.get(name, 0) + rerun.counts.get(name, 0) == total, f"every {reason} order once"
        assert any(
            n.message.startswith(f"Redacted {rerun.counts[name]} orders {reason} before ")
            for n in notes(rerun.id)
        )
    assert not notes(rerun.id, "error") and not notes(rerun.id, "warning")

    assert order_count(due, sa.or_(Order.redacted_at.is_(None), with_any_pii())) == 0, "no PII left"
    # Exactly once: an order keeps the stamp of the run that redacted it; the rerun stamps only the rest.
    stamps = db.session.execute(
        sa.select(Order.redacted_at, sa.func.count())
        .where(due)
        .group_by(Order.redacted_at)
        .order_by(Order.redacted_at)
    ).all()
    [(first, by_killed), (second, by_rerun)] = stamps
    assert (by_killed, by_rerun) == (stopped_at, left)
    assert killed.started_at <= first < rerun.started_at <= second <= rerun.finished_at

    after = {
        o.amazon_order_id: {**pii(o), "redacted_at": o.redacted_at, "updated_at": o.updated_at}
        for o in db.session.scalars(sa.select(Order).where(kept))
    }
    assert after == before and len(after) == 12, "orders not due are untouched"
    assert all(o["redacted_at"] is None for key, o in after.items() if not key.startswith("redacted-"))
    logged = log_path.read_text()
    assert f"run {rerun.id} started" in logged and not [
        word for word in ("Buyer due-", "due-shipped Street", "@marketplace") if word in logged
    ]
