"""The database models, one module per domain area, re-exported here."""

from __future__ import annotations

from webapp.models.account import Account, User
from webapp.models.channel import Channel
from webapp.models.run import IntegrationRun, Notification, NotificationLevel, RunKind, RunStatus
from webapp.models.schedule import Schedule

__all__ = [
    "Account",
    "Channel",
    "IntegrationRun",
    "Notification",
    "NotificationLevel",
    "RunKind",
    "RunStatus",
    "Schedule",
    "User",
]
