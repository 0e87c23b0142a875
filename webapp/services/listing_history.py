"""The audit history of listing variants: every change of price, quantity or status, old → new."""

from __future__ import annotations

from decimal import Decimal

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
