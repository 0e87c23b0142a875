"""Channel pages: create and edit with validation, schedules, the channel page, delete, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.channels_support import (
    CA,
    DE,
    HX,
    JP,
    US,
    channel_form,
    field_errors,
    integration_row,
    make_connection,
)
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import (
    Account,
    Channel,
    Connection,
    ConnectionStatus,
    IntegrationRun,
    RunKind,
    RunStatus,
    Schedule,
)
from webapp.timeutil import utcnow


@pytest.fixture
def account_id(app, auth) -> int:
    """A registered, logged-in account."""
    auth.register()
    return user_by_email().account_id


@pytest.fixture
def connection(account_id) -> Connection:
    """An active US connection of the logged-in account."""
    return make_connection(account_id)


def channels() -> list[Channel]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Channel).order_by(Channel.id)))


def schedules_by_kind(channel_id: int) -> dict[str, Schedule]:
    db.session.rollback()
    rows = db.session.scalars(sa.select(Schedule).where(Schedule.channel_id == channel_id))
    return {row.kind: row for row in rows}


def create(client, connection: Connection, **changes) -> Channel:
    response = client.post("/channels/new", data=channel_form(connection.id, **changes))
    assert response.status_code == 302, field_errors(response.get_data(as_text=True))
    return channels()[-1]


def assert_close(actual, expected, slack=timedelta(seconds=30)) -> None:
    assert actual is not None and abs(actual - expected) < slack, (actual, expected)


# --- list and empty states -------------------------------------------------------------------------


def test_without_a_connection_the_pages_say_to_connect_amazon_first(client, account_id):
    listing = client.get("/channels/").get_data(as_text=True)
    new = client.get("/channels/new").get_data(as_text=True)
    for page in (listing, new):
        assert "Connect Amazon first." in page and 'href="/connections/"' in page
        assert 'id="channel-form"' not in page
    assert 'href="/channels/new"' not in listing


def test_channels_page_lists_the_accounts_channels_with_their_health(client, account_id, connection):
    assert "No channels yet." in client.get("/channels/").get_data(as_text=True)
    create(client, connection, name="Amazon US")
    eu = make_connection(account_id, DE, name="Acme DE", status=ConnectionStatus.NEEDS_REAUTHORIZATION)
    create(client, eu, name="Amazon DE", marketplace_id=DE)

    page = client.get("/channels/").get_data(as_text=True)
    assert "Amazon US" in page and "Amazon DE" in page
    assert "Active" in page and "Needs re-authorization" in page
    assert 'href="/channels/new"' in page


# --- the form ---------------------------------------------------------------------------------------


def test_new_form_offers_only_the_connections_region_and_defaults_to_its_marketplace(client, connection):
    page = client.get("/channels/new").get_data(as_text=True)
    assert f'<option selected value="{US}">' in page
    assert 'value="A2EUQ1WTGCTBG2"' in page  # Canada: same region
    assert f'value="{DE}"' not in page
    assert 'value="AMAZON_NA"' in page and 'value="AMAZON_EU"' not in page
    assert 'name="import_listings-enabled"' not in page, "Import Listings cannot be scheduled"
    assert "Import Listings is manual only" in page


def test_choosing_another_connection_swaps_in_its_region_and_keeps_fba(client, account_id, connection):
    eu = make_connection(account_id, DE, name="Acme DE")
    fields = client.get(
        f"/channels/marketplace-fields?connection_id={eu.id}&fulfillment_channel=AMAZON_NA", headers=HX
    ).get_data(as_text=True)
    assert fields.lstrip().startswith('<div id="marketplace-fields"')
    assert f'<option selected value="{DE}">' in fields and f'value="{US}"' not in fields
    assert '<option selected value="AMAZON_EU">' in fields

    fbm = client.get(f"/channels/marketplace-fields?connection_id={eu.id}&fulfillment_channel=DEFAULT")
    assert '<option selected value="DEFAULT">' in fbm.get_data(as_text=True)


def test_creating_a_channel_saves_its_settings_and_schedules(client, connection):
    response = client.post(
        "/channels/new",
        data=channel_form(
            connection.id,
            name="Amazon US",
            fulfillment_channel="AMAZON_NA",
            orders_window_days="14",
            order_statuses=["UNSHIPPED", "SHIPPED"],
            acknowledge_orders="y",
            import_mode="create_and_overwrite",
            import_new_paused="y",
        ),
    )
    [channel] = channels()
    assert response.headers["Location"] == f"/channels/{channel.id}"
    assert (channel.name, channel.connection_id, channel.marketplace_id, channel.fulfillment_channel) == (
        "Amazon US",
        connection.id,
        US,
        "AMAZON_NA",
    )
    assert channel.orders_window_days == 14
    assert channel.order_statuses == ["UNSHIPPED", "SHIPPED"]
    assert channel.acknowledge_orders is True
    assert (channel.import_mode, channel.import_new_paused) == ("create_and_overwrite", True)

    schedules = schedules_by_kind(channel.id)
    assert set(schedules) == {"sync_listings", "get_orders", "sync_orders"}
    assert schedules["sync_listings"].interval_minutes == 30
    assert_close(schedules["sync_listings"].next_run_at, utcnow() + timedelta(minutes=30))
    for off in ("get_orders", "sync_orders"):
        assert (schedules[off].interval_minutes, schedules[off].next_run_at) == (None, None)


def test_htmx_create_answers_with_a_redirect_header(client, connection):
    response = client.post("/channels/new", data=channel_form(connection.id), headers=HX)
    [channel] = channels()
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/channels/{channel.id}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sync_listings-interval": "14"}, "Run at most every 15 minutes"),
        ({"get_orders-enabled": "y", "get_orders-interval": "5"}, "Run at most every 15 minutes"),
        ({"sync_orders-enabled": "y", "sync_orders-interval": ""}, "Enter how often to run"),
        ({"sync_listings-interval": "hourly"}, "Not a valid integer value."),
        ({"sync_listings-interval": "10081"}, "at least once a week"),
        ({"fulfillment_channel": "AMAZON_EU"}, "AMAZON_EU is not the fulfilment center for US"),
        ({"fulfillment_channel": "AMAZON_FE"}, "use AMAZON_NA"),
        ({"marketplace_id": DE}, "DE is not in North America"),
        ({"orders_window_days": "0"}, "Enter a number of days from 1 to 30."),
        ({"orders_window_days": "31"}, "Enter a number of days from 1 to 30."),
        ({"orders_window_days": ""}, "Enter a number of days from 1 to 30."),
        ({"order_statuses": None}, "Choose at least one order status to import."),
        ({"name": ""}, "This field is required."),
    ],
    ids=[
        "interval-14",
        "interval-5",
        "on-without-interval",
        "interval-not-a-number",
        "interval-over-a-week",
        "fba-eu-on-us",
        "fba-fe-on-us",
        "marketplace-of-another-region",
        "window-0",
        "window-31",
        "window-blank",
        "no-statuses",
        "no-name",
    ],
)
def test_invalid_channel_is_not_saved_and_the_form_says_why(client, connection, changes, message):
    response = client.post("/channels/new", data=channel_form(connection.id, **changes), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="channel-form"') and "<html" not in html
    assert any(message in error for error in field_errors(html)), field_errors(html)
    assert channels() == []
    assert db.session.scalars(sa.select(Schedule)).all() == []


def test_connection_of_another_account_is_a_validation_error(client, connection):
    other = Account(name="Other")
    db.session.add(other)
    db.session.commit()
    foreign = make_connection(other.id, name="Their US")

    response = client.post("/channels/new", data=channel_form(foreign.id), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of your Amazon connections." in field_errors(html)
    assert "Their US" not in html
    assert channels() == []


def test_an_off_schedule_ignores_whatever_interval_was_typed(client, connection):
    channel = create(client, connection, **{"get_orders-interval": "3"})
    assert schedules_by_kind(channel.id)["get_orders"].interval_minutes is None


def test_invalid_post_without_htmx_renders_the_full_page_with_422(client, connection):
    response = client.post("/channels/new", data=channel_form(connection.id, orders_window_days="99"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and 'id="channel-form"' in html
    assert "Enter a number of days from 1 to 30." in field_errors(html)


def test_channel_names_are_unique_within_the_account(client, connection):
    create(client, connection, name="Amazon US")
    response = client.post("/channels/new", data=channel_form(connection.id, name="amazon us"))
    assert response.status_code == 422
    assert "Another channel already has this name." in field_errors(response.get_data(as_text=True))


# --- editing and schedules --------------------------------------------------------------------------


def test_edit_form_shows_the_saved_settings(client, connection):
    channel = create(
        client,
        connection,
        fulfillment_channel="AMAZON_NA",
        **{"get_orders-enabled": "y", "get_orders-interval": "45"},
    )
    page = client.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    assert 'value="Amazon US"' in page
    assert '<option selected value="AMAZON_NA">' in page
    assert 'checked id="get_orders-enabled"' in page and 'value="45"' in page
    assert 'checked id="sync_listings-enabled"' in page and 'value="30"' in page
    assert 'id="sync_orders-enabled" name="sync_orders-enabled" type="checkbox"' in page  # off, unchecked


def test_saving_schedules_turns_on_reschedules_keeps_and_turns_off(client, connection):
    channel = create(client, connection, **{"get_orders-enabled": "y", "get_orders-interval": "60"})
    # Pretend some time passed: the stored next runs are in the past now.
    earlier = utcnow() - timedelta(minutes=5)
    db.session.execute(
        sa.update(Schedule).where(Schedule.channel_id == channel.id).values(next_run_at=earlier)
    )
    db.session.commit()

    response = client.post(
        f"/channels/{channel.id}/edit",
        data=channel_form(
            connection.id,
            **{
                "sync_listings-interval": "30",  # unchanged: keeps its next run
                "get_orders-enabled": "y",
                "get_orders-interval": "120",  # changed: rescheduled from now
                "sync_orders-enabled": "y",
                "sync_orders-interval": "15",  # turned on
            },
        ),
    )
    assert response.status_code == 302
    schedules = schedules_by_kind(channel.id)
    assert (schedules["sync_listings"].interval_minutes, schedules["sync_listings"].next_run_at) == (
        30,
        earlier,
    )
    assert schedules["get_orders"].interval_minutes == 120
    assert_close(schedules["get_orders"].next_run_at, utcnow() + timedelta(minutes=120))
    assert schedules["sync_orders"].interval_minutes == 15
    assert_close(schedules["sync_orders"].next_run_at, utcnow() + timedelta(minutes=15))

    client.post(
        f"/channels/{channel.id}/edit", data=channel_form(connection.id, **{"sync_listings-enabled": None})
    )
    schedules = schedules_by_kind(channel.id)
    assert len(schedules) == 3, "one row per channel and kind, updated in place"
    for row in schedules.values():
        assert (row.interval_minutes, row.next_run_at) == (None, None)


def test_edit_keeps_the_channels_own_name_and_can_move_to_another_connection(client, account_id, connection):
    channel = create(client, connection)
    eu = make_connection(account_id, JP, name="Acme JP")
    response = client.post(
        f"/channels/{channel.id}/edit",
        data=channel_form(eu.id, marketplace_id=JP, fulfillment_channel="AMAZON_FE"),
        headers=HX,
    )
    assert response.status_code == 204
    [saved] = channels()
    assert (saved.name, saved.connection_id, saved.marketplace_id, saved.fulfillment_channel) == (
        "Amazon US",
        eu.id,
        JP,
        "AMAZON_FE",
    )


# --- the channel page -------------------------------------------------------------------------------


def add_run(channel: Channel, kind: RunKind, status: RunStatus, minutes_ago: int) -> IntegrationRun:
    at = utcnow() - timedelta(minutes=minutes_ago)
    run = IntegrationRun(
        account_id=channel.account_id,
        channel_id=channel.id,
        kind=kind.value,
        status=status.value,
        created_at=at,
        started_at=at,
        finished_at=at,
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_channel_page_shows_settings_health_and_each_integrations_last_and_next_run(client, connection):
    channel = create(
        client,
        connection,
        fulfillment_channel="AMAZON_NA",
        order_statuses=["UNSHIPPED", "PARTIALLY_SHIPPED"],
        **{"get_orders-enabled": "y", "get_orders-interval": "20"},
    )
    add_run(channel, RunKind.SYNC_LISTINGS, RunStatus.FAILED, minutes_ago=90)
    latest_sync = add_run(channel, RunKind.SYNC_LISTINGS, RunStatus.SUCCEEDED, minutes_ago=30)
    imported = add_run(channel, RunKind.IMPORT_LISTINGS, RunStatus.PARTIAL, minutes_ago=10)
    other_channel = create(client, connection, name="Second", marketplace_id=CA)
    add_run(other_channel, RunKind.GET_ORDERS, RunStatus.FAILED, minutes_ago=1)
    next_get_orders = schedules_by_kind(channel.id)["get_orders"].next_run_at

    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)

    assert "Active" in page
    assert "US · ATVPDKIKX0DER (North America)" in page
    assert "Fulfilled by Amazon (FBA, AMAZON_NA)" in page
    assert "Orders created within the last 7 days" in page and "Unshipped, Partially shipped" in page
    sync = integration_row(page, "sync-listings")
    assert f'href="/runs/{latest_sync.id}"' in sync and "status-succeeded" in sync
    assert "status-failed" not in sync, "only the last run is shown"
    assert "every 30 min" in sync
    get_orders = integration_row(page, "get-orders")
    assert "Never run" in get_orders, "another channel's run is not this channel's"
    assert next_get_orders.strftime("%Y-%m-%d %H:%M:%S") in get_orders and "every 20 min" in get_orders
    assert "Off" in integration_row(page, "sync-orders")
    import_row = integration_row(page, "import-listings")
    assert f'href="/runs/{imported.id}"' in import_row and "status-partial" in import_row
    assert "Manual only" in import_row


def test_channel_page_shows_when_the_connection_needs_reauthorization(client, connection):
    channel = create(client, connection)
    connection.status = ConnectionStatus.NEEDS_REAUTHORIZATION
    connection.status_reason = "Amazon answered invalid_grant"
    db.session.commit()

    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "Needs re-authorization" in page and "Amazon answered invalid_grant" in page
    assert f'href="/connections/{connection.id}"' in page
    assert "status-succeeded" not in page.split('id="connection-health"')[1].split("</div>")[0]


def test_integrations_table_is_a_partial_for_htmx_and_polls_while_a_run_is_active(client, connection):
    channel = create(client, connection)
    url = f"/channels/{channel.id}/integrations"

    partial = client.get(url, headers=HX)
    full = client.get(url)
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="channel-integrations"')
    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in full.get_data(as_text=True) and 'id="channel-settings"' in full.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"]
    assert "hx-trigger" not in partial.get_data(as_text=True)

    add_run(channel, RunKind.SYNC_LISTINGS, RunStatus.RUNNING, minutes_ago=0)
    polling = client.get(url, headers=HX).get_data(as_text=True)
    assert f'hx-get="{url}"' in polling and 'hx-trigger="every 3s"' in polling


# --- delete -----------------------------------------------------------------------------------------


def test_delete_asks_first_then_removes_the_channel_and_its_schedules_but_keeps_its_runs(client, connection):
    channel = create(client, connection)
    run = add_run(channel, RunKind.SYNC_LISTINGS, RunStatus.SUCCEEDED, minutes_ago=5)
    channel_id, run_id = channel.id, run.id

    page = client.get(f"/channels/{channel_id}").get_data(as_text=True)
    # Always the confirmation page (it counts what goes with the channel), never a bare hx-confirm.
    assert f'method="get" action="/channels/{channel_id}/delete"' in page
    assert f'hx-post="/channels/{channel_id}/delete"' not in page
    confirm = client.get(f"/channels/{channel_id}/delete").get_data(as_text=True)
    assert "Delete Amazon US?" in confirm and "Its 1 past run stays in the run history." in confirm
    assert "The channel has no listings and no orders." in confirm and 'name="confirm_name"' not in confirm
    assert f'method="post" action="/channels/{channel_id}/delete"' in confirm
    assert channels() != []

    response = client.post(f"/channels/{channel_id}/delete")
    assert response.headers["Location"] == "/channels/"
    assert channels() == []
    assert db.session.scalars(sa.select(Schedule)).all() == []
    kept = db.session.get(IntegrationRun, run_id)
    assert kept is not None and kept.channel_id is None
    assert "deleted" in client.get("/channels/").get_data(as_text=True)


def test_htmx_delete_redirects_to_the_channels_page(client, connection):
    channel = create(client, connection)
    response = client.post(f"/channels/{channel.id}/delete", headers=HX)
    assert (response.status_code, response.headers["HX-Redirect"]) == (204, "/channels/")
    assert channels() == []


# --- tenant isolation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/channels/{id}"),
        ("get", "/channels/{id}/integrations"),
        ("get", "/channels/{id}/edit"),
        ("post", "/channels/{id}/edit"),
        ("get", "/channels/{id}/delete"),
        ("post", "/channels/{id}/delete"),
    ],
)
def test_another_accounts_channel_is_not_found_on_every_route(client, connection, method, path):
    other = Account(name="Other")
    db.session.add(other)
    db.session.commit()
    theirs = Channel(account_id=other.id, name="Their channel", connection_id=make_connection(other.id).id)
    db.session.add(theirs)
    db.session.commit()
    theirs_id = theirs.id

    response = getattr(client, method)(
        path.format(id=theirs_id), data=channel_form(connection.id, name="Mine")
    )

    assert response.status_code == 404
    assert "Their channel" not in response.get_data(as_text=True)
    [still] = channels()
    assert (still.id, still.name, still.account_id) == (theirs_id, "Their channel", other.id)


def test_marketplace_fields_of_another_accounts_connection_are_not_found(client, connection):
    other = Account(name="Other")
    db.session.add(other)
    db.session.commit()
    foreign = make_connection(other.id, DE)
    assert client.get(f"/channels/marketplace-fields?connection_id={foreign.id}").status_code == 404
    assert client.get("/channels/marketplace-fields").status_code == 404


def test_channel_pages_need_a_login(client, app):
    assert client.get("/channels/").status_code == 302
    assert client.post("/channels/new", data={}).status_code == 302


def test_a_second_channel_on_the_same_connection_and_marketplace_is_refused(client, connection):
    first = create(client, connection, name="Amazon US")

    response = client.post("/channels/new", data=channel_form(connection.id, name="US again"))

    assert response.status_code == 422
    assert "The channel “Amazon US” already sells on US through this connection" in response.get_data(
        as_text=True
    )
    assert [c.id for c in channels()] == [first.id]
    assert create(client, connection, name="Amazon CA", marketplace_id=CA).marketplace_id == CA
    edit = client.post(
        f"/channels/{first.id}/edit", data=channel_form(connection.id, name="Amazon US (main)")
    )
    assert edit.status_code == 302, "a channel keeps its own marketplace when edited"
