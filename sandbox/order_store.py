"""Orders on "Amazon's side": tables, the deterministic seed step, Order rendering and state changes.

Statuses are stored in the Orders 2026-01-01 vocabulary (PENDING, UNSHIPPED, PARTIALLY_SHIPPED,
SHIPPED, CANCELLED). `ship_service_level` keeps the v0-style string ("Std US D2D Dom", ...);
the 2026 model only exposes its category (`fulfillmentServiceLevel`), derived by SERVICE_CATEGORIES.
Every change sets `updated_at`, so lastUpdatedAfter searches find it.
"""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any

from sandbox.clock import iso
from sandbox.db import register_schema
from sandbox.seed import MARKETPLACE_BY_ID, SeedContext, seed_step

register_schema(
    """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, marketplace_id TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, status TEXT NOT NULL, fulfilled_by TEXT NOT NULL,
    ship_service_level TEXT NOT NULL,
    ship_by_start REAL NOT NULL, ship_by_end REAL NOT NULL, deliver_by_start REAL NOT NULL,
    deliver_by_end REAL NOT NULL, currency TEXT NOT NULL, programs TEXT NOT NULL, buyer TEXT NOT NULL,
    recipient TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_created ON orders (seller_id, created_at, order_id);
CREATE INDEX IF NOT EXISTS orders_updated ON orders (seller_id, updated_at, order_id);
CREATE TABLE IF NOT EXISTS order_items (
    order_id TEXT NOT NULL, order_item_id TEXT NOT NULL, position INTEGER NOT NULL, sku TEXT NOT NULL,
    asin TEXT NOT NULL, title TEXT NOT NULL, quantity INTEGER NOT NULL, shipped INTEGER NOT NULL,
    unit_price REAL NOT NULL, PRIMARY KEY (order_id, order_item_id)
);
CREATE TABLE IF NOT EXISTS order_packages (
    order_id TEXT NOT NULL, package_reference_id TEXT NOT NULL, carrier_code TEXT NOT NULL, carrier_name TEXT,
    shipping_method TEXT, tracking_number TEXT NOT NULL, ship_time REAL NOT NULL, created_at REAL NOT NULL,
    items TEXT NOT NULL, PRIMARY KEY (order_id, package_reference_id)
)
""",
    data_tables=("orders", "order_items", "order_packages"),
)

PENDING, UNSHIPPED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED = (
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
)
MERCHANT, AMAZON = "MERCHANT", "AMAZON"

SERVICE_CATEGORIES = {
    "Std": "STANDARD",
    "Standard": "STANDARD",
    "Exp": "EXPEDITED",
    "Expedited": "EXPEDITED",
    "Second": "SECOND_DAY",
    "SecondDay": "SECOND_DAY",
    "Econ": "FREE_ECONOMY",
    "FreeEconomy": "FREE_ECONOMY",
    "NextDay": "NEXT_DAY",
    "Next": "NEXT_DAY",
    "Sched": "SCHEDULED",
}
"""First word of a ship service level -> the 2026 `fulfillmentServiceLevel` category."""

