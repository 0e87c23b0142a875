"""The Order Acknowledgement feed (``POST_ORDER_ACKNOWLEDGEMENT_DATA``) on "Amazon's side".

Amazon's order feeds are XML documents: an ``AmazonEnvelope`` with a ``Header``, ``MessageType``
``OrderAcknowledgement`` and one ``Message`` per order (``MessageID``, then ``OrderAcknowledgement`` with
``AmazonOrderID``, optional ``MerchantOrderID`` of at most 64 characters, ``StatusCode`` Success or
Failure). Success records the seller's order id against the order (what v0 getOrder shows as
``SellerOrderId``); Failure tells Amazon the seller cannot process the order, and Amazon cancels it.
The processing report is Amazon's XML ``ProcessingReport``: a summary and one ``Result`` per message
with an error or warning. A document that is not XML at all ends the feed FATAL.
Sources: the OrderAcknowledgement.xsd message layout and the "Order Feed Type Values" page of the
SP-API documentation.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from xml.etree import ElementTree

from sandbox.db import Store, register_schema
from sandbox.order_store import CANCELLED, PENDING, UNSHIPPED

FEED_TYPE = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
REPORT_CONTENT_TYPE = "text/xml; charset=UTF-8"
MERCHANT_ORDER_ID_MAX = 64

register_schema(
    """
CREATE TABLE IF NOT EXISTS order_acknowledgements (
    order_id TEXT PRIMARY KEY, seller_order_id TEXT, status_code TEXT NOT NULL, feed_id TEXT NOT NULL,
    acknowledged_at REAL NOT NULL
)
""",
    data_tables=("order_acknowledgements",),
)

# Amazon's result message codes for the cases the sandbox reproduces.
XML_PARSE_ERROR = "5000"
INVALID_VALUE = "8001"
ORDER_NOT_FOUND = "25"
ORDER_NOT_OPEN = "18028"


@dataclass
class Result:
    """One message's error or warning in the processing report."""

    message_id: str
    code: str
    description: str
    order_id: str | None = None
    severity: str = "Error"


@dataclass
class AckOutcome:
    """The feed's final status and its XML processing report."""

    status: str
    report: bytes
    processed: int = 0
    results: list[Result] = field(default_factory=list)


def seller_order_id(store: Store, order_id: str) -> str | None:
    """The seller order id a Success acknowledgement recorded for the order, if any."""
    row = store.one(
        "SELECT seller_order_id FROM order_acknowledgements WHERE order_id = ? AND status_code = 'Success'",
        (order_id,),
    )
    return row["seller_order_id"] if row else None


