"""Orders: 2026-01-01 searchOrders/getOrder, v0 confirmShipment, and the order controls.

searchOrders follows the model's rules: exactly one of createdAfter / lastUpdatedAfter, the matching
*Before at least two minutes before now (default: now - 2 min, echoed back), maxResultsPerPage 1-100,
and a paginationToken that carries the original filters (valid 24 Amazon hours). Optional data sets
(BUYER, RECIPIENT, FULFILLMENT, PACKAGES, PROCEEDS) are absent unless requested.

Controls ("Amazon's side", HTTP under /_sandbox/orders and CLI): place an order, release a Pending
order, cancel an order, mark an FBA order shipped by Amazon. Each change bumps lastUpdatedTime.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from typing import Any

import click
from flask import jsonify, request

from sandbox.admin import bp as admin_bp
from sandbox.carriers import carrier_problem, shipping_method_problem
from sandbox.cli import cli, db_option
from sandbox.clock import iso, parse_iso
from sandbox.db import Store
from sandbox.errors import ApiError
from sandbox.operations import OperationContext, operation
from sandbox.order_acknowledgements import seller_order_id
from sandbox.order_store import (
    AMAZON,
    CANCELLED,
    MERCHANT,
    PENDING,
    SHIPPED,
    UNSHIPPED,
    OrderFactory,
    recompute_status,
    render_orders,
)
from sandbox.seed import DEMO_SELLER_ID, HOME_MARKETPLACE
from sandbox.state import current

MODEL = "orders_2026-01-01"
MODEL_V0 = "ordersV0"

MIN_DISTANCE_FROM_NOW = 120.0
"""*Before must be at least two minutes before the time of the request (model description)."""
TOKEN_LIFETIME = 86400.0
"""A paginationToken is valid for 24 hours."""


def _time_param(params: dict[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise ApiError(
            400, "InvalidInput", f"Invalid {name}: {value!r} is not an ISO 8601 date-time."
        ) from exc


def _filters(ctx: OperationContext) -> dict[str, Any]:
    """Validated search filters from the query (when no paginationToken is given)."""
    params, now = ctx.params, ctx.now
    created_after = _time_param(params, "createdAfter")
    updated_after = _time_param(params, "lastUpdatedAfter")
    if (created_after is None) == (updated_after is None):
        raise ApiError(
            400, "InvalidInput", "Exactly one of createdAfter and lastUpdatedAfter must be provided."
        )
    mode = "created" if created_after is not None else "lastUpdated"
    other = "lastUpdated" if mode == "created" else "created"
    if params.get(f"{other}Before") is not None:
        raise ApiError(400, "InvalidInput", f"{other}Before cannot be combined with {mode}After.")
    after = created_after if created_after is not None else updated_after
    before = _time_param(params, f"{mode}Before")
    latest = now - MIN_DISTANCE_FROM_NOW
    if before is None:
        before = latest
    elif before > latest:
        raise ApiError(
            400, "InvalidInput", f"{mode}Before must be at least two minutes before the time of the request."
        )
    if after > before:
        raise ApiError(
            400,
            "InvalidInput",
            f"{mode}After must be before {mode}Before (default: two minutes before the time of the request).",
        )
    allowed = {
        row["marketplace_id"]
        for row in ctx.store.all(
            "SELECT marketplace_id FROM participations WHERE seller_id = ?", (ctx.seller_id,)
        )
    }
    marketplaces = list(params.get("marketplaceIds") or sorted(allowed))
    unknown = [m for m in marketplaces if m not in allowed]
    if unknown:
        raise ApiError(400, "InvalidInput", f"Invalid marketplaceIds: {', '.join(unknown)}.")
    return {
        "mode": mode,
        "after": after,
        "before": before,
        "marketplaces": marketplaces,
        "statuses": params.get("fulfillmentStatuses") or [],
        "fulfilledBy": params.get("fulfilledBy") or [],
    }


def _encode_token(filters: dict[str, Any], key: tuple[float, str], now: float) -> str:
    raw = json.dumps({"f": filters, "k": list(key), "t": now}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, now: float) -> tuple[dict[str, Any], tuple[float, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        filters, key, issued = data["f"], (float(data["k"][0]), str(data["k"][1])), float(data["t"])
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ApiError(400, "InvalidInput", "Invalid paginationToken.") from exc
    if now - issued > TOKEN_LIFETIME:
        raise ApiError(
            400, "InvalidInput", "The paginationToken has expired (tokens are valid for 24 hours)."
        )
    return filters, key


@operation(MODEL, "searchOrders")
def search_orders(ctx: OperationContext) -> tuple[int, dict]:
    """Orders created or updated in a time range, oldest first, filtered and paginated."""
    params = ctx.params
    page_size = params.get("maxResultsPerPage", 100)
    if not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise ApiError(400, "InvalidInput", "maxResultsPerPage must be an integer between 1 and 100.")
    key: tuple[float, str] | None = None
    if params.get("paginationToken"):
        filters, key = _decode_token(params["paginationToken"], ctx.now)
    else:
        filters = _filters(ctx)
    column = "created_at" if filters["mode"] == "created" else "updated_at"
    sql = [f"SELECT * FROM orders WHERE seller_id = ? AND {column} >= ? AND {column} <= ?"]
    args: list[Any] = [ctx.seller_id, filters["after"], filters["before"]]
    for name, values in (
        ("marketplace_id", filters["marketplaces"]),
        ("status", filters["statuses"]),
        ("fulfilled_by", filters["fulfilledBy"]),
    ):
        if values:
            sql.append(f"AND {name} IN ({','.join('?' for _ in values)})")
            args.extend(values)
    if key is not None:
        sql.append(f"AND ({column} > ? OR ({column} = ? AND order_id > ?))")
        args.extend([key[0], key[0], key[1]])
    sql.append(f"ORDER BY {column}, order_id LIMIT ?")
    args.append(page_size + 1)
    rows = ctx.store.all(" ".join(sql), args)
    page = rows[:page_size]
    included = set(params.get("includedData") or [])
    body: dict[str, Any] = {"orders": render_orders(ctx.store.conn, page, included, ctx.now)}
    if len(rows) > page_size:
        last = page[-1]
        body["pagination"] = {"nextToken": _encode_token(filters, (last[column], last["order_id"]), ctx.now)}
    body[f"{filters['mode']}Before"] = iso(filters["before"])
    return 200, body


def _order_row(store: Store, order_id: str, seller_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM orders WHERE order_id = ? AND seller_id = ?", (order_id, seller_id))
    if row is None:
        raise ApiError(404, "NotFound", f"Order {order_id} was not found.")
    return row


@operation(MODEL, "getOrder")
def get_order(ctx: OperationContext) -> tuple[int, dict]:
    """One order with its items, plus the requested data sets."""
    row = _order_row(ctx.store, ctx.params["orderId"], ctx.seller_id)
    included = set(ctx.params.get("includedData") or [])
    return 200, {"order": render_orders(ctx.store.conn, [row], included, ctx.now)[0]}


@operation(MODEL_V0, "confirmShipment")
def confirm_shipment(ctx: OperationContext) -> tuple[int, None]:
    """Record a package (carrier, tracking, items) for a merchant-fulfilled order; 204 when accepted."""
    with ctx.store.transaction() as conn:
        apply_shipment(conn, ctx.seller_id, ctx.params["orderId"], ctx.body, ctx.now)
    return 204, None


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)


def apply_shipment(
    conn: sqlite3.Connection, seller_id: str, order_id: str, body: dict[str, Any], now: float
) -> str:
    """Validate a ConfirmShipmentRequest against the order and store its package; returns the new status.

    The same packageReferenceId sent again replaces that package (Amazon lets sellers correct a
    confirmation), so its quantities do not count twice.
    """
    order = conn.execute(
        "SELECT * FROM orders WHERE order_id = ? AND seller_id = ?", (order_id, seller_id)
    ).fetchone()
    if order is None:
        raise ApiError(404, "NotFound", f"Order {order_id} was not found.")
    if body["marketplaceId"] != order["marketplace_id"]:
        raise _invalid(
            f"Invalid marketplaceId '{body['marketplaceId']}': order {order_id} belongs to "
            f"marketplace {order['marketplace_id']}."
        )
    if order["fulfilled_by"] == AMAZON:
        raise _invalid(f"Order {order_id} is fulfilled by Amazon; shipments cannot be confirmed for it.")
    if order["status"] in (PENDING, CANCELLED):
        raise _invalid(f"Order {order_id} is {order['status']} and cannot be shipped.")
    detail = body["packageDetail"]
    reference = str(detail["packageReferenceId"])
    if not reference.isdigit() or int(reference) <= 0:
        raise _invalid(
            f"Invalid packageReferenceId '{reference}': only positive numeric values are supported."
        )
    problem = carrier_problem(detail["carrierCode"], detail.get("carrierName")) or shipping_method_problem(
        detail["carrierCode"], detail.get("shippingMethod")
    )
    if problem:
        raise _invalid(problem)
    if not str(detail["trackingNumber"]).strip():
        raise _invalid("trackingNumber must not be empty.")
    try:
        ship_time = parse_iso(detail["shipDate"])
    except ValueError as exc:
        raise _invalid(f"Invalid shipDate '{detail['shipDate']}': use ISO 8601 date-time format.") from exc
    requested = _requested_quantities(detail["orderItems"])
    items = {
        row["order_item_id"]: row
        for row in conn.execute("SELECT * FROM order_items WHERE order_id = ?", (order_id,))
    }
    shipped_elsewhere: dict[str, int] = {}
    for package in conn.execute(
        "SELECT items FROM order_packages WHERE order_id = ? AND package_reference_id != ?",
        (order_id, reference),
    ):
        for entry in json.loads(package["items"]):
            shipped_elsewhere[entry["orderItemId"]] = (
                shipped_elsewhere.get(entry["orderItemId"], 0) + entry["quantity"]
            )
    for item_id, quantity in requested.items():
        if item_id not in items:
            raise _invalid(f"Invalid orderItemId '{item_id}': it is not an item of order {order_id}.")
        available = items[item_id]["quantity"] - shipped_elsewhere.get(item_id, 0)
        if quantity > available:
            raise _invalid(
                f"Quantity {quantity} for orderItemId '{item_id}' exceeds the unshipped quantity "
                f"{max(0, available)}."
            )
    previous = conn.execute(
        "SELECT created_at FROM order_packages WHERE order_id = ? AND package_reference_id = ?",
        (order_id, reference),
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO order_packages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            order_id,
            reference,
            detail["carrierCode"],
            detail.get("carrierName"),
            detail.get("shippingMethod"),
            str(detail["trackingNumber"]).strip(),
            ship_time,
            previous["created_at"] if previous else now,
            json.dumps([{"orderItemId": k, "quantity": v} for k, v in requested.items()]),
        ),
    )
    status = recompute_status(conn, order_id)
    conn.execute("UPDATE orders SET status = ?, updated_at = ? WHERE order_id = ?", (status, now, order_id))
    return status


def _requested_quantities(order_items: list[dict[str, Any]]) -> dict[str, int]:
    if not order_items:
        raise _invalid("packageDetail.orderItems must list at least one order item.")
    requested: dict[str, int] = {}
    for entry in order_items:
        if entry["quantity"] < 1:
            raise _invalid(
                f"Invalid quantity {entry['quantity']} for orderItemId '{entry['orderItemId']}': "
                "it must be at least 1."
            )
        requested[entry["orderItemId"]] = requested.get(entry["orderItemId"], 0) + entry["quantity"]
    return requested


class ControlError(ValueError):
    """A control request that does not fit the order's state."""


