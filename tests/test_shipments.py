"""Shipments by form: validation (carrier, Other + name, near misses of a method, quantities, partial
packages, what Amazon shipped outside Shelfsync), package numbers assigned once, edits making a package
pending again, deleting a package Amazon has not accepted, FBA and cancelled orders refused, the order
page's panel, another account's ids answering 404, and CSRF."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.conftest import csrf_token_from
from tests.listings_support import other_account
from tests.runs_support import user_by_email
from tests.shipments_support import fresh_order, make_order, shipments_of
from tests.test_shipping_mappings import make_channel
from webapp.extensions import db
from webapp.models import (
    Channel,
    FulfilledBy,
    Order,
    OrderStatus,
    OrderSyncState,
    Shipment,
    ShipmentSyncState,
)
from webapp.services.shipments import NewShipment, ShipmentDetails, ShipmentError, add_shipment
from webapp.timeutil import utcnow


@pytest.fixture
def channel(app, auth) -> Channel:
    """A signed-in seller's channel."""
    auth.register()
    return make_channel(user_by_email().account_id)


def new_url(order) -> str:
    return f"/orders/{order.id}/shipments/new"


def form(items: dict[int, int], **fields) -> dict:
    """A filled shipment form: USPS Priority Mail shipped today unless ``fields`` say otherwise."""
    data = {
        "carrier_code": "USPS",
        "carrier_name": "",
        "shipping_method": "Priority Mail",
        "tracking_number": "9400111111111111111111",
        "ship_date": utcnow().date().isoformat(),
        **fields,
    }
    data.update({f"quantity-{item_id}": str(quantity) for item_id, quantity in items.items()})
    return data


def test_the_form_offers_amazons_carriers_and_defaults_to_today_and_everything_left(client, channel):
    order = make_order(channel, [("SKU-A", 2), ("SKU-B", 1)])

    page = client.get(new_url(order)).get_data(as_text=True)

    assert '<option value="UPS Mail Innovations">' in page and '<option value="Other">' in page
    assert f'value="{utcnow().date().isoformat()}"' in page
    a, b = order.items
    assert f'name="quantity-{a.id}" id="quantity-{a.id}" value="2"' in page
    assert f'name="quantity-{b.id}" id="quantity-{b.id}" value="1"' in page


def test_a_partial_shipment_then_the_rest_get_package_numbers_1_and_2(client, channel):
    order = make_order(channel, [("SKU-A", 3), ("SKU-B", 1)])
    a, b = order.items

    first = client.post(new_url(order), data=form({a.id: 2, b.id: 0}))
    second = client.post(new_url(order), data=form({a.id: 1, b.id: 1}, tracking_number="1Z999"))

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == f"/orders/{order.id}"
    one, two = shipments_of(order)
    assert (one.package_reference_id, two.package_reference_id) == (1, 2)
    assert {(i.order_item.sku, i.quantity) for i in one.items} == {("SKU-A", 2)}
    assert {(i.order_item.sku, i.quantity) for i in two.items} == {("SKU-A", 1), ("SKU-B", 1)}
    assert one.sync_state == ShipmentSyncState.PENDING and one.created_by_id == user_by_email().id
    assert fresh_order(order.id).sync_state == OrderSyncState.PENDING
    assert "Add shipment" not in client.get(f"/orders/{order.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "quantities", "field", "reason"),
    [
        ({"carrier_code": "Other", "carrier_name": " "}, {0: 1}, "carrier_name", "Type the carrier"),
        ({"carrier_code": "Pigeon"}, {0: 1}, "carrier_code", "Not a valid choice"),
        ({"tracking_number": "  "}, {0: 1}, "tracking_number", "Enter the tracking number"),
        ({"ship_date": ""}, {0: 1}, "ship_date", "Enter the ship date"),
        ({}, {0: 3}, "quantity", "Only 2 of SKU-A left to ship"),
        ({}, {0: 0}, "form", "Put at least one item in the package"),
        ({}, {0: "two"}, "quantity", "Enter a whole number"),
    ],
)
def test_a_bad_form_is_refused_with_the_reason_and_saves_nothing(
    client, channel, fields, quantities, field, reason
):
    order = make_order(channel, [("SKU-A", 2)])
    item_id = order.items[0].id

    response = client.post(new_url(order), data=form({item_id: quantities[0]}, **fields))

    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert shipments_of(order) == []


