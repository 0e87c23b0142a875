"""A 403 is not always a revoked authorization: Amazon refuses a call the application has no role for
with the same code and message as a bad token, only without a word about the token. Such a refusal
leaves the connection active, names the role to request, and Get Orders goes on without buyer data."""

from __future__ import annotations

import pytest

from sandbox.seed import DEMO_SELLER_ID
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, run_job
from tests.orders_support import imported, searchable, with_default_mappings
from tests.runs_support import notes
from webapp.amazon import AccessDenied, AmazonSettings, AuthorizationRevoked, SellerApi, SellerCredentials
from webapp.amazon.roles import BUYER_DATA, ORDER_TRACKING, PRODUCT_LISTING
from webapp.extensions import db
from webapp.models import Channel, ConnectionStatus, RunKind, RunStatus

US = "ATVPDKIKX0DER"
app_config = sandbox_app_config


@pytest.fixture
def channel(app, sandbox) -> Channel:
    """The demo seller's US channel with the default shipping mappings."""
    return with_default_mappings(demo_channel(sandbox))


def deny(sandbox, *roles: str) -> None:
    """Take roles away from the demo seller's authorization on Amazon's side."""
    sandbox.admin("put", f"/sellers/{DEMO_SELLER_ID}/roles", json={"deny": list(roles)})


def connection_status(channel: Channel) -> ConnectionStatus:
    db.session.expire_all()
    return db.session.get(Channel, channel.id).connection.status


def test_a_call_without_its_role_is_access_denied_naming_the_role_not_a_revoked_authorization(
    app, redis, channel, sandbox
):
    deny(sandbox, PRODUCT_LISTING)
    seller = SellerCredentials(DEMO_SELLER_ID, channel.connection.refresh_token, US)
    api = SellerApi(seller, settings=AmazonSettings.current(), redis=redis)

    with pytest.raises(AccessDenied) as refused:
        api.get_listing("ANY-SKU")

    assert not isinstance(refused.value, AuthorizationRevoked)
    assert refused.value.status == 403 and refused.value.code == "Unauthorized"
    assert refused.value.role == PRODUCT_LISTING and "“Product Listing” role" in refused.value.help
    assert api.marketplace_participations(), "calls that need no such role still work"


def test_get_orders_without_the_buyer_data_role_imports_the_orders_without_it_and_says_so_once(
    app, redis, channel, sandbox
):
    deny(sandbox, BUYER_DATA)
    expected = searchable(sandbox, ["UNSHIPPED", "PARTIALLY_SHIPPED"], 7)

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert run.status == RunStatus.SUCCEEDED
    orders = imported(channel)
    assert set(orders) == set(expected)
    assert all(o.buyer_name is None and o.address_line1 is None for o in orders.values())
    assert all(not o.city for o in orders.values()), "no recipient data either"
    [warning] = [n for n in notes(run.id, "warning") if n.code == "buyer_data_denied"]
    assert "Direct-to-Consumer Shipping (Restricted)" in warning.help
    assert connection_status(channel) == ConnectionStatus.ACTIVE


def test_a_run_refused_outright_fails_with_the_role_and_leaves_the_connection_active(
    app, redis, channel, sandbox
):
    deny(sandbox, ORDER_TRACKING)

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert run.status == RunStatus.FAILED
    errors = notes(run.id, "error")
    assert errors and "“Inventory and Order Tracking” role" in errors[0].help
    assert imported(channel) == {}
    assert connection_status(channel) == ConnectionStatus.ACTIVE


def test_a_revoked_token_still_marks_the_connection(app, redis, channel, sandbox):
    sandbox.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")

    run = run_job(app, redis, channel, RunKind.GET_ORDERS)

    assert run.status == RunStatus.FAILED
    assert connection_status(channel) == ConnectionStatus.NEEDS_REAUTHORIZATION
