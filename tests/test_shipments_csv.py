"""Shipments by CSV upload: good packages saved and bad lines reported with their line numbers and
reasons (near misses of a method with the suggestion), Excel's encodings and separators, slash dates read
by the channel's marketplace, a re-upload adding nothing, other accounts' orders unseen."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from tests.channels_support import make_connection
from tests.listings_support import other_account
from tests.runs_support import user_by_email
from tests.shipments_support import make_order, shipments_of
from tests.test_shipping_mappings import make_channel
from webapp.extensions import db
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
    before = utcnow().date()
    today = before.isoformat()
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
    assert other.ship_date.date() in {before, utcnow().date()}  # a blank date is today, even at midnight
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
    ("encoding", "separator", "written"),
    [
        ("utf-8-sig", ",", date.isoformat),  # Excel "CSV UTF-8": a BOM
        ("cp1252", ",", lambda day: excel_us(day)),  # Excel "CSV (Comma delimited)", US dates
        ("cp1252", ";", lambda day: excel_european(day)),  # European Excel: semicolons, day first
        ("utf-16", "\t", lambda day: day.strftime("%d.%m.%Y")),  # Excel "Unicode text"
    ],
    ids=["utf8-bom-iso", "cp1252-us-slashes", "cp1252-semicolons-day-first", "utf16-tabs-dotted"],
)
def test_excel_files_are_read_with_their_encoding_separator_and_dates(
    client, channel, encoding, separator, written
):
    order = long_ago(make_order(channel, [("CAFÉ-1", 2)]))
    shipped = past_day(3, ambiguous=False)  # after the purchase, read one way whatever the marketplace
    rows = [
        HEADER.replace(",", separator),
        separator.join(
            [
                order.amazon_order_id,
                "Other",
                "Coursiers Rapides Été",
                "",
                "T-1",
                written(shipped),
                "CAFÉ-1",
                "2",
            ]
        ),
    ]

    response = upload(client, ("\r\n".join(rows) + "\r\n").encode(encoding))

    assert response.status_code == 200, response.get_data(as_text=True)
    [package] = shipments_of(order)
    assert package.carrier_name == "Coursiers Rapides Été"
    assert package.ship_date.date() == shipped
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


def test_a_near_miss_of_a_shipping_method_is_refused_with_the_suggestion(client, channel):
    near = make_order(channel, [("SKU-A", 1)])
    fine = make_order(channel, [("SKU-B", 1)])
    rows = [
        HEADER,
        f"{near.amazon_order_id},UPS,,UPS Grond,1Z-1,,SKU-A,1",
        f"{fine.amazon_order_id},UPS,,UPS Ground,1Z-2,,SKU-B,1",
    ]

    page = upload(client, "\n".join(rows).encode()).get_data(as_text=True)

    assert shipments_of(near) == [] and len(shipments_of(fine)) == 1
    row = page.split("<tr><td>2</td><td>")[1].split("</td>")[0]
    assert row == "“UPS Grond” is not a shipping method of UPS. Did you mean “UPS Ground”?"


def past_day(days_ago: int, ambiguous: bool) -> date:
    """A day ``days_ago`` or a little earlier whose day of month is at most 12 and not its month
    (``ambiguous``: 11/02 could be either order) or above 12 (one reading only)."""
    day = utcnow().date() - timedelta(days=days_ago)
    while not (day.day <= 12 and day.day != day.month if ambiguous else day.day > 12):
        day -= timedelta(days=1)
    return day


def excel_us(day: date) -> str:
    """A date as US Excel writes it in a CSV: month first, no leading zeros."""
    return f"{day.month}/{day.day}/{day.year}"


def excel_european(day: date) -> str:
    """A date as UK/German Excel writes it with slashes: day first, zero-padded."""
    return day.strftime("%d/%m/%Y")


def german_channel(account_id: int) -> Channel:
    connection = make_connection(account_id, "A1PA6795UKMFR9", name="Amazon DE connection")
    channel = Channel(
        account_id=account_id, connection_id=connection.id, name="Amazon DE", marketplace_id="A1PA6795UKMFR9"
    )
    db.session.add(channel)
    db.session.commit()
    return channel


def long_ago(order):
    """Place the order 60 days ago, so any past ship date of the test is after the purchase."""
    order.purchased_at = utcnow() - timedelta(days=60)
    db.session.commit()
    return order


def test_slash_dates_follow_the_channels_marketplace_when_ambiguous_and_are_read_the_only_way_otherwise(
    client, channel
):
    ambiguous, unambiguous = past_day(5, ambiguous=True), past_day(5, ambiguous=False)
    us_a, us_b = (long_ago(make_order(channel, [("SKU-A", 1)])) for _ in range(2))
    german = german_channel(channel.account_id)
    de_a, de_b, de_c = (long_ago(make_order(german, [("SKU-A", 1)])) for _ in range(3))
    rows = [
        "Order ID,Carrier,Carrier Name,Shipping Method,Tracking Number,Ship Date,SKU,Quantity",
        f"{us_a.amazon_order_id},USPS,,Priority Mail,T-1,{excel_us(ambiguous)},SKU-A,1",
        f"{us_b.amazon_order_id},USPS,,Priority Mail,T-2,{excel_us(unambiguous)},SKU-A,1",
        f"{de_a.amazon_order_id},DHL,,DHL Paket,T-3,{excel_european(ambiguous)},SKU-A,1",
        f"{de_b.amazon_order_id},DHL,,DHL Paket,T-4,{excel_us(unambiguous)},SKU-A,1",
        f"{de_c.amazon_order_id},DHL,,DHL Paket,T-5,{ambiguous.isoformat()},SKU-A,1",
    ]

    response = upload(client, ("\r\n".join(rows) + "\r\n").encode("cp1252"))

    assert "5 packages saved, 0 bad lines" in response.get_data(as_text=True)
    ship_dates = {
        order.id: shipments_of(order)[0].ship_date.date() for order in (us_a, us_b, de_a, de_b, de_c)
    }
    assert ship_dates == {
        us_a.id: ambiguous,
        us_b.id: unambiguous,
        de_a.id: ambiguous,
        de_b.id: unambiguous,
        de_c.id: ambiguous,
    }


def test_the_upload_page_explains_how_slash_dates_are_read(client, channel):
    page = client.get("/orders/shipments/upload").get_data(as_text=True)

    assert "11/29/2026" in page and "month first on Amazon.com" in page and "day first" in page
