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
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    account: so.Mapped[Account] = so.relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (never the password itself)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id}>"
