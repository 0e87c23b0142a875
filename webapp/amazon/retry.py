"""Back-off arithmetic shared by SP-API calls and document transfers (all durations in Amazon seconds).

Jitter spreads the retries of many workers so they do not hit Amazon in lockstep; every delay goes
through ``AmazonSettings.real_seconds`` so a time-scaled sandbox keeps tests fast.
"""

from __future__ import annotations

import random

from webapp.amazon.settings import AmazonSettings

# Statuses worth retrying: Amazon's "try again" answers (NOTES §3) and gateway errors.
RETRY_STATUSES = frozenset({500, 502, 503, 504})

FAILURE_BASE = 0.5
FAILURE_CAP = 30.0
THROTTLE_CAP = 32.0


def failure_delay(settings: AmazonSettings, attempt: int) -> float:
    """Real seconds to wait before retry ``attempt`` (1-based) after a 5xx or a dropped connection."""
    return settings.real_seconds(
        min(FAILURE_CAP, FAILURE_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
    )


def throttle_delay(settings: AmazonSettings, attempt: int, announced_rate: float | None) -> float:
    """Real seconds to wait after the ``attempt``-th 429 in a row.

    With ``x-amzn-RateLimit-Limit`` (requests per second) one token's refill time is the natural
    pause; without it, exponential back-off. Jitter in both cases.
    """
    base = 1.0 / announced_rate if announced_rate else min(THROTTLE_CAP, 2.0 ** (attempt - 1))
    return settings.real_seconds(base * random.uniform(0.5, 1.0))
