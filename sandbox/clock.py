"""Amazon time: real time scaled by SANDBOX_TIME_SCALE plus an advance offset kept in the database.

Both the anchor (the real instant at which the database was created) and the offset live in the
`meta` table, so the server, the CLI and test processes all read the same Amazon time.
With scale 60, one real second is one Amazon minute; `advance()` jumps forward instantly.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sandbox.db import Store


class Clock:
    """Amazon's clock for one sandbox database."""

    def __init__(self, store: Store, scale: float) -> None:
        """Bind the clock to a store and a time scale (Amazon seconds per real second)."""
        self.store = store
        self.scale = scale

    def now(self) -> float:
        """Current Amazon time as a Unix timestamp."""
        rows = dict(
            self.store.all("SELECT key, value FROM meta WHERE key IN ('clock_anchor', 'clock_offset')")
        )
        anchor = float(rows.get("clock_anchor", time.time()))
        offset = float(rows.get("clock_offset", 0.0))
        return anchor + (time.time() - anchor) * self.scale + offset

    def now_iso(self) -> str:
        """Current Amazon time as ISO 8601 UTC (`2026-01-02T03:04:05Z`)."""
        return iso(self.now())

    def advance(self, seconds: float) -> float:
        """Move Amazon time forward by `seconds` (Amazon seconds); return the new Amazon time."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
            offset = float(row["value"]) if row else 0.0
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset', ?)",
                (repr(offset + seconds),),
            )
        return self.now()

    def real_seconds(self, amazon_seconds: float) -> float:
        """How many real seconds an Amazon duration takes at this scale (for sleeps and polling)."""
        return amazon_seconds / self.scale


def iso(ts: float) -> str:
    """Format a Unix timestamp as ISO 8601 UTC with a `Z` suffix, second precision."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 date-time (with `Z` or an offset) into a Unix timestamp."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
