"""Amazon channels: a connection + marketplace with its settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow

if TYPE_CHECKING:
    from webapp.models.connection import Connection


class ImportMode(enum.StrEnum):
    """What Import Listings does with an Amazon SKU that matches a Shelfsync variant."""

    CREATE_ONLY = "create_only"
    CREATE_AND_OVERWRITE = "create_and_overwrite"


# Orders 2026-01-01 fulfillment statuses a seller may choose to import (NOTES §5.6).
ORDER_STATUSES = ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE")
DEFAULT_ORDER_STATUSES = ["UNSHIPPED", "PARTIALLY_SHIPPED"]


class Channel(db.Model):
    """An Amazon channel of an account; integration runs and schedules hang off it."""

    __tablename__ = "channels"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    connection_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("connections.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    marketplace_id: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    # DEFAULT = merchant fulfilled (FBM); AMAZON_NA / AMAZON_EU / AMAZON_FE = FBA in that region.
    fulfillment_channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="DEFAULT")
    orders_window_days: so.Mapped[int] = so.mapped_column(default=7)
    order_statuses: so.Mapped[list] = so.mapped_column(sa.JSON, default=lambda: list(DEFAULT_ORDER_STATUSES))
    acknowledge_orders: so.Mapped[bool] = so.mapped_column(default=False)
    import_mode: so.Mapped[str] = so.mapped_column(sa.String(30), default=ImportMode.CREATE_ONLY)
    import_new_paused: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    connection: so.Mapped[Connection | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Channel {self.id} {self.name!r}>"
