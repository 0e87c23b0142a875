"""The audit history of listing variants: every change of price, quantity or status, old → new."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import ListingVariant, VariantHistory
from webapp.timeutil import utcnow


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


def record_statuses_where(
    account_id: int,
    where: sa.ColumnElement[bool],
    *,
    old: str | sa.ColumnElement[str],
    new: str | sa.ColumnElement[str],
    run_id: int | None = None,
    note: str = "",
) -> None:
    """Add a status history row for every variant matching ``where``, in one INSERT … SELECT (the caller
    commits).

    For jobs that create variants in bulk, where loading each one as an object would cost more than the
    import itself. ``old`` and ``new`` are statuses, or ``listing_variants`` columns (e.g. the status
    just written); rows where they are equal are skipped, as :func:`record_change` does.
    """
    variants = ListingVariant.__table__
    old_value = sa.literal(old, sa.String) if isinstance(old, str) else old
    new_value = sa.literal(new, sa.String) if isinstance(new, str) else new
    select = sa.select(
        sa.literal(account_id),
        variants.c.id,
        sa.literal("status"),
        old_value,
        new_value,
        sa.literal(note[:200]),
        sa.literal(run_id, sa.Integer),
        sa.literal(utcnow(), sa.DateTime),
    ).where(where, old_value != new_value)
    history = VariantHistory.__table__
    db.session.execute(
        sa.insert(history).from_select(
            ["account_id", "variant_id", "field", "old_value", "new_value", "note", "run_id", "created_at"],
            select,
        )
    )
