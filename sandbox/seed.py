"""Deterministic demo world: marketplaces, sellers, a catalog and each seller's existing offers.

`seed_world()` empties the data tables and runs the registered seed steps in order inside one
transaction. Each step gets its own `random.Random` derived from the seed and the step name, so
adding a step never changes what the other steps produce. Other modules add steps with
`@seed_step("orders", order=50)`; the shared `SeedContext.world` carries what earlier steps made.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import iso
from sandbox.db import Store, data_tables
from sandbox.listing_store import derive_columns

DEMO_SELLER_ID = "A1SHELFSYNCDEMO"
EU_SELLER_ID = "A2SHELFSYNCEUDEMO"

# id, country, name, region, currency, language, domain, FBA channel
MARKETPLACES = [
    ("ATVPDKIKX0DER", "US", "Amazon.com", "na", "USD", "en_US", "www.amazon.com", "AMAZON_NA"),
    ("A2EUQ1WTGCTBG2", "CA", "Amazon.ca", "na", "CAD", "en_CA", "www.amazon.ca", "AMAZON_NA"),
    ("A1AM78C64UM0Y8", "MX", "Amazon.com.mx", "na", "MXN", "es_MX", "www.amazon.com.mx", "AMAZON_NA"),
    ("A2Q3Y263D00KWC", "BR", "Amazon.com.br", "na", "BRL", "pt_BR", "www.amazon.com.br", "AMAZON_NA"),
    ("A2VIGQ35RCS4UG", "AE", "Amazon.ae", "eu", "AED", "en_AE", "www.amazon.ae", "AMAZON_EU"),
    ("A1PA6795UKMFR9", "DE", "Amazon.de", "eu", "EUR", "de_DE", "www.amazon.de", "AMAZON_EU"),
    ("A1RKKUPIHCS9HS", "ES", "Amazon.es", "eu", "EUR", "es_ES", "www.amazon.es", "AMAZON_EU"),
    ("A13V1IB3VIYZZH", "FR", "Amazon.fr", "eu", "EUR", "fr_FR", "www.amazon.fr", "AMAZON_EU"),
    ("A1F83G8C2ARO7P", "GB", "Amazon.co.uk", "eu", "GBP", "en_GB", "www.amazon.co.uk", "AMAZON_EU"),
    ("A21TJRUUN4KGV", "IN", "Amazon.in", "eu", "INR", "en_IN", "www.amazon.in", "AMAZON_EU"),
    ("APJ6JRA9NG5V4", "IT", "Amazon.it", "eu", "EUR", "it_IT", "www.amazon.it", "AMAZON_EU"),
    ("A33AVAJ2PDY3EV", "TR", "Amazon.com.tr", "eu", "TRY", "tr_TR", "www.amazon.com.tr", "AMAZON_EU"),
]
MARKETPLACE_BY_ID = {m[0]: m for m in MARKETPLACES}
REGION_MARKETPLACES = {
    "na": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8", "A2Q3Y263D00KWC"],
    "eu": ["A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH", "APJ6JRA9NG5V4", "A1RKKUPIHCS9HS"],
}
HOME_MARKETPLACE = {"na": "ATVPDKIKX0DER", "eu": "A1PA6795UKMFR9"}

BRANDS = [
    "Acme",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Globex",
    "Initech",
    "Hooli",
    "Vandelay",
    "Wonka Works",
    "Stark Home",
    "Tyrell Labs",
    "Soylent Kitchen",
    "Pied Piper",
    "Monarch Outdoor",
    "Oceanic Gear",
]
RESTRICTED_BRANDS = ["LuxeMark", "Prestige Audio"]
# The demo seller may sell this restricted brand; every other (seller, restricted brand) is refused.
DEMO_APPROVED_BRANDS = ["Prestige Audio"]
ADJECTIVES = ["Compact", "Deluxe", "Classic", "Portable", "Eco", "Smart", "Rugged", "Premium", "Mini", "Pro"]
NOUNS = [
    "Water Bottle",
    "Desk Lamp",
    "Backpack",
    "Headphones",
    "Coffee Grinder",
    "Yoga Mat",
    "Phone Stand",
    "Cutting Board",
    "Travel Mug",
    "LED Flashlight",
    "Bluetooth Speaker",
    "Notebook Set",
]
COLORS = ["Black", "White", "Blue", "Red", "Green", "Grey", "Silver"]


@dataclass
class SeedContext:
    """What a seed step gets: the open transaction, its RNG, the options and the shared world."""

    conn: sqlite3.Connection
    rng: random.Random
    options: dict[str, Any]
    now: float
    world: dict[str, Any] = field(default_factory=dict)


SeedFn = Callable[[SeedContext], None]
_STEPS: list[tuple[int, str, SeedFn]] = []


def seed_step(name: str, order: int) -> Callable[[SeedFn], SeedFn]:
    """Register a seed step; steps run by ascending `order` (core steps use 10-40)."""

    def register(fn: SeedFn) -> SeedFn:
        """Add `fn` to the ordered steps (once per name)."""
        if all(existing != name for _, existing, _ in _STEPS):
            _STEPS.append((order, name, fn))
            _STEPS.sort(key=lambda step: step[0])
        return fn

    return register


def seed_world(
    store: Store,
    now: float | None = None,
    *,
    listings: int = 200,
    orders: int = 50,
    sellers: int = 3,
    seed: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """Replace the world with a deterministic one; returns counts per table and the seconds taken.

    `listings` = the demo seller's offers in its home marketplace (other sellers get a tenth);
    `now` anchors every date (default: the current real time) so equal seeds + equal `now` give
    identical data.
    """
    started = time.perf_counter()
    options = {
        "listings": int(listings),
        "orders": int(orders),
        "sellers": max(1, int(sellers)),
        "seed": seed,
        **extra,
    }
    now = time.time() if now is None else now
    conn = store.conn
    conn.execute("PRAGMA cache_size=-200000")
    with store.transaction():
        for table in data_tables():
            conn.execute(f"DELETE FROM {table}")
        ctx = SeedContext(conn=conn, rng=random.Random(), options=options, now=now)
        for _, name, fn in list(_STEPS):
            ctx.rng = random.Random(f"{seed}:{name}")
            fn(ctx)
    counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in data_tables()}
    return {"counts": counts, "seconds": round(time.perf_counter() - started, 3), "options": options}


def check_digit(body: str) -> str:
    """GS1 check digit for a UPC/EAN/GTIN body (all digits except the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


def asin_for(index: int) -> str:
    """The ASIN of catalog item `index` (a bijection, so ASINs are unique and look random)."""
    return "B0" + _base36(index * 2654435761 % 36**8, 8)


def upc_for(index: int) -> str:
    """A valid 12-digit UPC-A for catalog item `index`."""
    body = f"8{index:010d}"
    return body + check_digit(body)


def ean_for(index: int) -> str:
    """A valid 13-digit EAN for catalog item `index`."""
    body = f"40{index:010d}"
    return body + check_digit(body)


@seed_step("marketplaces", order=10)
def seed_marketplaces(ctx: SeedContext) -> None:
    """The 12 marketplaces of the demo."""
    ctx.conn.executemany("INSERT INTO marketplaces VALUES (?, ?, ?, ?, ?, ?, ?, ?)", MARKETPLACES)


@seed_step("sellers", order=20)
def seed_sellers(ctx: SeedContext) -> None:
    """Demo sellers: a stable US one, a stable EU one, then generated ones alternating regions."""
    sellers = [(DEMO_SELLER_ID, "Demo Seller (US)", "na"), (EU_SELLER_ID, "Demo Seller (EU)", "eu")]
    for position in range(2, ctx.options["sellers"]):
        region = "na" if position % 2 == 0 else "eu"
        seller_id = "A" + "".join(ctx.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12))
        sellers.append(
            (seller_id, f"Demo Seller {position + 1} ({'US' if region == 'na' else 'EU'})", region)
        )
    sellers = sellers[: ctx.options["sellers"]]
    ctx.conn.executemany(
        "INSERT INTO sellers VALUES (?, ?, ?, ?, ?)",
        [
            (sid, name, name.replace("Demo Seller", "Demo Store"), region, pos)
            for pos, (sid, name, region) in enumerate(sellers)
        ],
    )
    participations = []
    for seller_id, _, region in sellers:
        for marketplace_id in REGION_MARKETPLACES[region]:
            # Brazil is registered but not selling, as many NA sellers are.
            participating = 0 if marketplace_id == "A2Q3Y263D00KWC" else 1
            participations.append((seller_id, marketplace_id, participating, 0))
    ctx.conn.executemany("INSERT INTO participations VALUES (?, ?, ?, ?)", participations)
    ctx.conn.executemany(
        "INSERT INTO brand_approvals VALUES (?, ?)", [(DEMO_SELLER_ID, b) for b in DEMO_APPROVED_BRANDS]
    )
    ctx.world["sellers"] = [
        {"seller_id": sid, "name": name, "region": region} for sid, name, region in sellers
    ]


