"""Mapping templates of a channel: saving an edited template and previewing it on the channel's variants."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, ListingVariant, MappingRule, MappingTemplate, SourceItem
from webapp.services.mapping_engine import CompiledTemplate, Offer, TemplateSpec, row_fields


def save_template(template: MappingTemplate, spec: TemplateSpec) -> None:
    """Replace ``template``'s rows with ``spec``'s (already validated) and commit."""
    existing = {rule.amazon_field: rule for rule in template.rules}
    wanted = {rule.amazon_field for rule in spec.rules}
    for rule in list(template.rules):
        if rule.amazon_field not in wanted:
            template.rules.remove(rule)
    for rule in spec.rules:
        row = existing.get(rule.amazon_field)
        if row is None:
            row = MappingRule(amazon_field=rule.amazon_field)
            template.rules.append(row)
        row.mode, row.field, row.constant, row.params = (
            rule.mode,
            rule.field,
            rule.constant,
            dict(rule.params),
        )
    db.session.commit()


@dataclass(frozen=True)
class PreviewRow:
    """One variant with what the template computes for it."""

    sku: str
    offer: Offer
    attributes: dict


def preview(channel: Channel, template: MappingTemplate, limit: int = 5) -> list[PreviewRow]:
    """The first ``limit`` variants of ``channel`` (by SKU) computed with ``template``.

    Reads plain rows, as the jobs do, so the preview computes exactly what a run would.
    """
    variants = (
        db.session.execute(
            sa.select(ListingVariant.__table__)
            .where(ListingVariant.channel_id == channel.id, ListingVariant.account_id == channel.account_id)
            .order_by(ListingVariant.sku)
            .limit(limit)
        )
        .mappings()
        .all()
    )
    item_ids = {v["source_item_id"] for v in variants if v["source_item_id"]}
    items = (
        {
            row["id"]: row
            for row in db.session.execute(
                sa.select(SourceItem.__table__).where(
                    SourceItem.id.in_(item_ids), SourceItem.account_id == channel.account_id
                )
            ).mappings()
        }
        if item_ids
        else {}
    )
    compiled = CompiledTemplate.from_template(template)
    rows = []
    for variant in variants:
        fields = row_fields(variant, items.get(variant["source_item_id"]))
        rows.append(
            PreviewRow(
                sku=variant["sku"],
                offer=compiled.offer(fields, channel.fulfillment_channel),
                attributes=compiled.attributes(fields, channel.marketplace_id, "en_US"),
            )
        )
    return rows
