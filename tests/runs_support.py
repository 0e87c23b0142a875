"""Helpers for the job tests: a real RQ worker in-process or as a separate process, and fresh reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue

from jobs.worker import AppSimpleWorker
from webapp.config import ROOT
from webapp.extensions import db
from webapp.models import IntegrationRun, Notification, User


def work(app: Flask, redis: Redis) -> None:
    """Run every queued job to completion in this process (rq SimpleWorker, burst mode)."""
    queue = Queue(app.config["RQ_QUEUE"], connection=redis)
    AppSimpleWorker([queue], connection=redis, app=app).work(burst=True)


def fresh(run_id: int) -> IntegrationRun:
    """The run as committed now (another session or process may have changed it)."""
    db.session.rollback()
    return db.session.get(IntegrationRun, run_id)


def notes(run_id: int, level: str | None = None) -> list[Notification]:
    """The run's notifications, oldest first."""
    query = sa.select(Notification).where(Notification.run_id == run_id).order_by(Notification.id)
    if level:
        query = query.where(Notification.level == level)
    return list(db.session.scalars(query))


def user_by_email(email: str = "seller@example.com") -> User:
    """A registered user."""
    return db.session.scalar(sa.select(User).where(User.email == email))


def wait_for(predicate: Callable[[], object], timeout: float = 15.0, interval: float = 0.05) -> object:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def horse_pids(worker_pid: int) -> list[int]:
    """Child processes of the worker (its forked work horse while a job runs)."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def worker_process(app: Flask, log_path: Path) -> Iterator[subprocess.Popen]:
    """``python -m jobs.worker`` on the test's database and Redis, with a 1 s heartbeat and 2 s grace."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATA_ENCRYPTION_KEYS": app.config["DATA_ENCRYPTION_KEYS"],
        "SHELFSYNC_INSTANCE": app.config["INSTANCE_DIR"],
        "RQ_QUEUE": app.config["RQ_QUEUE"],
    }
    command = [
        sys.executable,
        "-m",
        "jobs.worker",
        "--job-monitoring-interval",
        "1",
        "--heartbeat-grace",
        "2",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        for pid in horse_pids(process.pid):
            _kill(pid)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):  # it may have exited already
        os.kill(pid, signal.SIGKILL)
