"""The call log: one row per SP-API request, written in batches by a background thread.

Writing a row per request in its own transaction makes concurrent requests queue on SQLite's write
lock (and its busy-wait sleeps), which capped throughput far below Amazon-like rates. Rows are
buffered in memory and flushed every FLUSH_SECONDS in one transaction; readers in the same process
(the `/_sandbox/calls` API) flush first, so tests always see every call they made.
"""

from __future__ import annotations

import threading

from sandbox.db import Store

FLUSH_SECONDS = 0.05
IDLE_ROUNDS = 20


class CallLog:
    """Buffered writer of `call_log` rows for one Store."""

    def __init__(self, store: Store) -> None:
        """Buffer rows for `store`; the flusher thread starts with the first row."""
        self.store = store
        self._rows: list[tuple] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()  # never set: an interruptible sleep between flushes
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, seller_id: str | None, operation: str, ts: float, status: int, request_id: str) -> None:
        """Queue one call for writing."""
        with self._lock:
            self._rows.append((seller_id, operation, ts, status, request_id))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="sandbox-call-log", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write every queued row now (one transaction)."""
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if rows:
                with self.store.transaction() as conn:
                    conn.executemany(
                        "INSERT INTO call_log (seller_id, operation, ts, status, request_id) "
                        "VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )

    def close(self) -> None:
        """Flush, stop the flusher and write any later rows only on an explicit flush()."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join()
        self.flush()

    def _run(self) -> None:
        idle = 0
        while True:
            self._wake.wait(FLUSH_SECONDS)
            self.flush()
            with self._lock:
                idle = 0 if self._rows else idle + 1
                # Stop after ~1 s without calls; record() starts a new flusher when calls resume.
                if self._closed or (idle >= IDLE_ROUNDS and not self._rows):
                    self._thread = None
                    return
