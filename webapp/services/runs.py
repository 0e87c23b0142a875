"""Integration runs: start (one active run per kind and channel), cancel, and reap runs whose worker died.

Views, the scheduler and jobs call these functions; the web app never imports ``jobs`` (jobs are
enqueued by dotted path with ids only, and the worker imports them).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.rate_limit import RateLimit
from rq.registry import StartedJobRegistry

from webapp.extensions import db
from webapp.models import IntegrationRun, NotificationLevel, RunKind, RunStatus, User
from webapp.models.run import ACTIVE_STATUSES
from webapp.queue import get_queue
from webapp.redis_conn import get_redis
from webapp.services.notifications import add_notification
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """How to run one kind of integration."""

    path: str  # dotted path of the job function, imported by the worker
    timeout: int  # seconds before RQ kills the job; rq's default (180 s) is too short for bulk work


# The job kind registry: a new integration adds its RunKind and one line here.
JOBS: dict[RunKind, JobSpec] = {
    RunKind.DIAGNOSTIC: JobSpec("jobs.diagnostic.run", timeout=15 * 60),
    RunKind.IMPORT_SOURCE_ITEMS: JobSpec("jobs.source_import.run", timeout=30 * 60),
    RunKind.TEST_CONNECTION: JobSpec("jobs.connections.run_test_connection", timeout=5 * 60),
    RunKind.LINK_LISTINGS: JobSpec("jobs.link_listings.run", timeout=2 * 3600),
    RunKind.SYNC_LISTINGS: JobSpec("jobs.sync_listings.run", timeout=3 * 3600),
    RunKind.BUILD_LISTINGS: JobSpec("jobs.build_listings.run", timeout=30 * 60),
    RunKind.PUBLISH_LISTINGS: JobSpec("jobs.publish_listings.run", timeout=3 * 3600),
    RunKind.OVERWRITE_LISTINGS: JobSpec("jobs.overwrite_listings.run", timeout=3 * 3600),
    RunKind.LISTING_ACTION: JobSpec("jobs.listing_actions.run", timeout=3 * 3600),
    RunKind.GET_ORDERS: JobSpec("jobs.get_orders.run", timeout=3 * 3600),
    RunKind.IMPORT_LISTINGS: JobSpec("jobs.import_listings.run", timeout=2 * 3600),
    RunKind.SYNC_ORDERS: JobSpec("jobs.sync_orders.run", timeout=2 * 3600),
    RunKind.REDACT_ORDERS: JobSpec("jobs.redact_orders.run", timeout=2 * 3600),
}

# Failed RQ jobs keep their traceback for operators this long (rq's default is a year).
FAILURE_TTL = 7 * 24 * 3600
# The start lock only covers check + insert; it expires on its own if its holder dies.
START_LOCK_TIMEOUT = 30
START_LOCK_WAIT = 10
# A queued run's job is enqueued just after its row commits: don't call its job "lost" in that gap.
ENQUEUE_GRACE = timedelta(seconds=60)

WORKER_LOST_MESSAGE = (
    "The worker running this job stopped unexpectedly (killed or crashed). Run it again; it resumes safely."
)
WORKER_LOST_HELP = (
    "Nothing was lost: every change this run made is saved, and running it again continues from there. "
    "If this keeps happening, the worker may be running out of memory."
)

# RQ job states in which the job is still waiting for (or getting) a worker.
_WAITING = {
    JobStatus.CREATED,
    JobStatus.QUEUED,
    JobStatus.DEFERRED,
    JobStatus.SCHEDULED,
    JobStatus.RATE_LIMITED,
    JobStatus.READY_TO_ENQUEUE,
}


@dataclass(frozen=True)
class StartResult:
    """The run that was started, or the active one that made starting another unnecessary."""

    run: IntegrationRun
    already_running: bool


def run_key(account_id: int, kind: RunKind | str, channel_id: int | None, subject: str = "") -> str:
    """The concurrency key of a run: one active run per account, kind, channel (or no channel) and
    subject (what a channel-less run is about, e.g. ``connection:7``; empty for most runs)."""
    channel = "none" if channel_id is None else channel_id
    return f"run:{account_id}:{RunKind(kind).value}:{channel}:{subject}"


def active_run(
    account_id: int, kind: RunKind | str, channel_id: int | None, subject: str = ""
) -> IntegrationRun | None:
    """The queued or running run of this key, if any (``ix_integration_runs_active``)."""
    channel_match = (
        IntegrationRun.channel_id.is_(None) if channel_id is None else IntegrationRun.channel_id == channel_id
    )
    return db.session.scalar(
        sa.select(IntegrationRun)
        .where(
            IntegrationRun.account_id == account_id,
            IntegrationRun.kind == RunKind(kind).value,
            channel_match,
            IntegrationRun.subject == subject,
            IntegrationRun.status.in_(ACTIVE_STATUSES),
        )
        .order_by(IntegrationRun.id)
        .limit(1)
    )


def start_run(
    account_id: int,
    kind: RunKind | str,
    channel_id: int | None = None,
    trigger: str = "manual",
    params: dict | None = None,
    user_id: int | None = None,
    subject: str = "",
) -> StartResult:
    """Create and enqueue a run, unless one with the same key (:func:`run_key`) is queued or running.

    Two guards, because they answer different questions:

    - The database check decides what the seller is told: "already running, here it is" instead of a
      second run row. It runs under a short Redis lock (redis-py's ``Lock``: ``SET NX`` with an
      expiry, released by token) so that two web processes, or the scheduler and a click, cannot
      both see "none active" and both insert.
    - rq 3's ``RateLimit(concurrency=1)`` on the same key is the distributed guarantee behind it: even
      when the database view is wrong (the reaper failed a run whose job still runs somewhere, or an
      operator requeued a job with ``rq requeue``), RQ never executes two jobs of the key at once;
      the second waits in the rate-limited set until the first ends.

    Returns:
        StartResult with the new run, or the active one and ``already_running=True``.

    Raises:
        KeyError: ``kind`` has no job in ``JOBS``.
        redis.exceptions.LockError: another start of the same key held the lock too long.
    """
    kind = RunKind(kind)
    spec = JOBS[kind]
    key = run_key(account_id, kind, channel_id, subject)
    with get_redis().lock(
        f"shelfsync:lock:{key}", timeout=START_LOCK_TIMEOUT, blocking_timeout=START_LOCK_WAIT
    ):
        existing = active_run(account_id, kind, channel_id, subject)
        if existing is not None:
            return StartResult(existing, already_running=True)
        run = IntegrationRun(
            account_id=account_id,
            channel_id=channel_id,
            kind=kind.value,
            subject=subject,
            trigger=trigger,
            status=RunStatus.QUEUED.value,
            params=params or {},
            counts={},
            created_by_id=user_id,
            # Our own job id, stored before the commit: the worker may start the job before a
            # second commit could record RQ's id.
            rq_job_id=uuid.uuid4().hex,
        )
        db.session.add(run)
        db.session.commit()

    # If Redis fails here the run stays queued without a job; the reaper fails it after ENQUEUE_GRACE.
    get_queue().enqueue(
        spec.path,
        run.id,
        job_id=run.rq_job_id,
        job_timeout=spec.timeout,
        failure_ttl=FAILURE_TTL,
        description=f"{kind.value} run {run.id}",
        rate_limit=RateLimit(key=key, concurrency=1),
    )
    return StartResult(run, already_running=False)


def _finish_if_active(run: IntegrationRun, status: RunStatus) -> bool:
    """Move ``run`` to a final ``status`` only if it is still queued or running (the caller commits).

    A conditional UPDATE, so a job finishing at the same moment keeps its own outcome.
    """
    result = db.session.execute(
        sa.update(IntegrationRun)
        .where(IntegrationRun.id == run.id, IntegrationRun.status.in_(ACTIVE_STATUSES))
        .values(status=status.value, finished_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def cancel_run(run: IntegrationRun, by: User | None = None) -> bool:
    """Cancel a queued or running run; returns False (and changes nothing) once it has finished.

    Queued: the RQ job is cancelled, so no worker picks it up. Running: the worker is told to stop
    it (``send_stop_job_command`` kills the work horse). The run is marked cancelled first, so a job
    that is between those states (or a worker without a horse) stops at its next progress
    checkpoint, when the runner sees the run is no longer running.
    """
    if not _finish_if_active(run, RunStatus.CANCELLED):
        db.session.rollback()
        return False
    add_notification(
        run.account_id,
        run.id,
        NotificationLevel.INFO,
        f"Cancelled by {by.email}." if by else "Cancelled.",
        code="cancelled",
    )
    db.session.commit()
    if run.rq_job_id:
        _stop_job(run.rq_job_id)
    return True


def _stop_job(job_id: str) -> None:
    """Keep the RQ job from running (queued) or stop it (started); gone or finished jobs are left alone."""
    connection = get_redis()
    try:
        job = Job.fetch(job_id, connection=connection)
        status = job.get_status()
        if status == JobStatus.STARTED:
            send_stop_job_command(connection, job_id)
        elif status in _WAITING:
            job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        # Finished, expired or just picked up: the runner's checkpoint sees the cancelled status.
        pass
    except RedisError:
        log.warning("could not reach Redis to stop job %s; the job stops at its next checkpoint", job_id)


def reap_abandoned_runs(run_ids: list[int] | None = None) -> int:
    """Fail active runs whose job died with its worker or vanished; returns how many were failed.

    rq 3 detects a dead worker through its StartedJobRegistry: a running job's execution entry
    expires unless the worker keeps sending heartbeats, and ``StartedJobRegistry.cleanup()`` moves
    such jobs to the FailedJobRegistry (``AbandonedJobError``). Workers only run that cleanup every
    10 minutes, so it runs here first. A work horse killed under a living worker (out of memory,
    ``kill -9``) is failed by its worker at once. Either way the job ends up failed, stopped or gone
    while its run still says queued or running, and that is what this function looks for.

    Args:
        run_ids: only look at these runs (a run page being viewed); default: every active run.
    """
    queue = get_queue()
    connection = queue.connection
    try:
        StartedJobRegistry(queue.name, connection=connection).cleanup()
    except RedisError:
        log.warning("Redis unreachable; abandoned runs are checked again later")
        return 0

    query = sa.select(IntegrationRun).where(IntegrationRun.status.in_(ACTIVE_STATUSES))
    if run_ids is not None:
        query = query.where(IntegrationRun.id.in_(run_ids))
    reaped = 0
    for run in db.session.scalars(query).all():
        if not _job_is_dead(run, connection):
            continue
        if _finish_if_active(run, RunStatus.FAILED):
            add_notification(
                run.account_id,
                run.id,
                NotificationLevel.ERROR,
                WORKER_LOST_MESSAGE,
                code="worker_lost",
                help=WORKER_LOST_HELP,
            )
            reaped += 1
            log.warning("run %s failed: its job %s is no longer running", run.id, run.rq_job_id)
        db.session.commit()
    return reaped


def _job_is_dead(run: IntegrationRun, connection) -> bool:
    """True when ``run``'s RQ job can no longer record an outcome for it."""
    if not run.rq_job_id:
        return run.created_at < utcnow() - ENQUEUE_GRACE
    try:
        status = Job.fetch(run.rq_job_id, connection=connection).get_status()
    except NoSuchJobError:
        return run.created_at < utcnow() - ENQUEUE_GRACE
    # The runner writes the run's outcome before RQ marks the job finished or failed, so a final job
    # state with an active run means the job ended without getting to write it.
    return status in {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}
