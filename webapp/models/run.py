"""Integration runs (one execution of an integration) and their Recent Notifications log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow

if TYPE_CHECKING:
    from webapp.models.channel import Channel


class RunKind(enum.StrEnum):
    """The integrations a run can execute (each has its job in ``webapp.services.runs.JOBS``)."""

    DIAGNOSTIC = "diagnostic"
    TEST_CONNECTION = "test_connection"
    IMPORT_SOURCE_ITEMS = "import_source_items"
    BUILD_LISTINGS = "build_listings"
    LINK_LISTINGS = "link_listings"
    SYNC_LISTINGS = "sync_listings"
    PUBLISH_LISTINGS = "publish_listings"
    OVERWRITE_LISTINGS = "overwrite_listings"
    LISTING_ACTION = "listing_action"
    IMPORT_LISTINGS = "import_listings"
    GET_ORDERS = "get_orders"
    SYNC_ORDERS = "sync_orders"
    REDACT_ORDERS = "redact_orders"

    @property
    def label(self) -> str:
        """Human name shown in tables and filters (``get_orders`` → ``Get orders``)."""
        return self.value.replace("_", " ").capitalize()


class RunStatus(enum.StrEnum):
    """Lifecycle of a run; the last four are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class NotificationLevel(enum.StrEnum):
    """Severity of a Recent Notifications line; only errors count as unread in the nav badge."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class IntegrationRun(db.Model):
    """One execution of an integration, with its progress and counts."""

    __tablename__ = "integration_runs"
    __table_args__ = (
        sa.Index("ix_integration_runs_account_created", "account_id", "created_at"),
        sa.Index("ix_integration_runs_active", "account_id", "kind", "channel_id", "subject", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="SET NULL"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    # What a run is about when the channel does not say it (e.g. ``connection:7``): see ``run_key``.
    subject: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    trigger: so.Mapped[str] = so.mapped_column(sa.String(20), default="manual")
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=RunStatus.QUEUED)
    progress_done: so.Mapped[int] = so.mapped_column(default=0)
    progress_total: so.Mapped[int] = so.mapped_column(default=0)
    counts: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    params: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    rq_job_id: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    started_at: so.Mapped[datetime | None]
    finished_at: so.Mapped[datetime | None]

    channel: so.Mapped[Channel | None] = so.relationship()
    notifications: so.WriteOnlyMapped[Notification] = so.relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def finished(self) -> bool:
        """True once the run reached a final status."""
        return self.status not in ACTIVE_STATUSES

    @property
    def kind_label(self) -> str:
        """Human name of the integration (the raw value for a kind this version does not know)."""
        return RunKind(self.kind).label if self.kind in RunKind._value2member_map_ else self.kind

    @property
    def percent(self) -> int:
        """Progress as a whole percentage (0 while the total is unknown)."""
        if self.progress_total <= 0:
            return 100 if self.finished else 0
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish (or to now while running)."""
        if self.started_at is None:
            return None
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()

    def __repr__(self) -> str:
        return f"<IntegrationRun {self.id} {self.kind} {self.status}>"


class Notification(db.Model):
    """One line of a run's Recent Notifications log."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_run_level", "run_id", "level"),
        sa.Index("ix_notifications_account_unread", "account_id", "level", "read_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("integration_runs.id", ondelete="CASCADE"))
    level: so.Mapped[str] = so.mapped_column(sa.String(10))
    code: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    reference: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    message: so.Mapped[str] = so.mapped_column(sa.Text)
    help: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    read_at: so.Mapped[datetime | None]

    run: so.Mapped[IntegrationRun] = so.relationship(back_populates="notifications")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.level} {self.code}>"
