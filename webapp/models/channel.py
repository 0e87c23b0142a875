"""Amazon channels: a connection + marketplace with its settings (grown by the channels issue)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow


class Channel(db.Model):
    """An Amazon channel of an account; integration runs and schedules hang off it."""

    __tablename__ = "channels"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Channel {self.id} {self.name!r}>"
