"""Sources (suppliers) and their inventory items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow


class Source(db.Model):
    """A supplier. Only compliant sources may receive orders from Amazon channels."""

    __tablename__ = "sources"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # "Compliance with Amazon Services Business Solutions Agreement": off until the seller confirms it.
    bsa_compliant: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Source {self.id} {self.name!r}>"


class SourceItem(db.Model):
    """One supplier product, upserted by (source, SKU)."""

    __tablename__ = "source_items"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "sku", name="uq_source_items_source_sku"),
        sa.Index("ix_source_items_account_sku", "account_id", "sku"),
        sa.Index("ix_source_items_account_changed", "account_id", "changed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    source_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("sources.id", ondelete="CASCADE"))
    sku: so.Mapped[str] = so.mapped_column(sa.String(120))
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    brand: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    upc: so.Mapped[str] = so.mapped_column(sa.String(14), default="", index=True)
    ean: so.Mapped[str] = so.mapped_column(sa.String(14), default="", index=True)
    gtin: so.Mapped[str] = so.mapped_column(sa.String(14), default="")
    mpn: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    asin: so.Mapped[str] = so.mapped_column(sa.String(10), default="", index=True)
    cost: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    msrp: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    map_price: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    quantity: so.Mapped[int] = so.mapped_column(default=0)
    image_urls: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    weight: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(10, 3))
    condition: so.Mapped[str] = so.mapped_column(sa.String(40), default="new_new")
    # Hash of the imported fields: a re-upload compares it to know what really changed.
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    # When the supplier's data last changed (Sync Listings pushes what changed since its last run).
    changed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SourceItem {self.id} {self.sku!r}>"
