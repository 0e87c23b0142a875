"""Helpers for the Link and Sync listings tests: a sandbox on a fast clock (a fixture), the demo seller
connected for real, its offers as the sandbox holds them, runs started and worked, and checks of what
was sent against Amazon's schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from jsonschema import Draft7Validator

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.amazon.models import MODELS
from tests.listings_support import add_variant
from tests.runs_support import fresh, work
from webapp.extensions import db
from webapp.models import (
    Account,
    Channel,
    Connection,
    IntegrationRun,
    ListingVariant,
    MappingRule,
    RunKind,
    Source,
    SourceItem,
    TemplatePurpose,
)
from webapp.services.mapping_engine import PRICE, ensure_template
from webapp.services.runs import start_run

US = "ATVPDKIKX0DER"
# 1 real second = 300 Amazon seconds: reports (3 min) and feeds (2.5 min) finish in about a second.
FAST_SANDBOX = {"SANDBOX_TIME_SCALE": 300}


@pytest.fixture
def fast_sandbox() -> Iterator[SandboxServer]:
    """A seeded sandbox on a fast clock."""
    with SandboxServer(FAST_SANDBOX) as server:
        yield server


def demo_channel(sandbox: SandboxServer, account_id: int | None = None) -> Channel:
    """The demo seller connected (a real refresh token) with a US channel, in ``account_id`` or a new
    account."""
    if account_id is None:
        account = Account(name="Acme Goods")
        db.session.add(account)
        db.session.flush()
        account_id = account.id
    connection = Connection(
        account_id=account_id,
        name="Demo seller",
        selling_partner_id=DEMO_SELLER_ID,
        marketplace_id=US,
        region="na",
        refresh_token=sandbox.authorize()["refresh_token"],
    )
    db.session.add(connection)
    db.session.flush()
    channel = Channel(account_id=account_id, connection_id=connection.id, name="Amazon US", marketplace_id=US)
    db.session.add(channel)
    db.session.commit()
    return channel


def amazon_offers(sandbox: SandboxServer, fba: bool | None = None) -> list[dict]:
    """The demo seller's US offers as the sandbox holds them now (by SKU), optionally FBM or FBA only."""
    rows = sandbox.sandbox.store.all(
        "SELECT sku, asin, price, quantity, fulfillment_channel, attributes FROM listings "
        "WHERE seller_id = ? AND marketplace_id = ? ORDER BY sku",
        (DEMO_SELLER_ID, US),
    )
    offers = [dict(row) for row in rows if row["price"] is not None]
    if fba is not None:
        offers = [o for o in offers if (o["fulfillment_channel"] != "DEFAULT") == fba]
    return offers


def amazon_offer(sandbox: SandboxServer, sku: str) -> dict | None:
    """One offer as the sandbox holds it now (None when the SKU is not on Amazon)."""
    row = sandbox.sandbox.store.one(
        "SELECT sku, asin, price, quantity, fulfillment_channel, attributes FROM listings "
        "WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (DEMO_SELLER_ID, US, sku),
    )
    return dict(row) if row is not None else None


def add_linked(channel: Channel, offer: dict, **fields) -> ListingVariant:
    """A variant Linked to ``offer`` with Amazon's values as pushed ones (what Link listings records)."""
    values = {
        "asin": offer["asin"],
        "fulfillment_channel": offer["fulfillment_channel"],
        "pushed_price": Decimal(str(offer["price"])),
        "pushed_quantity": offer["quantity"] if offer["fulfillment_channel"] == "DEFAULT" else None,
        **fields,
    }
    return add_variant(channel, offer["sku"], **values)


def give_source(variant: ListingVariant, cost: str, quantity: int) -> SourceItem:
    """A source item for ``variant`` (same SKU) with a supplier cost and quantity."""
    source = db.session.scalar(sa.select(Source).where(Source.account_id == variant.account_id))
    if source is None:
        source = Source(account_id=variant.account_id, name="Supplier")
        db.session.add(source)
        db.session.flush()
    item = SourceItem(
        account_id=variant.account_id,
        source_id=source.id,
        sku=variant.sku,
        cost=Decimal(cost),
        quantity=quantity,
    )
    db.session.add(item)
    db.session.flush()
    variant.source_item_id = item.id
    db.session.commit()
    return item


def price_from_listing_price(channel: Channel) -> None:
    """Make the channel's Sync template price each offer at the variant's own listing price."""
    template = ensure_template(channel.id, TemplatePurpose.SYNC)
    rule = db.session.scalar(
        sa.select(MappingRule).where(
            MappingRule.template_id == template.id, MappingRule.amazon_field == PRICE
        )
    )
    rule.mode, rule.field, rule.params = "field", "listing_price", {}
    db.session.commit()


def run_job(app, redis, channel: Channel, kind: RunKind, **params) -> IntegrationRun:
    """Start a run of ``kind`` on ``channel``, work the queue, return the finished run."""
    result = start_run(channel.account_id, kind, channel_id=channel.id, params=params)
    work(app, redis)
    return fresh(result.run.id)


def variant(variant_id: int) -> ListingVariant:
    """A variant as committed now."""
    db.session.rollback()
    return db.session.get(ListingVariant, variant_id)


def offer_price(attributes: str) -> float | None:
    """our_price of an offer's stored attributes (the sandbox keeps the JSON)."""
    for offer in json.loads(attributes).get("purchasable_offer") or []:
        for price in offer.get("our_price") or []:
            for entry in price.get("schedule") or []:
                return entry.get("value_with_tax")
    return None


@cache
def _feed_validators() -> tuple[Draft7Validator, Draft7Validator]:
    def load(name: str) -> Draft7Validator:
        return Draft7Validator(json.loads((Path(MODELS) / name).read_text(encoding="utf-8")))

    return load("listings-feed-schema-v2.json"), load("listings-feed-message-schema-v2.json")


def check_feed_document(body: bytes) -> dict:
    """Validate an uploaded JSON_LISTINGS_FEED against Amazon's feed and message schemas; returns it."""
    document = json.loads(body.decode("utf-8"))
    feed_schema, message_schema = _feed_validators()
    problems = [e.message for e in feed_schema.iter_errors(document)]
    for message in document.get("messages", []):
        problems += [
            f"message {message.get('messageId')}: {e.message}" for e in message_schema.iter_errors(message)
        ]
    assert not problems, problems
    return document
