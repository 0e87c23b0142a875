"""The audit history of listing variants: every change of price, quantity or status, old → new."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import ListingVariant, VariantHistory


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def record_change(
    variant: ListingVariant,
    field: str,
    old: object,
    new: object,
    *,
    run_id: int | None = None,
    user_id: int | None = None,
    note: str = "",
) -> None:
    """Add a history row when ``old`` and ``new`` differ (the caller commits)."""
    if _text(old) == _text(new):
        return
    db.session.add(
        VariantHistory(
            account_id=variant.account_id,
            variant_id=variant.id,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            note=note[:200],
            run_id=run_id,
            user_id=user_id,
        )
    )


def set_status(
    variant: ListingVariant,
    status: str,
    *,
    run_id: int | None = None,
    user_id: int | None = None,
    note: str = "",
) -> None:
    """Change a variant's status and record it in its history (the caller commits)."""
    record_change(variant, "status", variant.status, status, run_id=run_id, user_id=user_id, note=note)
    variant.status = status


def record_new_statuses(
    account_id: int,
    changes: Iterable[tuple[int, str, str]],
    *,
    run_id: int | None = None,
    note: str = "",
) -> None:
    """Add status history rows for many variants in one executemany (the caller commits).

    For jobs that create variants in bulk, where loading each one as an object would cost more than
    the import itself. ``changes``: (variant id, old status, new status); equal pairs are skipped.
    """
    rows = [
        {
            "account_id": account_id,
            "variant_id": variant_id,
            "field": "status",
            "old_value": old,
            "new_value": new,
            "note": note[:200],
            "run_id": run_id,
            "user_id": None,
        }
        for variant_id, old, new in changes
        if old != new
    ]
    if rows:
        db.session.execute(sa.insert(VariantHistory), rows)
