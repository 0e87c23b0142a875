"""Channel forms with CSRF protection on, as in production: htmx posts carry the token in a header."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.channels_support import HX, channel_form, make_connection
from tests.conftest import csrf_token_from
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import Channel


@pytest.fixture
def app_config(app_config):
    """CSRF protection on."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def connection(client):
    """A registered account (through the real form, with its token) and its US connection."""
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
    return make_connection(user_by_email().account_id)


def channel_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Channel))


def test_htmx_channel_post_needs_the_csrf_header(client, connection):
    token = csrf_token_from(client.get("/channels/new").get_data(as_text=True))

    refused = client.post("/channels/new", data=channel_form(connection.id), headers=HX)
    assert refused.status_code == 400
    assert channel_count() == 0

    accepted = client.post(
        "/channels/new", data=channel_form(connection.id), headers={**HX, "X-CSRFToken": token}
    )
    assert accepted.status_code == 204 and accepted.headers["HX-Redirect"].startswith("/channels/")
    assert channel_count() == 1

    channel_id = accepted.headers["HX-Redirect"].rsplit("/", 1)[1]
    assert client.post(f"/channels/{channel_id}/delete", headers=HX).status_code == 400
    assert channel_count() == 1
    deleted = client.post(f"/channels/{channel_id}/delete", headers={**HX, "X-CSRFToken": token})
    assert deleted.status_code == 204
    assert channel_count() == 0
