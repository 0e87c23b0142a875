"""The per-app sandbox state object (settings, store, clock, rate buckets) and how views reach it."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from sandbox.calllog import CallLog
from sandbox.clock import Clock
from sandbox.db import Store
from sandbox.ratelimit import TokenBuckets


@dataclass
class Sandbox:
    """Everything one sandbox app needs at request time; stored in `app.extensions["sandbox"]`."""

    settings: dict[str, Any]
    store: Store
    clock: Clock
    buckets: TokenBuckets = field(default_factory=TokenBuckets)
    # Responses that broke the model contract; SandboxServer raises them when the test server stops.
    contract_errors: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: CallLog = field(init=False)

    def __post_init__(self) -> None:
        """Attach the buffered call log to the store."""
        self.calls = CallLog(self.store)

    def chance(self, probability: float) -> bool:
        """True with the given probability (thread-safe shared RNG)."""
        if probability <= 0:
            return False
        with self.lock:
            return self.rng.random() < probability


def current() -> Sandbox:
    """The sandbox state of the app handling the current request or CLI command."""
    return current_app.extensions["sandbox"]
