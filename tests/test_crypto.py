"""Encryption at rest: round trip, key rotation, and generated keys."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from tests.channels_support import make_connection
from webapp import crypto
from webapp.extensions import db
from webapp.models import Connection, User
from webapp.secrets import load_or_create_secret


def test_encrypted_value_round_trips_and_is_not_plain(app):
    token = crypto.encrypt("Atzr|refresh-token-value")
    assert "refresh-token-value" not in token
    assert crypto.decrypt(token) == "Atzr|refresh-token-value"


def test_rotation_keeps_old_values_readable_and_moves_them_to_the_new_key(app):
    old_token = crypto.encrypt("secret")
    old_key = app.config["DATA_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEYS"] = f"{new_key},{old_key}"
    assert crypto.decrypt(old_token) == "secret"
    rotated = crypto.rotate(old_token)
    app.config["DATA_ENCRYPTION_KEYS"] = new_key
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(InvalidToken):
        crypto.decrypt(old_token)


def test_generated_secret_is_kept_private_and_stable(tmp_path):
    path = tmp_path / "data_key"
    first = load_or_create_secret(path, fernet=True)
    assert load_or_create_secret(path, fernet=True) == first
    Fernet(first.encode())  # a valid Fernet key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_rotate_keys_command_rewrites_secrets_under_the_new_key(app, auth):
    auth.register()
    account_id = db.session.scalar(sa.select(User.account_id))
    connection_id = make_connection(account_id).id
    old_key = app.config["DATA_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEYS"] = f"{new_key},{old_key}"

    result = app.test_cli_runner().invoke(args=["rotate-keys"])

    assert "Re-encrypted 1 rows." in result.output
    app.config["DATA_ENCRYPTION_KEYS"] = new_key  # the old key is gone now
    db.session.expire_all()
    assert db.session.get(Connection, connection_id).refresh_token == "Atzr|not-a-real-token"
    raw = db.session.execute(sa.text("SELECT refresh_token FROM connections")).scalar_one()
    assert "not-a-real-token" not in raw
