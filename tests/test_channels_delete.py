"""Deleting a channel that holds listings and orders: the confirmation counts them, the name is typed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.channels_support import HX
from tests.listings_support import account_id_of, add_variant, make_channel
from tests.shipments_support import make_order
from webapp.extensions import db
from webapp.models import Channel, Listing, ListingVariant, Order, OrderStatus, Shipment
from webapp.timeutil import utcnow


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def stocked_channel(auth) -> int:
    """A channel with 3 listings, 4 orders (1 shipped with 2 packages, 1 cancelled, 2 open); its id."""
    auth.register()
    channel = make_channel(account_id_of(), name="Amazon US")
    for sku in ("MUG-1", "MUG-2", "MUG-3"):
        add_variant(channel, sku)
    shipped = make_order(channel, [("MUG-1", 2)], status=OrderStatus.SHIPPED)
    make_order(channel, [("MUG-2", 1)], status=OrderStatus.CANCELLED)
    make_order(channel, [("MUG-2", 1)], status=OrderStatus.UNSHIPPED)
    make_order(channel, [("MUG-3", 1)], status=OrderStatus.PARTIALLY_SHIPPED)
    for package in (1, 2):
        db.session.add(
            Shipment(
                account_id=channel.account_id,
                order_id=shipped.id,
                package_reference_id=package,
                carrier_code="UPS",
                tracking_number=f"1Z{package}",
                ship_date=utcnow(),
            )
        )
    # Another channel's rows are neither counted nor deleted.
    other = make_channel(channel.account_id, name="Amazon CA")
    add_variant(other, "KEPT-1")
    make_order(other, [("KEPT-1", 1)])
    db.session.commit()
    return channel.id


def test_confirmation_counts_the_listings_orders_and_shipments_deleted_with_the_channel(
    client, stocked_channel
):
    page = client.get(f"/channels/{stocked_channel}/delete").get_data(as_text=True)

    assert "<strong>3 listings</strong> (3 variants)" in page
    assert "<strong>4 orders</strong>, of which <strong>2 open orders</strong> not shipped yet" in page
    assert "<strong>2 shipments</strong> with their tracking numbers" in page
    assert 'name="confirm_name"' in page and "Type the channel name, <strong>Amazon US</strong>" in page
    assert "Its schedules are removed; its past runs stay" not in page


@pytest.mark.parametrize("typed", [None, "", "amazon us", "Amazon", "Amazon CA"])
def test_a_channel_holding_listings_is_kept_unless_its_name_is_typed(client, stocked_channel, typed):
    data = {} if typed is None else {"confirm_name": typed}

    response = client.post(f"/channels/{stocked_channel}/delete", data=data)

    assert response.headers["Location"] == f"/channels/{stocked_channel}/delete"
    assert db.session.get(Channel, stocked_channel) is not None
    assert (count(Listing), count(ListingVariant), count(Order), count(Shipment)) == (4, 4, 5, 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was deleted: type the channel name (Amazon US) exactly to confirm." in page


def test_htmx_delete_without_the_name_is_refused_too(client, stocked_channel):
    response = client.post(f"/channels/{stocked_channel}/delete", headers=HX)

    assert response.headers["HX-Redirect"] == f"/channels/{stocked_channel}/delete"
    assert db.session.get(Channel, stocked_channel) is not None


def test_typing_the_name_deletes_the_channel_with_its_listings_orders_and_shipments(client, stocked_channel):
    response = client.post(f"/channels/{stocked_channel}/delete", data={"confirm_name": " Amazon US "})

    assert response.headers["Location"] == "/channels/"
    assert db.session.get(Channel, stocked_channel) is None
    assert (count(Listing), count(ListingVariant), count(Order), count(Shipment)) == (1, 1, 1, 0)
    page = client.get("/channels/").get_data(as_text=True)
    assert "Channel Amazon US deleted with its 3 listings and 4 orders." in page
