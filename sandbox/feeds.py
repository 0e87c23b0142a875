"""Feeds API 2021-06-30: createFeedDocument, createFeed, getFeed, getFeeds, cancelFeed, getFeedDocument.

Flow as on Amazon: createFeedDocument gives a presigned upload URL on the sandbox (PUT the bytes with
no SP-API headers, valid 5 Amazon minutes); createFeed queues the feed; it is IN_QUEUE for
QUEUE_SECONDS, IN_PROGRESS for PROCESSING_SECONDS, then processed once by the first read that finds it
due (sandbox.feed_processing) and DONE or FATAL with a processing report as result document.
JSON_LISTINGS_FEED and the XML Order Acknowledgement feed (sandbox.order_acknowledgements) are processed;
the legacy XML/flat-file listings feeds end FATAL, as since 2025-07-31.
The `createFeed` stuck fault is read on every getFeed: while it is set, due feeds stay IN_PROGRESS.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from flask import Blueprint, Response, request

from sandbox import feed_processing, order_acknowledgements, processing
from sandbox.clock import iso, parse_iso
from sandbox.db import register_schema
from sandbox.documents import (
    FEED_INPUT,
    FEED_RESULT,
    check_presigned,
    create_document,
    document_link,
    get_document,
    new_document_id,
    no_such_key,
    presigned_url,
    seller_region,
    serve_document,
)
from sandbox.errors import ApiError
from sandbox.faults import is_stuck
from sandbox.operations import OperationContext, operation
from sandbox.paging import list_page, list_request
from sandbox.state import current

MODEL = "feeds_2021-06-30"

register_schema(
    """
