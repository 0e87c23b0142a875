"""The job machinery with a real Redis and a real RQ worker (in-process, burst): start, run, cancel."""

from __future__ import annotations

import logging
import threading

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from tests.runs_support import fresh, notes, user_by_email, wait_for, work
from webapp.extensions import db
from webapp.logs import ContextFilter
from webapp.models import Account, Channel, RunKind, RunStatus
from webapp.services.runs import cancel_run, start_run


@pytest.fixture
def account_id(app, auth) -> int:
    """A registered account (logged in on ``client``)."""
    auth.register()
    return user_by_email().account_id


def test_diagnostic_run_succeeds_with_progress_counts_and_notifications(app, redis, account_id):
    result = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 3, "delay": 0})
    assert not result.already_running
    run_id, job_id = result.run.id, result.run.rq_job_id
    assert fresh(run_id).status == RunStatus.QUEUED

    work(app, redis)

    run = fresh(run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert (run.progress_done, run.progress_total) == (3, 3)
    assert run.counts == {"steps": 3}
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    assert [n.message for n in notes(run_id)] == [
        "Step 1 of 3 done.",
        "Step 2 of 3 done.",
        "Step 3 of 3 done.",
    ]
    assert {n.account_id for n in notes(run_id)} == {account_id}
    assert Job.fetch(job_id, connection=redis).get_status() == JobStatus.FINISHED


def test_exception_fails_the_run_with_an_error_notification_carrying_its_message(app, redis, account_id):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 3, "delay": 0, "fail_at": 2}).run.id

    work(app, redis)

    run = fresh(run_id)
    assert run.status == RunStatus.FAILED
    assert run.finished_at is not None
    assert (run.progress_done, run.progress_total) == (1, 3)
    errors = notes(run_id, "error")
    assert len(errors) == 1
    assert "Simulated failure at step 2 of 3." in errors[0].message
    assert errors[0].help
    assert Job.fetch(run.rq_job_id, connection=redis).get_status() == JobStatus.FAILED


def test_reported_errors_make_the_run_partial_and_warnings_do_not(app, redis, account_id):
    partial = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0, "error": True}).run.id
    work(app, redis)
    warned = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0, "warn": True}).run.id
    work(app, redis)

    assert fresh(partial).status == RunStatus.PARTIAL
    assert fresh(partial).counts == {"steps": 1, "errors": 1}
    assert fresh(warned).status == RunStatus.SUCCEEDED
    assert [n.code for n in notes(warned, "warning")] == ["diagnostic_warning"]


def test_second_start_of_the_same_kind_and_channel_returns_the_active_run(app, redis, account_id):
    channel = Channel(account_id=account_id, name="Amazon US")
    other_account = Account(name="Other")
    db.session.add_all([channel, other_account])
    db.session.commit()

    first = start_run(account_id, RunKind.DIAGNOSTIC)
    second = start_run(account_id, RunKind.DIAGNOSTIC)
    on_channel = start_run(account_id, RunKind.DIAGNOSTIC, channel_id=channel.id)
    elsewhere = start_run(other_account.id, RunKind.DIAGNOSTIC)

    assert second.already_running and second.run.id == first.run.id
    assert not on_channel.already_running and on_channel.run.id != first.run.id
    assert not elsewhere.already_running
    assert start_run(account_id, RunKind.DIAGNOSTIC, channel_id=channel.id).run.id == on_channel.run.id
    assert Queue(app.config["RQ_QUEUE"], connection=redis).count == 3


def test_a_finished_run_frees_its_key_for_the_next_one(app, redis, account_id):
    first = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0}).run.id
    work(app, redis)
    second = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0})
    assert not second.already_running and second.run.id != first
    work(app, redis)
    assert fresh(second.run.id).status == RunStatus.SUCCEEDED


def test_cancelling_a_queued_run_keeps_any_worker_from_running_it(app, redis, account_id):
    run = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 2, "delay": 0}).run

    assert cancel_run(run, by=user_by_email())
    work(app, redis)

    run = fresh(run.id)
    assert run.status == RunStatus.CANCELLED
    assert run.started_at is None
    assert [n.message for n in notes(run.id)] == ["Cancelled by seller@example.com."]
    assert Job.fetch(run.rq_job_id, connection=redis).get_status() == JobStatus.CANCELED
    assert not cancel_run(run), "a finished run cannot be cancelled again"


def test_cancelling_a_running_run_stops_it_at_its_next_checkpoint(app, redis, account_id):
    # In-process worker (no work horse to kill): the job itself notices the cancel when it commits.
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 40, "delay": 0.05}).run.id
    cancelled = threading.Event()

    def cancel_when_running() -> None:
        with app.app_context():
            run = wait_for(lambda: (r := fresh(run_id)).progress_done >= 2 and r)
            if cancel_run(run, by=user_by_email()):
                cancelled.set()
            db.session.remove()

    thread = threading.Thread(target=cancel_when_running)
    thread.start()
    work(app, redis)
    thread.join(10)

    assert cancelled.is_set()
    run = fresh(run_id)
    assert run.status == RunStatus.CANCELLED
    assert run.progress_done < 40
    assert notes(run_id)[-1].message == "Cancelled by seller@example.com."


def test_job_log_lines_carry_the_run_id(app, redis, account_id, caplog):
    caplog.handler.addFilter(ContextFilter())
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0}).run.id

    with caplog.at_level(logging.INFO, logger="jobs.runner"):
        work(app, redis)

    started = [r for r in caplog.records if r.name == "jobs.runner" and "started" in r.getMessage()]
    assert started and started[0].run_id == str(run_id)
