"""Connect with Amazon through the sandbox over HTTP: consent URL, callback, and every way ``state`` or the
code can be wrong (nothing is saved then)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from sandbox.seed import DEMO_SELLER_ID, EU_SELLER_ID
from tests.conftest import AuthActions, sandbox_app_config
from tests.connections_support import (
    DE,
    US,
    connect_through_sandbox,
    connections,
    consent,
    query_of,
    start_connect,
    with_param,
)
from tests.runs_support import fresh, work
from webapp.extensions import db
from webapp.models import ConnectionStatus, IntegrationRun, RunKind, RunStatus

# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


@pytest.fixture
def seller(auth):
    """A registered, signed-in seller."""
    auth.register()
    return auth


def test_connect_sends_the_seller_to_the_consent_page_with_app_id_and_state(seller, client, sandbox):
    url = start_connect(client, DE)
    params = query_of(url)
    assert url.startswith(f"{sandbox.url}/apps/authorize/consent?")
    assert params["application_id"] == sandbox.sandbox.settings["SANDBOX_APP_ID"]
    assert len(params["state"]) >= 40
    assert "version" not in params
    assert query_of(start_connect(client, DE))["state"] != params["state"], "every click gets a new state"


def test_a_draft_app_adds_version_beta(app, seller, client):
    app.config["AMAZON_APP_DRAFT"] = True
    assert query_of(start_connect(client))["version"] == "beta"


def test_connecting_saves_an_active_connection_tests_it_and_lands_on_its_page(app, seller, client, redis):
    response = connect_through_sandbox(client)

    [connection] = connections()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/connections/{connection.id}"
    assert (connection.selling_partner_id, connection.marketplace_id, connection.region) == (
        DEMO_SELLER_ID,
        US,
        "na",
    )
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.refresh_token.startswith("Atzr|")
    run = db.session.get(IntegrationRun, connection.last_test_run_id)
    assert (run.kind, run.status, run.params) == (
        RunKind.TEST_CONNECTION,
        RunStatus.QUEUED,
        {"connection_id": connection.id},
    )

    work(app, redis)

    assert fresh(run.id).status == RunStatus.SUCCEEDED
    page = client.get(response.headers["Location"]).text
    assert "Connected “Amazon US · A1SHELFSYNCDEMO”" in page
    assert "Active" in page and "Amazon.com" in page and "Amazon.ca" in page


def test_the_consent_state_is_never_stored_in_clear(seller, client, redis):
    state = query_of(start_connect(client))["state"]
    keys = [key.decode() for key in redis.keys("shelfsync:oauth-state:*")]
    assert len(keys) == 1 and state not in keys[0]
    assert state.encode() not in redis.get(keys[0])


def test_missing_state_is_refused(seller, client):
    callback = consent(start_connect(client))
    response = client.get(with_param(callback, state=""))
    assert response.status_code == 400
    assert "without the security code" in response.text and "Nothing was saved" in response.text
    assert connections() == []


def test_tampered_state_is_refused_and_nothing_is_saved(seller, client):
    callback = consent(start_connect(client))
    state = query_of(callback)["state"]
    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

    response = client.get(with_param(callback, state=tampered))

    assert response.status_code == 400
    assert "not started in this browser session" in response.text
    assert connections() == []


def test_expired_state_is_refused(app, seller, client):
    app.config["AMAZON_OAUTH_STATE_TTL"] = 1
    callback = consent(start_connect(client))
    time.sleep(1.2)

    response = client.get(callback)

    assert response.status_code == 400
    assert "expired or was already used" in response.text
    assert connections() == []


def test_replayed_state_is_refused(seller, client):
    callback = consent(start_connect(client))
    assert client.get(callback).status_code == 302
    [connection] = connections()
    token = connection.refresh_token

    replay = client.get(callback)

    assert replay.status_code == 400
    assert "expired or was already used" in replay.text
    [unchanged] = connections()
    assert unchanged.refresh_token == token


def test_state_from_another_session_is_refused_and_stays_usable_for_its_owner(app, seller, client):
    callback = consent(start_connect(client))
    attacker = app.test_client()
    AuthActions(attacker).register(email="other@example.com", account_name="Other Shop")

    response = attacker.get(callback)

    assert response.status_code == 400
    assert "not started in this browser session" in response.text
    assert connections() == []
    assert client.get(callback).status_code == 302, "the owner's state was not used up"
    assert [c.selling_partner_id for c in connections()] == [DEMO_SELLER_ID]


def test_same_user_in_another_browser_cannot_use_the_state(app, seller, client):
    callback = consent(start_connect(client))
    other_browser = app.test_client()
    AuthActions(other_browser).login()

    assert other_browser.get(callback).status_code == 400
    assert connections() == []


def test_replayed_oauth_code_is_refused_and_saves_nothing(seller, client):
    first = consent(start_connect(client))
    assert client.get(first).status_code == 302
    [connection] = connections()
    token = connection.refresh_token

    # A fresh, valid state for another marketplace, carrying the code that was already exchanged.
    second = consent(start_connect(client, DE))
    replay = client.get(with_param(second, spapi_oauth_code=query_of(first)["spapi_oauth_code"]))

    assert replay.status_code == 400
    assert "already used or has expired" in replay.text and "Nothing was saved" in replay.text
    [unchanged] = connections()
    assert (unchanged.marketplace_id, unchanged.refresh_token) == (US, token)


def test_seller_cancelling_on_amazon_saves_nothing_and_uses_up_the_state(seller, client):
    cancelled = consent(start_connect(client), action="cancel")
    assert query_of(cancelled)["error"] == "access_denied"

    response = client.get(cancelled)

    assert response.status_code == 400
    assert "You cancelled the authorization" in response.text
    assert connections() == []
    state = query_of(cancelled)["state"]
    forged = client.get(
        f"/connections/amazon/callback?state={state}&selling_partner_id=A1X&spapi_oauth_code=x"
    )
    assert forged.status_code == 400 and "expired or was already used" in forged.text
    assert connections() == []


def test_connecting_the_same_seller_again_updates_the_one_connection(seller, client):
    connect_through_sandbox(client)
    [first] = connections()
    first_token = first.refresh_token

    connect_through_sandbox(client)

    [again] = connections()
    assert again.id == first.id and again.refresh_token != first_token


def test_another_marketplace_of_the_same_seller_is_another_connection(seller, client):
    connect_through_sandbox(client, US)
    connect_through_sandbox(client, DE, seller_id=EU_SELLER_ID)
    connect_through_sandbox(client, DE)

    assert sorted((c.selling_partner_id, c.marketplace_id, c.region) for c in connections()) == [
        (DEMO_SELLER_ID, DE, "eu"),
        (DEMO_SELLER_ID, US, "na"),
        (EU_SELLER_ID, DE, "eu"),
    ]


def test_callback_requires_login(app, client, sandbox):
    response = client.get("/connections/amazon/callback?state=x&spapi_oauth_code=y")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(sa.text("SELECT count(*) FROM connections")) == 0
