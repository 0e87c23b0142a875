"""The built-in "diagnostic" integration: exercises the job machinery and its pages, touches nothing.

Parameters (all optional): ``steps`` (default 5), ``delay`` seconds per step (default 0.5),
``fail_at`` (raise at that step), ``warn`` (add a warning), ``error`` (add an error, so the run ends
partial).
"""

from __future__ import annotations

import time

from jobs.runner import RunContext, integration_job

MAX_STEPS = 10_000
MAX_DELAY = 60.0


class DiagnosticFailure(Exception):
    """The failure a diagnostic run was asked to simulate."""


def _int_param(params: dict, name: str, default: int | None) -> int | None:
    value = params.get(name, default)
    return None if value is None else int(value)


@integration_job
def run(ctx: RunContext) -> None:
    """Walk through ``steps`` steps, logging and counting each one."""
    steps = max(1, min(MAX_STEPS, _int_param(ctx.params, "steps", 5)))
    delay = max(0.0, min(MAX_DELAY, float(ctx.params.get("delay", 0.5))))
    fail_at = _int_param(ctx.params, "fail_at", None)

    ctx.progress(0, steps)
    for step in range(1, steps + 1):
        if step == fail_at:
            raise DiagnosticFailure(f"Simulated failure at step {step} of {steps}.")
        time.sleep(delay)
        ctx.info(f"Step {step} of {steps} done.", code="diagnostic_step", reference=f"step {step}")
        ctx.count("steps")
        ctx.progress(step, steps)
    if ctx.params.get("warn"):
        ctx.count("warnings")
        ctx.warning(
            "This is a test warning from the diagnostic run.",
            code="diagnostic_warning",
            help="Nothing to do: the diagnostic run adds it on request.",
        )
    if ctx.params.get("error"):
        ctx.count("errors")
        ctx.error(
            "This is a test error from the diagnostic run.",
            code="diagnostic_error",
            help="Nothing to fix: the diagnostic run adds it on request to show how errors look.",
        )