def _text(node: ElementTree.Element | None, tag: str) -> str:
    found = node.find(tag) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _report(seller_id: str, feed_id: str, processed: int, results: list[Result]) -> bytes:
    envelope = ElementTree.Element("AmazonEnvelope")
    header = ElementTree.SubElement(envelope, "Header")
    ElementTree.SubElement(header, "DocumentVersion").text = "1.02"
    ElementTree.SubElement(header, "MerchantIdentifier").text = seller_id
    ElementTree.SubElement(envelope, "MessageType").text = "ProcessingReport"
    message = ElementTree.SubElement(envelope, "Message")
    ElementTree.SubElement(message, "MessageID").text = "1"
    report = ElementTree.SubElement(message, "ProcessingReport")
    ElementTree.SubElement(report, "DocumentTransactionID").text = feed_id
    ElementTree.SubElement(report, "StatusCode").text = "Complete"
    summary = ElementTree.SubElement(report, "ProcessingSummary")
    errors = {r.message_id for r in results if r.severity == "Error"}
    warnings = {r.message_id for r in results if r.severity == "Warning"} - errors
    ElementTree.SubElement(summary, "MessagesProcessed").text = str(processed)
    ElementTree.SubElement(summary, "MessagesSuccessful").text = str(max(processed - len(errors), 0))
    ElementTree.SubElement(summary, "MessagesWithError").text = str(len(errors))
    ElementTree.SubElement(summary, "MessagesWithWarning").text = str(len(warnings))
    for item in results:
        node = ElementTree.SubElement(report, "Result")
        ElementTree.SubElement(node, "MessageID").text = item.message_id
        ElementTree.SubElement(node, "ResultCode").text = item.severity
        ElementTree.SubElement(node, "ResultMessageCode").text = item.code
        ElementTree.SubElement(node, "ResultDescription").text = item.description
        if item.order_id:
            info = ElementTree.SubElement(node, "AdditionalInfo")
            ElementTree.SubElement(info, "AmazonOrderID").text = item.order_id
    return ElementTree.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _apply(
    conn: sqlite3.Connection, seller_id: str, feed_id: str, message: ElementTree.Element, now: float
) -> Result | None:
    """Apply one message; returns its error, or None when it was accepted."""
    message_id = _text(message, "MessageID") or "?"
    ack = message.find("OrderAcknowledgement")
    order_id = _text(ack, "AmazonOrderID")
    seller_order_id = _text(ack, "MerchantOrderID") or None
    status_code = _text(ack, "StatusCode")
    if ack is None or not order_id:
        return Result(message_id, INVALID_VALUE, "The message has no OrderAcknowledgement/AmazonOrderID.")
    if status_code not in ("Success", "Failure"):
        return Result(
            message_id,
            INVALID_VALUE,
            f"The value '{status_code}' is not valid for StatusCode: use Success or Failure.",
            order_id,
        )
    if seller_order_id and len(seller_order_id) > MERCHANT_ORDER_ID_MAX:
        return Result(
            message_id,
            INVALID_VALUE,
            f"MerchantOrderID is longer than {MERCHANT_ORDER_ID_MAX} characters.",
            order_id,
        )
    order = conn.execute(
        "SELECT status FROM orders WHERE order_id = ? AND seller_id = ? AND fulfilled_by = 'MERCHANT'",
        (order_id, seller_id),
    ).fetchone()
    if order is None:
        return Result(
            message_id, ORDER_NOT_FOUND, f"The order id {order_id} was not found for this seller.", order_id
        )
    if order["status"] not in (PENDING, UNSHIPPED):
        return Result(
            message_id,
            ORDER_NOT_OPEN,
            f"Order {order_id} is {order['status'].lower()} and can no longer be acknowledged.",
            order_id,
        )
    conn.execute(
        "INSERT OR REPLACE INTO order_acknowledgements "
        "(order_id, seller_order_id, status_code, feed_id, acknowledged_at) VALUES (?, ?, ?, ?, ?)",
        (order_id, seller_order_id, status_code, feed_id, now),
    )
    if status_code == "Failure":
        conn.execute(
            "UPDATE orders SET status = ?, updated_at = ? WHERE order_id = ?", (CANCELLED, now, order_id)
        )
    return None


def process(
    conn: sqlite3.Connection, *, seller_id: str, feed_id: str, raw: bytes | None, now: float
) -> AckOutcome:
    """Process an Order Acknowledgement feed document inside the feed's transaction."""
    try:
        root = ElementTree.fromstring(raw or b"")
    except ElementTree.ParseError as error:
        results = [Result("0", XML_PARSE_ERROR, f"XML Parsing Fatal Error: {error}")]
        return AckOutcome("FATAL", _report(seller_id, feed_id, 0, results), 0, results)
    if root.tag != "AmazonEnvelope" or _text(root, "MessageType") != "OrderAcknowledgement":
        results = [
            Result(
                "0",
                XML_PARSE_ERROR,
                "The document is not an AmazonEnvelope of MessageType OrderAcknowledgement.",
            )
        ]
        return AckOutcome("FATAL", _report(seller_id, feed_id, 0, results), 0, results)
    messages = root.findall("Message")
    results = [r for m in messages if (r := _apply(conn, seller_id, feed_id, m, now)) is not None]
    return AckOutcome("DONE", _report(seller_id, feed_id, len(messages), results), len(messages), results)
