"""Flask CLI commands of the web app."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.attributes import flag_modified

from webapp.crypto import EncryptedString
from webapp.extensions import db


def rewrite_encrypted_values(batch_size: int = 500) -> int:
    """Re-encrypt every encrypted column under the first of ``DATA_ENCRYPTION_KEYS``.

    The column type encrypts with the primary key on every write, so flagging the attribute as changed
    and flushing is enough. Returns the number of rows rewritten.
    """
    rewritten = 0
    for mapper in db.Model.registry.mappers:
        keys = [prop.key for prop in mapper.column_attrs if isinstance(prop.columns[0].type, EncryptedString)]
        if not keys:
            continue
        model = mapper.class_
        for row in db.session.scalars(sa.select(model).execution_options(yield_per=batch_size)):
            for key in keys:
                if getattr(row, key) is not None:
                    flag_modified(row, key)
            rewritten += 1
            if rewritten % batch_size == 0:
                db.session.flush()
    db.session.commit()
    return rewritten


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("rotate-keys")
    def rotate_keys() -> None:
        """Rewrite encrypted values with the first key of DATA_ENCRYPTION_KEYS (after adding a new key)."""
        click.echo(f"Re-encrypted {rewrite_encrypted_values()} rows.")
