"""Sync Orders against the sandbox: packages reach Amazon under a stable package number and are never sent
again once accepted; the "UP Ground" near miss is rejected before any call, with a suggestion, and is
accepted after the edit; an edit made while its package is in flight is not lost; Amazon's own
refusals, outages and a revoked authorization; packages Amazon already holds (shipped outside Shelfsync)
keep their numbers and count as shipped."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from jobs.sync_orders import CONTENTS_REJECTED_HELP
from sandbox.seed import DEMO_SELLER_ID
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, run_job
from tests.orders_support import advance, amazon_change, imported, place_order, with_default_mappings
from tests.runs_support import fresh, notes, wait_for, work
from tests.shipments_support import (
    fresh_order,
    saved_without_the_method_check,
    ship_in_seller_central,
    shipments_of,
)
from webapp.extensions import db
from webapp.models import (
    Channel,
    Connection,
    ConnectionStatus,
    Order,
    OrderStatus,
    OrderSyncState,
    RunKind,
    RunStatus,
    Shipment,
    ShipmentSyncState,
)
from webapp.services.runs import start_run
from webapp.services.shipments import (
    NewShipment,
    ShipmentDetails,
    add_shipment,
    can_add,
    delete_shipment,
    remaining_quantities,
    update_shipment,
)
from webapp.timeutil import utcnow

# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


@pytest.fixture
def channel(app, redis, sandbox) -> Channel:
    """The demo seller's US channel with its orders (the seed's and two new ones) imported by a real
    Get Orders run."""
    channel = with_default_mappings(demo_channel(sandbox))
    place_order(sandbox)
    place_order(sandbox)
    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED
    return channel


def open_orders(channel: Channel, count: int = 1, min_items: int = 1) -> list[Order]:
    """Imported unshipped merchant orders (the sandbox seeds several)."""
    orders = [
        order
        for order in imported(channel).values()
        if order.status == OrderStatus.UNSHIPPED and not order.is_fba and len(order.items) >= min_items
    ]
    assert len(orders) >= count
    return sorted(orders, key=lambda order: order.amazon_order_id)[:count]


def ship(
    order: Order,
    carrier: str = "USPS",
    method: str = "Priority Mail",
    tracking: str = "9400100000000000000001",
    quantities: dict[int, int] | None = None,
):
    """Add a package holding ``quantities`` (default: everything) and commit."""
    quantities = quantities or {item.id: item.quantity_ordered for item in order.items}
    shipment = add_shipment(
        order, NewShipment(ShipmentDetails(carrier, "", method, tracking, utcnow().date()), quantities)
    )
    db.session.commit()
    return shipment


def amazon_packages(sandbox, order: Order) -> list[dict]:
    """The order's packages as Amazon (the sandbox) holds them."""
    rows = sandbox.sandbox.store.all(
        "SELECT * FROM order_packages WHERE order_id = ? ORDER BY CAST(package_reference_id AS INTEGER)",
        (order.amazon_order_id,),
    )
    return [dict(row) for row in rows]


def amazon_status(sandbox, order: Order) -> str:
    return sandbox.sandbox.store.one(
        "SELECT status FROM orders WHERE order_id = ?", (order.amazon_order_id,)
    )["status"]


def confirm_calls(sandbox) -> list[dict]:
    return sandbox.admin("get", "/calls", params={"operation": "confirmShipment"})["calls"]


def sync(app, redis, channel: Channel):
    return run_job(app, redis, channel, RunKind.SYNC_ORDERS)


