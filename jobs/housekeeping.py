"""The housekeeping job: rq cron enqueues :func:`run_housekeeping` every hour (``jobs/cron_config.py``).

It runs on a worker like any job and does two things, for every account:

- drops the stored files of supplier CSV uploads past their retention
  (``webapp.services.source_uploads.purge_expired_uploads``; an upload also purges, in passing);
- starts one Redact PII run (``jobs.redact_orders``) per account that has orders due, so each
  account's redaction is recorded as its own run with its own notifications.

Hourly, because Amazon wants PII gone no later than 30 days after shipment: orders are taken two sweeps
before their 30 days are up (``webapp.services.order_redaction.MARGIN``), so one sweep lost (the cron
process was down, or its run's worker was killed) still leaves the next one in time; a longer outage
only delays, since each sweep covers everything due.
"""

from __future__ import annotations

import logging

from jobs.runner import job_app_context
from webapp.extensions import db
from webapp.models import RunKind
from webapp.services.order_redaction import accounts_with_due_orders
from webapp.services.runs import start_run
from webapp.services.source_uploads import purge_expired_uploads
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)


def run_housekeeping() -> int:
    """Purge expired upload files, then start a Redact PII run for each account with due orders.

    Returns:
        How many redaction runs were started (an account whose run is still active counts as skipped).
    """
    started = 0
    with job_app_context():
        purged = purge_expired_uploads()
        db.session.commit()
        if purged:
            log.info("dropped the stored files of %s expired CSV uploads", purged)
        for account_id in accounts_with_due_orders(utcnow()):
            try:
                result = start_run(account_id, RunKind.REDACT_ORDERS, trigger="scheduled")
            except Exception:
                # One account's failure (a lock timeout, Redis hiccup) must not keep the others' PII.
                log.exception("could not start the PII redaction of account %s", account_id)
                db.session.rollback()
                continue
            if result.already_running:
                log.info(
                    "PII redaction of account %s skipped: run %s still active", account_id, result.run.id
                )
            else:
                started += 1
    return started
