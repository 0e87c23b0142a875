"""JSON_LISTINGS_FEED processing: validate the document, apply each message, write the processing report.

The document is checked against listings-feed-schema-v2.json. Problems outside `messages[i]` (no
header, wrong version, not JSON, more than 25,000 messages, header for another seller) make the feed
FATAL with a report saying why. Each message is then checked against
listings-feed-message-schema-v2.json and applied through `sandbox.listing_rules`, the same code as
the Listings Items API: UPDATE = put, PARTIAL_UPDATE = patch with one replace per attribute,
PATCH = patch, DELETE = delete. A rejected message leaves its listing untouched.
The report follows listings-feed-processing-report-schema-v2.json.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from sandbox import listing_rules, listing_store
from sandbox.spec import MODELS_DIR

MAX_MESSAGES = 25000
"""Schema maxItems of `messages` (raised from 10,000 in May 2025)."""
SCHEMA_ISSUE_CODE = "4000001"
"""Code for a message that does not match the message schema."""
FATAL_CODE = "4000000"
"""Code for a document-level problem that stops the whole feed."""


@cache
def _validator(name: str) -> Draft7Validator:
    return Draft7Validator(json.loads((MODELS_DIR / name).read_text(encoding="utf-8")))


def document_validator() -> Draft7Validator:
    """Validator for a whole feed document (listings-feed-schema-v2.json)."""
    return _validator("listings-feed-schema-v2.json")


def message_validator() -> Draft7Validator:
    """Validator for one message (listings-feed-message-schema-v2.json)."""
    return _validator("listings-feed-message-schema-v2.json")


def report_validator() -> Draft7Validator:
    """Validator for the processing report (listings-feed-processing-report-schema-v2.json)."""
    return _validator("listings-feed-processing-report-schema-v2.json")


class FatalFeed(Exception):
    """The document cannot be processed at all; the message explains why."""


@dataclass
class Outcome:
    """Result of processing: final status and the processing report."""

    status: str
    report: dict[str, Any]
    issues: list[dict[str, Any]] = field(default_factory=list)


def _where(error: ValidationError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_path) if error.absolute_path else "the document root"


def _parse(raw: bytes, content_type: str) -> Any:
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        text = raw.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise FatalFeed(f"The feed document could not be decoded as {charset}: {exc}.") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FatalFeed(f"The feed document is not valid JSON: {exc}.") from exc


def check_document(document: Any, seller_id: str) -> None:
    """Raise FatalFeed for document-level problems; problems inside single messages are left for later."""
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        count = len(document["messages"])
        if count > MAX_MESSAGES:
            raise FatalFeed(f"The feed contains {count} messages; the maximum is {MAX_MESSAGES}.")
    for error in document_validator().iter_errors(document):
        path = list(error.absolute_path)
        if len(path) >= 2 and path[0] == "messages" and isinstance(path[1], int):
            continue
        raise FatalFeed(
            f"The feed document does not match the JSON_LISTINGS_FEED schema at {_where(error)}: "
            f"{error.message}."
        )
    if document["header"]["sellerId"] != seller_id:
        raise FatalFeed(
            f"The header sellerId '{document['header']['sellerId']}' does not match the seller "
            "that submitted the feed."
        )


def process(
    conn: sqlite3.Connection,
    *,
    seller_id: str,
    feed_id: str,
    marketplace_id: str,
    raw: bytes | None,
    content_type: str,
    now: float,
    image_base: str,
) -> Outcome:
    """Process a feed document inside the caller's transaction; returns DONE or FATAL with its report."""
    header: dict[str, Any] = {"sellerId": seller_id, "version": "2.0", "feedId": feed_id}
    try:
        if not raw:
            raise FatalFeed("The feed document is empty: nothing was uploaded to the feed document URL.")
        document = _parse(raw, content_type)
        check_document(document, seller_id)
    except FatalFeed as exc:
        issue = {"code": FATAL_CODE, "severity": "ERROR", "message": str(exc)}
        summary = {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        }
        return Outcome("FATAL", {"header": header, "issues": [issue], "summary": summary})
    report_spec = document["header"].get("report")
    if report_spec:
        header["report"] = report_spec
    issues: list[dict[str, Any]] = []
    accepted_skus: list[str] = []
    seen_ids: set[int] = set()
    invalid = 0
    for message in document["messages"]:
        problems, touched = _apply(conn, message, seen_ids, seller_id, marketplace_id, now)
        issues.extend(problems)
        if any(p["severity"] == "ERROR" for p in problems):
            invalid += 1
        elif touched:
            accepted_skus.append(touched)
        if isinstance(message, dict) and isinstance(message.get("messageId"), int):
            seen_ids.add(message["messageId"])
    processed = len(document["messages"])
    summary: dict[str, Any] = {
        "errors": sum(1 for i in issues if i["severity"] == "ERROR"),
        "warnings": sum(1 for i in issues if i["severity"] == "WARNING"),
        "messagesProcessed": processed,
        "messagesAccepted": processed - invalid,
        "messagesInvalid": invalid,
    }
    report: dict[str, Any] = {"header": header, "issues": issues, "summary": summary}
    if report_spec:
        items = _items(
            conn, seller_id, marketplace_id, accepted_skus, report_spec["includedData"], image_base
        )
        report["items"] = items
        item_issues = [i for item in items for i in item.get("issues", [])]
        summary["itemSummary"] = {
            "items": len(items),
            "errors": sum(1 for i in item_issues if i.get("severity") == "ERROR"),
            "warnings": sum(1 for i in item_issues if i.get("severity") == "WARNING"),
        }
    return Outcome("DONE", report, issues)


