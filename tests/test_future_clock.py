"""The test command's run in the future: scripts/future-offset picks the moment, scripts/faketime moves
every process's wall clock there while sleeps and timeouts keep working (the check is worthless if the
clock does not move, and the run hangs or errors if waits break)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This suite itself runs under scripts/faketime in CI: the processes below start from the real clock.
REAL_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "DONT_FAKE_MONOTONIC")
}

PROBE = """
import threading, time
from datetime import UTC, datetime
start = time.monotonic()
time.sleep(0.05)  # Debian's libfaketime 0.9.10 fails this with EINVAL when monotonic time is not faked
threading.Event().wait(0.05)  # and hangs this when it is
print(datetime.now(UTC).isoformat(), round(time.monotonic() - start, 2))
"""


def python(*args: str, offset: str | None = None) -> str:
    """The output of a Python process started from the real clock, or through scripts/faketime."""
    wrapper = [str(ROOT / "scripts" / "faketime"), offset] if offset else []
    return subprocess.run(
        [*wrapper, sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=REAL_ENV,
    ).stdout.strip()


def real_now() -> datetime:
    return datetime.fromisoformat(
        python("-c", "from datetime import UTC, datetime; print(datetime.now(UTC))")
    )


def moved(offset: str) -> tuple[datetime, float]:
    """What a Python process started through scripts/faketime sees: the time, and how long its waits took."""
    out = python("-c", PROBE, offset=offset).split()
    return datetime.fromisoformat(out[0]), float(out[1])


def test_the_wrapper_moves_the_wall_clock_and_keeps_sleeps_and_waits_real():
    before = real_now()

    seen, waited = moved("+400d")

    assert before + timedelta(days=400) <= seen <= real_now() + timedelta(days=400, seconds=5)
    assert 0.1 <= waited < 5


def test_the_future_run_lands_late_on_a_leap_day_at_least_400_days_ahead():
    offset = python(str(ROOT / "scripts" / "future-offset"))
    now = real_now()
    target = now + timedelta(seconds=int(offset.removeprefix("+")))

    assert (target.month, target.day, target.hour, target.minute) == (2, 29, 22, 45), target
    assert timedelta(days=400) <= target - now <= timedelta(days=400 + 366 * 4 + 366)

    seen, _ = moved(offset)
    assert abs(seen - target) < timedelta(seconds=30)