def test_quantities_count_what_earlier_packages_hold(client, channel):
    order = make_order(channel, [("SKU-A", 2)])
    item_id = order.items[0].id
    client.post(new_url(order), data=form({item_id: 1}))

    response = client.post(new_url(order), data=form({item_id: 2}, tracking_number="second"))

    assert response.status_code == 422
    assert "Only 1 of SKU-A left to ship (2 ordered, 1 in other packages)" in response.get_data(as_text=True)
    assert len(shipments_of(order)) == 1


def test_other_with_a_carrier_name_is_saved_and_a_name_without_other_is_dropped(client, channel):
    order = make_order(channel, [("SKU-A", 2)])
    item_id = order.items[0].id

    client.post(
        new_url(order), data=form({item_id: 1}, carrier_code="Other", carrier_name="Speedy  Couriers")
    )
    client.post(new_url(order), data=form({item_id: 1}, carrier_name="ignored", tracking_number="T2"))

    other, usps = shipments_of(order)
    assert (other.carrier_code, other.carrier_name) == ("Other", "Speedy Couriers")
    assert (usps.carrier_code, usps.carrier_name) == ("USPS", "")


def test_a_method_in_another_case_is_stored_with_amazons_spelling(client, channel):
    order = make_order(channel, [("SKU-A", 1)])

    client.post(
        new_url(order), data=form({order.items[0].id: 1}, carrier_code="UPS", shipping_method="ups  ground")
    )

    assert shipments_of(order)[0].shipping_method == "UPS Ground"


def test_a_ship_date_in_the_future_or_before_the_order_is_refused(client, channel):
    order = make_order(channel, [("SKU-A", 1)])
    item_id = order.items[0].id
    future = (utcnow() + timedelta(days=5)).date().isoformat()
    before = (utcnow() - timedelta(days=10)).date().isoformat()

    assert (
        "cannot be in the future"
        in client.post(new_url(order), data=form({item_id: 1}, ship_date=future)).text
    )
    assert (
        "before the order was placed"
        in client.post(new_url(order), data=form({item_id: 1}, ship_date=before)).text
    )
    assert shipments_of(order) == []


@pytest.mark.parametrize(
    ("fulfilled_by", "status", "reason"),
    [
        (FulfilledBy.AMAZON, OrderStatus.UNSHIPPED, "fulfilled by Amazon"),
        (FulfilledBy.MERCHANT, OrderStatus.CANCELLED, "was cancelled"),
        (FulfilledBy.MERCHANT, OrderStatus.PENDING, "is Pending on Amazon"),
    ],
)
def test_fba_cancelled_and_pending_orders_get_no_form_and_the_service_refuses(
    client, channel, fulfilled_by, status, reason
):
    order = make_order(channel, [("SKU-A", 1)], fulfilled_by=fulfilled_by, status=status)
    item_id = order.items[0].id

    page = client.get(new_url(order))
    posted = client.post(new_url(order), data=form({item_id: 1}))

    assert page.status_code == posted.status_code == 409
    assert reason in page.get_data(as_text=True) and 'id="shipment-form"' not in page.get_data(as_text=True)
    details = ShipmentDetails("USPS", "", "", "T1", utcnow().date())
    with pytest.raises(ShipmentError, match=reason):
        add_shipment(order, NewShipment(details, {item_id: 1}))
    assert shipments_of(order) == []


def test_the_order_page_panel_shows_fba_orders_read_only(client, channel):
    order = make_order(channel, [("SKU-A", 1)], fulfilled_by=FulfilledBy.AMAZON)

    panel = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert "Amazon ships this order (FBA)" in panel and "Add shipment" not in panel