def place_order(
    store: Store,
    now: float,
    *,
    seller_id: str = DEMO_SELLER_ID,
    marketplace_id: str | None = None,
    items: list[dict[str, Any]] | None = None,
    fulfilled_by: str = MERCHANT,
    status: str = UNSHIPPED,
    ship_service_level: str | None = None,
) -> str:
    """Create an order placed now; `items` = [{"sku", "quantity"}] (default: one of the seller's listings).

    Item data (ASIN, title, price) comes from the seller's listing; an unknown SKU still makes an order
    (Amazon may send orders for SKUs the seller no longer lists). Returns the order id.
    """
    seller = store.one("SELECT region FROM sellers WHERE seller_id = ?", (seller_id,))
    if seller is None:
        raise ControlError(f"unknown seller {seller_id}")
    marketplace_id = marketplace_id or HOME_MARKETPLACE.get(seller["region"], "ATVPDKIKX0DER")
    if fulfilled_by not in (MERCHANT, AMAZON) or status not in (PENDING, UNSHIPPED):
        raise ControlError("fulfilledBy must be MERCHANT or AMAZON and status PENDING or UNSHIPPED")
    if not items:
        channel = "LIKE 'AMAZON%'" if fulfilled_by == AMAZON else "= 'DEFAULT'"
        first = store.one(
            f"SELECT sku FROM listings WHERE seller_id = ? AND marketplace_id = ? AND "
            f"fulfillment_channel {channel} AND status = 'ACTIVE' ORDER BY sku LIMIT 1",
            (seller_id, marketplace_id),
        )
        if first is None:
            raise ControlError("the seller has no active listing to order; pass items")
        items = [{"sku": first["sku"], "quantity": 1}]
    lines = []
    for item in items:
        quantity = int(item.get("quantity", 1))
        if quantity < 1:
            raise ControlError("quantity must be at least 1")
        listing = store.one(
            "SELECT l.asin, l.price, c.title FROM listings l LEFT JOIN catalog_items c ON c.asin = l.asin "
            "WHERE l.seller_id = ? AND l.marketplace_id = ? AND l.sku = ?",
            (seller_id, marketplace_id, item["sku"]),
        )
        lines.append(_order_line(item["sku"], listing, quantity))
    country = store.one("SELECT country_code FROM marketplaces WHERE id = ?", (marketplace_id,))
    if country is None:
        raise ControlError(f"unknown marketplace {marketplace_id}")
    level = ship_service_level or (
        "Standard" if fulfilled_by == AMAZON else f"Std {country['country_code']} D2D Dom"
    )
    existing = {
        row["order_id"] for row in store.all("SELECT order_id FROM orders WHERE seller_id = ?", (seller_id,))
    }
    factory = OrderFactory(random.Random(f"{seller_id}:{now}:{len(existing)}"), existing)
    order, order_items = factory.build(
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        status=status,
        fulfilled_by=fulfilled_by,
        created=now,
        updated=now,
        lines=lines,
        ship_service_level=level,
    )
    with store.transaction() as conn:
        conn.execute(f"INSERT INTO orders VALUES ({','.join('?' * 16)})", order)
        conn.executemany(f"INSERT INTO order_items VALUES ({','.join('?' * 9)})", order_items)
    return order[0]