# (ship service level pattern, weight) for merchant orders; `{cc}` is the marketplace country.
# The last one is deliberately odd: a level a seller's shipping rules usually do not map.
MFN_SERVICE_LEVELS = (
    ("Std {cc} D2D Dom", 60),
    ("Exp {cc} D2D Dom", 15),
    ("Second {cc} D2D Dom", 10),
    ("Econ {cc} Dom", 10),
    ("Sched {cc} D2D Dom Weekend", 5),
)
AFN_SERVICE_LEVELS = (("Standard", 70), ("Expedited", 20), ("SecondDay", 5), ("NextDay", 5))
# Handling days before shipBy ends, and transit days, per category.
SERVICE_DAYS = {
    "STANDARD": (2, 5),
    "EXPEDITED": (1, 3),
    "SECOND_DAY": (1, 2),
    "NEXT_DAY": (1, 1),
    "FREE_ECONOMY": (3, 8),
    "SCHEDULED": (2, 4),
}

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "José",
    "Zoë",
    "Søren",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernández",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Müller",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Pine St",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Washington Blvd",
    "Lake Rd",
    "Hill St",
    "Park Ave",
]
US_CITIES = [
    ("Seattle", "WA", "981"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Boston", "MA", "021"),
    ("Chicago", "IL", "606"),
    ("Miami", "FL", "331"),
    ("Portland", "OR", "972"),
    ("Phoenix", "AZ", "850"),
    ("Columbus", "OH", "432"),
    ("Nashville", "TN", "372"),
]
OTHER_CITIES = {
    "CA": [("Toronto", "ON", "M5V 2T6"), ("Vancouver", "BC", "V6B 1A1"), ("Montréal", "QC", "H2X 1Y4")],
    "MX": [("Ciudad de México", "CDMX", "06600"), ("Guadalajara", "JAL", "44100")],
    "BR": [("São Paulo", "SP", "01310-100"), ("Rio de Janeiro", "RJ", "20040-020")],
    "DE": [("Berlin", "Berlin", "10115"), ("München", "Bayern", "80331"), ("Köln", "NRW", "50667")],
    "GB": [("London", "Greater London", "SW1A 1AA"), ("Manchester", "Greater Manchester", "M1 1AE")],
    "FR": [("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001")],
    "IT": [("Roma", "RM", "00184"), ("Milano", "MI", "20121")],
    "ES": [("Madrid", "Madrid", "28013"), ("Barcelona", "Barcelona", "08001")],
}
ORDER_PREFIXES = {"na": ("111", "112", "113", "114"), "eu": ("302", "303", "304", "305", "306", "028")}
# Seed mix: every (status, channel) pair appears once first, then weighted draws.
FORCED_MIX = [
    (PENDING, MERCHANT),
    (UNSHIPPED, MERCHANT),
    (PARTIALLY_SHIPPED, MERCHANT),
    (SHIPPED, MERCHANT),
    (CANCELLED, MERCHANT),
    (SHIPPED, AMAZON),
    (UNSHIPPED, AMAZON),
    (PENDING, AMAZON),
]
STATUS_WEIGHTS = ((SHIPPED, 55), (UNSHIPPED, 20), (PENDING, 8), (PARTIALLY_SHIPPED, 7), (CANCELLED, 10))
# Age of an order (seconds before now) by status, so dates match statuses.
AGE_RANGES = {
    PENDING: (300, 6 * 3600),
    UNSHIPPED: (1800, 3 * 86400),
    PARTIALLY_SHIPPED: (86400, 5 * 86400),
    SHIPPED: (86400, 60 * 86400),
    CANCELLED: (3600, 60 * 86400),
}
UNKNOWN_SKU_SHARE = 0.02
"""Share of seeded order items whose SKU is not among the seller's listings."""


def service_category(ship_service_level: str) -> str:
    """The 2026 `fulfillmentServiceLevel` of a ship service level string."""
    return SERVICE_CATEGORIES.get(ship_service_level.split(" ", 1)[0], "STANDARD")


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


class OrderFactory:
    """Builds order, item and package rows; shared by the seed step and the `place order` control."""

    def __init__(self, rng: random.Random, existing_ids: set[str] | None = None) -> None:
        """Use `rng` for every random choice; `existing_ids` avoids order id collisions."""
        self.rng = rng
        self.ids = existing_ids if existing_ids is not None else set()

    def order_id(self, region: str) -> str:
        """A new unique 3-7-7 Amazon order id."""
        while True:
            candidate = (
                f"{self.rng.choice(ORDER_PREFIXES.get(region, ORDER_PREFIXES['na']))}-"
                f"{self.rng.randrange(10**7):07d}-{self.rng.randrange(10**7):07d}"
            )
            if candidate not in self.ids:
                self.ids.add(candidate)
                return candidate

    def people(self, country: str, business: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """Buyer and recipient (delivery address) JSON for a customer in `country`."""
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        buyer: dict[str, Any] = {
            "buyerName": name,
            "buyerEmail": f"{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(16))}"
            "@marketplace.amazon.com",
        }
        if country == "US":
            city, state, zip_prefix = rng.choice(US_CITIES)
            postal, phone = (
                f"{zip_prefix}{rng.randrange(100):02d}",
                f"+1 {rng.randrange(200, 999)}-555-{rng.randrange(10**4):04d}",
            )
        else:
            city, state, postal = rng.choice(OTHER_CITIES.get(country, OTHER_CITIES["DE"]))
            phone = f"+{rng.randrange(30, 59)} {rng.randrange(10**8, 10**9)}"
        address: dict[str, Any] = {
            "name": name,
            "addressLine1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "stateOrRegion": state,
            "postalCode": postal,
            "countryCode": country,
            "phone": phone,
            "addressType": "COMMERCIAL" if business else "RESIDENTIAL",
        }
        if rng.random() < 0.2:
            address["addressLine2"] = f"Apt {rng.randrange(1, 500)}"
        if business:
            company = f"{rng.choice(LAST_NAMES)} {rng.choice(['Supply', 'Industries', 'GmbH', 'LLC'])}"
            buyer["buyerCompanyName"] = address["companyName"] = company
            buyer["buyerPurchaseOrderNumber"] = f"PO-{rng.randrange(10**6):06d}"
        return buyer, {"deliveryAddress": address}

    def build(
        self,
        *,
        seller_id: str,
        marketplace_id: str,
        status: str,
        fulfilled_by: str,
        created: float,
        updated: float,
        lines: list[dict[str, Any]],
        ship_service_level: str,
    ) -> tuple[tuple, list[tuple]]:
        """One order row and its item rows; `lines` = [{sku, asin, title, price, quantity, shipped}]."""
        rng = self.rng
        _, country, _, region, currency, _, _, _ = MARKETPLACE_BY_ID[marketplace_id]
        order_id = self.order_id(region)
        category = service_category(ship_service_level)
        handling, transit = SERVICE_DAYS[category]
        ship_by_end = created + handling * 86400
        deliver_start = ship_by_end + max(0, transit - 1) * 86400
        business = rng.random() < 0.05
        programs = (["PRIME"] if rng.random() < (0.7 if fulfilled_by == AMAZON else 0.1) else []) + (
            ["AMAZON_BUSINESS"] if business else []
        )
        buyer, recipient = self.people(country if country != "GB" else "GB", business)
        order = (
            order_id,
            seller_id,
            marketplace_id,
            created,
            updated,
            status,
            fulfilled_by,
            ship_service_level,
            created,
            ship_by_end,
            deliver_start,
            ship_by_end + transit * 86400,
            currency,
            json.dumps(programs),
            json.dumps(buyer),
            json.dumps(recipient),
        )
        items = [
            (
                order_id,
                f"{rng.randrange(10**13, 10**14)}",
                position,
                line["sku"],
                line["asin"],
                line["title"],
                line["quantity"],
                line.get("shipped", 0),
                line["price"],
            )
            for position, line in enumerate(lines)
        ]
        return order, items


def _unknown_line(rng: random.Random) -> dict[str, Any]:
    return {
        "sku": f"LEGACY-{rng.randrange(10**5):05d}",
        "asin": "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)),
        "title": "Discontinued item (no longer listed)",
        "price": round(rng.uniform(5, 80), 2),
    }


@seed_step("orders", order=50)
def seed_orders(ctx: SeedContext) -> None:
    """Orders over the last ~60 days for every seller (demo seller: `orders`, others a tenth).

    Every status and channel appears (Pending, Unshipped, PartiallyShipped, Shipped, Canceled; MFN and
    AFN), ~25% multi-item orders, ~2% items with SKUs the seller no longer lists, buyers and addresses,
    ship service levels incl. an odd one, and shipBy/deliverBy windows.
    """
    rng, now = ctx.rng, ctx.now
    factory = OrderFactory(rng)
    by_seller: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for listing in ctx.world.get("listings", []):
        channel = AMAZON if str(listing["fulfillment_channel"]).startswith("AMAZON") else MERCHANT
        by_seller.setdefault(listing["seller_id"], {}).setdefault(channel, []).append(listing)
    orders: list[tuple] = []
    items: list[tuple] = []
    packages: list[tuple] = []
    for position, seller in enumerate(ctx.world.get("sellers", [])):
        pools = by_seller.get(seller["seller_id"]) or _pools_from_table(ctx.conn, seller["seller_id"])
        if not pools:
            continue
        count = ctx.options["orders"] if position == 0 else max(1, ctx.options["orders"] // 10)
        for index in range(count):
            status, channel = (
                FORCED_MIX[index]
                if index < len(FORCED_MIX)
                else (_weighted(rng, STATUS_WEIGHTS), AMAZON if rng.random() < 0.2 else MERCHANT)
            )
            if channel not in pools:
                channel = next(iter(pools))
            if channel == AMAZON and status == PARTIALLY_SHIPPED:
                status = SHIPPED
            order, order_items, package = _seed_order(
                factory, rng, now, seller["seller_id"], pools[channel], status, channel
            )
            orders.append(order)
            items.extend(order_items)
            packages.extend(package)
    ctx.conn.executemany(f"INSERT INTO orders VALUES ({','.join('?' * 16)})", orders)
    ctx.conn.executemany(f"INSERT INTO order_items VALUES ({','.join('?' * 9)})", items)
    ctx.conn.executemany(f"INSERT INTO order_packages VALUES ({','.join('?' * 9)})", packages)


def _pools_from_table(conn: sqlite3.Connection, seller_id: str) -> dict[str, list[dict[str, Any]]]:
    """Listings per channel read from the table (the world summary only holds the first 5000 listings)."""
    pools: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        "SELECT l.marketplace_id, l.sku, l.asin, l.price, l.fulfillment_channel, c.title FROM listings l "
        "LEFT JOIN catalog_items c ON c.asin = l.asin WHERE l.seller_id = ? ORDER BY l.sku LIMIT 5000",
        (seller_id,),
    ):
        channel = AMAZON if str(row["fulfillment_channel"]).startswith("AMAZON") else MERCHANT
        pools.setdefault(channel, []).append({**dict(row), "title": row["title"] or row["sku"]})
    return pools


def _seed_order(
    factory: OrderFactory,
    rng: random.Random,
    now: float,
    seller_id: str,
    pool: list[dict[str, Any]],
    status: str,
    channel: str,
) -> tuple[tuple, list[tuple], list[tuple]]:
    listing = rng.choice(pool)
    marketplace_id = listing["marketplace_id"]
    same_market = [entry for entry in pool if entry["marketplace_id"] == marketplace_id]
    line_count = 2 if status == PARTIALLY_SHIPPED else rng.choices([1, 2, 3], weights=[75, 18, 7])[0]
    lines = []
    for _ in range(line_count):
        if rng.random() < UNKNOWN_SKU_SHARE:
            line = _unknown_line(rng)
        else:
            chosen = rng.choice(same_market)
            line = {
                "sku": chosen["sku"],
                "asin": chosen["asin"],
                "title": chosen["title"],
                "price": chosen["price"] if chosen["price"] is not None else round(rng.uniform(5, 80), 2),
            }
        line["quantity"] = rng.choices([1, 2, 3], weights=[85, 10, 5])[0]
        lines.append(line)
    shipped_lines = len(lines) if status == SHIPPED else 1 if status == PARTIALLY_SHIPPED else 0
    for line in lines[:shipped_lines]:
        line["shipped"] = line["quantity"]
    low, high = AGE_RANGES[status]
    created = now - rng.uniform(low, high)
    age = now - created
    updated = created if status == PENDING else created + min(age, rng.uniform(0.02, 3) * 86400)
    country = MARKETPLACE_BY_ID[marketplace_id][1]
    levels = AFN_SERVICE_LEVELS if channel == AMAZON else MFN_SERVICE_LEVELS
    level = _weighted(rng, levels).format(cc=country)
    order, items = factory.build(
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        status=status,
        fulfilled_by=channel,
        created=created,
        updated=updated,
        lines=lines,
        ship_service_level=level,
    )
    packages = []
    if channel == MERCHANT and shipped_lines:
        shipped = [{"orderItemId": item[1], "quantity": item[6]} for item in items[:shipped_lines]]
        carrier, method = rng.choice(
            [("USPS", "Priority Mail"), ("UPS", "UPS Ground"), ("FedEx", "FedEx Ground")]
        )
        packages.append(
            (
                order[0],
                "1",
                carrier,
                None,
                method,
                f"1Z{rng.randrange(10**15):015d}",
                updated,
                updated,
                json.dumps(shipped),
            )
        )
    return order, items, packages


def recompute_status(conn: sqlite3.Connection, order_id: str) -> str:
    """Set items' shipped quantities from the packages and the order status from them; returns the status."""
    shipped: dict[str, int] = {}
    for package in conn.execute("SELECT items FROM order_packages WHERE order_id = ?", (order_id,)):
        for entry in json.loads(package["items"]):
            shipped[entry["orderItemId"]] = shipped.get(entry["orderItemId"], 0) + int(entry["quantity"])
    items = conn.execute(
        "SELECT order_item_id, quantity FROM order_items WHERE order_id = ?", (order_id,)
    ).fetchall()
    for item in items:
        conn.execute(
            "UPDATE order_items SET shipped = ? WHERE order_id = ? AND order_item_id = ?",
            (shipped.get(item["order_item_id"], 0), order_id, item["order_item_id"]),
        )
    total = sum(item["quantity"] for item in items)
    done = sum(min(item["quantity"], shipped.get(item["order_item_id"], 0)) for item in items)
    return SHIPPED if done >= total else PARTIALLY_SHIPPED if done else UNSHIPPED


def render_orders(
    conn: sqlite3.Connection, rows: list[sqlite3.Row], included: set[str], now: float
) -> list[dict[str, Any]]:
    """2026-01-01 `Order` objects for order rows; optional data sets only when in `included`."""
    if not rows:
        return []
    ids = [row["order_id"] for row in rows]
    marks = ",".join("?" for _ in ids)
    items: dict[str, list[sqlite3.Row]] = {}
    for item in conn.execute(f"SELECT * FROM order_items WHERE order_id IN ({marks}) ORDER BY position", ids):
        items.setdefault(item["order_id"], []).append(item)
    packages: dict[str, list[sqlite3.Row]] = {}
    if "PACKAGES" in included:
        for package in conn.execute(
            f"SELECT * FROM order_packages WHERE order_id IN ({marks}) "
            "ORDER BY CAST(package_reference_id AS INTEGER)",
            ids,
        ):
            packages.setdefault(package["order_id"], []).append(package)
    names = {row["id"]: row["name"] for row in conn.execute("SELECT id, name FROM marketplaces")}
    return [
        _render(row, items.get(row["order_id"], []), packages.get(row["order_id"], []), included, names, now)
        for row in rows
    ]


def _money(amount: float, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currencyCode": currency}


def _render(
    row: sqlite3.Row,
    items: list[sqlite3.Row],
    packages: list[sqlite3.Row],
    included: set[str],
    names: dict[str, str],
    now: float,
) -> dict[str, Any]:
    status, currency = row["status"], row["currency"]
    merchant = row["fulfilled_by"] == MERCHANT
    order: dict[str, Any] = {
        "orderId": row["order_id"],
        "createdTime": iso(row["created_at"]),
        "lastUpdatedTime": iso(row["updated_at"]),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": row["marketplace_id"],
            "marketplaceName": names.get(row["marketplace_id"], row["marketplace_id"]),
        },
    }
    programs = json.loads(row["programs"])
    if programs:
        order["programs"] = programs
    if "BUYER" in included:
        buyer = json.loads(row["buyer"])
        if not merchant:
            buyer.pop("buyerEmail", None)  # Amazon gives the buyer email for FBM orders only
        order["buyer"] = buyer
    # Like v0, no address before payment is authorized (Pending) or after cancellation.
    if "RECIPIENT" in included and status in (UNSHIPPED, PARTIALLY_SHIPPED, SHIPPED):
        recipient = json.loads(row["recipient"])
        if not merchant or (status == SHIPPED and now > row["deliver_by_end"]):
            recipient["deliveryAddress"].pop("phone", None)  # suppressed: FBA, or shipped and past delivery
        order["recipient"] = recipient
    priced = status != PENDING  # Pending orders carry no prices yet
    if "PROCEEDS" in included and priced:
        total = sum(item["unit_price"] * item["quantity"] for item in items)
        order["proceeds"] = {
            "grandTotal": _money(total, currency),
            "breakdowns": [{"type": "ITEM", "subtotal": _money(total, currency)}],
        }
    if "FULFILLMENT" in included:
        order["fulfillment"] = {
            "fulfillmentStatus": status,
            "fulfilledBy": row["fulfilled_by"],
            "fulfillmentServiceLevel": service_category(row["ship_service_level"]),
            "shipByWindow": {
                "earliestDateTime": iso(row["ship_by_start"]),
                "latestDateTime": iso(row["ship_by_end"]),
            },
            "deliverByWindow": {
                "earliestDateTime": iso(row["deliver_by_start"]),
                "latestDateTime": iso(row["deliver_by_end"]),
            },
        }
    order["orderItems"] = [_render_item(item, currency, priced, included, status) for item in items]
    if "PACKAGES" in included and merchant:
        order["packages"] = [_render_package(package) for package in packages]
    return order


def _render_item(
    item: sqlite3.Row, currency: str, priced: bool, included: set[str], status: str
) -> dict[str, Any]:
    product: dict[str, Any] = {
        "asin": item["asin"],
        "title": item["title"],
        "sellerSku": item["sku"],
        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
    }
    if priced:
        product["price"] = {"unitPrice": _money(item["unit_price"], currency)}
    rendered: dict[str, Any] = {
        "orderItemId": item["order_item_id"],
        "quantityOrdered": item["quantity"],
        "product": product,
    }
    if "PROCEEDS" in included and priced:
        rendered["proceeds"] = {"proceedsTotal": _money(item["unit_price"] * item["quantity"], currency)}
    if "FULFILLMENT" in included:
        unfulfilled = 0 if status == CANCELLED else item["quantity"] - item["shipped"]
        rendered["fulfillment"] = {
            "quantityFulfilled": item["shipped"],
            "quantityUnfulfilled": max(0, unfulfilled),
        }
    return rendered


def _render_package(package: sqlite3.Row) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "packageReferenceId": package["package_reference_id"],
        "createdTime": iso(package["created_at"]),
        "packageStatus": {"status": "SHIPPED"},
        "carrier": package["carrier_name"] if package["carrier_code"] == "Other" else package["carrier_code"],
        "shipTime": iso(package["ship_time"]),
        "trackingNumber": package["tracking_number"],
        "packageItems": [
            {"orderItemId": entry["orderItemId"], "quantity": entry["quantity"]}
            for entry in json.loads(package["items"])
        ],
    }
    if package["shipping_method"]:
        rendered["shippingService"] = package["shipping_method"]
    return rendered
