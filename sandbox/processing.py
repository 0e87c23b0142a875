"""What feeds and reports share: an id, a row owned by a seller, a lifecycle read from it, list and cancel.

Both APIs keep one table row per request (`seller_id`, `marketplace_ids`, `created_at`, `cancelled_at`,
`final_status`) and describe it at the current Amazon moment with their own `describe` function; this
module runs the parts of getFeed(s)/getReport(s), cancelFeed/cancelReport and createFeed/createReport
that only differ by names.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.db import Store
from sandbox.errors import ApiError
from sandbox.operations import OperationContext

Describe = Callable[[OperationContext, sqlite3.Row], dict[str, Any]]


@dataclass(frozen=True)
class Processed:
    """One kind of processed request: its table, id column and the noun its error messages use."""

    table: str
    key_column: str
    noun: str
    describe: Describe


def new_processing_id() -> str:
    """A new feed or report id (Amazon's are 11-12 digit numbers)."""
    return str(50_000_000_000 + secrets.randbelow(9_999_999_999))


def check_marketplaces(store: Store, seller_id: str, marketplace_ids: list[str]) -> None:
    """Raise 400 InvalidInput naming the marketplaces the seller does not participate in, if any."""
    rows = store.all("SELECT marketplace_id FROM participations WHERE seller_id = ?", (seller_id,))
    allowed = {row["marketplace_id"] for row in rows}
    unknown = [m for m in marketplace_ids if m not in allowed]
    if unknown:
        raise ApiError(
            400,
            "InvalidInput",
            f"Invalid marketplaceIds: {', '.join(unknown)}. The seller is not "
            "registered in these marketplaces.",
        )


def load(ctx: OperationContext, kind: Processed, key: str) -> sqlite3.Row:
    """The caller's row with id `key`; 404 NotFound (`<Noun> <id> was not found.`) otherwise."""
    row = ctx.store.one(
        f"SELECT * FROM {kind.table} WHERE {kind.key_column} = ? AND seller_id = ?", (key, ctx.seller_id)
    )
    if row is None:
        raise ApiError(404, "NotFound", f"{kind.noun} {key} was not found.")
    return row


def finish_once(
    ctx: OperationContext,
    kind: Processed,
    row: sqlite3.Row,
    settle: Callable[[sqlite3.Connection, sqlite3.Row], None],
) -> sqlite3.Row:
    """Run `settle` on the fresh row unless it already has a final status; return the row as stored.

    One write transaction, so a concurrent reader waits for the lock and then sees the result instead
    of processing the request a second time.
    """
    select = f"SELECT * FROM {kind.table} WHERE {kind.key_column} = ?"
    with ctx.store.transaction() as conn:
        fresh = conn.execute(select, (row[kind.key_column],)).fetchone()
        if fresh["final_status"] is not None:
            return fresh
        settle(conn, fresh)
        return conn.execute(select, (fresh[kind.key_column],)).fetchone()


def matching(
    ctx: OperationContext,
    kind: Processed,
    params: dict[str, Any],
    since: float,
    until: float,
    wanted_type: Callable[[sqlite3.Row], bool],
) -> list[dict[str, Any]]:
    """The described rows created in [since, until], newest first, that pass the list filters.

    `wanted_type` is the caller's type filter; marketplace and processing-status filters come from
    `params` as on both list operations.
    """
    matches = []
    for row in ctx.store.all(
        f"SELECT * FROM {kind.table} WHERE seller_id = ? AND created_at >= ? AND created_at <= ? "
        f"ORDER BY created_at DESC, {kind.key_column}",
        (ctx.seller_id, since, until),
    ):
        if not wanted_type(row):
            continue
        if params.get("marketplaceIds") and not set(params["marketplaceIds"]) & set(
            json.loads(row["marketplace_ids"])
        ):
            continue
        described = kind.describe(ctx, row)
        if (
            params.get("processingStatuses")
            and described["processingStatus"] not in params["processingStatuses"]
        ):
            continue
        matches.append(described)
    return matches


def cancel(ctx: OperationContext, kind: Processed, key: str) -> tuple[int, None]:
    """Cancel the caller's request `key` if it is still IN_QUEUE (400 InvalidInput otherwise)."""
    row = load(ctx, kind, key)
    status = kind.describe(ctx, row)["processingStatus"]
    if status != "IN_QUEUE":
        raise ApiError(
            400,
            "InvalidInput",
            f"Only {kind.noun.lower()}s in IN_QUEUE status can be cancelled; this one is {status}.",
        )
    ctx.store.execute(
        f"UPDATE {kind.table} SET cancelled_at = ? WHERE {kind.key_column} = ?",
        (ctx.now, row[kind.key_column]),
    )
    return 200, None
