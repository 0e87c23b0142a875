"""Channel schedules: which integrations may be scheduled, saving one, what the dispatcher may start.

The seller schedules Sync Listings, Get Orders and Sync Orders per channel. Import Listings is manual
only: the form does not offer it, :func:`set_schedule` refuses it, and the dispatcher refuses (and
switches off) any such row that reaches the database some other way. Redact PII is not a channel
schedule either: the hourly housekeeping entry (``jobs.housekeeping``) starts it per account, and a
channel schedule row of it is refused the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, RunKind, Schedule
from webapp.services.runs import JOBS
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

# The integrations a seller may run on a schedule, in the order the form and the channel page show them.
SCHEDULABLE_KINDS = (RunKind.SYNC_LISTINGS, RunKind.GET_ORDERS, RunKind.SYNC_ORDERS)
# Import Listings overwrites or creates listings in bulk: the seller starts it and watches it.
MANUAL_ONLY_KINDS = (RunKind.IMPORT_LISTINGS,)
# Started by housekeeping for a whole account (``jobs.housekeeping``), never from a channel's schedule.
ACCOUNT_KINDS = (RunKind.REDACT_ORDERS,)
# Amazon's rate limits and the seller's own quotas make more frequent runs pointless.
MIN_INTERVAL_MINUTES = 15
# A week: a longer interval is almost certainly a typo (minutes entered as seconds, say).
MAX_INTERVAL_MINUTES = 7 * 24 * 60


class NotSchedulable(ValueError):
    """An integration that cannot run on a schedule, or an interval outside the allowed range."""


def set_schedule(channel: Channel, kind: RunKind, interval_minutes: int | None) -> Schedule:
    """Upsert the channel's schedule for ``kind`` (the caller commits).

    Turning a schedule on, or changing its interval, sets the next run to now + interval; saving the
    same interval again keeps the next run where it was, so editing an unrelated setting does not
    push scheduled runs back. ``None`` switches the schedule off (no interval, no next run).

    Raises:
        NotSchedulable: ``kind`` is not one of ``SCHEDULABLE_KINDS`` or the interval is out of range.
    """
    if kind not in SCHEDULABLE_KINDS:
        raise NotSchedulable(f"{kind.value} cannot be scheduled; start it by hand")
    if interval_minutes is not None and not MIN_INTERVAL_MINUTES <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise NotSchedulable(
            f"interval must be {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes, "
            f"not {interval_minutes}"
        )
    schedule = db.session.scalar(
        sa.select(Schedule).where(Schedule.channel_id == channel.id, Schedule.kind == kind.value)
    )
    if schedule is None:
        schedule = Schedule(account_id=channel.account_id, channel_id=channel.id, kind=kind.value)
        db.session.add(schedule)
    if interval_minutes is None:
        schedule.interval_minutes = None
        schedule.next_run_at = None
    elif schedule.interval_minutes != interval_minutes or schedule.next_run_at is None:
        schedule.interval_minutes = interval_minutes
        schedule.next_run_at = utcnow() + timedelta(minutes=interval_minutes)
    return schedule


def channel_schedules(channel: Channel) -> dict[str, Schedule]:
    """The channel's schedule rows by kind."""
    rows = db.session.scalars(sa.select(Schedule).where(Schedule.channel_id == channel.id))
    return {row.kind: row for row in rows}


def dispatchable_kinds() -> list[str]:
    """Kinds the dispatcher may start: registered jobs, minus the manual-only and account-wide ones."""
    return [kind.value for kind in JOBS if kind not in MANUAL_ONLY_KINDS + ACCOUNT_KINDS]


def refuse_manual_only_schedules() -> int:
    """Switch off every active schedule of a manual-only (or account-wide) kind, with a warning per row;
    returns how many.

    The form never writes such a row, so one here came from elsewhere (a script, a database edit).
    Switching it off, rather than skipping it every minute, logs the refusal once and makes the
    channel page show the truth ("Manual only").
    """
    refused = [kind.value for kind in MANUAL_ONLY_KINDS + ACCOUNT_KINDS]
    account_wide = {kind.value for kind in ACCOUNT_KINDS}
    rows = db.session.execute(
        sa.select(Schedule.id, Schedule.channel_id, Schedule.kind).where(
            Schedule.kind.in_(refused), Schedule.interval_minutes.is_not(None)
        )
    ).all()
    for row in rows:
        log.warning(
            "schedule %s refused: %s on channel %s %s and cannot be scheduled; switched it off",
            row.id,
            row.kind,
            row.channel_id,
            "runs for the whole account from housekeeping" if row.kind in account_wide else "is manual only",
        )
    if rows:
        db.session.execute(
            sa.update(Schedule)
            .where(Schedule.id.in_([row.id for row in rows]))
            .values(interval_minutes=None, next_run_at=None),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    return len(rows)


def log_unavailable_due(now: datetime) -> dict[str, int]:
    """Log, in one info line, the due schedules whose integration has no job in this version yet.

    They are left as they are (not claimed, no run): once the integration ships they start on the
    next dispatch. Returns the number of such schedules per kind.
    """
    counts = dict(
        db.session.execute(
            sa.select(Schedule.kind, sa.func.count())
            .where(
                Schedule.interval_minutes.is_not(None),
                Schedule.next_run_at <= now,
                Schedule.kind.not_in(
                    dispatchable_kinds() + [kind.value for kind in MANUAL_ONLY_KINDS + ACCOUNT_KINDS]
                ),
            )
            .group_by(Schedule.kind)
            .order_by(Schedule.kind)
        ).all()
    )
    if counts:
        log.info(
            "due schedules left waiting, their integration is not available yet: %s",
            ", ".join(f"{kind} x{n}" for kind, n in counts.items()),
        )
    return counts
