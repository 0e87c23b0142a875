"""Shipments by CSV upload: good packages saved and bad lines reported with their line numbers and
reasons, Excel's encodings and separators, a re-upload adding nothing, other accounts' orders unseen."""

from __future__ import annotations

import io

import pytest

from tests.listings_support import other_account
from tests.runs_support import user_by_email
from tests.shipments_support import make_order, shipments_of
from tests.test_shipping_mappings import make_channel
from webapp.models import Channel, FulfilledBy, ShipmentSyncState
from webapp.services.shipment_csv import import_shipments
from webapp.timeutil import utcnow

HEADER = "order id,carrier,carrier name,method,tracking,ship date,sku,quantity"


@pytest.fixture
def channel(app, auth) -> Channel:
    """A signed-in seller's channel."""
    auth.register()
    return make_channel(user_by_email().account_id)


def upload(client, content: bytes, filename: str = "shipments.csv"):
    return client.post(
        "/orders/shipments/upload",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_the_orders_page_links_to_the_upload(client, channel):
    assert "/orders/shipments/upload" in client.get("/orders/").get_data(as_text=True)


def test_good_packages_are_saved_and_every_bad_line_is_reported_with_its_number_and_reason(client, channel):
    two_items = make_order(channel, [("SKU-A", 2), ("SKU-B", 1)])
    single = make_order(channel, [("SKU-C", 1)])
    fba = make_order(channel, [("SKU-F", 1)], fulfilled_by=FulfilledBy.AMAZON)
    over = make_order(channel, [("SKU-D", 1)])
    today = utcnow().date().isoformat()
    rows = [
        HEADER,
        f"{two_items.amazon_order_id},UPS,,UPS Ground,1Z001,{today},SKU-A,2",  # line 2: package 1
        f"{two_items.amazon_order_id},UPS,,UPS Ground,1Z001,{today},SKU-B,1",  # line 3: same package
        f"{single.amazon_order_id},Other,Speedy Couriers,,SP-1,,SKU-C,1",  # line 4: Other + name, today
        f"{single.amazon_order_id},UP,,Ground,SP-2,{today},SKU-C,1",  # line 5: carrier not Amazon's
        "112-0000000-0000000,USPS,,,T-9,,SKU-X,1",  # line 6: no such order
        f"{fba.amazon_order_id},USPS,,,T-10,,SKU-F,1",  # line 7: FBA
        f"{over.amazon_order_id},USPS,,,T-11,,SKU-D,5",  # line 8: more than ordered
        f"{over.amazon_order_id},USPS,,,T-12,,SKU-Z,1",  # line 9: SKU not in the order
        f"{single.amazon_order_id},Other,,,T-13,,SKU-C,1",  # line 10: Other without a name
        f"{single.amazon_order_id},USPS,,,T-14,31/31/2026,SKU-C,1",  # line 11: not a date
        f"{single.amazon_order_id},USPS,,,,,SKU-C,1",  # line 12: no tracking
        f"{single.amazon_order_id},USPS,,,T-15,,SKU-C,0",  # line 13: zero
    ]

    response = upload(client, "\n".join(rows).encode())

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "12 lines read: 2 packages saved, 9 bad lines, 0 already entered." in page
    [package] = shipments_of(two_items)
    assert package.package_reference_id == 1 and package.sync_state == ShipmentSyncState.PENDING
    assert {(i.order_item.sku, i.quantity) for i in package.items} == {("SKU-A", 2), ("SKU-B", 1)}
    [other] = shipments_of(single)
    assert (other.carrier_code, other.carrier_name, other.tracking_number) == (
        "Other",
        "Speedy Couriers",
        "SP-1",
    )
    assert other.ship_date.date() == utcnow().date()
    assert shipments_of(fba) == shipments_of(over) == []
    expected = {
        5: "Carrier “UP” is not one of Amazon's carrier codes. Did you mean “UPS”?",
        6: "There is no order 112-0000000-0000000 in Shelfsync",
        7: "fulfilled by Amazon",
        8: "Only 1 of SKU-D left to ship",
        9: "has no item with SKU “SKU-Z”",
        10: "Type the carrier's name (Amazon requires it with Other)",
        11: "Ship date “31/31/2026” is not a date",
        12: "The tracking is missing",
        13: "The quantity must be at least 1",
    }
    for line, reason in expected.items():
        assert f"<tr><td>{line}</td><td>" in page, line
        row = page.split(f"<tr><td>{line}</td><td>")[1].split("</td>")[0]
        assert reason.replace("'", "&#39;") in row, (line, row)


def test_a_package_with_one_bad_line_is_not_saved_at_all(client, channel):
    order = make_order(channel, [("SKU-A", 1), ("SKU-B", 1)])
    rows = [
        HEADER,
        f"{order.amazon_order_id},USPS,,,T-1,,SKU-A,1",
        f"{order.amazon_order_id},USPS,,,T-1,,SKU-Q,1",
    ]

    page = upload(client, "\n".join(rows).encode()).get_data(as_text=True)

    assert shipments_of(order) == []
    assert "<tr><td>2</td><td>Order" in page and "has no item with SKU “SKU-Q”" in page
    assert "<tr><td>3</td><td>Not saved: same package as line 2.</td>" in page


def test_uploading_the_same_file_twice_adds_nothing(client, channel):
    order = make_order(channel, [("SKU-A", 3)])
    content = "\n".join([HEADER, f"{order.amazon_order_id},USPS,,,T-1,,SKU-A,1"]).encode()

    upload(client, content)
    again = upload(client, content).get_data(as_text=True)

    assert len(shipments_of(order)) == 1
    assert "0 packages saved, 0 bad lines, 1 already entered." in again
    assert f"Order {order.amazon_order_id} already has tracking T-1 (package 1)." in again


@pytest.mark.parametrize(
    ("encoding", "separator", "ship_date"),
    [
        ("utf-8-sig", ",", "2026-11-27"),  # Excel "CSV UTF-8": a BOM
        ("cp1252", ",", "11/27/2026"),  # Excel "CSV (Comma delimited)", US dates
        ("cp1252", ";", "27/11/2026"),  # European Excel: semicolons, day first
        ("utf-16", "\t", "27.11.2026"),  # Excel "Unicode text"
    ],
)
def test_excel_files_are_read_with_their_encoding_separator_and_dates(
    client, channel, encoding, separator, ship_date
):
    order = make_order(channel, [("CAFÉ-1", 2)])
    rows = [
        HEADER.replace(",", separator),
        separator.join(
            [order.amazon_order_id, "Other", "Coursiers Rapides Été", "", "T-1", ship_date, "CAFÉ-1", "2"]
        ),
    ]

    response = upload(client, ("\r\n".join(rows) + "\r\n").encode(encoding))

    assert response.status_code == 200, response.get_data(as_text=True)
    [package] = shipments_of(order)
    assert package.carrier_name == "Coursiers Rapides Été"
    assert package.ship_date.date().isoformat() == "2026-11-27"
    assert [(i.order_item.sku, i.quantity) for i in package.items] == [("CAFÉ-1", 2)]


def test_a_file_without_the_needed_columns_is_refused_whole(client, channel):
    response = upload(client, b"order,sku\n112-1,SKU-A\n")

    assert response.status_code == 422
    assert "The file has no carrier, tracking, quantity column" in response.get_data(as_text=True)


def test_another_accounts_order_ids_are_unknown_to_the_upload(client, channel):
    theirs = make_order(make_channel(other_account().id, "Theirs"), [("SKU-A", 1)])
    content = "\n".join([HEADER, f"{theirs.amazon_order_id},USPS,,,T-1,,SKU-A,1"]).encode()

    page = upload(client, content).get_data(as_text=True)

    assert f"There is no order {theirs.amazon_order_id} in Shelfsync" in page
    assert shipments_of(theirs) == []


def test_the_service_reports_lines_without_the_web_layer(app, channel):
    order = make_order(channel, [("SKU-A", 1)])
    content = "\n".join(
        [HEADER, f"{order.amazon_order_id},FedEx,,FedEx Ground,F-1,,SKU-A,1", ",,,,,,,"]
    ).encode()

    result = import_shipments(channel.account_id, content)

    assert result.saved == [(order.amazon_order_id, 1)] and result.errors == [] and result.lines == 1
