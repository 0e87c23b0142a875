"""A CSV import killed mid-file in a real ``python -m jobs.worker`` process, then run again, converges."""

from __future__ import annotations

import os
import signal

import pytest
import sqlalchemy as sa
from rq.job import Job, JobStatus

from jobs.source_import import BATCH_SIZE
from tests.runs_support import fresh, horse_pids, wait_for, work, worker_process
from tests.sources_support import HX, add_source, csv_bytes, run_id_from, upload
from webapp.extensions import db
from webapp.models import RunStatus, SourceItem, SourceUpload
from webapp.services.runs import reap_abandoned_runs

pytestmark = pytest.mark.slow
ROWS = 40_000


def mid_import(run_id: int):
    """The run once at least one batch is committed and the file is not finished (else None)."""
    run = fresh(run_id)
    if run.status == RunStatus.RUNNING and run.progress_done >= BATCH_SIZE:
        return run
    return None


def test_import_killed_mid_file_and_started_again_converges(app, redis, auth, client, tmp_path):
    auth.register()
    source_id = add_source(client)
    rows = [[f"K-{n:06d}", f"Item {n}", "", f"{n % 90 + 1}.25", str(n % 17)] for n in range(ROWS)]
    content = csv_bytes(rows)

    run_id = run_id_from(upload(client, source_id, content))
    with worker_process(app, tmp_path / "worker.log") as worker:
        run = wait_for(lambda: mid_import(run_id), timeout=60, interval=0.02)
        for pid in horse_pids(worker.pid):
            os.kill(pid, signal.SIGKILL)  # the work horse dies between two statements
        job = Job.fetch(run.rq_job_id, connection=redis)
        wait_for(lambda: job.get_status() == JobStatus.FAILED, timeout=30)
    assert reap_abandoned_runs() == 1
    assert fresh(run_id).status == RunStatus.FAILED

    db.session.rollback()
    landed = db.session.scalar(sa.select(sa.func.count(SourceItem.id)))
    assert BATCH_SIZE <= landed < ROWS, "the first run stopped mid-file"
    assert landed % BATCH_SIZE == 0, "batches are committed whole"
    upload_row = db.session.scalar(sa.select(SourceUpload))
    assert upload_row.content is not None, "the file is kept until an import of it succeeds"

    again = client.post(f"/sources/{source_id}/uploads/{upload_row.id}/start", headers=HX)
    second = run_id_from(again)
    work(app, redis)

    run = fresh(second)
    assert run.status == RunStatus.SUCCEEDED
    assert run.counts["created"] == ROWS - landed and run.counts["unchanged"] == landed
    assert run.counts["updated"] == 0 and run.counts["skipped"] == 0
    stored = db.session.execute(sa.select(SourceItem.sku, SourceItem.quantity).order_by(SourceItem.sku)).all()
    assert stored == [(f"K-{n:06d}", n % 17) for n in range(ROWS)]
