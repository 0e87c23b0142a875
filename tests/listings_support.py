"""Helpers for the listings tests: channels, listings and variants written directly in the database."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from tests.channels_support import make_connection
from webapp.extensions import db
from webapp.models import (
    Account,
    Channel,
    Connection,
    IntegrationRun,
    Listing,
    ListingVariant,
    RunKind,
    User,
    VariantStatus,
)


def make_channel(account_id: int, name: str = "Amazon US", fulfillment: str = "DEFAULT") -> Channel:
    """A channel of ``account_id`` on its connection (made on first use)."""
    connection = db.session.scalar(sa.select(Connection).where(Connection.account_id == account_id))
    connection = connection or make_connection(account_id, name=f"{name} connection")
    channel = Channel(
        account_id=account_id,
        connection_id=connection.id,
        name=name,
        marketplace_id=connection.marketplace_id,
    )
    channel.fulfillment_channel = fulfillment
    db.session.add(channel)
    db.session.commit()
    return channel


def add_variant(channel: Channel, sku: str, **fields) -> ListingVariant:
    """A listing with one variant ``sku`` on ``channel`` (``fields`` set on the variant)."""
    listing = Listing(
        account_id=channel.account_id, channel_id=channel.id, sku=sku, title=fields.get("title", "")
    )
    db.session.add(listing)
    db.session.flush()
    values = {"title": f"Title of {sku}", "status": VariantStatus.LINKED.value, **fields}
    if "price" in values and values["price"] is not None:
        values["price"] = Decimal(str(values["price"]))
    variant = ListingVariant(
        account_id=channel.account_id, channel_id=channel.id, listing_id=listing.id, sku=sku, **values
    )
    db.session.add(variant)
    db.session.commit()
    return variant


def other_account() -> Account:
    """A second account (no user of it is signed in)."""
    account = Account(name="Other Goods")
    db.session.add(account)
    db.session.commit()
    return account


def account_id_of(email: str = "seller@example.com") -> int:
    """The account of a registered user."""
    return db.session.scalar(sa.select(User.account_id).where(User.email == email))


def runs_of(kind: RunKind) -> list[IntegrationRun]:
    """Every run of ``kind``, oldest first, as committed now."""
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(IntegrationRun).where(IntegrationRun.kind == kind.value).order_by(IntegrationRun.id)
        )
    )
