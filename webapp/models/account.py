"""Accounts (the tenant) and the users who belong to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.timeutil import utcnow


class Account(db.Model):
    """A tenant: every business row carries its ``account_id``."""

    __tablename__ = "accounts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    users: so.WriteOnlyMapped[User] = so.relationship(back_populates="account")

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    """A person who signs in; belongs to exactly one account."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    # Part of the id kept in the session cookie: raising it ends every session signed in before, so a
    # copied cookie stops working at log-out (the cookie itself cannot be revoked).
    session_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    account: so.Mapped[Account] = so.relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (never the password itself); other sessions end."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """End every session of this user, on every device (the caller commits)."""
        self.session_version = (self.session_version or 1) + 1

    def get_id(self) -> str:
        """The session's user id: ``"<id>.<session_version>"`` (see ``load_session_user``)."""
        return f"{self.id}.{self.session_version or 1}"

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id}>"