def _order_line(sku: str, listing: sqlite3.Row | None, quantity: int) -> dict[str, Any]:
    """An order line for `sku` from the seller's listing, with placeholders for what it lacks."""
    return {
        "sku": sku,
        "asin": (listing["asin"] if listing else None) or "B000000000",
        "title": (listing["title"] if listing else None) or f"Item {sku}",
        "price": (listing["price"] if listing else None) or 9.99,
        "quantity": quantity,
    }


def place_orders(
    store: Store, now: float, count: int, *, seller_id: str = DEMO_SELLER_ID, spread: float = 86400.0
) -> list[str]:
    """Bulk-place `count` Unshipped merchant orders in the seller's home marketplace, for benchmarks.

    Orders are created at even steps over the `spread` seconds before `now` (distinct times, so a search
    pages through them in a fixed order), one item each, cycling over the seller's active merchant
    listings. One transaction; returns the order ids, oldest first.
    """
    if count < 1 or spread <= 0:
        raise ControlError("count must be at least 1 and spread positive")
    seller = store.one("SELECT region FROM sellers WHERE seller_id = ?", (seller_id,))
    if seller is None:
        raise ControlError(f"unknown seller {seller_id}")
    marketplace_id = HOME_MARKETPLACE.get(seller["region"], "ATVPDKIKX0DER")
    listings = store.all(
        "SELECT l.sku, l.asin, l.price, c.title FROM listings l LEFT JOIN catalog_items c ON c.asin = l.asin "
        "WHERE l.seller_id = ? AND l.marketplace_id = ? AND l.fulfillment_channel = 'DEFAULT' "
        "AND l.status = 'ACTIVE' ORDER BY l.sku LIMIT 100",
        (seller_id, marketplace_id),
    )
    if not listings:
        raise ControlError("the seller has no active merchant listing to order")
    country = store.one("SELECT country_code FROM marketplaces WHERE id = ?", (marketplace_id,))[
        "country_code"
    ]
    existing = {
        row["order_id"] for row in store.all("SELECT order_id FROM orders WHERE seller_id = ?", (seller_id,))
    }
    factory = OrderFactory(random.Random(f"{seller_id}:{now}:{count}"), existing)
    orders, items = [], []
    for index in range(count):
        listing = listings[index % len(listings)]
        created = now - spread + spread * index / count
        order, order_items = factory.build(
            seller_id=seller_id,
            marketplace_id=marketplace_id,
            status=UNSHIPPED,
            fulfilled_by=MERCHANT,
            created=created,
            updated=created,
            lines=[_order_line(listing["sku"], listing, 1)],
            ship_service_level=f"Std {country} D2D Dom",
        )
        orders.append(order)
        items.extend(order_items)
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO orders VALUES ({','.join('?' * 16)})", orders)
        conn.executemany(f"INSERT INTO order_items VALUES ({','.join('?' * 9)})", items)
    return [order[0] for order in orders]


