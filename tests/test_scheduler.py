"""The scheduler: due schedules start exactly one run, rq cron runs the dispatcher, dead runs are reaped."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.cron import CronScheduler

from jobs.scheduler import _claim, dispatch_due, next_due
from jobs.worker import AppSimpleWorker
from tests.runs_support import fresh, notes, user_by_email
from webapp.extensions import db
from webapp.models import Channel, IntegrationRun, RunKind, RunStatus, Schedule
from webapp.services.runs import WORKER_LOST_MESSAGE, start_run
from webapp.timeutil import utcnow


@pytest.fixture
def channel(app, auth) -> Channel:
    """A channel of a registered account."""
    auth.register()
    channel = Channel(account_id=user_by_email().account_id, name="Amazon US")
    db.session.add(channel)
    db.session.commit()
    return channel


def make_schedule(channel: Channel, interval: int | None = 15, due_in: timedelta = timedelta(minutes=-1)):
    schedule = Schedule(
        account_id=channel.account_id,
        channel_id=channel.id,
        kind=RunKind.DIAGNOSTIC.value,
        interval_minutes=interval,
        next_run_at=utcnow() + due_in,
    )
    db.session.add(schedule)
    db.session.commit()
    return schedule


def all_runs() -> list[IntegrationRun]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(IntegrationRun).order_by(IntegrationRun.id)))


def test_due_schedule_is_dispatched_exactly_once(channel):
    schedule = make_schedule(channel)
    was_due = schedule.next_run_at

    assert dispatch_due() == 1
    assert dispatch_due() == 0

    runs = all_runs()
    assert [(r.kind, r.channel_id, r.trigger, r.status) for r in runs] == [
        ("diagnostic", channel.id, "scheduled", RunStatus.QUEUED)
    ]
    schedule = db.session.get(Schedule, schedule.id)
    assert schedule.next_run_at == was_due + timedelta(minutes=15)
    assert schedule.last_enqueued_at is not None


def test_two_dispatchers_reading_the_same_due_row_claim_it_once(channel):
    schedule = make_schedule(channel)
    row = db.session.execute(sa.select(Schedule.id, Schedule.next_run_at, Schedule.interval_minutes)).one()
    now = utcnow()

    assert _claim(row, now) is True
    assert _claim(row, now) is False, "the second claim sees next_run_at already moved"
    assert db.session.get(Schedule, schedule.id).next_run_at > row.next_run_at


def test_schedule_not_yet_due_starts_nothing(channel):
    make_schedule(channel, due_in=timedelta(minutes=5))
    assert dispatch_due() == 0
    assert all_runs() == []


def test_schedule_with_interval_off_starts_nothing(channel):
    make_schedule(channel, interval=None)
    assert dispatch_due() == 0
    assert all_runs() == []


def test_due_schedule_whose_previous_run_is_active_starts_no_second_run(channel):
    active = start_run(channel.account_id, RunKind.DIAGNOSTIC, channel_id=channel.id).run.id
    schedule = make_schedule(channel)

    assert dispatch_due() == 0
    assert [r.id for r in all_runs()] == [active]
    assert db.session.get(Schedule, schedule.id).next_run_at > utcnow()


def test_missed_slots_are_skipped_not_replayed():
    now = datetime(2026, 1, 1, 12, 0)
    every_15 = timedelta(minutes=15)
    assert next_due(datetime(2026, 1, 1, 11, 50), every_15, now) == datetime(2026, 1, 1, 12, 5)
    assert next_due(datetime(2026, 1, 1, 3, 0), every_15, now) == now + every_15


def test_dispatcher_fails_runs_whose_job_is_gone(channel, redis):
    run_id = start_run(channel.account_id, RunKind.DIAGNOSTIC).run.id
    redis.flushdb()  # Redis lost its data: the job will never run
    db.session.execute(sa.update(IntegrationRun).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()

    dispatch_due()

    assert fresh(run_id).status == RunStatus.FAILED
    assert [n.message for n in notes(run_id, "error")] == [WORKER_LOST_MESSAGE]


def test_rq_cron_runs_the_dispatcher_every_minute_on_a_worker(app, redis, channel):
    cron = CronScheduler(connection=redis)
    cron.load_config_from_file("jobs.cron_config")
    [cron_job] = [job for job in cron.get_jobs() if job.func_name == "jobs.scheduler.dispatch_due"]
    assert (cron_job.func_name, cron_job.interval, cron_job.queue_name) == (
        "jobs.scheduler.dispatch_due",
        60,
        app.config["RQ_QUEUE"],
    )
    make_schedule(channel)

    cron.enqueue_jobs()  # what the cron process does every minute
    queue = Queue(app.config["RQ_QUEUE"], connection=redis)
    AppSimpleWorker([queue], connection=redis, app=app).work(burst=True, max_jobs=1)  # the dispatcher only

    [run] = all_runs()
    assert (run.trigger, run.status) == ("scheduled", RunStatus.QUEUED)
    assert queue.job_ids == [run.rq_job_id]
