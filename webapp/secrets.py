"""Generated secrets kept in ``instance/`` when the environment does not provide them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def load_or_create_secret(path: Path, fernet: bool = False) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Args:
        path: file that holds the secret.
        fernet: make a Fernet key instead of a random URL-safe token.
    """
    if path.exists():
        return path.read_text().strip()
    value = Fernet.generate_key().decode() if fernet else secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