def _change(
    store: Store,
    order_id: str,
    now: float,
    allowed: tuple[str, ...],
    new_status: str,
    channel: str | None = None,
) -> dict[str, Any]:
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise ControlError(f"no order {order_id}")
        if channel is not None and row["fulfilled_by"] != channel:
            raise ControlError(f"order {order_id} is fulfilled by {row['fulfilled_by']}, not {channel}")
        if row["status"] not in allowed:
            raise ControlError(f"order {order_id} is {row['status']}; expected one of {', '.join(allowed)}")
        if new_status == SHIPPED:
            conn.execute("UPDATE order_items SET shipped = quantity WHERE order_id = ?", (order_id,))
        conn.execute(
            "UPDATE orders SET status = ?, updated_at = ? WHERE order_id = ?", (new_status, now, order_id)
        )
    return {"orderId": order_id, "status": new_status, "lastUpdatedTime": iso(now)}


def cancel_order(store: Store, now: float, order_id: str) -> dict[str, Any]:
    """Cancel a Pending or Unshipped order (buyer or Amazon cancellation)."""
    return _change(store, order_id, now, (PENDING, UNSHIPPED), CANCELLED)


def release_order(store: Store, now: float, order_id: str) -> dict[str, Any]:
    """Payment authorized: a Pending order becomes Unshipped."""
    return _change(store, order_id, now, (PENDING,), UNSHIPPED)


