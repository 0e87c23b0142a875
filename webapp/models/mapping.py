"""Mapping templates (Publish, Sync, Overwrite) of a channel: Amazon field ← where its value comes from."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.timeutil import utcnow


class TemplatePurpose(enum.StrEnum):
    """Which integration a template drives."""

    PUBLISH = "publish"
    SYNC = "sync"
    OVERWRITE = "overwrite"


class MappingMode(enum.StrEnum):
    """How an Amazon field gets its value."""

    DO_NOT_MAP = "do_not_map"
    FIELD = "field"  # a source item / listing field
    CONSTANT = "constant"
    PRICE_RULE = "price_rule"  # field × markup + fixed, rounding, min/max guardrails, MAP
    QUANTITY_RULE = "quantity_rule"  # field − buffer, percentage, maximum, 0 below a threshold


class MappingTemplate(db.Model):
    """One template per channel and purpose."""

    __tablename__ = "mapping_templates"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "purpose", name="uq_mapping_templates_channel_purpose"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("accounts.id"), index=True)
    channel_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    purpose: so.Mapped[str] = so.mapped_column(sa.String(20))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    rules: so.Mapped[list[MappingRule]] = so.relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MappingRule.id",
    )

    def __repr__(self) -> str:
        return f"<MappingTemplate {self.channel_id} {self.purpose}>"


class MappingRule(db.Model):
    """One row of a template: ``amazon_field`` (e.g. ``amazon.offer.price``) ← mode + its settings."""

    __tablename__ = "mapping_rules"
    __table_args__ = (
        sa.UniqueConstraint("template_id", "amazon_field", name="uq_mapping_rules_template_field"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    template_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mapping_templates.id", ondelete="CASCADE"))
    amazon_field: so.Mapped[str] = so.mapped_column(sa.String(80))
    mode: so.Mapped[str] = so.mapped_column(sa.String(20), default=MappingMode.DO_NOT_MAP)
    field: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    constant: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Rule settings: price {markup, fixed, rounding, min_price, max_price, respect_map};
    # quantity {buffer, percent, maximum, zero_below}.
    params: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    template: so.Mapped[MappingTemplate] = so.relationship(back_populates="rules")

    def __repr__(self) -> str:
        return f"<MappingRule {self.amazon_field} {self.mode}>"
