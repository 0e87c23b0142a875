"""Sources (suppliers) and their inventory items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow

if TYPE_CHECKING:
    from webapp.models.run import IntegrationRun


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
        # The inventory table's "in stock" filter and quantity sort.
        sa.Index("ix_source_items_account_quantity", "account_id", "quantity"),
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
    gtin: so.Mapped[str] = so.mapped_column(sa.String(14), default="", index=True)
    mpn: so.Mapped[str] = so.mapped_column(sa.String(100), default="", index=True)
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
    # When the supplier last stated this item's figures: the upload time of the latest imported file that
    # lists it, changed or not. Routing reserves what was routed to the item since then.
    stated_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    source: so.Mapped[Source] = so.relationship()

    def __repr__(self) -> str:
        return f"<SourceItem {self.id} {self.sku!r}>"


class SourceUpload(db.Model):
    """A supplier CSV uploaded for import, and the record of that import.

    The file lives in the database, not on the web server's disk, because the worker that imports it
    may run on another machine. ``content`` is cleared once the import succeeds, or after the
    retention period (``webapp.services.source_uploads.RETENTION``); the row stays as the import's
    history (file name, size, column mapping, run).
    """

    __tablename__ = "source_uploads"
    __table_args__ = (sa.Index("ix_source_uploads_source_created", "source_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    source_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("sources.id", ondelete="CASCADE"))
    filename: so.Mapped[str] = so.mapped_column(sa.String(255))
    size: so.Mapped[int] = so.mapped_column(default=0)
    content: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    # How the file was read: encoding and delimiter, detected at upload.
    encoding: so.Mapped[str] = so.mapped_column(sa.String(20), default="utf-8")
    delimiter: so.Mapped[str] = so.mapped_column(sa.String(1), default=",")
    # The file's header row, and the field each column feeds ("" = ignored), by column position.
    headers: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    mapping: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # The latest import run of this file (a failed or cancelled import can be started again).
    run_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("integration_runs.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    content_deleted_at: so.Mapped[datetime | None]

    run: so.Mapped[IntegrationRun | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<SourceUpload {self.id} {self.filename!r}>"