def test_an_accepted_package_is_on_amazon_and_the_next_run_does_not_send_it_again(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    shipment = ship(order)

    first = sync(app, redis, channel)
    second = sync(app, redis, channel)

    assert first.status == RunStatus.SUCCEEDED, [n.message for n in notes(first.id)]
    assert first.counts == {"sent": 1, "accepted": 1}
    [saved] = shipments_of(order)
    assert saved.sync_state == ShipmentSyncState.ACCEPTED and saved.synced_at and saved.attempts == 1
    assert fresh_order(order.id).sync_state == OrderSyncState.SYNCED
    [package] = amazon_packages(sandbox, order)
    assert (package["package_reference_id"], package["carrier_code"], package["shipping_method"]) == (
        str(shipment.package_reference_id),
        "USPS",
        "Priority Mail",
    )
    assert package["tracking_number"] == "9400100000000000000001"
    assert amazon_status(sandbox, order) == "SHIPPED"
    assert second.status == RunStatus.SUCCEEDED and not second.counts.get("sent")
    assert len(confirm_calls(sandbox)) == 1


def test_partial_packages_keep_their_numbers_and_an_edit_replaces_the_package_on_amazon(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel, min_items=2)
    first_item, *rest = order.items
    one = ship(order, tracking="T-1", quantities={first_item.id: first_item.quantity_ordered})
    two = ship(order, tracking="T-2", quantities={item.id: item.quantity_ordered for item in rest})
    sync(app, redis, channel)

    update_shipment(one, ShipmentDetails("USPS", "", "Priority Mail", "T-1-CORRECTED", utcnow().date()))
    db.session.commit()
    run = sync(app, redis, channel)

    assert (one.package_reference_id, two.package_reference_id) == (1, 2)
    assert run.counts == {"sent": 1, "accepted": 1}
    packages = amazon_packages(sandbox, order)
    assert [(p["package_reference_id"], p["tracking_number"]) for p in packages] == [
        ("1", "T-1-CORRECTED"),
        ("2", "T-2"),
    ]
    assert [c["status"] for c in confirm_calls(sandbox)] == [204, 204, 204]
    assert amazon_status(sandbox, order) == "SHIPPED"


def test_a_stored_up_ground_is_rejected_with_a_suggestion_then_edited_and_accepted_on_the_next_run(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    shipment = saved_without_the_method_check(order, "UPS", "UP Ground", "1Z999AA10123456784")

    rejected = sync(app, redis, channel)

    assert rejected.status == RunStatus.PARTIAL and rejected.counts == {"rejected": 1}
    [saved] = shipments_of(order)
    assert saved.sync_state == ShipmentSyncState.REJECTED
    assert saved.last_error == "“UP Ground” is not a shipping method of UPS."
    assert saved.last_error_help.startswith("Did you mean “UPS Ground”?")
    assert fresh_order(order.id).sync_state == OrderSyncState.REJECTED
    [error] = notes(rejected.id, "error")
    assert error.reference == order.amazon_order_id and order.amazon_order_id in error.message
    assert error.code == "shipment_rejected" and "UPS Ground" in error.help
    assert confirm_calls(sandbox) == [], "a local failure never reaches Amazon"

    repeated = sync(app, redis, channel)
    assert repeated.counts == {"unchanged": 1} and notes(repeated.id, "error") == []

    assert update_shipment(
        saved, ShipmentDetails("UPS", "", "UPS Ground", saved.tracking_number, utcnow().date())
    )
    db.session.commit()
    assert fresh_order(order.id).sync_state == OrderSyncState.PENDING
    accepted = sync(app, redis, channel)

    assert accepted.status == RunStatus.SUCCEEDED and accepted.counts == {"sent": 1, "accepted": 1}
    [done] = shipments_of(order)
    assert (
        done.sync_state == ShipmentSyncState.ACCEPTED and done.last_error == "" and done.last_error_help == ""
    )
    assert done.package_reference_id == shipment.package_reference_id
    [package] = amazon_packages(sandbox, order)
    assert (package["carrier_code"], package["shipping_method"]) == ("UPS", "UPS Ground")
    assert fresh_order(order.id).sync_state == OrderSyncState.SYNCED


def test_a_method_near_none_of_ours_goes_to_amazon_and_its_refusal_is_stored(app, redis, channel, sandbox):
    [order] = open_orders(channel)
    ship(order, carrier="UPS", method="Worldwide Freight Pallet")

    run = sync(app, redis, channel)

    assert [c["status"] for c in confirm_calls(sandbox)] == [400], "Amazon was asked"
    assert run.counts == {"sent": 1, "rejected": 1}
    [saved] = shipments_of(order)
    assert saved.sync_state == ShipmentSyncState.REJECTED and saved.attempts == 1
    assert "Invalid shippingMethod 'Worldwide Freight Pallet'" in saved.last_error


def test_amazons_own_refusal_is_stored_with_its_message_our_help_and_the_attempt(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    ship(order)
    amazon_change(sandbox, order.amazon_order_id, "cancel")  # Get Orders has not seen it yet

    run = sync(app, redis, channel)

    assert run.status == RunStatus.PARTIAL and run.counts == {"sent": 1, "rejected": 1}
    [saved] = shipments_of(order)
    assert saved.sync_state == ShipmentSyncState.REJECTED and saved.attempts == 1
    assert saved.last_error == f"Order {order.amazon_order_id} is CANCELLED and cannot be shipped."
    assert "Edit the shipment" in saved.last_error_help
    [error] = notes(run.id, "error")
    assert error.message.startswith(f"Amazon rejected package 1 of order {order.amazon_order_id}")
    assert amazon_packages(sandbox, order) == []


def test_an_order_cancelled_in_shelfsync_is_rejected_without_calling_amazon(app, redis, channel, sandbox):
    [order] = open_orders(channel)
    ship(order)
    order = fresh_order(order.id)
    order.status = OrderStatus.CANCELLED
    db.session.commit()

    run = sync(app, redis, channel)

    assert run.counts == {"rejected": 1} and confirm_calls(sandbox) == []
    assert shipments_of(order)[0].last_error == f"Order {order.amazon_order_id} is cancelled."


def test_when_amazon_keeps_failing_shipments_stay_pending_for_the_next_run(app, redis, channel, sandbox):
    orders = open_orders(channel, count=2)
    for index, order in enumerate(orders):
        ship(order, tracking=f"T-{index}")
    sandbox.admin("put", "/faults/confirmShipment", json={"p503": 1.0})

    down = sync(app, redis, channel)

    assert down.status == RunStatus.SUCCEEDED and down.counts == {"sent": 1, "unchanged": 2}
    [warning] = notes(down.id, "warning")
    assert warning.code == "amazon_unavailable" and "2 shipments stay pending" in warning.message
    assert all(shipments_of(order)[0].sync_state == ShipmentSyncState.PENDING for order in orders)
    assert all(fresh_order(order.id).sync_state == OrderSyncState.PENDING for order in orders)

    sandbox.admin("delete", "/faults/confirmShipment")
    back = sync(app, redis, channel)

    assert back.counts == {"sent": 2, "accepted": 2}


def test_a_revoked_authorization_marks_the_connection_and_leaves_shipments_pending(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    ship(order)
    sandbox.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")

    run = sync(app, redis, channel)

    assert run.status == RunStatus.FAILED
    [error] = notes(run.id, "error")
    assert error.code == "authorization_revoked"
    connection = db.session.scalar(sa.select(Connection).where(Connection.id == channel.connection_id))
    assert connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert shipments_of(order)[0].sync_state == ShipmentSyncState.PENDING


def test_an_edit_made_while_the_package_is_in_flight_stays_pending_and_goes_next_run(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    shipment_id = ship(order, tracking="OLD-TRACKING").id
    # Amazon takes 5 s to answer: the edit lands 1.5 s after the run started, while the call is open.
    sandbox.admin("put", "/faults/confirmShipment", json={"latency_ms": 5000})
    started = start_run(channel.account_id, RunKind.SYNC_ORDERS, channel_id=channel.id).run.id
    errors: list[BaseException] = []

    def edit_meanwhile() -> None:
        with app.app_context():
            try:
                wait_for(lambda: fresh(started).status == RunStatus.RUNNING, timeout=20)
                time.sleep(1.5)
                shipment = db.session.get(Shipment, shipment_id)
                details = ShipmentDetails("USPS", "", "Priority Mail", "NEW-TRACKING", utcnow().date())
                update_shipment(shipment, details)
                db.session.commit()
            except BaseException as exc:  # surfaced below, not swallowed
                errors.append(exc)
            finally:
                db.session.remove()

    editor = threading.Thread(target=edit_meanwhile)
    editor.start()
    work(app, redis)  # the real worker, in this thread (RQ installs signal handlers)
    editor.join(30)

    assert not errors, errors
    in_flight = fresh(started)
    assert in_flight.status == RunStatus.SUCCEEDED and in_flight.counts == {"sent": 1, "unchanged": 1}
    [saved] = shipments_of(order)
    assert (saved.sync_state, saved.tracking_number) == (ShipmentSyncState.PENDING, "NEW-TRACKING")
    assert [p["tracking_number"] for p in amazon_packages(sandbox, order)] == ["OLD-TRACKING"]
    sandbox.admin("delete", "/faults/confirmShipment")
    assert sync(app, redis, channel).counts == {"sent": 1, "accepted": 1}
    assert [p["tracking_number"] for p in amazon_packages(sandbox, order)] == ["NEW-TRACKING"]


def partially_shipped_order(app, redis, channel: Channel, sandbox) -> Order:
    """A new two-item merchant order whose first item the seller shipped in Seller Central as package 1
    before Get Orders imported it (Amazon then holds it as partially shipped, with that package)."""
    skus = [
        row["sku"]
        for row in sandbox.sandbox.store.all(
            "SELECT sku FROM listings WHERE seller_id = ? AND marketplace_id = ? AND "
            "fulfillment_channel = 'DEFAULT' AND status = 'ACTIVE' ORDER BY sku LIMIT 2",
            (DEMO_SELLER_ID, channel.marketplace_id),
        )
    ]
    amazon_id = place_order(sandbox, items=[{"sku": sku, "quantity": 1} for sku in skus])
    [first_item] = sandbox.sandbox.store.all(
        "SELECT order_item_id FROM order_items WHERE order_id = ? ORDER BY position LIMIT 1", (amazon_id,)
    )
    ship_in_seller_central(sandbox, amazon_id, "1", [(first_item["order_item_id"], 1)], "SC-1")
    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED
    order = imported(channel)[amazon_id]
    assert order.status == OrderStatus.PARTIALLY_SHIPPED and len(order.items) == 2
    return order


def test_a_package_added_after_one_shipped_outside_shelfsync_is_numbered_after_it_and_does_not_replace_it(
    app, redis, channel, sandbox
):
    order = partially_shipped_order(app, redis, channel, sandbox)
    [shipped] = [item for item in order.items if item.quantity_shipped == 1]
    [left] = [item for item in order.items if item.quantity_shipped == 0]

    assert order.amazon_package_reference == 1, "Get Orders stored Amazon's package numbers"
    assert remaining_quantities(order) == {shipped.id: 0, left.id: left.quantity_ordered}
    ours = ship(order, tracking="OURS-1", quantities={left.id: left.quantity_ordered})
    run = sync(app, redis, channel)

    assert ours.package_reference_id == 2
    assert run.counts == {"sent": 1, "accepted": 1}, [n.message for n in notes(run.id)]
    packages = amazon_packages(sandbox, order)
    assert [(p["package_reference_id"], p["tracking_number"]) for p in packages] == [
        ("1", "SC-1"),
        ("2", "OURS-1"),
    ]
    assert amazon_status(sandbox, order) == "SHIPPED"


def test_a_package_shipped_in_seller_central_after_import_is_read_by_the_next_get_orders(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel, min_items=2)
    item, *others = order.items
    ship_in_seller_central(
        sandbox, order.amazon_order_id, "4", [(item.amazon_order_item_id, item.quantity_ordered)], "SC-4"
    )

    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED

    order = fresh_order(order.id)
    assert order.amazon_package_reference == 4
    assert order.items[0].quantity_shipped == item.quantity_ordered
    assert remaining_quantities(order)[item.id] == 0
    rest = {other.id: other.quantity_ordered for other in others}
    assert ship(order, tracking="OURS", quantities=rest).package_reference_id == 5


def test_units_our_accepted_package_holds_are_not_counted_again_as_shipped_outside_shelfsync(
    app, redis, channel, sandbox
):
    sku = next(iter(open_orders(channel)[0].items)).sku
    amazon_id = place_order(sandbox, items=[{"sku": sku, "quantity": 3}])
    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED
    order = imported(channel)[amazon_id]
    [item] = order.items
    ship(order, tracking="FIRST", quantities={item.id: 1})
    assert sync(app, redis, channel).counts == {"sent": 1, "accepted": 1}
    advance(sandbox)

    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED

    order = fresh_order(order.id)
    assert order.items[0].quantity_shipped == 1, "Amazon counts our accepted package"
    assert remaining_quantities(order) == {item.id: 2}
    assert ship(order, tracking="SECOND", quantities={item.id: 2}).package_reference_id == 2


def test_amazons_refusal_of_a_package_holding_what_was_shipped_elsewhere_says_so_and_it_can_be_deleted(
    app, redis, channel, sandbox
):
    [order] = open_orders(channel)
    ship(order, tracking="OURS")  # everything: Get Orders has not seen Seller Central's package yet
    ship_in_seller_central(
        sandbox,
        order.amazon_order_id,
        "9",
        [(item.amazon_order_item_id, item.quantity_ordered) for item in order.items],
        "SC-9",
    )

    run = sync(app, redis, channel)

    assert run.counts == {"sent": 1, "rejected": 1}
    [rejected] = shipments_of(order)
    assert "exceeds the unshipped quantity 0" in rejected.last_error
    assert rejected.last_error_help == CONTENTS_REJECTED_HELP
    assert "carrier" not in rejected.last_error_help.split(".")[0]
    [error] = notes(run.id, "error")
    assert error.help == CONTENTS_REJECTED_HELP

    delete_shipment(rejected)
    db.session.commit()
    assert run_job(app, redis, channel, RunKind.GET_ORDERS).status == RunStatus.SUCCEEDED

    order = fresh_order(order.id)
    assert shipments_of(order) == [] and order.sync_state == OrderSyncState.NOTHING_TO_SYNC
    assert not can_add(order), "Amazon shipped everything"
    assert [p["tracking_number"] for p in amazon_packages(sandbox, order)] == ["SC-9"]