CREATE TABLE IF NOT EXISTS feeds (
    feed_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, feed_type TEXT NOT NULL, marketplace_ids TEXT NOT NULL,
    input_document_id TEXT NOT NULL, feed_options TEXT NOT NULL, created_at REAL NOT NULL, cancelled_at REAL,
    final_status TEXT, result_document_id TEXT, processing_end REAL
);
CREATE INDEX IF NOT EXISTS feeds_seller ON feeds (seller_id, created_at)
""",
    data_tables=("feeds",),
)

bp = Blueprint("feed_documents", __name__)

QUEUE_SECONDS = 30.0
"""Amazon seconds a feed waits IN_QUEUE."""
PROCESSING_SECONDS = 120.0
"""Amazon seconds a feed is IN_PROGRESS before it is processed."""
RETENTION_SECONDS = 90 * 86400
"""Feeds are retained 90 days."""
JSON_LISTINGS_FEED = "JSON_LISTINGS_FEED"
RETIRED_FEED_TYPES = frozenset(
    {
        "POST_PRODUCT_DATA",
        "POST_INVENTORY_AVAILABILITY_DATA",
        "POST_PRODUCT_PRICING_DATA",
        "POST_PRODUCT_OVERRIDES_DATA",
        "POST_PRODUCT_IMAGE_DATA",
        "POST_PRODUCT_RELATIONSHIP_DATA",
        "POST_FLAT_FILE_LISTINGS_DATA",
        "POST_FLAT_FILE_INVLOADER_DATA",
        "POST_FLAT_FILE_PRICEANDQUANTITYONLY_UPDATE_DATA",
    }
)
"""Legacy listings feeds: accepted by createFeed but FATAL since 2025-07-31 (NOTES §5.5)."""
PROCESSED_FEED_TYPES = frozenset({JSON_LISTINGS_FEED, order_acknowledgements.FEED_TYPE})
# Feed types Amazon limits on top of createFeed's own bucket: (feeds, per Amazon seconds) per seller and
# region. JSON_LISTINGS_FEED: 5 per 5 minutes (issue 12's audit; public threads report QuotaExceeded on
# createFeed for this type well inside createFeed's own burst, amzn/selling-partner-api-models 4414).
FEED_TYPE_LIMITS = {JSON_LISTINGS_FEED: (5, 300.0)}
JSON_REPORT = "application/json; charset=UTF-8"


@operation(MODEL, "createFeedDocument")
def create_feed_document(ctx: OperationContext) -> tuple[int, dict]:
    """A feed document id and a presigned upload URL for its contents."""
    content_type = ctx.body["contentType"].strip()
    if not content_type:
        raise ApiError(400, "InvalidInput", "contentType must not be empty.")
    document_id = new_document_id(FEED_INPUT, seller_region(ctx.store, ctx.seller_id))
    now = ctx.now
    create_document(
        ctx.store,
        document_id=document_id,
        seller_id=ctx.seller_id,
        kind=FEED_INPUT,
        content_type=content_type,
        now=now,
    )
    url = presigned_url(ctx.store, ctx.base_url, f"/documents/feed/{document_id}", document_id, "PUT", now)
    return 201, {"feedDocumentId": document_id, "url": url}


@bp.put("/documents/feed/<document_id>")
def upload_feed_document(document_id: str) -> Response:
    """Receive the feed bytes (S3-style: no SP-API headers, presigned URL only)."""
    sandbox = current()
    row = get_document(sandbox.store, document_id)
    if row is None or row["kind"] != FEED_INPUT:
        return no_such_key()
    denied = check_presigned(sandbox.store, document_id, "PUT", sandbox.clock.now())
    if denied is not None:
        return denied
    sandbox.store.execute(
        "UPDATE documents SET body = ? WHERE document_id = ?", (request.get_data(), document_id)
    )
    return Response(b"", status=200, headers={"ETag": f'"{secrets.token_hex(16)}"'})


@bp.get("/documents/feed/<document_id>")
def download_feed_document(document_id: str) -> Response:
    """The bytes of a feed document or processing report behind a presigned URL."""
    return serve_document(document_id)


@operation(MODEL, "createFeed")
def create_feed(ctx: OperationContext) -> tuple[int, dict]:
    """Queue a feed for processing."""
    body = ctx.body
    feed_type = body["feedType"]
    if feed_type not in PROCESSED_FEED_TYPES and feed_type not in RETIRED_FEED_TYPES:
        raise ApiError(400, "InvalidInput", f"Invalid feedType: {feed_type}.")
    marketplace_ids = list(dict.fromkeys(body["marketplaceIds"]))
    processing.check_marketplaces(ctx.store, ctx.seller_id, marketplace_ids)
    if feed_type == JSON_LISTINGS_FEED and len(marketplace_ids) != 1:
        raise ApiError(400, "InvalidInput", "JSON_LISTINGS_FEED accepts exactly one marketplaceId.")
    document = get_document(ctx.store, body["inputFeedDocumentId"], ctx.seller_id)
    if document is None or document["kind"] != FEED_INPUT:
        raise ApiError(400, "InvalidInput", f"Invalid inputFeedDocumentId: {body['inputFeedDocumentId']}.")
    _check_feed_type_limit(ctx, feed_type)
    feed_id = processing.new_processing_id()
    ctx.store.execute(
        "INSERT INTO feeds (feed_id, seller_id, feed_type, marketplace_ids, input_document_id, feed_options, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            feed_id,
            ctx.seller_id,
            feed_type,
            json.dumps(marketplace_ids),
            body["inputFeedDocumentId"],
            json.dumps(body.get("feedOptions") or {}),
            ctx.now,
        ),
    )
    return 202, {"feedId": feed_id}


def _check_feed_type_limit(ctx: OperationContext, feed_type: str) -> None:
    """Answer 429 when the seller already created this feed type's allowance within its window."""
    if feed_type not in FEED_TYPE_LIMITS or not ctx.sandbox.settings["SANDBOX_RATE_LIMITS"]:
        return
    allowed, window = FEED_TYPE_LIMITS[feed_type]
    recent = ctx.store.one(
        "SELECT COUNT(*) AS n FROM feeds WHERE seller_id = ? AND feed_type = ? AND created_at > ?",
        (ctx.seller_id, feed_type, ctx.now - window),
    )["n"]
    if recent >= allowed:
        raise ApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")


def _describe(ctx: OperationContext, row: sqlite3.Row) -> dict[str, Any]:
    """The Feed object at this Amazon moment; processes the feed when it is due."""
    created = row["created_at"]
    started, due = created + QUEUE_SECONDS, created + QUEUE_SECONDS + PROCESSING_SECONDS
    feed: dict[str, Any] = {
        "feedId": row["feed_id"],
        "feedType": row["feed_type"],
        "marketplaceIds": json.loads(row["marketplace_ids"]),
        "createdTime": iso(created),
    }
    if row["cancelled_at"] is not None:
        return {**feed, "processingStatus": "CANCELLED", "processingEndTime": iso(row["cancelled_at"])}
    now = ctx.now
    if now < started:
        return {**feed, "processingStatus": "IN_QUEUE"}
    if row["final_status"] is None and (now < due or is_stuck(ctx.store, "createFeed")):
        return {**feed, "processingStatus": "IN_PROGRESS", "processingStartTime": iso(started)}
    if row["final_status"] is None:
        row = _finish(ctx, row)
    feed.update(
        processingStatus=row["final_status"],
        processingStartTime=iso(started),
        processingEndTime=iso(row["processing_end"]),
    )
    if row["result_document_id"]:
        feed["resultFeedDocumentId"] = row["result_document_id"]
    return feed


