"""The scheduler: every minute, start the integrations whose schedule is due, and reap dead runs.

RQ's cron (``rq cron jobs/cron_config.py``, an rq 3 ``CronScheduler``) enqueues
:func:`dispatch_due` every 60 s; a worker runs it like any job. Run exactly one cron process in
production: a second one would only enqueue the dispatcher twice, which the atomic claim below makes
harmless, but it is wasted work. ``python -m jobs.scheduler`` starts the same cron with the app's
``REDIS_URL`` (no ``--url`` to pass).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from jobs.runner import job_app_context
from webapp.extensions import db
from webapp.models import Schedule
from webapp.services.connections import paused_channel_ids
from webapp.services.runs import reap_abandoned_runs, start_run
from webapp.services.schedules import dispatchable_kinds, log_unavailable_due, refuse_manual_only_schedules
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

# Schedules handled per dispatch; the rest are still due a minute later.
BATCH = 500


def next_due(previous: datetime, interval: timedelta, now: datetime) -> datetime:
    """The slot after ``previous``; slots missed while the scheduler was down are skipped, not replayed."""
    following = previous + interval
    return following if following > now else now + interval


def _claim(schedule: sa.Row, now: datetime) -> bool:
    """Advance ``schedule`` only if nobody else did since we read it; True when this call won it.

    ``WHERE next_run_at = <the value we read>`` makes the claim a compare-and-set: two dispatchers
    reading the same due row both try, one UPDATE matches, the other changes nothing.
    """
    result = db.session.execute(
        sa.update(Schedule)
        .where(
            Schedule.id == schedule.id,
            Schedule.next_run_at == schedule.next_run_at,
            Schedule.interval_minutes.is_not(None),
        )
        .values(
            next_run_at=next_due(schedule.next_run_at, timedelta(minutes=schedule.interval_minutes), now),
            last_enqueued_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount == 1


def dispatch_due() -> int:
    """Start every due scheduled integration once, then fail runs whose worker died.

    Only kinds with a job in ``JOBS`` are started; due schedules of integrations not available yet
    wait (one info line), and schedules of manual-only integrations (Import Listings) are refused.

    Returns:
        How many runs were started (schedules whose run was still active count as skipped).
    """
    started = 0
    with job_app_context():
        now = utcnow()
        refuse_manual_only_schedules()
        log_unavailable_due(now)
        due = db.session.execute(
            sa.select(
                Schedule.id,
                Schedule.account_id,
                Schedule.channel_id,
                Schedule.kind,
                Schedule.interval_minutes,
                Schedule.next_run_at,
            )
            .where(
                Schedule.interval_minutes.is_not(None),
                Schedule.next_run_at <= now,
                Schedule.kind.in_(dispatchable_kinds()),
                # Paused while the channel's connection needs re-authorization; still due, so it
                # runs at the first dispatch after the seller re-authorizes.
                Schedule.channel_id.not_in(paused_channel_ids()),
            )
            .order_by(Schedule.next_run_at)
            .limit(BATCH)
        ).all()
        for schedule in due:
            if not _claim(schedule, now):
                continue
            try:
                result = start_run(
                    schedule.account_id, schedule.kind, channel_id=schedule.channel_id, trigger="scheduled"
                )
            except Exception:
                # One bad schedule (an unknown kind, a lock timeout) must not block the others.
                log.exception(
                    "could not start scheduled %s for channel %s", schedule.kind, schedule.channel_id
                )
                db.session.rollback()
                continue
            if result.already_running:
                log.info(
                    "scheduled %s for channel %s skipped: run %s still active",
                    schedule.kind,
                    schedule.channel_id,
                    result.run.id,
                )
            else:
                started += 1
        reap_abandoned_runs()
    return started


def main() -> None:
    """``python -m jobs.scheduler``: rq's cron scheduler with ``jobs/cron_config.py`` on the app's Redis."""
    from redis import Redis
    from rq.cron import CronScheduler

    from webapp.config import build_config

    config = build_config()
    cron = CronScheduler(connection=Redis.from_url(config["REDIS_URL"]), logging_level=config["LOG_LEVEL"])
    cron.load_config_from_file("jobs.cron_config")
    cron.start()


if __name__ == "__main__":
    main()
