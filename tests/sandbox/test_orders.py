"""Orders 2026-01-01 (searchOrders, getOrder) and v0 confirmShipment through python-amazon-sp-api."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sp_api.api import Orders
from sp_api.base import SellingApiBadRequestException, SellingApiNotFoundException

from sandbox import create_app
from sandbox.cli import cli
from sandbox.clock import iso
from sandbox.seed import DEMO_SELLER_ID, seed_world
from sandbox.testing import SandboxServer
from tests.sandbox.support import validate

MODEL = "orders_2026-01-01"
US = "ATVPDKIKX0DER"
DAY = 86400.0
EVERYTHING = ["BUYER", "RECIPIENT", "FULFILLMENT", "PACKAGES"]


@pytest.fixture
def orders(spapi: Callable[..., Any]) -> Any:
    """An Orders 2026-01-01 client for the demo seller in the US."""
    return spapi(Orders, version="2026-01-01")


@pytest.fixture
def orders_v0(spapi: Callable[..., Any]) -> Any:
    """An Orders v0 client (confirmShipment)."""
    return spapi(Orders)


def _now(server: SandboxServer) -> float:
    return server.admin("get", "/clock")["amazonTimestamp"]


def _search(orders: Any, **params: Any) -> dict[str, Any]:
    """The whole response body (the library moves `pagination` out of the payload)."""
    response = orders.search_orders(**params)
    body = {**response.payload, **({"pagination": response.pagination} if response.pagination else {})}
    validate(MODEL, "searchOrders", body)
    return body


def _get(orders: Any, order_id: str, included: list[str] | None = None) -> dict[str, Any]:
    kwargs = {"includedData": included} if included else {}
    payload = orders.get_order(order_id, **kwargs).payload
    validate(MODEL, "getOrder", payload)
    return payload["order"]


def _all_pages(orders: Any, **params: Any) -> list[dict[str, Any]]:
    found, token = [], None
    while True:
        page = _search(orders, **params, **({"paginationToken": token} if token else {}))
        found.extend(page["orders"])
        token = page.get("pagination", {}).get("nextToken")
        if not token:
            return found


def _db_count(server: SandboxServer, where: str = "1 = 1", params: tuple = ()) -> int:
    return server.sandbox.store.one(
        f"SELECT COUNT(*) AS n FROM orders WHERE seller_id = ? AND marketplace_id = ? AND {where}",
        (DEMO_SELLER_ID, US, *params),
    )["n"]


def _place(server: SandboxServer, **order: Any) -> dict[str, Any]:
    return server.admin("post", "/orders", json=order)["order"]


def _merchant_skus(server: SandboxServer) -> list[str]:
    rows = server.sandbox.store.all(
        "SELECT sku FROM listings WHERE seller_id = ? AND marketplace_id = ? "
        "AND fulfillment_channel = 'DEFAULT' ORDER BY sku LIMIT 2",
        (DEMO_SELLER_ID, US),
    )
    return [row["sku"] for row in rows]


def test_search_paginates_through_every_order_once(sandbox_server: SandboxServer, orders: Any) -> None:
    since = iso(_now(sandbox_server) - 90 * DAY)
    first = _search(orders, createdAfter=since, maxResultsPerPage=4)
    assert len(first["orders"]) == 4 and first["pagination"]["nextToken"]
    assert "createdBefore" in first
    found = _all_pages(orders, createdAfter=since, maxResultsPerPage=4)
    ids = [o["orderId"] for o in found]
    assert len(ids) == len(set(ids)) == _db_count(sandbox_server)
    assert [o["createdTime"] for o in found] == sorted(o["createdTime"] for o in found)


def test_optional_data_sets_are_absent_unless_requested(sandbox_server: SandboxServer, orders: Any) -> None:
    since = iso(_now(sandbox_server) - 90 * DAY)
    bare = _search(orders, createdAfter=since)["orders"]
    assert bare and all(not {"buyer", "recipient", "fulfillment", "packages"} & set(o) for o in bare)
    assert all("fulfillment" not in item for o in bare for item in o["orderItems"])
    full = _search(orders, createdAfter=since, includedData=EVERYTHING)["orders"]
    for order in full:
        status, fulfilled_by = order["fulfillment"]["fulfillmentStatus"], order["fulfillment"]["fulfilledBy"]
        assert order["buyer"]["buyerName"]
        assert ("buyerEmail" in order["buyer"]) == (fulfilled_by == "MERCHANT")
        assert ("recipient" in order) == (status in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"))
        assert ("packages" in order) == (fulfilled_by == "MERCHANT")
        assert all("quantityUnfulfilled" in item["fulfillment"] for item in order["orderItems"])
        if status == "SHIPPED" and fulfilled_by == "MERCHANT":
            assert order["packages"][0]["trackingNumber"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        (
            {"fulfillmentStatuses": ["UNSHIPPED", "PARTIALLY_SHIPPED"]},
            "status IN ('UNSHIPPED', 'PARTIALLY_SHIPPED')",
        ),
        ({"fulfilledBy": ["AMAZON"]}, "fulfilled_by = 'AMAZON'"),
        (
            {"fulfilledBy": ["MERCHANT"], "fulfillmentStatuses": ["SHIPPED"]},
            "fulfilled_by = 'MERCHANT' AND status = 'SHIPPED'",
        ),
    ],
)
def test_search_filters(
    sandbox_server: SandboxServer, orders: Any, params: dict[str, Any], where: str
) -> None:
    since = iso(_now(sandbox_server) - 90 * DAY)
    found = _all_pages(
        orders, createdAfter=since, includedData=["FULFILLMENT"], maxResultsPerPage=100, **params
    )
    assert found and len(found) == _db_count(sandbox_server, where)
    for order in found:
        if "fulfillmentStatuses" in params:
            assert order["fulfillment"]["fulfillmentStatus"] in params["fulfillmentStatuses"]
        if "fulfilledBy" in params:
            assert order["fulfillment"]["fulfilledBy"] in params["fulfilledBy"]


def test_search_by_created_window(sandbox_server: SandboxServer, orders: Any) -> None:
    now = _now(sandbox_server)
    found = _all_pages(orders, createdAfter=iso(now - 20 * DAY), createdBefore=iso(now - 2 * DAY))
    expected = _db_count(
        sandbox_server,
        "created_at >= ? AND created_at <= ?",
        (float(int(now - 20 * DAY)), float(int(now - 2 * DAY))),
    )
    assert len(found) == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"createdAfter": "2020-01-01T00:00:00Z", "lastUpdatedAfter": "2020-01-01T00:00:00Z"},
        {"createdAfter": "2020-01-01T00:00:00Z", "lastUpdatedBefore": "2020-01-02T00:00:00Z"},
        {"createdAfter": "2020-01-01T00:00:00Z", "maxResultsPerPage": 0},
        {"createdAfter": "2020-01-01T00:00:00Z", "maxResultsPerPage": 101},
        {"createdAfter": "yesterday"},
        {"createdAfter": "2020-01-01T00:00:00Z", "paginationToken": "garbage"},
    ],
)
def test_search_rejects_invalid_parameters(orders: Any, params: dict[str, Any]) -> None:
    with pytest.raises(SellingApiBadRequestException):
        orders.search_orders(**params)


def test_created_before_must_be_two_minutes_in_the_past(sandbox_server: SandboxServer, orders: Any) -> None:
    now = _now(sandbox_server)
    with pytest.raises(SellingApiBadRequestException, match="two minutes"):
        orders.search_orders(createdAfter=iso(now - DAY), createdBefore=iso(now - 30))


def test_cancelled_order_is_found_by_last_updated_after(sandbox_server: SandboxServer, orders: Any) -> None:
    placed = _place(sandbox_server)
    sandbox_server.admin("post", "/clock/advance", json={"minutes": 10})
    cancelled_at = _now(sandbox_server)
    cancel = sandbox_server.admin("post", f"/orders/{placed['orderId']}/cancel")
    assert cancel["status"] == "CANCELLED"
    sandbox_server.admin("post", "/clock/advance", json={"minutes": 5})
    found = _all_pages(orders, lastUpdatedAfter=iso(cancelled_at - 1), includedData=["FULFILLMENT"])
    assert [o["orderId"] for o in found] == [placed["orderId"]]
    assert found[0]["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert found[0]["lastUpdatedTime"] > found[0]["createdTime"]


def test_get_order_and_unknown_order(sandbox_server: SandboxServer, orders: Any) -> None:
    placed = _place(sandbox_server)
    order = _get(orders, placed["orderId"], ["FULFILLMENT"])
    assert order["orderId"] == placed["orderId"] and order["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    assert order["salesChannel"] == {
        "channelName": "AMAZON",
        "marketplaceId": US,
        "marketplaceName": "Amazon.com",
    }
    with pytest.raises(SellingApiNotFoundException):
        orders.get_order("111-0000000-0000000")


def _package(
    order: dict[str, Any], reference: str, quantities: list[int], **overrides: Any
) -> dict[str, Any]:
    detail = {
        "packageReferenceId": reference,
        "carrierCode": "UPS",
        "shippingMethod": "UPS Ground",
        "trackingNumber": f"1Z999AA1012345678{reference}",
        "shipDate": order["createdTime"],  # shipped as soon as placed: never before it, never in the future
        "orderItems": [
            {"orderItemId": item["orderItemId"], "quantity": qty}
            for item, qty in zip(order["orderItems"], quantities, strict=False)
            if qty
        ],
    }
    return {**detail, **overrides}


def test_confirm_shipment_updates_packages_and_status(
    sandbox_server: SandboxServer, orders: Any, orders_v0: Any
) -> None:
    first, second = _merchant_skus(sandbox_server)
    placed = _place(sandbox_server, items=[{"sku": first, "quantity": 1}, {"sku": second, "quantity": 2}])
    order_id = placed["orderId"]
    response = orders_v0.confirm_shipment(
        order_id, marketplaceId=US, packageDetail=_package(placed, "1", [1, 1])
    )
    assert response.payload == {"status_code": 204}
    order = _get(orders, order_id, EVERYTHING)
    assert order["fulfillment"]["fulfillmentStatus"] == "PARTIALLY_SHIPPED"
    assert [i["fulfillment"]["quantityUnfulfilled"] for i in order["orderItems"]] == [0, 1]

    corrected = _package(
        placed,
        "1",
        [1, 1],
        trackingNumber="9400111899223100000001",
        carrierCode="USPS",
        shippingMethod="Priority Mail",
    )
    orders_v0.confirm_shipment(order_id, marketplaceId=US, packageDetail=corrected)
    packages = _get(orders, order_id, ["PACKAGES"])["packages"]
    assert len(packages) == 1
    assert packages[0]["trackingNumber"] == "9400111899223100000001" and packages[0]["carrier"] == "USPS"
    assert packages[0]["shippingService"] == "Priority Mail"

    orders_v0.confirm_shipment(order_id, marketplaceId=US, packageDetail=_package(placed, "2", [0, 1]))
    order = _get(orders, order_id, EVERYTHING)
    assert order["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert [p["packageReferenceId"] for p in order["packages"]] == ["1", "2"]
    assert order["packages"][1]["packageItems"] == [
        {"orderItemId": placed["orderItems"][1]["orderItemId"], "quantity": 1}
    ]


@pytest.mark.parametrize(
    ("overrides", "quantities", "message"),
    [
        ({"shippingMethod": "UP Ground"}, [1], "UP Ground"),
        ({"carrierCode": "Other", "shippingMethod": "Local courier"}, [1], "carrierName"),
        ({"carrierCode": "Fedex", "shippingMethod": "FedEx Ground"}, [1], "Did you mean 'FedEx'"),
        ({"packageReferenceId": "PKG-1"}, [1], "packageReferenceId"),
        ({"shipDate": "02/21/2022"}, [1], "shipDate"),
        ({}, [2], "exceeds the unshipped quantity 1"),
        ({"orderItems": [{"orderItemId": "99999999999999", "quantity": 1}]}, [1], "99999999999999"),
    ],
)
def test_confirm_shipment_rejects_bad_input(
    sandbox_server: SandboxServer,
    orders: Any,
    orders_v0: Any,
    overrides: dict[str, Any],
    quantities: list[int],
    message: str,
) -> None:
    placed = _place(sandbox_server, items=[{"sku": _merchant_skus(sandbox_server)[0], "quantity": 1}])
    detail = _package(placed, "1", quantities, **overrides)
    with pytest.raises(SellingApiBadRequestException) as raised:
        orders_v0.confirm_shipment(placed["orderId"], marketplaceId=US, packageDetail=detail)
    assert message in raised.value.message
    order = _get(orders, placed["orderId"], EVERYTHING)
    assert order["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED" and order["packages"] == []


def test_other_carrier_with_name_is_accepted(
    sandbox_server: SandboxServer, orders: Any, orders_v0: Any
) -> None:
    placed = _place(sandbox_server, items=[{"sku": _merchant_skus(sandbox_server)[0], "quantity": 1}])
    detail = _package(placed, "1", [1], carrierCode="Other", carrierName="Speedy Local", shippingMethod="Van")
    orders_v0.confirm_shipment(placed["orderId"], marketplaceId=US, packageDetail=detail)
    order = _get(orders, placed["orderId"], EVERYTHING)
    assert order["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert order["packages"][0]["carrier"] == "Speedy Local"


def test_fba_order_cannot_be_confirmed_but_amazon_ships_it(
    sandbox_server: SandboxServer, orders: Any, orders_v0: Any
) -> None:
    placed = _place(sandbox_server, fulfilledBy="AMAZON")
    with pytest.raises(SellingApiBadRequestException, match="fulfilled by Amazon"):
        orders_v0.confirm_shipment(
            placed["orderId"], marketplaceId=US, packageDetail=_package(placed, "1", [1])
        )
    shipped = sandbox_server.admin("post", f"/orders/{placed['orderId']}/ship")
    assert shipped["status"] == "SHIPPED"
    order = _get(orders, placed["orderId"], ["FULFILLMENT"])
    assert order["fulfillment"]["fulfilledBy"] == "AMAZON"
    assert order["orderItems"][0]["fulfillment"] == {"quantityFulfilled": 1, "quantityUnfulfilled": 0}


def test_seed_orders_cover_statuses_channels_and_service_levels() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SANDBOX_DB": str(Path(tmp) / "s.db")})
        store = app.extensions["sandbox"].store
        seed_world(store, 1_800_000_000.0, listings=300, orders=400, sellers=2)
        rows = store.all("SELECT * FROM orders")
        first = [tuple(r) for r in store.all("SELECT * FROM orders ORDER BY order_id")]
        seed_world(store, 1_800_000_000.0, listings=300, orders=400, sellers=2)
        assert [tuple(r) for r in store.all("SELECT * FROM orders ORDER BY order_id")] == first
        assert {(r["status"], r["fulfilled_by"]) for r in rows} >= {
            ("PENDING", "MERCHANT"),
            ("UNSHIPPED", "MERCHANT"),
            ("PARTIALLY_SHIPPED", "MERCHANT"),
            ("SHIPPED", "MERCHANT"),
            ("CANCELLED", "MERCHANT"),
            ("SHIPPED", "AMAZON"),
            ("UNSHIPPED", "AMAZON"),
        }
        assert {"Std US D2D Dom", "Exp US D2D Dom", "Second US D2D Dom", "Econ US Dom"} <= {
            r["ship_service_level"] for r in rows
        }
        assert all(
            1_800_000_000 - 61 * DAY <= r["created_at"] <= r["updated_at"] <= 1_800_000_000 for r in rows
        )
        multi = store.one(
            "SELECT COUNT(*) AS n FROM (SELECT order_id FROM order_items GROUP BY order_id "
            "HAVING COUNT(*) > 1)"
        )["n"]
        unknown = store.one(
            "SELECT COUNT(*) AS n FROM order_items i JOIN orders o USING (order_id) WHERE NOT EXISTS "
            "(SELECT 1 FROM listings l WHERE l.seller_id = o.seller_id AND l.sku = i.sku)"
        )["n"]
        assert multi > 40 and unknown > 0


def test_place_orders_cli_bulk_places_unshipped_merchant_orders_at_distinct_times(tmp_path: Path) -> None:
    db = str(tmp_path / "bulk.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["seed", "--db", db, "--listings", "50", "--orders", "0"]).exit_code == 0
    result = runner.invoke(cli, ["place-orders", "--db", db, "--count", "250", "--spread-hours", "2"])
    assert result.exit_code == 0, result.output
    assert "placed 250 orders" in result.output
    state = create_app({"SANDBOX_DB": db}).extensions["sandbox"]
    rows = state.store.all(
        "SELECT o.status, o.fulfilled_by, o.created_at, COUNT(i.order_item_id) AS items FROM orders o "
        "JOIN order_items i ON i.order_id = o.order_id WHERE o.seller_id = ? AND o.marketplace_id = ? "
        "GROUP BY o.order_id",
        (DEMO_SELLER_ID, US),
    )
    assert len(rows) == 250
    assert {(r["status"], r["fulfilled_by"], r["items"]) for r in rows} == {("UNSHIPPED", "MERCHANT", 1)}
    created = sorted(r["created_at"] for r in rows)
    assert len(set(created)) == 250, "distinct times: pages in a fixed order"
    assert state.clock.now() - 2 * 3600 - 5 <= created[0] and created[-1] < state.clock.now()