@seed_step("catalog", order=30)
def seed_catalog(ctx: SeedContext) -> None:
    """Catalog: one ASIN per demo listing plus 10% (min 50) that nobody sells yet; ~3% restricted brands."""
    size = ctx.options["listings"] + max(50, ctx.options["listings"] // 10)
    rng = ctx.rng
    rows = []
    for index in range(1, size + 1):
        restricted = rng.random() < 0.03
        brand = rng.choice(RESTRICTED_BRANDS if restricted else BRANDS)
        title = f"{brand} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}, {rng.choice(COLORS)}"
        images = [{"variant": "MAIN", "height": 500, "width": 500}]
        if rng.random() < 0.5:
            images.append({"variant": "PT01", "height": 500, "width": 500})
        rows.append(
            (
                asin_for(index),
                upc_for(index),
                ean_for(index),
                brand,
                brand,
                "PRODUCT",
                title,
                json.dumps(images, separators=(",", ":")),
                int(restricted),
            )
        )
    ctx.conn.executemany("INSERT INTO catalog_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    ctx.world["catalog"] = rows


@seed_step("listings", order=40)
def seed_listings(ctx: SeedContext) -> None:
    """Each seller's existing offers in its home marketplace (the demo seller also has some in CA).

    Mix: ~80% FBM (DEFAULT), ~20% FBA; suspect rows on purpose: ~1% quantity 999999999, ~1% no price,
    ~5% out of stock (inactive); some used items with a condition note.
    """
    rng = ctx.rng
    catalog = ctx.world["catalog"]
    rows: list[tuple] = []
    summary: list[dict[str, Any]] = []
    for position, seller in enumerate(ctx.world["sellers"]):
        count = ctx.options["listings"] if position == 0 else max(1, ctx.options["listings"] // 10)
        home = HOME_MARKETPLACE[seller["region"]]
        prefix = "DEMO" if position == 0 else f"S{position + 1}"
        plans = [(home, i) for i in range(count)]
        if position == 0:
            plans += [("A2EUQ1WTGCTBG2", i) for i in range(min(count, 200))]
        for marketplace_id, i in plans:
            item = catalog[(i * 7 + position) % len(catalog)] if position else catalog[i]
            rows.append(
                _listing_row(rng, ctx.now, seller["seller_id"], marketplace_id, f"{prefix}-{i + 1:06d}", item)
            )
            if len(summary) < 5000:
                summary.append(
                    {
                        "seller_id": seller["seller_id"],
                        "marketplace_id": marketplace_id,
                        "sku": rows[-1][2],
                        "asin": item[0],
                        "price": rows[-1][6],
                        "fulfillment_channel": rows[-1][9],
                        "title": item[6],
                    }
                )
    ctx.conn.executemany("INSERT INTO listings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    ctx.world["listings"] = summary


def _listing_row(
    rng: random.Random, now: float, seller_id: str, marketplace_id: str, sku: str, item: tuple
) -> tuple:
    _, country, _, _, currency, language, _, fba_channel = MARKETPLACE_BY_ID[marketplace_id]
    asin, upc, ean, brand, _, product_type, title, _, _ = item
    roll = rng.random()
    fba = rng.random() < 0.2
    price: float | None = round(rng.uniform(4, 250), 2)
    quantity: int = rng.randint(1, 500)
    if roll < 0.01:
        quantity = 999999999
    elif roll < 0.02:
        price = None
    elif roll < 0.07:
        quantity = 0
    used = rng.random() < 0.05
    condition = "used_like_new" if used else "new_new"
    attributes: dict[str, Any] = {
        "item_name": [{"value": title, "language_tag": language, "marketplace_id": marketplace_id}],
        "brand": [{"value": brand, "marketplace_id": marketplace_id}],
        "condition_type": [{"value": condition, "marketplace_id": marketplace_id}],
        "merchant_suggested_asin": [{"value": asin, "marketplace_id": marketplace_id}],
        "externally_assigned_product_identifier": [
            {
                "type": "upc" if country in {"US", "CA", "MX", "BR"} else "ean",
                "value": upc if country in {"US", "CA", "MX", "BR"} else ean,
                "marketplace_id": marketplace_id,
            }
        ],
        "fulfillment_availability": [{"fulfillment_channel_code": fba_channel}]
        if fba
        else [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
    }
    if used:
        attributes["condition_note"] = [
            {"value": "Opened once, like new.", "language_tag": language, "marketplace_id": marketplace_id}
        ]
    if price is not None:
        attributes["purchasable_offer"] = [
            {
                "marketplace_id": marketplace_id,
                "currency": currency,
                "audience": "ALL",
                "our_price": [{"schedule": [{"value_with_tax": price}]}],
            }
        ]
    columns = derive_columns(attributes, marketplace_id, [], None)
    if fba:
        # FBA stock is Amazon's; seed it directly (writes through the API never set it).
        columns["quantity"] = quantity
        columns["status"] = "ACTIVE" if price is not None and quantity else "INACTIVE"
    created = now - rng.uniform(1, 900) * 86400
    updated = min(now, created + rng.uniform(0, 300) * 86400)
    return (
        seller_id,
        marketplace_id,
        sku,
        asin,
        product_type,
        condition,
        columns["price"],
        columns["currency"],
        columns["quantity"],
        columns["fulfillment_channel"],
        columns["status"],
        json.dumps(attributes, separators=(",", ":")),
        "[]",
        iso(created),
        iso(updated),
    )
