"""rq cron configuration: ``rq cron jobs/cron_config.py --url "$REDIS_URL"``.

``python -m jobs.scheduler`` starts the same thing with the app's ``REDIS_URL``.
Registers, on the app's queue (the workers run them):

- the dispatcher of channel schedules, every 60 s (``jobs.scheduler.dispatch_due``);
- the housekeeping, every hour at ``HOUSEKEEPING_AT`` (``jobs.housekeeping.run_housekeeping``: PII
  redaction runs and the purge of expired CSV upload files).
"""

from __future__ import annotations

import os

from rq import cron

from jobs.housekeeping import run_housekeeping
from jobs.scheduler import dispatch_due

# The same variable and default as ``webapp.config`` (not imported: building the config creates
# instance files, which the cron process has no use for).
QUEUE = os.environ.get("RQ_QUEUE", "default")
# A cron string: at minute 15 of every hour (the redaction's sweep interval, see order_redaction).
HOUSEKEEPING_AT = "15 * * * *"

# A dispatch takes well under a minute; its result is not needed afterwards.
cron.register(dispatch_due, queue_name=QUEUE, interval=60, job_timeout=300, result_ttl=0)
# Housekeeping only starts runs (each with its own timeout) and purges files: minutes at most.
cron.register(run_housekeeping, queue_name=QUEUE, cron=HOUSEKEEPING_AT, job_timeout=15 * 60, result_ttl=0)
