"""Fault injection settings per operation, stored in the database so server, CLI and tests share them.

An operation key is an SP-API operationId (`getListingsItem`), `*` for every operation, or any name
an operation module chooses for its own flags. Fields:
  p429, p500, p503  share of requests (0..1) answered with that status
  latency_ms        added delay before answering (real milliseconds)
  p_drop            share of requests whose connection is closed without an answer
  stuck             1 = feeds/reports of this operation stay IN_PROGRESS (read by the feeds/reports modules)
"""

from __future__ import annotations

from typing import Any

from sandbox.db import Store

FIELDS = ("p429", "p500", "p503", "latency_ms", "p_drop", "stuck")


def set_fault(store: Store, operation: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Set (replace) the faults of one operation; unknown fields raise ValueError. Returns the stored row."""
    unknown = set(settings) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))} (allowed: {', '.join(FIELDS)})")
    values = {name: settings.get(name, 0) for name in FIELDS}
    for name in ("p429", "p500", "p503", "p_drop"):
        value = float(values[name])
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
        values[name] = value
    values["latency_ms"] = int(values["latency_ms"])
    values["stuck"] = 1 if values["stuck"] else 0
    store.execute(
        "INSERT OR REPLACE INTO faults (operation, p429, p500, p503, latency_ms, p_drop, stuck) "
        "VALUES (:operation, :p429, :p500, :p503, :latency_ms, :p_drop, :stuck)",
        {"operation": operation, **values},
    )
    return {"operation": operation, **values}


def clear_faults(store: Store, operation: str | None = None) -> None:
    """Remove the faults of one operation, or all faults."""
    if operation is None:
        store.execute("DELETE FROM faults")
    else:
        store.execute("DELETE FROM faults WHERE operation = ?", (operation,))


def list_faults(store: Store) -> dict[str, dict[str, Any]]:
    """All fault settings keyed by operation."""
    return {
        row["operation"]: {name: row[name] for name in FIELDS} for row in store.all("SELECT * FROM faults")
    }


def faults_for(store: Store, operation: str) -> dict[str, Any] | None:
    """The effective faults for an operation: its own row, else the `*` row, else None."""
    rows = store.all("SELECT * FROM faults WHERE operation IN (?, '*')", (operation,))
    if not rows:
        return None
    row = next((r for r in rows if r["operation"] == operation), rows[0])
    return {name: row[name] for name in FIELDS}


def is_stuck(store: Store, operation: str) -> bool:
    """True when feeds/reports for `operation` (e.g. `createFeed`, `createReport`) must stay IN_PROGRESS."""
    faults = faults_for(store, operation)
    return bool(faults and faults["stuck"])
