"""Listings on an Amazon channel: parents, their variants (one Amazon SKU each) and variant history."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow

if TYPE_CHECKING:
    from webapp.models.source import SourceItem


class VariantStatus(enum.StrEnum):
    """Where a variant stands with Amazon."""

    UNLINKED = "unlinked"  # built in Shelfsync, not tied to an Amazon offer yet
    LINKED = "linked"  # tied by SKU to an existing Amazon offer
    BROKEN_LINK = "broken_link"  # was linked, but the SKU no longer exists on Amazon
    PUBLISHED = "published"  # offer created by Shelfsync on an existing ASIN
    PAUSED = "paused"  # Shelfsync does not sync it (nothing sent to Amazon)
    HIDDEN = "hidden"  # quantity 0 on Amazon, left out of quantity sync
    DELISTED = "delisted"  # deleted from Amazon by Shelfsync
    ERROR = "error"  # Amazon refused the last submission (see last_error)

    @property
    def label(self) -> str:
        """Human name (``broken_link`` → ``Broken Link``)."""
        return self.value.replace("_", " ").title()


# Statuses whose offers exist on Amazon and take price/quantity updates.
SYNCABLE_STATUSES = (VariantStatus.LINKED, VariantStatus.PUBLISHED, VariantStatus.ERROR)


class FulfillmentChannel(enum.StrEnum):
    """Amazon's fulfillment channel codes: DEFAULT is merchant fulfilled (FBM), AMAZON_* is FBA."""

    DEFAULT = "DEFAULT"
    AMAZON_NA = "AMAZON_NA"
    AMAZON_EU = "AMAZON_EU"
    AMAZON_FE = "AMAZON_FE"


class Listing(db.Model):
    """A parent listing (one product page), grouping one or more variants."""

    __tablename__ = "listings"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "sku", name="uq_listings_channel_sku"),
        sa.Index("ix_listings_account_channel", "account_id", "channel_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    sku: so.Mapped[str] = so.mapped_column(sa.String(120))
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    images: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    external_listing_id: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    variants: so.Mapped[list[ListingVariant]] = so.relationship(
        back_populates="listing",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ListingVariant.sku",
    )

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.sku!r}>"


class ListingVariant(db.Model):
    """One Amazon SKU on a channel, with what Amazon last accepted for it."""

    __tablename__ = "listing_variants"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "sku", name="uq_listing_variants_channel_sku"),
        # Status and fulfilment filters, and "N matching" counted from the index alone.
        sa.Index(
            "ix_listing_variants_account_channel_status_fulfillment",
            "account_id",
            "channel_id",
            "status",
            "fulfillment_channel",
        ),
        # The "has error" filter: the few variants in error, in SKU order, without scanning the rest.
        sa.Index(
            "ix_listing_variants_errors",
            "account_id",
            "channel_id",
            "sku",
            sqlite_where=sa.text("last_error != ''"),
            postgresql_where=sa.text("last_error != ''"),
        ),
        sa.Index("ix_listing_variants_channel_asin", "channel_id", "asin"),
        sa.Index("ix_listing_variants_account_sku", "account_id", "sku"),
        # The listings table sorts by these within a channel: an index per sort key lets a page be
        # read in order instead of sorting 100,000 rows per request. The id tiebreak is part of the
        # key: PostgreSQL orders equal keys by their place on disk, so (many variants share a
        # quantity of 0) it would otherwise sort every variant of the channel for each page.
        sa.Index("ix_listing_variants_channel_title", "channel_id", "title", "id"),
        sa.Index("ix_listing_variants_channel_price", "channel_id", "price", "id"),
        sa.Index("ix_listing_variants_channel_quantity", "channel_id", "quantity", "id"),
        sa.Index("ix_listing_variants_channel_updated", "channel_id", "updated_at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    listing_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    source_item_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("source_items.id", ondelete="SET NULL"), index=True
    )
    sku: so.Mapped[str] = so.mapped_column(sa.String(120))
    asin: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    product_id: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    product_id_type: so.Mapped[str] = so.mapped_column(sa.String(10), default="")  # UPC, EAN, GTIN, ASIN
    product_type: so.Mapped[str] = so.mapped_column(sa.String(60), default="PRODUCT")
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    images: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    price: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    quantity: so.Mapped[int | None]
    fulfillment_channel: so.Mapped[str] = so.mapped_column(sa.String(20), default=FulfillmentChannel.DEFAULT)
    condition: so.Mapped[str] = so.mapped_column(sa.String(40), default="new_new")
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=VariantStatus.UNLINKED)
    external_listing_id: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    # What Amazon last accepted: Sync Listings sends only differences from these.
    pushed_price: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(12, 2))
    pushed_quantity: so.Mapped[int | None]
    pushed_at: so.Mapped[datetime | None]
    last_sync_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    last_error_help: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Amazon's issues for this SKU as last reported: [{code, message, severity, help}].
    issues: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    listing: so.Mapped[Listing] = so.relationship(back_populates="variants")
    source_item: so.Mapped[SourceItem | None] = so.relationship()

    @property
    def is_fba(self) -> bool:
        """True for Amazon-fulfilled offers (Amazon owns their quantity)."""
        return self.fulfillment_channel != FulfillmentChannel.DEFAULT

    def __repr__(self) -> str:
        return f"<ListingVariant {self.id} {self.sku!r} {self.status}>"


class VariantHistory(db.Model):
    """One change of a variant's price, quantity or status: old → new, when, by which run or user."""

    __tablename__ = "variant_history"
    __table_args__ = (sa.Index("ix_variant_history_variant_created", "variant_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"))
    variant_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("listing_variants.id", ondelete="CASCADE"))
    field: so.Mapped[str] = so.mapped_column(sa.String(20))  # price, quantity, status
    old_value: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    new_value: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    # Why the value is what it is, e.g. the pricing rule that bound it ("min price guardrail").
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    run_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("integration_runs.id", ondelete="SET NULL")
    )
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<VariantHistory {self.variant_id} {self.field} {self.old_value}->{self.new_value}>"


class FeedSubmission(db.Model):
    """A JSON_LISTINGS_FEED we submitted, with Amazon's processing report (Amazon keeps it 28 days)."""

    __tablename__ = "feed_submissions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    run_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("integration_runs.id", ondelete="SET NULL"), index=True
    )
    feed_id: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="")  # Amazon's processingStatus
    message_count: so.Mapped[int] = so.mapped_column(default=0)
    # {messageId: {"variant_id", "sku", "price", "quantity"}}: what each message would record if accepted.
    messages: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    result: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished_at: so.Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<FeedSubmission {self.id} {self.feed_id} {self.status}>"
