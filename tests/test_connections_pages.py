"""Connection pages: list and empty state, manual entry with validation, edit, delete, tenancy (404s)."""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions
from tests.connections_support import DE, US, connections
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import Channel, Connection, IntegrationRun, RunKind

TOKEN = "Atzr|IwEBIExampleRefreshTokenValue-0123456789_abcdef"
SELLER = "A1B2C3D4E5F6G7"


def manual(client, **overrides):
    """Submit the manual connection form."""
    data = {
        "name": "Main store",
        "selling_partner_id": SELLER,
        "marketplace_id": US,
        "refresh_token": TOKEN,
        **overrides,
    }
    return client.post("/connections/new", data=data)


def make_connection(account_id: int, name: str = "Main store", marketplace_id: str = US) -> Connection:
    connection = Connection(
        account_id=account_id,
        name=name,
        selling_partner_id=SELLER,
        marketplace_id=marketplace_id,
        region="na" if marketplace_id == US else "eu",
        refresh_token=TOKEN,
        marketplaces=[],
    )
    db.session.add(connection)
    db.session.commit()
    return connection


@pytest.fixture
def seller(auth):
    """A registered, signed-in seller."""
    auth.register()
    return auth


def test_empty_list_invites_the_seller_to_connect(seller, client):
    page = client.get("/connections/").text
    assert "Connect your Amazon seller account" in page
    assert "Connect with Amazon" in page
    for marketplace in ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A33AVAJ2PDY3EV", "A21TJRUUN4KGV"):
        assert marketplace in page
    assert page.count("<option") == 12


def test_list_shows_each_connection_with_its_health(seller, client):
    make_connection(user_by_email().account_id, name="Shop US")
    page = client.get("/connections/").text
    assert "Shop US" in page and SELLER in page and "United States (US)" in page and "Active" in page
    assert "Connect another seller account" in page


def test_nav_links_to_connections(seller, client):
    assert 'href="/connections/"' in client.get("/").text