def _finish(ctx: OperationContext, row: sqlite3.Row) -> sqlite3.Row:
    """Process the feed once (see processing.finish_once)."""
    return processing.finish_once(ctx, FEEDS, row, lambda conn, fresh: _process(ctx, conn, fresh))


def _process(ctx: OperationContext, conn: sqlite3.Connection, fresh: sqlite3.Row) -> None:
    """Process the feed's input and store its processing report as the result document."""
    document = conn.execute(
        "SELECT * FROM documents WHERE document_id = ?", (fresh["input_document_id"],)
    ).fetchone()
    now = ctx.now
    raw = bytes(document["body"]) if document["body"] is not None else None
    report_type = JSON_REPORT
    if fresh["feed_type"] == JSON_LISTINGS_FEED:
        outcome = feed_processing.process(
            conn,
            seller_id=fresh["seller_id"],
            feed_id=fresh["feed_id"],
            marketplace_id=json.loads(fresh["marketplace_ids"])[0],
            raw=raw,
            content_type=document["content_type"],
            now=now,
            image_base=ctx.base_url,
        )
        status, body = outcome.status, json.dumps(outcome.report, ensure_ascii=False).encode("utf-8")
    elif fresh["feed_type"] == order_acknowledgements.FEED_TYPE:
        acked = order_acknowledgements.process(
            conn, seller_id=fresh["seller_id"], feed_id=fresh["feed_id"], raw=raw, now=now
        )
        status, body, report_type = acked.status, acked.report, order_acknowledgements.REPORT_CONTENT_TYPE
    else:
        status = "FATAL"
        body = json.dumps(_retired_report(fresh), ensure_ascii=False).encode("utf-8")
    result_id = new_document_id(FEED_RESULT, seller_region(ctx.store, fresh["seller_id"]))
    create_document(
        conn,
        document_id=result_id,
        seller_id=fresh["seller_id"],
        kind=FEED_RESULT,
        content_type=report_type,
        now=now,
        body=body,
    )
    conn.execute(
        "UPDATE feeds SET final_status = ?, result_document_id = ?, processing_end = ? WHERE feed_id = ?",
        (status, result_id, now, fresh["feed_id"]),
    )


def _retired_report(row: sqlite3.Row) -> dict[str, Any]:
    message = (
        f"The {row['feed_type']} feed type is no longer supported for listings (since 2025-07-31). "
        "Use JSON_LISTINGS_FEED or the Listings Items API."
    )
    return {
        "header": {"sellerId": row["seller_id"], "version": "2.0", "feedId": row["feed_id"]},
        "issues": [{"code": feed_processing.FATAL_CODE, "severity": "ERROR", "message": message}],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        },
    }


FEEDS = processing.Processed(table="feeds", key_column="feed_id", noun="Feed", describe=_describe)


@operation(MODEL, "getFeed")
def get_feed(ctx: OperationContext) -> tuple[int, dict]:
    """The feed's processing status (and result document once finished)."""
    return 200, _describe(ctx, processing.load(ctx, FEEDS, ctx.params["feedId"]))


@operation(MODEL, "getFeeds")
def get_feeds(ctx: OperationContext) -> tuple[int, dict]:
    """The seller's feeds filtered by type, status, marketplace and creation time, newest first."""
    params, offset, page_size = list_request(ctx.params, "feedTypes")
    now = ctx.now
    try:
        since = parse_iso(params["createdSince"]) if params.get("createdSince") else now - RETENTION_SECONDS
        until = parse_iso(params["createdUntil"]) if params.get("createdUntil") else now
    except ValueError as exc:
        raise ApiError(
            400, "InvalidInput", "createdSince and createdUntil must be ISO 8601 date-times."
        ) from exc
    matches = processing.matching(
        ctx, FEEDS, params, since, until, lambda row: row["feed_type"] in params["feedTypes"]
    )
    return 200, list_page(matches, "feeds", params, offset, page_size)


@operation(MODEL, "cancelFeed")
def cancel_feed(ctx: OperationContext) -> tuple[int, None]:
    """Cancel a feed that is still IN_QUEUE."""
    return processing.cancel(ctx, FEEDS, ctx.params["feedId"])


@operation(MODEL, "getFeedDocument")
def get_feed_document(ctx: OperationContext) -> tuple[int, dict]:
    """A presigned download URL (valid 5 Amazon minutes) for one of the seller's feed documents."""
    return document_link(
        ctx,
        ctx.params["feedDocumentId"],
        (FEED_INPUT, FEED_RESULT),
        "Feed document",
        "feedDocumentId",
        "/documents/feed",
    )
