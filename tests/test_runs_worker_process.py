"""Runs executed by a real ``python -m jobs.worker`` process (forking rq Worker) on the test's database.

Covers what an in-process worker cannot show: live progress seen from another process, stopping a
running work horse, and a worker killed with ``kill -9`` mid-job.
"""

from __future__ import annotations

import os
import re
import signal

import pytest
from rq.job import Job, JobStatus

from tests.runs_support import fresh, horse_pids, notes, user_by_email, wait_for, worker_process
from webapp.models import RunKind, RunStatus
from webapp.services.runs import WORKER_LOST_MESSAGE, reap_abandoned_runs, start_run

HX = {"HX-Request": "true"}
SLOW = {"steps": 200, "delay": 0.05}


@pytest.fixture
def account_id(app, auth) -> int:
    """A registered, logged-in account."""
    auth.register()
    return user_by_email().account_id


def running(run_id: int, at_least: int = 2):
    """The run once the worker has reported ``at_least`` steps (else None)."""
    run = fresh(run_id)
    return run if run.status == RunStatus.RUNNING and run.progress_done >= at_least else None


def test_progress_is_live_and_cancel_stops_the_running_work_horse(app, client, redis, account_id, tmp_path):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params=SLOW).run.id
    with worker_process(app, tmp_path / "worker.log") as worker:
        wait_for(lambda: running(run_id))
        partial = client.get(f"/runs/{run_id}/progress", headers=HX).get_data(as_text=True)
        done, total = map(int, re.search(r'<progress value="(\d+)" max="(\d+)"', partial).groups())
        assert 2 <= done < total == 200
        assert 'hx-trigger="every 1s"' in partial and "status-running" in partial
        horse = horse_pids(worker.pid)
        assert horse, "the forking worker runs the job in a work horse"

        client.post(f"/runs/{run_id}/cancel", headers=HX)

        job = Job.fetch(fresh(run_id).rq_job_id, connection=redis)
        wait_for(lambda: job.get_status() == JobStatus.STOPPED)
        assert worker.poll() is None, "stopping a job leaves the worker running"
        assert not horse_pids(worker.pid)

    run = fresh(run_id)
    assert run.status == RunStatus.CANCELLED
    assert run.progress_done < 200
    assert notes(run_id)[-1].message == "Cancelled by seller@example.com."
    finished = client.get(f"/runs/{run_id}/progress", headers=HX)
    assert "hx-trigger" not in finished.get_data(as_text=True)


def test_killed_work_horse_fails_the_run_with_a_notification(app, client, redis, account_id, tmp_path):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params=SLOW).run.id
    with worker_process(app, tmp_path / "worker.log") as worker:
        wait_for(lambda: running(run_id))
        for pid in horse_pids(worker.pid):
            os.kill(pid, signal.SIGKILL)  # what the out-of-memory killer does
        job = Job.fetch(fresh(run_id).rq_job_id, connection=redis)
        wait_for(lambda: job.get_status() == JobStatus.FAILED)

        page = client.get(f"/runs/{run_id}").get_data(as_text=True)  # viewing the run reaps it

    run = fresh(run_id)
    assert run.status == RunStatus.FAILED and run.finished_at is not None
    assert [n.message for n in notes(run_id, "error")] == [WORKER_LOST_MESSAGE]
    assert "stopped unexpectedly (killed or crashed)" in page


def test_killed_worker_is_found_abandoned_and_its_run_failed(app, redis, account_id, tmp_path):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params=SLOW).run.id
    with worker_process(app, tmp_path / "worker.log") as worker:
        wait_for(lambda: running(run_id))
        horses = horse_pids(worker.pid)
        worker.send_signal(signal.SIGKILL)  # the machine died: worker and horse gone, nobody reports it
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)

        assert reap_abandoned_runs() == 0, "the job's heartbeat has not expired yet"
        assert fresh(run_id).status == RunStatus.RUNNING
        wait_for(lambda: reap_abandoned_runs() == 1, timeout=20, interval=0.5)

    run = fresh(run_id)
    assert run.status == RunStatus.FAILED
    assert [n.message for n in notes(run_id, "error")] == [WORKER_LOST_MESSAGE]
    assert Job.fetch(run.rq_job_id, connection=redis).get_status() == JobStatus.FAILED
