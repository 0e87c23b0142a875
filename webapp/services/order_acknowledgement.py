"""Order acknowledgement: tell Amazon our order number for each new merchant order.

Orders 2026-01-01 has no write operation, and Orders v0 has none that sets a seller order id; Amazon's
supported mechanism is the Order Acknowledgement feed (feed type ``POST_ORDER_ACKNOWLEDGEMENT_DATA``,
an XML ``AmazonEnvelope`` of ``OrderAcknowledgement`` messages: ``AmazonOrderID``, ``MerchantOrderID``
of at most 64 characters, ``StatusCode`` Success; see the SP-API "Order Feed Type Values" page and
OrderAcknowledgement.xsd). Amazon answers with an XML ``ProcessingReport`` listing the messages that
failed. We only ever send Success: Failure would make Amazon cancel the order.

This module builds the document, reads the report, and records the outcome; the Get Orders job
(``jobs.order_acknowledgement``) submits and polls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, Order
from webapp.models.order import FulfilledBy, OrderStatus

FEED_TYPE = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
CONTENT_TYPE = "text/xml; charset=UTF-8"
# Statuses Amazon accepts an acknowledgement for: the order is not shipped or cancelled yet.
ACKNOWLEDGEABLE = (OrderStatus.PENDING, OrderStatus.UNSHIPPED)
# Orders per feed: well under Amazon's feed size limits, and one feed covers any realistic Get Orders run.
MAX_PER_FEED = 10_000


@dataclass(frozen=True)
class Rejection:
    """One order Amazon did not accept, with its result code and Amazon's description."""

    amazon_order_id: str
    code: str
    description: str


@dataclass
class AcknowledgementReport:
    """What the processing report says: how many messages Amazon processed and which were rejected."""

    processed: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def due_orders(channel: Channel, limit: int = MAX_PER_FEED) -> list[Order]:
    """The channel's open merchant orders not acknowledged yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(
                Order.channel_id == channel.id,
                Order.fulfilled_by == FulfilledBy.MERCHANT,
                Order.status.in_([s.value for s in ACKNOWLEDGEABLE]),
                Order.acknowledged_at.is_(None),
            )
            .order_by(Order.purchased_at, Order.id)
            .limit(limit)
        )
    )


def build_document(merchant_identifier: str, orders: Sequence[Order]) -> bytes:
    """The feed document: message ``i`` (1-based) acknowledges ``orders[i - 1]`` with our order number."""
    envelope = ElementTree.Element("AmazonEnvelope")
    header = ElementTree.SubElement(envelope, "Header")
    ElementTree.SubElement(header, "DocumentVersion").text = "1.01"
    ElementTree.SubElement(header, "MerchantIdentifier").text = merchant_identifier
    ElementTree.SubElement(envelope, "MessageType").text = "OrderAcknowledgement"
    for number, order in enumerate(orders, start=1):
        message = ElementTree.SubElement(envelope, "Message")
        ElementTree.SubElement(message, "MessageID").text = str(number)
        ack = ElementTree.SubElement(message, "OrderAcknowledgement")
        ElementTree.SubElement(ack, "AmazonOrderID").text = order.amazon_order_id
        ElementTree.SubElement(ack, "MerchantOrderID").text = order.order_number
        ElementTree.SubElement(ack, "StatusCode").text = "Success"
    return ElementTree.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _text(node: ElementTree.Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def parse_report(text: str, orders: Sequence[Order]) -> AcknowledgementReport:
    """Read Amazon's XML processing report for a document built from ``orders``.

    Error results name their message id (and usually the Amazon order id); warnings do not reject.
    Python's parser resolves no external entities, so a hostile document cannot read files.

    Raises:
        ValueError: the report is not XML or not a processing report.
    """
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ValueError(f"the processing report is not XML ({error})") from error
    report = root.find("Message/ProcessingReport")
    if report is None:
        raise ValueError("the document is not an Amazon processing report")
    by_message = {str(number): order.amazon_order_id for number, order in enumerate(orders, start=1)}
    rejections = []
    for result in report.findall("Result"):
        if _text(result, "ResultCode") != "Error":
            continue
        order_id = by_message.get(_text(result, "MessageID")) or _text(result, "AdditionalInfo/AmazonOrderID")
        rejections.append(
            Rejection(order_id, _text(result, "ResultMessageCode"), _text(result, "ResultDescription"))
        )
    processed = _text(report, "ProcessingSummary/MessagesProcessed")
    return AcknowledgementReport(int(processed) if processed.isdigit() else 0, rejections)


def record(orders: Sequence[Order], report: AcknowledgementReport, when: datetime) -> list[Order]:
    """Set ``acknowledged_at`` on every order Amazon did not reject; returns those orders.

    Only when Amazon processed every message: a report that processed fewer proves nothing for the rest.
    """
    if report.processed < len(orders):
        return []
    rejected = {r.amazon_order_id for r in report.rejections}
    accepted = [order for order in orders if order.amazon_order_id not in rejected]
    for order in accepted:
        order.acknowledged_at = when
    return accepted
