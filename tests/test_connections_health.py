"""Test connection (a real RQ job against the sandbox) and authorization health: revoke → marked, banner,
schedules paused; re-authorize → active, schedules resume."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from jobs.scheduler import dispatch_due
from sandbox.seed import DEMO_SELLER_ID
from tests.conftest import sandbox_app_config
from tests.connections_support import DE, connect_through_sandbox, connections, consent, query_of
from tests.runs_support import fresh, notes, work
from webapp.amazon.help import RE_AUTHORIZE
from webapp.extensions import db
from webapp.models import Channel, ConnectionStatus, IntegrationRun, RunKind, RunStatus, Schedule
from webapp.services.connections import mark_needs_reauthorization
from webapp.timeutil import utcnow

HX = {"HX-Request": "true"}


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


@pytest.fixture
def connection(app, auth, client, redis):
    """The demo seller connected through the consent flow, its first test run done."""
    auth.register()
    connect_through_sandbox(client)
    work(app, redis)
    [connection] = connections()
    return connection


def click_test(client, connection_id: int):
    """Click Test connection (htmx); returns the run it started."""
    response = client.post(f"/connections/{connection_id}/test", headers=HX)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.text
    db.session.rollback()
    return connections()[0].last_test_run_id


def health(client, connection_id: int) -> str:
    return client.get(f"/connections/{connection_id}/health", headers=HX).text


def diagnostic_runs() -> list[IntegrationRun]:
    db.session.rollback()
    return list(
        db.session.scalars(sa.select(IntegrationRun).where(IntegrationRun.kind == RunKind.DIAGNOSTIC))
    )


def test_successful_test_shows_the_marketplaces_inline_and_in_the_run_log(app, client, redis, connection):
    run_id = click_test(client, connection.id)
    assert "Testing…" in health(client, connection.id)

    work(app, redis)

    assert fresh(run_id).status == RunStatus.SUCCEEDED
    partial = health(client, connection.id)
    assert "hx-trigger" not in partial, "polling stops once the run has finished"
    assert 'id="marketplaces"' in partial
    for name in ("Amazon.com", "Amazon.ca", "Amazon.com.mx", "Amazon.com.br"):
        assert name in partial
    assert "Amazon.de" not in partial
    saved = connections()[0]
    assert saved.last_tested_at is not None
    assert {m["marketplace_id"] for m in saved.marketplaces} >= {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
    assert any("Amazon.com (US, USD)" in n.message for n in notes(run_id, "info"))


def test_a_marketplace_the_seller_does_not_sell_in_fails_with_help(app, client, redis, connection):
    client.post(f"/connections/{connection.id}/edit", data={"name": "Wrong", "marketplace_id": DE})
    run_id = connections()[0].last_test_run_id

    work(app, redis)

    assert fresh(run_id).status == RunStatus.PARTIAL
    partial = health(client, connection.id)
    assert "The seller does not sell in Germany (DE)" in partial
    assert "Edit the connection and choose one of the marketplaces listed above" in partial
    assert connections()[0].status == ConnectionStatus.ACTIVE
    # The authorization works, but the badge must not say all is well.
    assert "Not selling in DE" in partial and ">Active<" not in partial
    assert "Not selling in DE" in client.get("/connections/").get_data(as_text=True)


def test_a_token_amazon_does_not_know_fails_with_help_and_needs_reauthorization(app, client, redis, auth):
    auth.register()
    client.post(
        "/connections/new",
        data={
            "name": "Pasted",
            "selling_partner_id": DEMO_SELLER_ID,
            "marketplace_id": "ATVPDKIKX0DER",
            "refresh_token": "Atzr|IwEBIThisTokenWasNeverIssuedByAmazon-0123456789",
        },
    )
    run_id = connections()[0].last_test_run_id

    work(app, redis)

    assert fresh(run_id).status == RunStatus.FAILED
    [error] = notes(run_id, "error")
    assert error.code == "authorization_revoked" and error.help == RE_AUTHORIZE
    partial = health(client, connections()[0].id)
    assert "Amazon no longer accepts the authorization" in partial and escape(RE_AUTHORIZE) in partial
    assert connections()[0].status == ConnectionStatus.NEEDS_REAUTHORIZATION


def test_revoked_authorization_marks_the_connection_shows_the_banner_and_pauses_schedules(
    app, client, redis, sandbox, connection
):
    channel = Channel(account_id=connection.account_id, connection_id=connection.id, name="Amazon US")
    db.session.add(channel)
    db.session.commit()
    sandbox.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")

    run_id = click_test(client, connection.id)
    work(app, redis)

    marked = connections()[0]
    assert marked.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert "invalid_grant" in marked.status_reason
    revoked_token = marked.refresh_token
    [error] = notes(run_id, "error")
    assert "Scheduled runs of “Amazon US” are paused until you re-authorize." in error.message
    assert error.help == RE_AUTHORIZE

    for page in ("/", "/runs/", "/connections/"):
        html = client.get(page).text
        assert 'id="reauth-banner"' in html
        assert f'action="/connections/{connection.id}/reauthorize"' in html

    db.session.add(
        Schedule(
            account_id=connection.account_id,
            channel_id=channel.id,
            kind=RunKind.DIAGNOSTIC.value,
            interval_minutes=15,
            next_run_at=utcnow() - timedelta(minutes=1),
        )
    )
    db.session.commit()
    assert dispatch_due() == 0
    assert dispatch_due() == 0
    assert diagnostic_runs() == []

    # A second failing run records its own failure but does not announce the pause again.
    second = click_test(client, connection.id)
    work(app, redis)
    [again] = notes(second, "error")
    assert "paused" not in again.message

    # One click in the banner: the consent flow for the same seller and marketplace.
    response = client.post(f"/connections/{connection.id}/reauthorize")
    assert query_of(response.headers["Location"])["application_id"]
    back = client.get(consent(response.headers["Location"]))
    assert back.headers["Location"] == f"/connections/{connection.id}"

    [active] = connections()
    assert active.status == ConnectionStatus.ACTIVE and active.status_reason == ""
    assert active.refresh_token != revoked_token, "the new authorization's token replaced the revoked one"
    assert 'id="reauth-banner"' not in client.get("/").text
    assert dispatch_due() == 1
    assert [(r.channel_id, r.trigger) for r in diagnostic_runs()] == [(channel.id, "scheduled")]

    work(app, redis)
    assert fresh(active.last_test_run_id).status == RunStatus.SUCCEEDED


def test_reauthorizing_as_another_seller_is_refused(client, connection):
    response = client.post(f"/connections/{connection.id}/reauthorize")
    back = client.get(consent(response.headers["Location"], seller_id="A2SHELFSYNCEUDEMO"))
    assert back.status_code == 400
    assert (
        "You authorized seller A2SHELFSYNCEUDEMO, but this connection is for seller A1SHELFSYNCDEMO."
        in back.text
    )
    assert [c.selling_partner_id for c in connections()] == [DEMO_SELLER_ID]


def test_the_pause_is_announced_once_by_whoever_finds_it_first(connection):
    assert mark_needs_reauthorization(connection.id, "invalid_grant: revoked") == []
    assert mark_needs_reauthorization(connection.id, "invalid_grant: revoked") is None