def test_package_numbers_continue_from_the_highest_and_never_change(app, client, channel):
    order = make_order(channel, [("SKU-A", 5)])
    item_id = order.items[0].id
    details = ShipmentDetails("USPS", "", "", "T1", utcnow().date())
    first = add_shipment(order, NewShipment(details, {item_id: 1}))
    first.package_reference_id = 7  # as if numbers 2-6 had been deleted on purpose: the next is 8
    db.session.commit()

    second = add_shipment(order, NewShipment(details, {item_id: 1}))
    db.session.commit()
    client.post(
        f"/orders/{order.id}/shipments/{second.id}/edit",
        data=form({}, tracking_number="NEW", carrier_code="UPS"),
    )

    assert [(s.package_reference_id, s.tracking_number) for s in shipments_of(order)] == [
        (7, "T1"),
        (8, "NEW"),
    ]


def test_two_packages_added_at_the_same_moment_get_numbers_1_and_2(app, channel):
    order = make_order(channel, [("SKU-A", 2)])
    order_id, item_id = order.id, order.items[0].id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def add(tracking: str) -> None:
        with app.app_context():
            try:
                mine = db.session.get(Order, order_id)
                details = ShipmentDetails("USPS", "", "", tracking, utcnow().date())
                barrier.wait()
                add_shipment(mine, NewShipment(details, {item_id: 1}))
                db.session.commit()
            except BaseException as exc:  # surfaced below, not swallowed
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add, args=(f"T-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    assert sorted(s.package_reference_id for s in shipments_of(order)) == [1, 2]


def test_editing_a_rejected_or_accepted_package_makes_it_pending_again_and_keeps_its_number(client, channel):
    order = make_order(channel, [("SKU-A", 2)])
    client.post(
        new_url(order),
        data=form({order.items[0].id: 2}, carrier_code="UPS", shipping_method="UPS 3 Day Select"),
    )
    [shipment] = shipments_of(order)
    shipment.sync_state, shipment.last_error, shipment.attempts = ShipmentSyncState.REJECTED, "bad method", 1
    shipment.order.sync_state = OrderSyncState.REJECTED
    db.session.commit()
    edit_url = f"/orders/{order.id}/shipments/{shipment.id}/edit"

    page = client.get(edit_url).get_data(as_text=True)
    unchanged = client.post(edit_url, data=form({}, carrier_code="UPS", shipping_method="UPS 3 Day Select"))
    still_rejected = shipments_of(order)[0].sync_state
    changed = client.post(edit_url, data=form({}, carrier_code="UPS", shipping_method="UPS Ground"))

    assert 'value="UPS 3 Day Select"' in page and "Edit package #1" in page
    assert unchanged.status_code == changed.status_code == 302
    assert still_rejected == ShipmentSyncState.REJECTED
    [edited] = shipments_of(order)
    assert (edited.package_reference_id, edited.shipping_method) == (1, "UPS Ground")
    assert edited.sync_state == ShipmentSyncState.PENDING and edited.attempts == 1
    assert fresh_order(order.id).sync_state == OrderSyncState.PENDING


def test_the_panel_shows_each_package_its_state_and_amazons_error_with_our_help(client, channel):
    order = make_order(channel, [("SKU-A", 2)])
    client.post(new_url(order), data=form({order.items[0].id: 1}))
    [shipment] = shipments_of(order)
    shipment.sync_state = ShipmentSyncState.REJECTED
    shipment.last_error = "Invalid shippingMethod 'UP Ground' for carrierCode 'UPS'."
    shipment.last_error_help = "Did you mean “UPS Ground”? Edit the shipment."
    db.session.commit()

    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert 'id="shipments"' in page and "9400111111111111111111" in page and "SKU-A × 1" in page
    assert "Rejected" in page and "Invalid shippingMethod &#39;UP Ground&#39;" in page
    assert "Did you mean “UPS Ground”?" in page
    assert f"/orders/{order.id}/shipments/{shipment.id}/edit" in page
    assert f"/orders/{order.id}/shipments/new" in page  # one item still to ship


def test_another_accounts_order_and_shipment_ids_answer_404(client, channel):
    stranger = make_channel(other_account().id, "Their channel")
    theirs = make_order(stranger, [("SKU-A", 1)])
    details = ShipmentDetails("USPS", "", "", "T1", utcnow().date())
    their_shipment = add_shipment(theirs, NewShipment(details, {theirs.items[0].id: 1}))
    mine = make_order(channel, [("SKU-A", 1)])
    db.session.commit()

    for url in (
        new_url(theirs),
        f"/orders/{theirs.id}/shipments/{their_shipment.id}/edit",
        f"/orders/{mine.id}/shipments/{their_shipment.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=form({theirs.items[0].id: 1})).status_code == 404, url
    assert db.session.get(Shipment, their_shipment.id).tracking_number == "T1"
    assert len(shipments_of(theirs)) == 1


def test_posts_without_a_csrf_token_are_refused(app, client, channel):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production (signed in above without it)
    order = make_order(channel, [("SKU-A", 1)])
    page = client.get(new_url(order)).get_data(as_text=True)
    data = form({order.items[0].id: 1})

    refused = client.post(new_url(order), data=data)
    upload = client.post("/orders/shipments/upload", data={})
    accepted = client.post(new_url(order), data={**data, "csrf_token": csrf_token_from(page)})

    assert refused.status_code == upload.status_code == 400
    assert accepted.status_code == 302 and len(shipments_of(order)) == 1


def test_the_form_leaves_out_what_amazon_shipped_outside_shelfsync(client, channel):
    order = make_order(channel, [("SKU-A", 1), ("SKU-B", 3)])
    a, b = order.items
    a.quantity_shipped, b.quantity_shipped = 1, 1  # Amazon's quantityFulfilled, as Get Orders stores it
    db.session.commit()

    page = client.get(new_url(order)).get_data(as_text=True)
    refused = client.post(new_url(order), data=form({a.id: 1, b.id: 0}))
    saved = client.post(new_url(order), data=form({a.id: 0, b.id: 2}))

    row_a = page.split(f'id="item-{a.id}"')[1].split("</tr>")[0]
    row_b = page.split(f'id="item-{b.id}"')[1].split("</tr>")[0]
    assert '<td class="shipped-outside">1</td><td class="left-to-ship">0</td>' in row_a
    assert f'name="quantity-{a.id}" id="quantity-{a.id}" value="0"' in row_a
    assert '<td class="shipped-outside">1</td><td class="left-to-ship">2</td>' in row_b
    assert f'name="quantity-{b.id}" id="quantity-{b.id}" value="2"' in row_b
    assert refused.status_code == 422
    assert "Only 0 of SKU-A left to ship (1 ordered, 1 shipped outside Shelfsync, 0 in other packages)." in (
        refused.get_data(as_text=True)
    )
    assert saved.status_code == 302
    assert [(i.order_item.sku, i.quantity) for i in shipments_of(order)[0].items] == [("SKU-B", 2)]
    assert "/shipments/new" not in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_what_amazon_shipped_of_our_accepted_packages_is_not_counted_twice(client, channel):
    order = make_order(channel, [("SKU-A", 3)])
    [item] = order.items
    client.post(new_url(order), data=form({item.id: 1}))
    [first] = shipments_of(order)
    first.sync_state = ShipmentSyncState.ACCEPTED  # Sync Orders' record; Amazon now counts it as shipped
    first.order.items[0].quantity_shipped = 1
    db.session.commit()

    page = client.get(new_url(order)).get_data(as_text=True)

    row = page.split(f'id="item-{item.id}"')[1].split("</tr>")[0]
    assert '<td class="shipped-outside">0</td><td class="left-to-ship">2</td>' in row


def test_a_near_miss_of_a_shipping_method_is_refused_at_save_with_the_suggestion(client, channel):
    order = make_order(channel, [("SKU-A", 2)])
    [item] = order.items

    near = client.post(
        new_url(order), data=form({item.id: 1}, carrier_code="UPS", shipping_method="UPS Grond")
    )
    unknown = client.post(
        new_url(order),
        data=form({item.id: 1}, carrier_code="UPS", shipping_method="Worldwide Freight Pallet"),
    )
    [saved] = shipments_of(order)
    edit_url = f"/orders/{order.id}/shipments/{saved.id}/edit"
    near_edit = client.post(edit_url, data=form({}, carrier_code="UPS", shipping_method="UPS Nxt Day Air"))

    assert near.status_code == 422
    assert "“UPS Grond” is not a shipping method of UPS. Did you mean “UPS Ground”?" in near.get_data(
        as_text=True
    )
    assert unknown.status_code == 302, "a method near none of ours goes to Amazon, which decides"
    assert saved.shipping_method == "Worldwide Freight Pallet"
    assert near_edit.status_code == 422 and "Did you mean “UPS Next Day Air”?" in near_edit.get_data(
        as_text=True
    )
    assert shipments_of(order)[0].shipping_method == "Worldwide Freight Pallet"


def delete_url(order: Order, shipment: Shipment) -> str:
    return f"/orders/{order.id}/shipments/{shipment.id}/delete"


@pytest.mark.parametrize("state", [ShipmentSyncState.PENDING, ShipmentSyncState.REJECTED])
def test_a_package_amazon_has_not_accepted_is_deleted_after_confirmation(client, channel, state):
    order = make_order(channel, [("SKU-A", 2)])
    [item] = order.items
    client.post(new_url(order), data=form({item.id: 2}))
    [shipment] = shipments_of(order)
    shipment.sync_state = state
    shipment.order.sync_state = (
        OrderSyncState.REJECTED if state == ShipmentSyncState.REJECTED else OrderSyncState.PENDING
    )
    db.session.commit()
    url = delete_url(order, shipment)

    panel = client.get(f"/orders/{order.id}").get_data(as_text=True)
    question = client.get(url)
    still_there = len(shipments_of(order))
    deleted = client.post(url, data={})

    assert url in panel
    assert question.status_code == 200 and 'id="delete-shipment" method="post"' in question.get_data(
        as_text=True
    )
    assert still_there == 1, "asking deletes nothing"
    assert deleted.status_code == 302 and deleted.headers["Location"] == f"/orders/{order.id}"
    assert shipments_of(order) == []
    assert fresh_order(order.id).sync_state == OrderSyncState.NOTHING_TO_SYNC
    page = client.get(new_url(order)).get_data(as_text=True)
    assert f'name="quantity-{item.id}" id="quantity-{item.id}" value="2"' in page, "its items are free again"


def test_an_accepted_package_cannot_be_deleted_and_the_page_says_why(client, channel):
    order = make_order(channel, [("SKU-A", 1)])
    client.post(new_url(order), data=form({order.items[0].id: 1}))
    [shipment] = shipments_of(order)
    shipment.sync_state = ShipmentSyncState.ACCEPTED
    db.session.commit()

    panel = client.get(f"/orders/{order.id}").get_data(as_text=True)
    asked = client.get(delete_url(order, shipment))
    posted = client.post(delete_url(order, shipment), data={})

    assert delete_url(order, shipment) not in panel
    assert asked.status_code == posted.status_code == 409
    page = posted.get_data(as_text=True)
    assert "Package 1 was accepted by Amazon" in page and "Amazon offers no way to remove" in page
    assert 'id="delete-shipment"' not in page
    assert len(shipments_of(order)) == 1


def test_another_accounts_shipment_cannot_be_deleted(client, channel):
    stranger = make_channel(other_account().id, "Their channel")
    theirs = make_order(stranger, [("SKU-A", 1)])
    details = ShipmentDetails("USPS", "", "", "T1", utcnow().date())
    their_shipment = add_shipment(theirs, NewShipment(details, {theirs.items[0].id: 1}))
    mine = make_order(channel, [("SKU-A", 1)])
    db.session.commit()

    for url in (delete_url(theirs, their_shipment), delete_url(mine, their_shipment)):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={}).status_code == 404, url
    assert len(shipments_of(theirs)) == 1


def test_deleting_without_a_csrf_token_is_refused(app, client, channel):
    app.config["WTF_CSRF_ENABLED"] = True
    order = make_order(channel, [("SKU-A", 1)])
    shipment = add_shipment(
        order, NewShipment(ShipmentDetails("USPS", "", "", "T1", utcnow().date()), {order.items[0].id: 1})
    )
    db.session.commit()
    url = delete_url(order, shipment)
    page = client.get(url).get_data(as_text=True)

    refused = client.post(url, data={})
    kept = len(shipments_of(order))
    accepted = client.post(url, data={"csrf_token": csrf_token_from(page)})

    assert refused.status_code == 400 and kept == 1
    assert accepted.status_code == 302 and shipments_of(order) == []
