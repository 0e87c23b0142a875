"""Memory figures for the benchmark scripts (Linux): peak and current resident set size."""

from __future__ import annotations

import gc
import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident set size of this process since the last :func:`reset_peak` (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident set size right now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Restart peak-RSS accounting (Linux >= 4.0), so the next peak is the measured step's own."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
