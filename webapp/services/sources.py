"""Sources (suppliers): create, update, delete, item counts and the compliance warnings."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Source, SourceItem, SourceUpload

# What the compliance toggle means, shown next to it (from Amazon's Business Solutions Agreement).
COMPLIANCE_EXPLANATION = (
    "Turn this on only if this supplier identifies you as the seller of record on all packing slips, "
    "invoices and external packaging, and as the party to whom the customer may return the product. "
    "A source without it cannot receive orders from Amazon channels."
)
SOURCE_FIELDS = ("name", "contact_email", "notes", "bsa_compliant")


def create_source(account_id: int, **values) -> Source:
    """Add a source to ``account_id`` (the caller commits)."""
    source = Source(account_id=account_id, **{k: values[k] for k in SOURCE_FIELDS if k in values})
    db.session.add(source)
    return source


def update_source(source: Source, **values) -> None:
    """Change a source's details (the caller commits)."""
    for key in SOURCE_FIELDS:
        if key in values:
            setattr(source, key, values[key])


def item_count(source: Source) -> int:
    """How many items the source holds (``uq_source_items_source_sku`` serves the count)."""
    return db.session.scalar(sa.select(sa.func.count()).where(SourceItem.source_id == source.id))


def delete_source(source: Source) -> int:
    """Delete a source with its items and uploads, set-based; commits and returns how many items went."""
    items = db.session.execute(
        sa.delete(SourceItem).where(SourceItem.source_id == source.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.execute(
        sa.delete(SourceUpload).where(SourceUpload.source_id == source.id),
        execution_options={"synchronize_session": False},
    )
    db.session.delete(source)
    db.session.commit()
    return items


def sources_with_counts(account_id: int) -> list[tuple[Source, int]]:
    """The account's sources by name, each with its item count (one grouped query)."""
    counts = (
        sa.select(SourceItem.source_id, sa.func.count().label("item_count"))
        .where(SourceItem.account_id == account_id)
        .group_by(SourceItem.source_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Source, sa.func.coalesce(counts.c.item_count, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .where(Source.account_id == account_id)
        .order_by(Source.name, Source.id)
    )
    return [(source, items) for source, items in rows]


def noncompliant_sources(account_id: int) -> list[Source]:
    """Sources not marked compliant: they cannot receive Amazon orders, so the seller is warned."""
    return list(
        db.session.scalars(
            sa.select(Source)
            .where(Source.account_id == account_id, Source.bsa_compliant.is_(False))
            .order_by(Source.name, Source.id)
        )
    )


def account_sources(account_id: int) -> list[Source]:
    """The account's sources by name (filters and pickers)."""
    return list(
        db.session.scalars(
            sa.select(Source).where(Source.account_id == account_id).order_by(Source.name, Source.id)
        )
    )
