"""The channel's Shipping mappings page: defaults, add, edit and delete rows (htmx), validation,
CSRF, and another account's channel or mapping answering 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.channels_support import HX, make_connection
from tests.conftest import csrf_token_from
from tests.listings_support import other_account
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import Channel, ShippingMapping


def make_channel(account_id: int, name: str = "Amazon US") -> Channel:
    """A US channel of ``account_id`` on a new connection."""
    connection = make_connection(account_id, name=f"{name} connection")
    channel = Channel(
        account_id=account_id, connection_id=connection.id, name=name, marketplace_id="ATVPDKIKX0DER"
    )
    db.session.add(channel)
    db.session.commit()
    return channel


def mappings(channel: Channel) -> dict[str, str]:
    """The channel's mappings as committed now: ``{service level: policy}``."""
    db.session.rollback()
    rows = db.session.scalars(sa.select(ShippingMapping).where(ShippingMapping.channel_id == channel.id))
    return {m.service_level: m.shipping_policy for m in rows}


@pytest.fixture
def channel(app, auth) -> Channel:
    """A signed-in seller's channel."""
    auth.register()
    return make_channel(user_by_email().account_id)


def url(channel: Channel, suffix: str = "") -> str:
    return f"/channels/{channel.id}/shipping-mappings{suffix}"


def test_channel_page_links_to_its_shipping_mappings(client, channel):
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert url(channel) in page


def test_channel_page_warns_that_get_orders_will_refuse_until_mappings_exist(client, channel):
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="get-orders-needs-mappings"' in page and "Get Orders will refuse" in page

    client.post(url(channel, "/defaults"), headers=HX)

    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "get-orders-needs-mappings" not in page


def test_empty_page_offers_the_defaults_with_amazons_texts_and_adding_them_saves_four(client, channel):
    page = client.get(url(channel)).get_data(as_text=True)
    assert "No shipping mappings yet" in page
    for text in ("Exp US D2D Dom", "Second US D2D Dom", "Econ US Dom", "Std US D2D Dom"):
        assert text in page

    response = client.post(url(channel, "/defaults"), headers=HX)

    assert response.status_code == 200
    assert mappings(channel) == {
        "EXPEDITED": "Expedited",
        "SECOND_DAY": "SecondDay",
        "FREE_ECONOMY": "FreeEconomy",
        "STANDARD": "Standard",
    }
    body = response.get_data(as_text=True)
    assert "No shipping mappings yet" not in body and "Expedited (Exp US D2D Dom)" in body
    client.post(url(channel, "/defaults"), headers=HX)
    assert len(mappings(channel)) == 4


def test_adding_a_mapping_saves_it_and_a_taken_or_empty_one_is_refused_with_the_reason(client, channel):
    added = client.post(
        url(channel), data={"service_level": "SCHEDULED", "shipping_policy": " Weekend "}, headers=HX
    )
    assert added.status_code == 200 and mappings(channel) == {"SCHEDULED": "Weekend"}

    taken = client.post(
        url(channel), data={"service_level": "SCHEDULED", "shipping_policy": "Other"}, headers=HX
    )
    assert taken.status_code == 422 and "is mapped already" in taken.get_data(as_text=True)

    empty = client.post(url(channel), data={"service_level": "STANDARD", "shipping_policy": "  "}, headers=HX)
    assert empty.status_code == 422 and "Enter the name" in empty.get_data(as_text=True)

    unknown = client.post(url(channel), data={"service_level": "WARP", "shipping_policy": "Fast"}, headers=HX)
    assert unknown.status_code == 422
    assert mappings(channel) == {"SCHEDULED": "Weekend"}


def test_a_row_is_edited_in_place_and_deleted(client, channel):
    client.post(url(channel, "/defaults"), headers=HX)
    standard = db.session.scalar(
        sa.select(ShippingMapping).where(ShippingMapping.service_level == "STANDARD")
    )

    row = client.post(
        url(channel, f"/{standard.id}"),
        data={"service_level": "STANDARD", "shipping_policy": "Ground"},
        headers=HX,
    )
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith(f'<tr id="shipping-mapping-{standard.id}"')
    assert mappings(channel)["STANDARD"] == "Ground"

    clash = client.post(
        url(channel, f"/{standard.id}"),
        data={"service_level": "EXPEDITED", "shipping_policy": "X"},
        headers=HX,
    )
    assert clash.status_code == 422 and mappings(channel)["STANDARD"] == "Ground"

    deleted = client.post(url(channel, f"/{standard.id}/delete"), headers=HX)
    assert deleted.status_code == 200 and "STANDARD" not in mappings(channel)


def test_plain_form_posts_redirect_back_to_the_page(client, channel):
    response = client.post(url(channel), data={"service_level": "STANDARD", "shipping_policy": "Standard"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url(channel))


def test_another_accounts_channel_and_mappings_are_not_found(client, channel):
    other = make_channel(other_account().id, name="Their channel")
    theirs = ShippingMapping(
        account_id=other.account_id, channel_id=other.id, service_level="STANDARD", shipping_policy="Theirs"
    )
    db.session.add(theirs)
    db.session.commit()
    form = {"service_level": "STANDARD", "shipping_policy": "Mine"}

    assert client.get(url(other)).status_code == 404
    assert client.post(url(other), data=form, headers=HX).status_code == 404
    assert client.post(url(other, "/defaults"), headers=HX).status_code == 404
    assert client.post(url(other, f"/{theirs.id}"), data=form, headers=HX).status_code == 404
    assert client.post(url(channel, f"/{theirs.id}"), data=form, headers=HX).status_code == 404
    assert client.post(url(channel, f"/{theirs.id}/delete"), headers=HX).status_code == 404
    assert mappings(other) == {"STANDARD": "Theirs"} and mappings(channel) == {}


class TestCsrf:
    """With CSRF protection on, as in production."""

    @pytest.fixture
    def app_config(self, app_config):
        """CSRF protection on."""
        return {**app_config, "WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def channel(self, app, client) -> Channel:
        """A seller registered through the real form (with its token) and a channel."""
        token = csrf_token_from(client.get("/auth/register").get_data(as_text=True))
        client.post(
            "/auth/register",
            data={
                "csrf_token": token,
                "account_name": "Acme",
                "email": "seller@example.com",
                "password": "correct horse battery",
                "confirm": "correct horse battery",
            },
        )
        return make_channel(user_by_email().account_id)

    def test_posts_need_the_csrf_token(self, client, channel):
        token = csrf_token_from(client.get(url(channel)).get_data(as_text=True))

        assert client.post(url(channel, "/defaults"), headers=HX).status_code == 400
        assert mappings(channel) == {}
        accepted = client.post(url(channel, "/defaults"), headers={**HX, "X-CSRFToken": token})
        assert accepted.status_code == 200 and len(mappings(channel)) == 4
