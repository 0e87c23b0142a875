"""Connections: an authorized Amazon seller (selling partner) of an account."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.amazon.marketplaces import MARKETPLACES
from webapp.crypto import EncryptedString
from webapp.extensions import db
from webapp.timeutil import utcnow


class ConnectionStatus(enum.StrEnum):
    """Authorization health of a connection."""

    ACTIVE = "active"
    NEEDS_REAUTHORIZATION = "needs_reauthorization"


class Connection(db.Model):
    """An Amazon seller authorized through Seller Central (OAuth) or by a pasted refresh token."""

    __tablename__ = "connections"
    __table_args__ = (
        sa.UniqueConstraint(
            "account_id", "selling_partner_id", "marketplace_id", name="uq_connections_seller"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    selling_partner_id: so.Mapped[str] = so.mapped_column(sa.String(40))
    marketplace_id: so.Mapped[str] = so.mapped_column(sa.String(20))
    region: so.Mapped[str] = so.mapped_column(sa.String(4))
    # Encrypted at rest (Fernet); never rendered back to the seller or written to a log.
    refresh_token: so.Mapped[str] = so.mapped_column(EncryptedString(2048))
    status: so.Mapped[str] = so.mapped_column(sa.String(30), default=ConnectionStatus.ACTIVE)
    status_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    last_tested_at: so.Mapped[datetime | None]
    # The marketplaces the seller participates in, as the last successful test found them.
    marketplaces: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # The latest Test connection run, shown inline on the connection's page. A plain id, not a foreign
    # key: runs already reference channels, which reference connections, and a cycle of foreign keys
    # would need ALTER-time constraints on both databases for no gain (a missing run just shows nothing).
    last_test_run_id: so.Mapped[int | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def needs_reauthorization(self) -> bool:
        """True when Amazon refused the stored authorization."""
        return self.status == ConnectionStatus.NEEDS_REAUTHORIZATION

    def sells_in(self, marketplace_id: str) -> bool | None:
        """Whether the seller sells in ``marketplace_id``, as the last successful test found; None
        before any test."""
        if not self.marketplaces:
            return None
        return any(
            m.get("marketplace_id") == marketplace_id and m.get("participating") for m in self.marketplaces
        )

    @property
    def country_code(self) -> str:
        """The country code of the connection's marketplace (``US``), or its id when unknown."""
        marketplace = MARKETPLACES.get(self.marketplace_id)
        return marketplace.country_code if marketplace else self.marketplace_id

    @property
    def not_selling_here(self) -> bool:
        """True when the last test found that the seller does not sell in the connection's marketplace:
        the authorization works, but nothing can be listed or sold there."""
        return self.sells_in(self.marketplace_id) is False

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.selling_partner_id} {self.marketplace_id}>"
