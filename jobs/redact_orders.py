"""Redact PII: remove buyer PII from the account's orders shipped (or cancelled) more than 30 days ago.

A run covers one account (no channel) and calls no Amazon operation. The hourly housekeeping entry
(``jobs.housekeeping.run_housekeeping``) starts one, trigger "scheduled", for every account that has
due orders; the rules (what is due, what is cleared, why cancelled orders count) are in
``webapp.services.order_redaction``.

Each batch is committed with the run's progress, so a worker killed mid-run leaves the committed
batches redacted and the next run finds only the rest. Notifications give counts and the cutoff
date, never a buyer's data.
"""

from __future__ import annotations

from datetime import datetime

from jobs.runner import RunContext, integration_job
from webapp.services.order_redaction import REASONS, SHIPPED, Reason, cutoff, due_count, redact_batch
from webapp.timeutil import utcnow


def _plural(n: int) -> str:
    return f"{n} order{'s' if n != 1 else ''}"


def _message(reason: Reason, redacted: int, before: datetime) -> str:
    when = before.strftime("%Y-%m-%d %H:%M UTC")
    if reason is SHIPPED:
        return f"Redacted {_plural(redacted)} shipped before {when}."
    return f"Redacted {_plural(redacted)} cancelled before {when}."


@integration_job
def run(ctx: RunContext) -> None:
    """Redact every order of the run's account that is due now (no parameters)."""
    now = utcnow()
    before = cutoff(now)
    ctx.progress(0, sum(due_count(ctx.account_id, reason, now) for reason in REASONS))
    for reason in REASONS:
        redacted = 0
        while batch := redact_batch(ctx.account_id, reason, now):
            redacted += batch
            # Count and progress go in the one commit with the batch (ctx.count could commit on its own).
            name = f"redacted_{reason.name}"
            ctx.counts[name] = ctx.counts.get(name, 0) + batch
            ctx.progress(ctx.done + batch)
            ctx.checkpoint(force=True)  # the batch is committed before the next one starts
        if redacted:
            ctx.info(
                _message(reason, redacted, before),
                code=f"redacted_{reason.name}",
                help="Their city, state, postal code and country are kept for reporting.",
            )
    if not ctx.done:
        ctx.info(
            "Nothing to redact: every order shipped or cancelled before "
            f"{before.strftime('%Y-%m-%d %H:%M UTC')} is already redacted."
        )
    # Orders that became due while the run worked are counted; the total follows them.
    ctx.progress(ctx.done, ctx.done)
