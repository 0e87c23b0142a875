"""Test and demo controls shared by the `/_sandbox/` HTTP API and the CLI.

These act "on Amazon's side": a seller revoking the app, Amazon deleting a listing, time passing,
and reading what the sandbox saw (the call log).
"""

from __future__ import annotations

from typing import Any

from sandbox.db import Store


def revoke_seller(store: Store, seller_id: str) -> int:
    """Revoke a seller's refresh tokens and live access tokens; returns the refresh tokens revoked."""
    with store.transaction() as conn:
        count = conn.execute(
            "UPDATE refresh_tokens SET revoked = 1 WHERE seller_id = ? AND revoked = 0", (seller_id,)
        ).rowcount
        conn.execute("DELETE FROM access_tokens WHERE seller_id = ?", (seller_id,))
    return count


def delete_listing(store: Store, seller_id: str, sku: str, marketplace_id: str | None = None) -> int:
    """Delete a listing on Amazon's side (all marketplaces unless one is given); returns rows deleted."""
    if marketplace_id is None:
        cur = store.execute("DELETE FROM listings WHERE seller_id = ? AND sku = ?", (seller_id, sku))
    else:
        cur = store.execute(
            "DELETE FROM listings WHERE seller_id = ? AND sku = ? AND marketplace_id = ?",
            (seller_id, sku, marketplace_id),
        )
    return cur.rowcount


def call_log(
    store: Store,
    seller_id: str | None = None,
    operation: str | None = None,
    since: float | None = None,
    limit: int = 1000,
) -> dict[str, Any]:
    """The latest calls (newest last) and counts per operation and status, optionally filtered."""
    where, params = ["1 = 1"], []
    if seller_id:
        where.append("seller_id = ?")
        params.append(seller_id)
    if operation:
        where.append("operation = ?")
        params.append(operation)
    if since is not None:
        where.append("ts >= ?")
        params.append(since)
    clause = " AND ".join(where)
    rows = store.all(
        "SELECT * FROM (SELECT seller_id, operation, ts, status, request_id, id FROM call_log "
        f"WHERE {clause} "
        "ORDER BY id DESC LIMIT ?) ORDER BY id",
        (*params, limit),
    )
    counts: dict[str, dict[str, int]] = {}
    for row in store.all(
        f"SELECT operation, status, COUNT(*) AS n FROM call_log WHERE {clause} GROUP BY operation, status",
        params,
    ):
        counts.setdefault(row["operation"], {})[str(row["status"])] = row["n"]
    return {
        "calls": [
            {k: row[k] for k in ("seller_id", "operation", "ts", "status", "request_id")} for row in rows
        ],
        "counts": counts,
    }


def clear_call_log(store: Store) -> None:
    """Forget all logged calls."""
    store.execute("DELETE FROM call_log")
