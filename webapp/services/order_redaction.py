"""Buyer PII retention: remove the buyer's personal data from orders 30 days after they shipped.

Amazon requires buyer PII to be removed no later than 30 days after shipment. An order is due when
``shipped_at`` (when Amazon reported it fully shipped, by us or by Amazon) is more than ``RETENTION``
ago. Cancelled orders never ship, so Amazon's rule does not name them; their PII has no use left
either, so they are redacted ``RETENTION`` after ``cancelled_at``: the safe choice, since keeping it
longer would serve nothing and leave it exposed.

Redaction clears the buyer's name, email, phone and company, the recipient's name, address lines 1–3
and the buyer-name digest (a searchable trace of the name), and sets ``redacted_at``. City, state,
postal code and country stay for reporting. Get Orders never refills a redacted order
(``webapp.services.order_import``), so redaction is final.

Work is set-based and in batches of ``BATCH`` orders: the caller commits each batch, so a killed
worker leaves every committed batch redacted and the next run finds only the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Order, OrderStatus

RETENTION = timedelta(days=30)
# The housekeeping job looks for due orders this often (``jobs/cron_config.py``).
SWEEP_INTERVAL = timedelta(hours=1)
# Orders are taken this much before their 30 days are up: two sweeps, so that even when one sweep's run
# is lost (a worker killed mid-run is reaped and failed; nothing restarts it before the next sweep), the
# next sweep still redacts them in time.
MARGIN = 2 * SWEEP_INTERVAL
# Orders per UPDATE (and per commit): small enough to keep locks short, large enough to be quick.
BATCH = 1000

# Columns cleared by redaction: every encrypted buyer column, and the digest derived from the name.
PII_COLUMNS = (
    "buyer_name",
    "buyer_email",
    "buyer_phone",
    "buyer_company",
    "recipient_name",
    "address_line1",
    "address_line2",
    "address_line3",
    "buyer_name_digest",
)


@dataclass(frozen=True)
class Reason:
    """Why orders are due: the time column the retention clock starts from, and how to say it."""

    name: str  # "shipped" or "cancelled": count names and notification codes
    column: sa.orm.InstrumentedAttribute
    conditions: tuple[sa.ColumnElement[bool], ...]


SHIPPED = Reason("shipped", Order.shipped_at, ())
# The status condition lets the (account_id, status) index find them; cancelled orders never ship.
CANCELLED = Reason("cancelled", Order.cancelled_at, (Order.status == OrderStatus.CANCELLED.value,))
REASONS = (SHIPPED, CANCELLED)


def cutoff(now: datetime) -> datetime:
    """Orders shipped (or cancelled) before this instant are due for redaction at ``now``: 30 days less
    ``MARGIN``, so neither the next sweep nor, should that one's run be lost, the one after is too late."""
    return now - (RETENTION - MARGIN)


def due_conditions(reason: Reason, before: datetime) -> list[sa.ColumnElement[bool]]:
    """The conditions of an order due for ``reason`` (the partial index ``ix_orders_redaction_due`` serves
    the shipped ones)."""
    return [reason.column < before, Order.redacted_at.is_(None), *reason.conditions]


def accounts_with_due_orders(now: datetime) -> list[int]:
    """Ids of the accounts that have at least one order due for redaction at ``now``."""
    before = cutoff(now)
    queries = [
        sa.select(Order.account_id).where(*due_conditions(reason, before)).distinct() for reason in REASONS
    ]
    return sorted(set(db.session.scalars(sa.union(*queries))))


def due_count(account_id: int, reason: Reason, now: datetime) -> int:
    """How many of the account's orders are due for ``reason`` at ``now``."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Order)
        .where(Order.account_id == account_id, *due_conditions(reason, cutoff(now)))
    )


def redact_batch(account_id: int, reason: Reason, now: datetime) -> int:
    """Redact up to ``BATCH`` of the account's orders due for ``reason`` at ``now``; the caller commits.

    The UPDATE repeats the due conditions, so an order a concurrent run redacted in between is
    neither counted nor stamped twice.

    Returns:
        How many orders were redacted (0: none left).
    """
    conditions = due_conditions(reason, cutoff(now))
    ids = list(
        db.session.scalars(
            sa.select(Order.id)
            .where(Order.account_id == account_id, *conditions)
            .order_by(Order.id)
            .limit(BATCH)
        )
    )
    if not ids:
        return 0
    return db.session.execute(
        sa.update(Order)
        .where(Order.id.in_(ids), *conditions)
        .values(redacted_at=now, updated_at=now, **dict.fromkeys(PII_COLUMNS)),
        execution_options={"synchronize_session": False},
    ).rowcount
