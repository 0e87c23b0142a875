"""Encryption at rest for secrets and buyer PII (Fernet, with key rotation through MultiFernet)."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


def _fernet() -> MultiFernet:
    keys = current_app.config["DATA_ENCRYPTION_KEYS"]
    cached = current_app.extensions.get("shelfsync_fernet")
    if cached is None or cached[0] != keys:
        cached = (keys, MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()]))
        current_app.extensions["shelfsync_fernet"] = cached
    return cached[1]


def encrypt(value: str) -> str:
    """Encrypt ``value`` with the primary data key."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made by any of the configured data keys."""
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the primary key (used by ``flask rotate-keys``)."""
    return _fernet().rotate(token.encode()).decode()


class EncryptedString(TypeDecorator):
    """A text column stored encrypted; Python code only ever sees the plain value."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        """Encrypt on the way into the database."""
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        """Decrypt on the way out of the database."""
        return None if value is None else decrypt(value)