def ship_fba_order(store: Store, now: float, order_id: str) -> dict[str, Any]:
    """Amazon ships an FBA order: every item shipped, status Shipped."""
    return _change(store, order_id, now, (PENDING, UNSHIPPED), SHIPPED, channel=AMAZON)


def order_summary(store: Store, order_id: str, now: float) -> dict[str, Any] | None:
    """Amazon-side view of an order for controls and tests (includes the raw ship service level)."""
    row = store.one("SELECT * FROM orders WHERE order_id = ?", (order_id,))
    if row is None:
        return None
    rendered = render_orders(store.conn, [row], {"FULFILLMENT", "PACKAGES"}, now)[0]
    return {
        "sellerId": row["seller_id"],
        "status": row["status"],
        "fulfilledBy": row["fulfilled_by"],
        "shipServiceLevel": row["ship_service_level"],
        # What v0 getOrder shows as SellerOrderId once an acknowledgement feed set it.
        "sellerOrderId": seller_order_id(store, order_id),
        "order": rendered,
    }


def _control_response(fn, *args: Any):
    try:
        return jsonify(fn(*args))
    except ControlError as exc:
        return jsonify({"error": str(exc)}), 400


@admin_bp.post("/orders")
def place_order_view():
    """Place an order: `{"sellerId", "marketplaceId", "items": [{"sku", "quantity"}], "fulfilledBy", "status",
    "shipServiceLevel"}` (all optional)."""
    data = request.get_json(silent=True) or {}
    sandbox = current()
    try:
        order_id = place_order(
            sandbox.store,
            sandbox.clock.now(),
            seller_id=data.get("sellerId", DEMO_SELLER_ID),
            marketplace_id=data.get("marketplaceId"),
            items=data.get("items"),
            fulfilled_by=data.get("fulfilledBy", MERCHANT),
            status=data.get("status", UNSHIPPED),
            ship_service_level=data.get("shipServiceLevel"),
        )
    except (ControlError, KeyError, TypeError) as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(order_summary(sandbox.store, order_id, sandbox.clock.now())), 201


