"""Recent Notifications: writing log lines, listing them, and the unread-errors count."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import IntegrationRun, Notification, NotificationLevel
from webapp.timeutil import utcnow


def add_notification(
    account_id: int,
    run_id: int,
    level: NotificationLevel | str,
    message: str,
    code: str = "",
    reference: str = "",
    help: str = "",
) -> Notification:
    """Add one line to a run's log (the caller commits); takes ids so jobs need not reload the run."""
    notification = Notification(
        account_id=account_id,
        run_id=run_id,
        level=NotificationLevel(level).value,
        code=code,
        reference=reference,
        message=message,
        help=help,
    )
    db.session.add(notification)
    return notification


def unread_error_count(account_id: int) -> int:
    """Errors of ``account_id`` nobody has looked at (served by ``ix_notifications_account_unread``)."""
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.account_id == account_id,
            Notification.level == NotificationLevel.ERROR.value,
            Notification.read_at.is_(None),
        )
    )


def mark_run_read(run: IntegrationRun) -> int:
    """Mark ``run``'s unread errors as read and commit; returns how many changed."""
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.run_id == run.id,
            Notification.level == NotificationLevel.ERROR.value,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount


def run_log_query(run: IntegrationRun, level: str | None = None) -> sa.Select:
    """``run``'s notifications, newest first, optionally of one level (for ``db.paginate``)."""
    query = sa.select(Notification).where(Notification.run_id == run.id)
    if level:
        query = query.where(Notification.level == level)
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())
