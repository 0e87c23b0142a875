"""RQ workers that run every job inside the Flask app's context.

``python -m jobs.worker`` runs the production worker: it builds the app once, forks a work horse
per job (rq's ``Worker``), and listens on the configured queue (``RQ_QUEUE``) of ``REDIS_URL``.
Start as many as needed, on any machine that reaches the same database and Redis.

Tests use :class:`AppSimpleWorker` (no fork, the test's app)::

    AppSimpleWorker([queue], connection=redis, app=app).work(burst=True)
"""

from __future__ import annotations

import argparse

from flask import Flask
from redis import Redis
from rq import Queue
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.job import Job
from rq.worker import SimpleWorker, Worker

from webapp.extensions import db

# Seconds a running job's heartbeat may be late before rq considers its worker dead (rq uses 60).
DEFAULT_HEARTBEAT_GRACE = 60


class AppContextMixin:
    """Performs each job inside ``app``'s context and releases its database session afterwards."""

    def __init__(self, *args, app: Flask | None = None, **kwargs) -> None:
        # ``app`` is optional because rq rebuilds worker objects from Redis (``Worker.all()``).
        self.app = app
        super().__init__(*args, **kwargs)

    def perform_job(self, job, queue, execution) -> bool:
        """Run the job in an app context (rq calls this in the work horse, or in-process)."""
        if self.app is None:
            return super().perform_job(job, queue, execution)
        with self.app.app_context():
            if self.is_horse:
                # A forked horse must not reuse connections pooled by its parent: both processes
                # would talk over the same socket.
                for engine in db.engines.values():
                    engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()


class AppWorker(AppContextMixin, Worker):
    """The production worker: forks a work horse per job, with a configurable dead-worker grace."""

    def __init__(self, *args, heartbeat_grace: int = DEFAULT_HEARTBEAT_GRACE, **kwargs) -> None:
        self.heartbeat_grace = heartbeat_grace
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """How long the job's execution entry lives without a heartbeat: rq's formula with our grace.

        Once it expires, ``StartedJobRegistry.cleanup()`` (run by the reaper every minute) fails the
        job as abandoned, so a smaller grace reports a killed worker sooner.
        """
        window = float(self.job_monitoring_interval)
        if job.timeout and job.timeout > 0:
            window = min(job.timeout - working_time, window)
        return int(window) + self.heartbeat_grace


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in the calling process (no fork): for tests and debugging."""


def main(argv: list[str] | None = None) -> None:
    """Run a worker until stopped (or until the queue is empty with ``--burst``)."""
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    parser.add_argument(
        "--job-monitoring-interval",
        type=int,
        default=DEFAULT_JOB_MONITORING_INTERVAL,
        help="seconds between heartbeats of a running job (default: %(default)s)",
    )
    parser.add_argument(
        "--heartbeat-grace",
        type=int,
        default=DEFAULT_HEARTBEAT_GRACE,
        help="seconds a heartbeat may be late before the job counts as abandoned (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    from webapp import create_app

    app = create_app()
    connection = Redis.from_url(app.config["REDIS_URL"])
    worker = AppWorker(
        [Queue(app.config["RQ_QUEUE"], connection=connection)],
        connection=connection,
        app=app,
        job_monitoring_interval=args.job_monitoring_interval,
        heartbeat_grace=args.heartbeat_grace,
    )
    worker.work(burst=args.burst, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    main()
