"""Report and feed documents: stored bytes plus S3-like presigned URLs served by the sandbox itself.

Amazon hands out presigned S3 URLs that need no SP-API headers and expire after 5 minutes. Here a
URL carries its Amazon-time expiry and an HMAC over (document id, verb, expiry) made with a secret
kept in the database, so any server process can check it. An expired or tampered URL gets S3's
`403 AccessDenied` XML answer, which is what a client that waits too long sees on Amazon.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Response, request

from sandbox.clock import iso
from sandbox.db import Store, register_schema
from sandbox.errors import ApiError
from sandbox.state import current

if TYPE_CHECKING:
    from sandbox.operations import OperationContext

register_schema(
    """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, kind TEXT NOT NULL, content_type TEXT NOT NULL,
    compression TEXT, body BLOB, created_at REAL NOT NULL
)
""",
    data_tables=("documents",),
)

URL_LIFETIME = 300.0
"""Amazon seconds a presigned document URL stays valid (Amazon: 5 minutes)."""

REPORT_DOCUMENT, FEED_INPUT, FEED_RESULT = "report", "feed-input", "feed-result"


def new_document_id(kind: str, region: str) -> str:
    """An Amazon-looking document id (`amzn1.spdoc...` for reports, `amzn1.tortuga...` for feeds)."""
    token = uuid.uuid4().hex.upper()
    if kind == REPORT_DOCUMENT:
        return f"amzn1.spdoc.1.4.{region}.{uuid.uuid4()}.T{token[:14]}.{secrets.randbelow(9000) + 1000}"
    return f"amzn1.tortuga.4.{region}.{uuid.uuid4()}.T{token[:14]}"


def create_document(
    conn: sqlite3.Connection | Store,
    *,
    document_id: str,
    seller_id: str,
    kind: str,
    content_type: str,
    now: float,
    body: bytes | None = None,
    compression: str | None = None,
) -> None:
    """Insert a document row (feed inputs start without a body until the upload arrives)."""
    conn.execute(
        "INSERT INTO documents (document_id, seller_id, kind, content_type, compression, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (document_id, seller_id, kind, content_type, compression, body, now),
    )


def get_document(store: Store, document_id: str, seller_id: str | None = None) -> sqlite3.Row | None:
    """A document row, optionally only if it belongs to `seller_id`."""
    row = store.one("SELECT * FROM documents WHERE document_id = ?", (document_id,))
    if row is None or (seller_id is not None and row["seller_id"] != seller_id):
        return None
    return row


def _secret(store: Store) -> bytes:
    value = store.get_meta("documents.url_secret")
    if value is None:
        store.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('documents.url_secret', ?)",
            (secrets.token_hex(32),),
        )
        value = store.get_meta("documents.url_secret")
    return bytes.fromhex(value or "")


def _signature(store: Store, document_id: str, verb: str, expires: int) -> str:
    message = f"{document_id}\n{verb}\n{expires}".encode()
    return hmac.new(_secret(store), message, hashlib.sha256).hexdigest()


def presigned_url(store: Store, base_url: str, route: str, document_id: str, verb: str, now: float) -> str:
    """A URL for `verb` (GET or PUT) on `route` (e.g. `/documents/report/<id>`) valid for URL_LIFETIME."""
    expires = int(now + URL_LIFETIME)
    query = urlencode(
        {
            "X-Amz-Date": iso(now).replace("-", "").replace(":", ""),
            "X-Amz-Expires": str(int(URL_LIFETIME)),
            "Expires": str(expires),
            "X-Amz-Signature": _signature(store, document_id, verb, expires),
        }
    )
    return f"{base_url}{route}?{query}"


def check_presigned(store: Store, document_id: str, verb: str, now: float) -> Response | None:
    """None if the current request carries a valid, unexpired URL for this document; else S3's 403."""
    try:
        expires = int(request.args.get("Expires", ""))
    except ValueError:
        return access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
        )
    expected = _signature(store, document_id, verb, expires)
    if not hmac.compare_digest(expected, request.args.get("X-Amz-Signature", "")):
        return access_denied("The request signature we calculated does not match the signature you provided.")
    if now > expires:
        return access_denied("Request has expired")
    return None


def access_denied(message: str) -> Response:
    """S3's XML `AccessDenied` error (what an expired presigned URL answers)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body, status=403, mimetype="application/xml")


def no_such_key() -> Response:
    """S3's XML `NoSuchKey` error."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
    )
    return Response(body, status=404, mimetype="application/xml")


def document_link(
    ctx: OperationContext, document_id: str, kinds: Collection[str], noun: str, id_key: str, route: str
) -> tuple[int, dict[str, Any]]:
    """getFeedDocument / getReportDocument: a presigned GET URL (valid URL_LIFETIME) for a seller's document.

    `kinds` are the document kinds the operation may hand out; any other, or another seller's document,
    is 404 NotFound (`<noun> <id> was not found.`). `route` is the download path, e.g. `/documents/feed`.
    """
    row = get_document(ctx.store, document_id, ctx.seller_id)
    if row is None or row["kind"] not in kinds:
        raise ApiError(404, "NotFound", f"{noun} {document_id} was not found.")
    url = presigned_url(ctx.store, ctx.base_url, f"{route}/{document_id}", document_id, "GET", ctx.now)
    body: dict[str, Any] = {id_key: document_id, "url": url}
    if row["compression"]:
        body["compressionAlgorithm"] = row["compression"]
    return 200, body


def serve_document(document_id: str, kinds: Collection[str] | None = None) -> Response:
    """The stored bytes behind a presigned GET URL (S3-style: no SP-API headers).

    With `kinds`, a document of another kind answers NoSuchKey as if it did not exist.
    """
    sandbox = current()
    row = get_document(sandbox.store, document_id)
    if row is None or (kinds is not None and row["kind"] not in kinds):
        return no_such_key()
    denied = check_presigned(sandbox.store, document_id, "GET", sandbox.clock.now())
    if denied is not None:
        return denied
    return Response(bytes(row["body"] or b""), status=200, content_type=row["content_type"])


def seller_region(store: Store, seller_id: str) -> str:
    """The seller's region code (`na`, `eu`, `fe`) for document ids."""
    row = store.one("SELECT region FROM sellers WHERE seller_id = ?", (seller_id,))
    return row["region"] if row else "na"
