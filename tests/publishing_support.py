"""Helpers and shared fixtures for the Publish / Overwrite / listing-action tests: a fast sandbox, a
channel connected to the sandbox's demo seller, source items and variants in the database, runs
executed by a real RQ worker, and the sandbox's side (catalog rows, listings, call log) read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from redis import Redis

from sandbox.seed import DEMO_SELLER_ID, check_digit
from sandbox.testing import SandboxServer
from tests.amazon.models import MODELS
from tests.runs_support import fresh, work
from webapp.amazon import SellerApi, clear_token_cache
from webapp.amazon.transport import Exchange
from webapp.extensions import db
from webapp.models import (
    Account,
    Channel,
    Connection,
    ConnectionStatus,
    IntegrationRun,
    Listing,
    ListingVariant,
    Notification,
    RunKind,
    Source,
    SourceItem,
    TemplatePurpose,
    VariantHistory,
)
from webapp.services.connections import credentials_for
from webapp.services.mapping_engine import ensure_template
from webapp.services.runs import start_run

US = "ATVPDKIKX0DER"
# The sandbox's world runs 60x faster: feeds are processed in seconds, not minutes.
TIME_SCALE = 60.0


def fast_sandbox(seed: dict | bool = True) -> Iterator[SandboxServer]:
    """A sandbox seeded with ``seed`` whose clock runs ``TIME_SCALE`` times faster (feeds finish in
    seconds), with the adapter's token cache cleared before and after; for a fixture to ``yield from``."""
    clear_token_cache()
    with SandboxServer({"SANDBOX_TIME_SCALE": TIME_SCALE}, seed=seed) as server:
        yield server
    clear_token_cache()


@pytest.fixture
def offers_sandbox() -> Iterator[SandboxServer]:
    """A fast sandbox with enough merchant-fulfilled offers of the demo seller for a feed."""
    yield from fast_sandbox({"listings": 120})


def demo_channel(sandbox: SandboxServer, fulfillment: str = "DEFAULT", name: str = "Acme") -> Channel:
    """A new account with a channel selling as the sandbox's demo seller in the US."""
    account = Account(name=name)
    db.session.add(account)
    db.session.flush()
    connection = Connection(
        account_id=account.id,
        name="Demo seller US",
        selling_partner_id=DEMO_SELLER_ID,
        marketplace_id=US,
        region="na",
        refresh_token=sandbox.authorize(DEMO_SELLER_ID)["refresh_token"],
        status=ConnectionStatus.ACTIVE,
    )
    db.session.add(connection)
    db.session.flush()
    channel = Channel(
        account_id=account.id,
        connection_id=connection.id,
        name="Amazon US",
        marketplace_id=US,
        fulfillment_channel=fulfillment,
    )
    db.session.add(channel)
    db.session.commit()
    return channel


@pytest.fixture
def fbm_channel(app, sandbox: SandboxServer) -> Channel:
    """An FBM channel of a new account, selling as the demo seller."""
    return demo_channel(sandbox)


def set_template_rule(channel: Channel, purpose: TemplatePurpose, amazon_field: str, **values) -> None:
    """Change one row (``amazon_field``) of the channel's template for ``purpose``."""
    template = ensure_template(channel.id, purpose)
    rule = next(r for r in template.rules if r.amazon_field == amazon_field)
    for name, value in values.items():
        setattr(rule, name, value)
    db.session.commit()


def add_item(channel: Channel, sku: str, **fields) -> SourceItem:
    """A source item of the channel's account (a source named "Supplier" is made once)."""
    source = db.session.scalar(
        sa.select(Source).where(Source.account_id == channel.account_id, Source.name == "Supplier")
    )
    if source is None:
        source = Source(account_id=channel.account_id, name="Supplier")
        db.session.add(source)
        db.session.flush()
    values = {"title": f"Item {sku}", "cost": Decimal("10.00"), "quantity": 7, **fields}
    item = SourceItem(account_id=channel.account_id, source_id=source.id, sku=sku, **values)
    db.session.add(item)
    db.session.commit()
    return item


def add_variant(channel: Channel, sku: str, item: SourceItem | None = None, **fields) -> ListingVariant:
    """A listing with one variant ``sku`` (Unlinked unless ``fields`` say otherwise), tied to ``item``."""
    listing = Listing(account_id=channel.account_id, channel_id=channel.id, sku=sku)
    db.session.add(listing)
    db.session.flush()
    values = {"fulfillment_channel": channel.fulfillment_channel, **fields}
    variant = ListingVariant(
        account_id=channel.account_id,
        channel_id=channel.id,
        listing_id=listing.id,
        sku=sku,
        source_item_id=item.id if item else None,
        **values,
    )
    db.session.add(variant)
    db.session.commit()
    return variant


