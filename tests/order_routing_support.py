"""Helpers for the routing tests: sources (compliant or not) and their stock, written in the database."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, Order, OrderItem, Source, SourceItem


def make_source(account_id: int, name: str, compliant: bool) -> Source:
    """A source of ``account_id``, marked compliant with Amazon's Business Solutions Agreement or not."""
    source = Source(account_id=account_id, name=name, bsa_compliant=compliant)
    db.session.add(source)
    db.session.commit()
    return source


def stock(source: Source, sku: str, quantity: int, cost: str | None = None) -> SourceItem:
    """``quantity`` of ``sku`` at ``source`` (at ``cost``)."""
    item = SourceItem(
        account_id=source.account_id,
        source_id=source.id,
        sku=sku,
        quantity=quantity,
        cost=Decimal(cost) if cost is not None else None,
    )
    db.session.add(item)
    db.session.commit()
    return item


def stock_compliantly(channel: Channel, sku: str, quantity: int) -> SourceItem:
    """``quantity`` of ``sku`` at a compliant source of the channel's account (made on first use)."""
    source = db.session.scalar(
        sa.select(Source).where(Source.account_id == channel.account_id, Source.name == "Compliant supply")
    )
    source = source or make_source(channel.account_id, "Compliant supply", compliant=True)
    return stock(source, sku, quantity)


def routed_sources(order: Order) -> dict[str, int | None]:
    """``{SKU: routed source id}`` of the order's items, as committed now."""
    db.session.rollback()
    items = db.session.scalars(sa.select(OrderItem).where(OrderItem.order_id == order.id))
    return {item.sku: item.routed_source_id for item in items}