def _identity(message: Any) -> dict[str, Any]:
    """messageId and sku of a message for its issues, when they are usable."""
    ident: dict[str, Any] = {}
    if isinstance(message, dict):
        if isinstance(message.get("messageId"), int) and message["messageId"] >= 1:
            ident["messageId"] = message["messageId"]
        if isinstance(message.get("sku"), str) and message["sku"]:
            ident["sku"] = message["sku"]
    return ident


def _schema_issue(message: Any, error: ValidationError) -> dict[str, Any]:
    text = error.message
    if error.validator == "oneOf" and isinstance(message, dict):
        text = (
            f"The message does not fit operationType '{message.get('operationType')}': "
            "UPDATE and PARTIAL_UPDATE need productType and attributes, PATCH needs productType and patches, "
            "DELETE takes only sku."
        )
    where = _where(error)
    prefix = "" if where == "the document root" else f"{where}: "
    return {
        **_identity(message),
        "code": SCHEMA_ISSUE_CODE,
        "severity": "ERROR",
        "message": f"{prefix}{text}",
    }


def _apply(
    conn: sqlite3.Connection,
    message: Any,
    seen_ids: set[int],
    seller_id: str,
    marketplace_id: str,
    now: float,
) -> tuple[list[dict[str, Any]], str | None]:
    """Validate and apply one message; returns (its issues, the SKU if an item was written)."""
    error = best_match(message_validator().iter_errors(message))
    if error is not None:
        return [_schema_issue(message, error)], None
    ident = _identity(message)
    if message["messageId"] > 2147483647:
        return [
            {
                **ident,
                "code": SCHEMA_ISSUE_CODE,
                "severity": "ERROR",
                "message": "messageId must not be greater than 2147483647.",
            }
        ], None
    if message["messageId"] in seen_ids:
        return [
            {
                **ident,
                "code": SCHEMA_ISSUE_CODE,
                "severity": "ERROR",
                "message": f"messageId {message['messageId']} is used by more than one message.",
            }
        ], None
    operation, sku = message["operationType"], message["sku"]
    common = {"seller_id": seller_id, "marketplace_id": marketplace_id, "sku": sku, "now": now}
    if operation == "UPDATE":
        submission = listing_rules.submit_put(
            conn,
            product_type=message["productType"],
            requirements=message.get("requirements"),
            attributes=message["attributes"],
            **common,
        )
    elif operation == "PARTIAL_UPDATE":
        patches = [
            {"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in message["attributes"].items()
        ]
        submission = listing_rules.submit_patch(
            conn, product_type=message["productType"], patches=patches, **common
        )
    elif operation == "PATCH":
        submission = listing_rules.submit_patch(
            conn, product_type=message["productType"], patches=message["patches"], **common
        )
    else:
        submission = listing_rules.submit_delete(conn, **common)
    if submission.status != "ACCEPTED":
        return [_report_issue(ident, i) for i in submission.issues], None
    return [], (None if operation == "DELETE" else sku)


def _report_issue(ident: dict[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
    result = {
        **ident,
        "code": str(issue.get("code") or SCHEMA_ISSUE_CODE),
        "severity": issue["severity"],
        "message": issue["message"],
    }
    if issue.get("attributeNames"):
        result["attributeName"] = issue["attributeNames"][0]
    return result


def _items(
    conn: sqlite3.Connection,
    seller_id: str,
    marketplace_id: str,
    skus: list[str],
    included: list[str],
    image_base: str,
) -> list[dict[str, Any]]:
    items = []
    for sku in dict.fromkeys(skus):
        rows = listing_store.get_rows(conn, seller_id, sku, [marketplace_id])
        if not rows:
            continue
        catalog = {}
        if rows[0]["asin"]:
            row = conn.execute("SELECT * FROM catalog_items WHERE asin = ?", (rows[0]["asin"],)).fetchone()
            if row is not None:
                catalog[row["asin"]] = row
        items.append(listing_store.render_item(rows, included, catalog, image_base))
    return items
