"""The one helper every integration job uses: load the run, report progress, always record the end.

A job is a function of a :class:`RunContext`, decorated with :func:`integration_job`; RQ calls the
decorated function with the run id only::

    @integration_job
    def run(ctx: RunContext) -> None:
        ctx.progress(0, len(items))
        ...

The decorator marks the run running, and in ``finally`` records how it ended: succeeded (partial when
the job reported errors), failed with the exception's message as an error notification, or
cancelled. A run is never left "running" by an exception. Only ``kill -9`` of the process can skip
``finally``; the reaper (``webapp.services.runs.reap_abandoned_runs``) covers that.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import sqlalchemy as sa
from flask import Flask, has_app_context

from webapp.extensions import db
from webapp.logs import run_id_var, scrub
from webapp.models import IntegrationRun, NotificationLevel, RunStatus
from webapp.services.notifications import add_notification
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

# Progress is committed at most this often, or sooner once this many changes are pending: the page
# polls every second, and a commit per item would dominate a 100,000-SKU run.
COMMIT_INTERVAL = 0.5
COMMIT_BATCH = 500

FAILED_HELP = (
    "Changes made before the error are saved. Fix the cause if the message names one, then run it "
    "again; it continues safely."
)

_process_app: Flask | None = None


class RunCancelled(Exception):
    """Raised at a checkpoint when the run is no longer running (cancelled, or failed by the reaper)."""


class RunFailed(Exception):
    """Raised by :meth:`RunContext.fail`: the run cannot go on; its error notification is written."""


@contextmanager
def job_app_context() -> Iterator[None]:
    """Ensure an app context: our workers push one per job; a plain ``rq worker`` gets one app per process."""
    global _process_app
    if has_app_context():
        yield
        return
    if _process_app is None:
        from webapp import create_app

        _process_app = create_app()
    with _process_app.app_context():
        try:
            yield
        finally:
            db.session.remove()


class RunContext:
    """What a job sees of its run: parameters, progress, counts and the Recent Notifications log.

    Changes are buffered in the session and committed by :meth:`checkpoint`, which every reporting
    method calls; each commit also tells the job whether its run is still running.
    """

    def __init__(self, run: IntegrationRun) -> None:
        self.run_id = run.id
        self.account_id = run.account_id
        self.channel_id = run.channel_id
        self.kind = run.kind
        self.params: dict = dict(run.params or {})
        self.counts: dict[str, int] = dict(run.counts or {})
        self.done = run.progress_done
        self.total = run.progress_total
        self.error_count = 0
        self._pending = 0
        self._last_commit = time.monotonic()

    def progress(self, done: int, total: int | None = None) -> None:
        """Report ``done`` items out of ``total`` (keep the previous total when None)."""
        self.done = done
        if total is not None:
            self.total = total
        self._changed()

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``name`` (shown on the run page, e.g. ``updated``, ``skipped``)."""
        self.counts[name] = self.counts.get(name, 0) + n
        self._changed()

    def notify(
        self,
        level: NotificationLevel | str,
        message: str,
        code: str = "",
        reference: str = "",
        help: str = "",
    ) -> None:
        """Add a line to the run's Recent Notifications (``reference``: the SKU or order it is about)."""
        level = NotificationLevel(level)
        if level == NotificationLevel.ERROR:
            self.error_count += 1
        add_notification(
            self.account_id, self.run_id, level, message, code=code, reference=reference, help=help
        )
        self._changed()

    def info(self, message: str, **kwargs) -> None:
        """Add an info line (see :meth:`notify`)."""
        self.notify(NotificationLevel.INFO, message, **kwargs)

    def warning(self, message: str, **kwargs) -> None:
        """Add a warning line (see :meth:`notify`)."""
        self.notify(NotificationLevel.WARNING, message, **kwargs)

    def error(self, message: str, **kwargs) -> None:
        """Add an error line; the run then ends ``partial`` instead of ``succeeded``."""
        self.notify(NotificationLevel.ERROR, message, **kwargs)

    def fail(self, message: str, **kwargs) -> NoReturn:
        """Add an error line (see :meth:`notify`) and end the run ``failed``: for problems the seller
        must fix before anything else can be done (revoked authorization, a refused request)."""
        self.error(message, **kwargs)
        raise RunFailed(message)

    def checkpoint(self, force: bool = False) -> None:
        """Commit buffered progress if due (or ``force``).

        Raises:
            RunCancelled: the run is no longer running; the job should stop (the runner catches it).
        """
        if force or self._pending >= COMMIT_BATCH or time.monotonic() - self._last_commit >= COMMIT_INTERVAL:
            self._commit()

    def _changed(self) -> None:
        self._pending += 1
        self.checkpoint()

    def _commit(self) -> None:
        # A conditional UPDATE writes the progress and learns whether the run was cancelled in the
        # same statement; a cancelled run's late notifications are dropped with the rollback.
        result = db.session.execute(
            sa.update(IntegrationRun)
            .where(IntegrationRun.id == self.run_id, IntegrationRun.status == RunStatus.RUNNING.value)
            .values(progress_done=self.done, progress_total=self.total, counts=dict(self.counts)),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise RunCancelled
        db.session.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    def finish(self, outcome: RunStatus, error: BaseException | None = None) -> None:
        """Record the end state (only if the run is still running: a cancel or the reaper wins)."""
        try:
            db.session.commit()  # keep what the job reported before it stopped
        except Exception:
            log.exception("could not save the last progress of run %s", self.run_id)
            db.session.rollback()
        if outcome == RunStatus.SUCCEEDED and self.error_count:
            outcome = RunStatus.PARTIAL
        result = db.session.execute(
            sa.update(IntegrationRun)
            .where(IntegrationRun.id == self.run_id, IntegrationRun.status == RunStatus.RUNNING.value)
            .values(
                status=outcome.value,
                finished_at=utcnow(),
                progress_done=self.done,
                progress_total=self.total,
                counts=dict(self.counts),
            ),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount == 1 and error is not None:
            message = scrub(str(error)) or type(error).__name__
            add_notification(
                self.account_id,
                self.run_id,
                NotificationLevel.ERROR,
                f"The run stopped with an error: {message}",
                code="job_error",
                help=FAILED_HELP,
            )
        db.session.commit()
        log.info("run %s ended: %s", self.run_id, outcome.value if result.rowcount else "already final")


def _begin(run_id: int) -> RunContext | None:
    """Mark the run running; None when it is not queued any more (cancelled before a worker got it)."""
    result = db.session.execute(
        sa.update(IntegrationRun)
        .where(IntegrationRun.id == run_id, IntegrationRun.status == RunStatus.QUEUED.value)
        .values(status=RunStatus.RUNNING.value, started_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return RunContext(db.session.get(IntegrationRun, run_id))


def integration_job(func: Callable[[RunContext], None]) -> Callable[[int], None]:
    """Turn ``func(ctx)`` into the RQ job ``job(run_id)`` that keeps the run's bookkeeping."""

    @functools.wraps(func)
    def job(run_id: int) -> None:
        token = run_id_var.set(str(run_id))
        try:
            with job_app_context():
                ctx = _begin(run_id)
                if ctx is None:
                    log.info("run %s is not queued any more; skipped", run_id)
                    return
                log.info("run %s started (%s)", run_id, ctx.kind)
                outcome, error = RunStatus.SUCCEEDED, None
                try:
                    func(ctx)
                except RunCancelled:
                    outcome = RunStatus.CANCELLED
                except RunFailed:
                    outcome = RunStatus.FAILED
                except BaseException as exc:
                    # BaseException too: RQ's timeout and shutdown exceptions must also end the run.
                    outcome, error = RunStatus.FAILED, exc
                    log.error("run %s failed: %s: %s", run_id, type(exc).__name__, scrub(str(exc)))
                    raise
                finally:
                    ctx.finish(outcome, error)
        finally:
            run_id_var.reset(token)

    return job