def run_job(app, redis: Redis, kind: RunKind, channel: Channel, params: dict) -> IntegrationRun:
    """Start a run of ``kind`` on ``channel`` and let a real RQ worker finish it; returns the run."""
    started = start_run(channel.account_id, kind, channel_id=channel.id, params=params)
    assert not started.already_running
    work(app, redis)
    return fresh(started.run.id)


def select(*variants: ListingVariant) -> dict:
    """A selection of explicit variants."""
    return {"ids": [v.id for v in variants]}


def variant(variant_id: int) -> ListingVariant:
    """A variant as committed now."""
    db.session.rollback()
    return db.session.get(ListingVariant, variant_id)


def history(variant_id: int, field: str) -> list[tuple[str, str]]:
    """(old, new) of a variant's history rows for ``field``, oldest first."""
    rows = db.session.scalars(
        sa.select(VariantHistory)
        .where(VariantHistory.variant_id == variant_id, VariantHistory.field == field)
        .order_by(VariantHistory.id)
    )
    return [(r.old_value, r.new_value) for r in rows]


def sku_notes(run_id: int, sku: str) -> list[Notification]:
    """The run's notifications about ``sku``."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.run_id == run_id, Notification.reference == sku)
            .order_by(Notification.id)
        )
    )


def amazon(channel: Channel) -> SellerApi:
    """The adapter as the channel's seller (to read the sandbox's state through Amazon's API)."""
    return SellerApi(credentials_for(channel.connection, US))


def add_catalog_item(
    sandbox: SandboxServer, number: int, brand: str = "Acme", restricted: bool = False
) -> tuple[str, str]:
    """A product in the sandbox's catalog that nobody sells yet; returns (ASIN, UPC)."""
    asin = f"B0TEST{number:04d}"
    body = f"7{number:010d}"
    upc = body + check_digit(body)
    with sandbox.sandbox.store.transaction() as conn:
        conn.execute(
            "INSERT INTO catalog_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                asin,
                upc,
                None,
                brand,
                brand,
                "PRODUCT",
                f"{brand} test product {number}",
                "[]",
                int(restricted),
            ),
        )
    return asin, upc


def catalog_size(sandbox: SandboxServer) -> int:
    """How many products the sandbox's catalog holds."""
    return sandbox.sandbox.store.one("SELECT COUNT(*) AS n FROM catalog_items")["n"]


def demo_listings(sandbox: SandboxServer, fulfillment: str = "DEFAULT", count: int = 1) -> list[dict]:
    """Existing offers of the demo seller in the US (sku, asin), by fulfilment, with a price."""
    rows = sandbox.sandbox.store.all(
        "SELECT sku, asin FROM listings WHERE seller_id = ? AND marketplace_id = ? AND price IS NOT NULL "
        "AND (fulfillment_channel = 'DEFAULT') = ? ORDER BY sku LIMIT ?",
        (DEMO_SELLER_ID, US, fulfillment == "DEFAULT", count),
    )
    return [dict(r) for r in rows]


def operations(sandbox: SandboxServer) -> dict[str, dict[str, int]]:
    """Calls the demo seller made, per operation and HTTP status (the sandbox's call log)."""
    return sandbox.admin("get", "/calls", params={"seller_id": DEMO_SELLER_ID})["counts"]


def bodies(exchanges: list[Exchange], method: str, path_part: str) -> list[dict]:
    """The JSON request bodies of the recorded exchanges with ``method`` whose URL contains ``path_part``."""
    return [
        json.loads(e.request_body)
        for e in exchanges
        if e.method == method and path_part in e.url and e.request_body
    ]


def uploaded_feeds(exchanges: list[Exchange]) -> list[dict]:
    """The JSON_LISTINGS_FEED documents uploaded (the PUTs to the presigned document URLs)."""
    return [
        json.loads(e.request_body.decode("utf-8"))
        for e in exchanges
        if e.method == "PUT" and "/listings/" not in e.url and e.request_body.startswith(b"{")
    ]


def feed_schemas() -> tuple[dict, dict]:
    """The official listings feed document and message schemas."""
    document = json.loads((MODELS / "listings-feed-schema-v2.json").read_text(encoding="utf-8"))
    message = json.loads((MODELS / "listings-feed-message-schema-v2.json").read_text(encoding="utf-8"))
    return document, message