@admin_bp.get("/orders/<order_id>")
def show_order(order_id: str):
    """The Amazon-side view of an order."""
    summary = order_summary(current().store, order_id, current().clock.now())
    return (jsonify(summary), 200) if summary else (jsonify({"error": f"no order {order_id}"}), 404)


@admin_bp.post("/orders/<order_id>/cancel")
def cancel_order_view(order_id: str):
    """Cancel a Pending/Unshipped order (lastUpdatedTime moves to now)."""
    return _control_response(cancel_order, current().store, current().clock.now(), order_id)


@admin_bp.post("/orders/<order_id>/release")
def release_order_view(order_id: str):
    """A Pending order becomes Unshipped."""
    return _control_response(release_order, current().store, current().clock.now(), order_id)


@admin_bp.post("/orders/<order_id>/ship")
def ship_fba_order_view(order_id: str):
    """Amazon ships an FBA order."""
    return _control_response(ship_fba_order, current().store, current().clock.now(), order_id)


def _cli_state(db: str | None):
    from sandbox.cli import _app

    return _app(db).extensions["sandbox"]


@cli.command("place-order")
@db_option
@click.option("--seller", default=DEMO_SELLER_ID, show_default=True)
@click.option("--marketplace", default=None, help="Default: the seller's home marketplace.")
@click.option("--item", "items", multiple=True, help="SKU or SKU:QUANTITY (repeatable).")
@click.option("--fba", is_flag=True, help="Fulfilled by Amazon.")
@click.option("--pending", is_flag=True, help="Start Pending instead of Unshipped.")
@click.option("--service-level", default=None, help='Ship service level, e.g. "Exp US D2D Dom".')
def place_order_cmd(
    db: str | None,
    seller: str,
    marketplace: str | None,
    items: tuple[str, ...],
    fba: bool,
    pending: bool,
    service_level: str | None,
) -> None:
    """Place a new order now."""
    state = _cli_state(db)
    parsed = [
        {"sku": item.rsplit(":", 1)[0], "quantity": int(item.rsplit(":", 1)[1]) if ":" in item else 1}
        for item in items
    ]
    try:
        order_id = place_order(
            state.store,
            state.clock.now(),
            seller_id=seller,
            marketplace_id=marketplace,
            items=parsed or None,
            fulfilled_by=AMAZON if fba else MERCHANT,
            status=PENDING if pending else UNSHIPPED,
            ship_service_level=service_level,
        )
    except ControlError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(order_id)


@cli.command("place-orders")
@db_option
@click.option("--count", default=2000, show_default=True, type=int)
@click.option("--seller", default=DEMO_SELLER_ID, show_default=True)
@click.option("--spread-hours", default=24.0, show_default=True, type=float, help="Created over this span.")
def place_orders_cmd(db: str | None, count: int, seller: str, spread_hours: float) -> None:
    """Bulk-place Unshipped merchant orders created over the last hours (benchmarks)."""
    state = _cli_state(db)
    try:
        ids = place_orders(
            state.store, state.clock.now(), count, seller_id=seller, spread=spread_hours * 3600
        )
    except ControlError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"placed {len(ids)} orders ({ids[0]} … {ids[-1]})")


def _cli_change(fn, db: str | None, order_id: str) -> None:
    state = _cli_state(db)
    try:
        click.echo(json.dumps(fn(state.store, state.clock.now(), order_id)))
    except ControlError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("cancel-order")
@db_option
@click.argument("order_id")
def cancel_order_cmd(db: str | None, order_id: str) -> None:
    """Cancel a Pending or Unshipped order."""
    _cli_change(cancel_order, db, order_id)


@cli.command("release-order")
@db_option
@click.argument("order_id")
def release_order_cmd(db: str | None, order_id: str) -> None:
    """Move a Pending order to Unshipped."""
    _cli_change(release_order, db, order_id)


@cli.command("ship-fba-order")
@db_option
@click.argument("order_id")
def ship_fba_order_cmd(db: str | None, order_id: str) -> None:
    """Mark an FBA order shipped by Amazon."""
    _cli_change(ship_fba_order, db, order_id)
