"""Channel schedules: what may be scheduled, and what the dispatcher starts, waits on or refuses."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.scheduler import dispatch_due
from tests.channels_support import make_connection
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import Channel, IntegrationRun, RunKind, RunStatus, Schedule
from webapp.services.runs import JOBS, JobSpec
from webapp.services.schedules import (
    MANUAL_ONLY_KINDS,
    SCHEDULABLE_KINDS,
    NotSchedulable,
    dispatchable_kinds,
    set_schedule,
)
from webapp.timeutil import utcnow


@pytest.fixture
def channel(app, auth) -> Channel:
    """A channel of a registered account, on an active connection."""
    auth.register()
    account_id = user_by_email().account_id
    channel = Channel(account_id=account_id, name="Amazon US", connection_id=make_connection(account_id).id)
    db.session.add(channel)
    db.session.commit()
    return channel


def due_schedule(channel: Channel, kind: str, interval: int = 15) -> Schedule:
    """A schedule row written directly (as a script or an old version might), due a minute ago."""
    schedule = Schedule(
        account_id=channel.account_id,
        channel_id=channel.id,
        kind=kind,
        interval_minutes=interval,
        next_run_at=utcnow() - timedelta(minutes=1),
    )
    db.session.add(schedule)
    db.session.commit()
    return schedule


def runs() -> list[IntegrationRun]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(IntegrationRun).order_by(IntegrationRun.id)))


def fresh_schedule(schedule_id: int) -> Schedule:
    db.session.rollback()
    return db.session.get(Schedule, schedule_id)


def test_only_sync_listings_get_orders_and_sync_orders_can_be_scheduled():
    assert SCHEDULABLE_KINDS == (RunKind.SYNC_LISTINGS, RunKind.GET_ORDERS, RunKind.SYNC_ORDERS)
    assert RunKind.IMPORT_LISTINGS in MANUAL_ONLY_KINDS


def test_set_schedule_refuses_import_listings_and_intervals_under_15_minutes(channel):
    with pytest.raises(NotSchedulable, match="cannot be scheduled"):
        set_schedule(channel, RunKind.IMPORT_LISTINGS, 60)
    with pytest.raises(NotSchedulable, match="interval"):
        set_schedule(channel, RunKind.SYNC_LISTINGS, 14)
    db.session.rollback()
    assert db.session.scalars(sa.select(Schedule)).all() == []


def test_set_schedule_upserts_one_row_per_channel_and_kind(channel):
    first = set_schedule(channel, RunKind.GET_ORDERS, 30)
    db.session.commit()
    assert abs(first.next_run_at - (utcnow() + timedelta(minutes=30))) < timedelta(seconds=30)
    was = first.next_run_at

    same = set_schedule(channel, RunKind.GET_ORDERS, 30)
    db.session.commit()
    assert (same.id, same.next_run_at) == (first.id, was), "same interval: next run kept"

    off = set_schedule(channel, RunKind.GET_ORDERS, None)
    db.session.commit()
    assert (off.id, off.interval_minutes, off.next_run_at) == (first.id, None, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Schedule)) == 1


@pytest.mark.parametrize("registered", [False, True], ids=["no-job-yet", "job-registered"])
def test_dispatcher_refuses_an_import_listings_schedule(channel, monkeypatch, caplog, registered):
    if registered:
        # Issue 6 registers a job for manual imports: the refusal must not depend on its absence.
        monkeypatch.setitem(JOBS, RunKind.IMPORT_LISTINGS, JobSpec("jobs.diagnostic.run", timeout=60))
    schedule = due_schedule(channel, RunKind.IMPORT_LISTINGS.value)

    with caplog.at_level(logging.WARNING, logger="webapp.services.schedules"):
        assert dispatch_due() == 0

    assert runs() == []
    refused = fresh_schedule(schedule.id)
    assert (refused.interval_minutes, refused.next_run_at) == (None, None), "switched off, not retried"
    [line] = [r.getMessage() for r in caplog.records if r.name == "webapp.services.schedules"]
    assert f"schedule {schedule.id} refused" in line and "import_listings" in line and "manual only" in line

    caplog.clear()
    dispatch_due()
    assert not [r for r in caplog.records if r.name == "webapp.services.schedules"], (
        "refused once, not every minute"
    )


def test_due_schedule_of_an_integration_not_available_yet_is_left_alone(channel, caplog, monkeypatch):
    # Every schedulable kind has its job today; a deployment can still meet a schedule of a kind the
    # running version lacks (a rollback), so one is taken out for the test.
    monkeypatch.delitem(JOBS, RunKind.SYNC_ORDERS)
    unavailable = [kind for kind in SCHEDULABLE_KINDS if kind not in JOBS]
    schedules = [due_schedule(channel, kind.value) for kind in unavailable]
    was_due = {s.id: s.next_run_at for s in schedules}

    with caplog.at_level(logging.INFO, logger="webapp.services.schedules"):
        assert dispatch_due() == 0

    assert runs() == []
    for schedule in schedules:
        left = fresh_schedule(schedule.id)
        assert (left.next_run_at, left.last_enqueued_at) == (was_due[schedule.id], None), "not claimed"
    lines = [r for r in caplog.records if r.name == "webapp.services.schedules"]
    assert len(lines) == 1, "one line per dispatch, however many schedules wait"
    assert lines[0].levelno == logging.INFO
    assert all(f"{kind.value} x1" in lines[0].getMessage() for kind in unavailable)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "waiting is not an error"


@pytest.mark.parametrize("kind", dispatchable_kinds())
def test_due_schedule_of_a_registered_integration_is_dispatched(channel, kind):
    waiting = [due_schedule(channel, k.value) for k in SCHEDULABLE_KINDS if k not in JOBS]
    schedule = due_schedule(channel, kind)

    assert dispatch_due() == 1

    [run] = runs()
    assert (run.kind, run.channel_id, run.trigger, run.status) == (
        kind,
        channel.id,
        "scheduled",
        RunStatus.QUEUED,
    )
    assert fresh_schedule(schedule.id).next_run_at > utcnow()
    assert all(fresh_schedule(w.id).last_enqueued_at is None for w in waiting)