def test_manual_entry_saves_the_connection_and_starts_a_test(seller, client):
    response = manual(client)

    [connection] = connections()
    assert response.status_code == 302 and response.headers["Location"] == f"/connections/{connection.id}"
    assert (connection.name, connection.selling_partner_id, connection.marketplace_id, connection.region) == (
        "Main store",
        SELLER,
        US,
        "na",
    )
    assert connection.refresh_token == TOKEN
    run = db.session.get(IntegrationRun, connection.last_test_run_id)
    assert run.kind == RunKind.TEST_CONNECTION and run.params == {"connection_id": connection.id}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"selling_partner_id": ""}, "This field is required."),
        ({"selling_partner_id": "seller-1"}, "A Selling Partner ID looks like A1B2C3D4E5F6G7"),
        ({"selling_partner_id": "A1B2"}, "A Selling Partner ID looks like A1B2C3D4E5F6G7"),
        ({"marketplace_id": "A1VC38T7YXB528"}, "Not a valid choice"),
        ({"marketplace_id": ""}, "This field is required."),
        ({"refresh_token": ""}, "This field is required."),
        (
            {"refresh_token": "Atza|IwEBIExampleAccessTokenValue-0123456789"},
            "A refresh token starts with Atzr|",
        ),
        ({"refresh_token": "Atzr|short"}, "A refresh token starts with Atzr|"),
        (
            {"refresh_token": "Atzr|IwEBI with spaces in the middle of it"},
            "A refresh token starts with Atzr|",
        ),
    ],
)
def test_manual_entry_is_validated(seller, client, overrides, message):
    response = manual(client, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert connections() == []


def test_manual_form_errors_come_back_as_the_form_partial_for_htmx(seller, client):
    response = client.post(
        "/connections/new",
        data={"name": "x", "selling_partner_id": "nope", "marketplace_id": US, "refresh_token": TOKEN},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert 'id="manual-connection-form"' in response.text and "<html" not in response.text
    assert "A Selling Partner ID looks like" in response.text


def test_manual_entry_for_an_existing_seller_updates_its_token(seller, client):
    manual(client)
    new_token = TOKEN.replace("Example", "Another")
    manual(client, name="Renamed", refresh_token=new_token)

    [connection] = connections()
    assert (connection.name, connection.refresh_token) == ("Renamed", new_token)


def test_edit_changes_name_and_marketplace_and_keeps_a_blank_token(seller, client):
    connection = make_connection(user_by_email().account_id)
    form = client.get(f"/connections/{connection.id}/edit").text
    assert 'placeholder="unchanged"' in form and "Main store" in form

    response = client.post(
        f"/connections/{connection.id}/edit",
        data={"name": "EU shop", "marketplace_id": DE, "refresh_token": ""},
    )

    assert response.status_code == 302
    [saved] = connections()
    assert (saved.name, saved.marketplace_id, saved.region, saved.refresh_token) == (
        "EU shop",
        DE,
        "eu",
        TOKEN,
    )
    assert saved.last_test_run_id is not None, "a new marketplace is tested again"


def test_edit_with_a_new_token_replaces_it(seller, client):
    connection = make_connection(user_by_email().account_id)
    new_token = TOKEN.replace("Example", "Pasted")
    client.post(
        f"/connections/{connection.id}/edit",
        data={"name": "Main store", "marketplace_id": US, "refresh_token": new_token},
    )
    assert connections()[0].refresh_token == new_token


def test_edit_refuses_a_marketplace_another_connection_of_the_seller_has(seller, client):
    account_id = user_by_email().account_id
    make_connection(account_id, name="Germany", marketplace_id=DE)
    us = make_connection(account_id, name="US")

    response = client.post(f"/connections/{us.id}/edit", data={"name": "US", "marketplace_id": DE})

    assert response.status_code == 422
    assert "Connection “Germany” already uses this seller in that marketplace." in response.text
    assert sorted(c.marketplace_id for c in connections()) == sorted([DE, US])


def test_edit_validates_the_name_and_token(seller, client):
    connection = make_connection(user_by_email().account_id)
    response = client.post(
        f"/connections/{connection.id}/edit",
        data={"name": "", "marketplace_id": US, "refresh_token": "not-a-token"},
    )
    assert response.status_code == 422
    assert "This field is required." in response.text and "A refresh token starts with Atzr|" in response.text
    assert connections()[0].name == "Main store"


def test_delete_asks_for_confirmation_then_deletes(seller, client):
    connection = make_connection(user_by_email().account_id)
    detail = client.get(f"/connections/{connection.id}").text
    assert "hx-confirm=" in detail
    confirm = client.get(f"/connections/{connection.id}/delete").text
    assert "Delete “Main store”?" in confirm and "Delete connection" in confirm

    response = client.post(f"/connections/{connection.id}/delete")

    assert response.status_code == 302 and response.headers["Location"] == "/connections/"
    assert connections() == []
    assert "Deleted “Main store”" in client.get("/connections/").text


def test_delete_is_refused_while_a_channel_uses_the_connection(seller, client):
    connection = make_connection(user_by_email().account_id)
    db.session.add(Channel(account_id=connection.account_id, connection_id=connection.id, name="Amazon US"))
    db.session.commit()

    confirm = client.get(f"/connections/{connection.id}/delete").text
    assert "cannot be deleted while channel “Amazon US” uses it" in confirm
    assert "Delete connection" not in confirm

    response = client.post(f"/connections/{connection.id}/delete", headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == f"/connections/{connection.id}"
    assert len(connections()) == 1
    page = client.get(f"/connections/{connection.id}").text
    assert "“Main store” cannot be deleted: channel “Amazon US” uses it." in page


ROUTES = [
    ("get", "/connections/{id}"),
    ("get", "/connections/{id}/health"),
    ("get", "/connections/{id}/edit"),
    ("post", "/connections/{id}/edit"),
    ("get", "/connections/{id}/delete"),
    ("post", "/connections/{id}/delete"),
    ("post", "/connections/{id}/test"),
    ("post", "/connections/{id}/reauthorize"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_accounts_connection_is_not_found_on_every_route(app, method, route):
    owner = app.test_client()
    AuthActions(owner).register(email="owner@example.com", account_name="Owner")
    theirs = make_connection(user_by_email("owner@example.com").account_id)
    intruder = app.test_client()
    AuthActions(intruder).register(email="intruder@example.com", account_name="Intruder")

    response = getattr(intruder, method)(
        route.format(id=theirs.id), data={"name": "x", "marketplace_id": US, "refresh_token": ""}
    )

    assert response.status_code == 404
    [untouched] = connections()
    assert (untouched.name, untouched.marketplace_id, untouched.last_test_run_id) == ("Main store", US, None)
    assert getattr(owner, method)(route.format(id=theirs.id)).status_code != 404
