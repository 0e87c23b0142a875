"""Per-channel schedules that the one scheduler reads every minute."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db


class Schedule(db.Model):
    """When an integration of a channel is next due; ``interval_minutes`` None means off."""

    __tablename__ = "schedules"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "kind", name="uq_schedules_channel_kind"),
        sa.Index("ix_schedules_due", "next_run_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    interval_minutes: so.Mapped[int | None]
    next_run_at: so.Mapped[datetime | None]
    last_enqueued_at: so.Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Schedule {self.channel_id} {self.kind} every {self.interval_minutes}>"
