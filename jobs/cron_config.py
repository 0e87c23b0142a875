"""rq cron configuration: ``rq cron jobs/cron_config.py --url "$REDIS_URL"``.

``python -m jobs.scheduler`` starts the same thing with the app's ``REDIS_URL``.
Registers the dispatcher on the app's queue every 60 s; the workers run it.
"""

from __future__ import annotations

import os

from rq import cron

from jobs.scheduler import dispatch_due

# The same variable and default as ``webapp.config`` (not imported: building the config creates
# instance files, which the cron process has no use for).
QUEUE = os.environ.get("RQ_QUEUE", "default")

# A dispatch takes well under a minute; its result is not needed afterwards.
cron.register(dispatch_due, queue_name=QUEUE, interval=60, job_timeout=300, result_ttl=0)
