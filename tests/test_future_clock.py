"""The test command's run in the future: scripts/future-offset picks the moment, scripts/faketime moves
every process's wall clock there while sleeps and timeouts keep working (the check is worthless if the
clock does not move, and the run hangs or errors if waits break)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import threading, time
from datetime import UTC, datetime
start = time.monotonic()
time.sleep(0.05)  # Debian's libfaketime 0.9.10 fails this with EINVAL when monotonic time is not faked
threading.Event().wait(0.05)  # and hangs this when it is
print(datetime.now(UTC).isoformat(), round(time.monotonic() - start, 2))
"""


def moved(offset: str) -> tuple[datetime, float]:
    """What a Python process started through scripts/faketime sees: the time, and how long its waits took."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "faketime"), offset, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return datetime.fromisoformat(out[0]), float(out[1])


def test_the_wrapper_moves_the_wall_clock_and_keeps_sleeps_and_waits_real():
    before = datetime.now(UTC)

    seen, waited = moved("+400d")

    assert before + timedelta(days=400) <= seen <= datetime.now(UTC) + timedelta(days=400, seconds=5)
    assert 0.1 <= waited < 5


def test_the_future_run_lands_late_on_a_leap_day_at_least_400_days_ahead():
    offset = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "future-offset")], capture_output=True, text=True, check=True
    ).stdout.strip()
    target = datetime.fromtimestamp(time.time() + int(offset.removeprefix("+")), UTC)

    assert (target.month, target.day, target.hour, target.minute) == (2, 29, 22, 45), target
    assert timedelta(days=400) <= target - datetime.now(UTC) <= timedelta(days=400 + 366 * 4 + 366)

    seen, _ = moved(offset)
    assert abs(seen - target) < timedelta(seconds=30)
