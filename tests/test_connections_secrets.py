"""The refresh token never appears in plain text: not in the database, not in any page, not in the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import sandbox_app_config
from tests.connections_support import connect_through_sandbox, connections
from tests.runs_support import work
from webapp.extensions import db

HX = {"HX-Request": "true"}


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


def secret_parts(token: str) -> list[bytes]:
    """The whole token and its secret body (the ``Atzr|`` prefix alone is not a secret)."""
    return [token.encode(), token.split("|", 1)[1].encode()]


def database_bytes(app) -> bytes:
    """What is stored for the token: the SQLite file (with its journal/WAL), or the raw PostgreSQL column."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        db.session.remove()
        db.engine.dispose()  # close connections so everything is in the file
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    # Bypass the EncryptedString type: read the column as PostgreSQL stores it.
    rows = db.session.execute(sa.text("SELECT refresh_token, status_reason, name FROM connections")).all()
    return repr(rows).encode()


def test_refresh_token_is_not_in_the_database_pages_or_logs(app, auth, client, redis, caplog):
    caplog.set_level(logging.DEBUG)
    auth.register()
    connect_through_sandbox(client)
    work(app, redis)
    [connection] = connections()
    token = connection.refresh_token
    assert token.startswith("Atzr|") and len(token) > 40
    connection_id = connection.id

    pages = [
        client.get(path).data
        for path in (
            "/",
            "/connections/",
            f"/connections/{connection_id}",
            f"/connections/{connection_id}/edit",
            f"/connections/{connection_id}/delete",
            f"/runs/{connection.last_test_run_id}",
        )
    ]
    pages.append(client.get(f"/connections/{connection_id}/health", headers=HX).data)
    pages.append(client.post(f"/connections/{connection_id}/test", headers=HX).data)
    # An edit that fails validation must not echo a pasted token either.
    pages.append(
        client.post(
            f"/connections/{connection_id}/edit",
            data={"name": "", "marketplace_id": "ATVPDKIKX0DER", "refresh_token": token},
        ).data
    )
    work(app, redis)
    stored = database_bytes(app)

    for part in secret_parts(token):
        for page in pages:
            assert part not in page
        assert part not in stored
        assert part.decode() not in caplog.text
    assert b"gAAAAA" in stored, "the column holds a Fernet token"
    assert "getMarketplaceParticipations" in caplog.text or "marketplaceParticipations" in caplog.text


def test_a_pasted_token_is_not_rendered_back_when_the_form_has_errors(auth, client):
    auth.register()
    token = "Atzr|IwEBIPastedButTheSellerIdIsWrong-0123456789"
    response = client.post(
        "/connections/new",
        data={
            "name": "x",
            "selling_partner_id": "bad",
            "marketplace_id": "ATVPDKIKX0DER",
            "refresh_token": token,
        },
    )
    assert response.status_code == 422
    assert token.split("|", 1)[1] not in response.text
    assert "paste it once more" in response.text
