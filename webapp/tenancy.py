"""Tenant scoping: every query for business rows goes through these helpers."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from webapp.extensions import db

M = TypeVar("M")


def current_account_id() -> int:
    """The signed-in user's account id."""
    return current_user.account_id


def scoped(model: type[M]) -> sa.Select:
    """``SELECT model`` limited to the current account."""
    return sa.select(model).where(model.account_id == current_account_id())


def get_owned_or_404(model: type[M], object_id: int) -> M:
    """Load ``model`` by id within the current account.

    Raises:
        404 when the row does not exist *or* belongs to another account: a 403 would confirm that the
        id exists.
    """
    obj = db.session.scalar(scoped(model).where(model.id == object_id))
    if obj is None:
        abort(404)
    return obj
