"""Shipping mappings: Amazon's service level of an order ↔ the channel's shipping policy name.

Orders 2026-01-01 only tells us the category of shipping the buyer chose
(``fulfillment.fulfillmentServiceLevel``: STANDARD, EXPEDITED, ...), not the v0 "ship service level"
text ("Std US D2D Dom"). The mapping is therefore keyed on the category; the seller sees Amazon's
familiar text next to it as a label. Get Orders refuses to run while a channel has no mapping.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, ShippingMapping
from webapp.models.order import SERVICE_LEVELS

# What the seller knows each category as (the v0 / Seller Central text; US domestic shown).
SERVICE_LEVEL_LABELS = {
    "STANDARD": "Std US D2D Dom",
    "EXPEDITED": "Exp US D2D Dom",
    "SECOND_DAY": "Second US D2D Dom",
    "NEXT_DAY": "Next US D2D Dom",
    "SAME_DAY": "Same day",
    "PRIORITY": "Priority",
    "FREE_ECONOMY": "Econ US Dom",
    "SCHEDULED": "Sched US D2D Dom",
}

# The seed defaults of issue 7: Amazon's text → the shipping policy names sellers usually have.
DEFAULT_MAPPINGS = (
    ("EXPEDITED", "Expedited"),
    ("SECOND_DAY", "SecondDay"),
    ("FREE_ECONOMY", "FreeEconomy"),
    ("STANDARD", "Standard"),
)

POLICY_MAX_LENGTH = 120


class MappingError(ValueError):
    """A mapping the seller cannot save; the message says why (shown on the row)."""


def level_label(level: str) -> str:
    """``EXPEDITED`` → ``Expedited (Exp US D2D Dom)``; unknown levels read as themselves."""
    text = SERVICE_LEVEL_LABELS.get(level)
    name = level.replace("_", " ").capitalize()
    return f"{name} ({text})" if text else level


def channel_mappings(channel_id: int) -> list[ShippingMapping]:
    """The channel's mappings in the order of ``SERVICE_LEVELS``."""
    rows = db.session.scalars(sa.select(ShippingMapping).where(ShippingMapping.channel_id == channel_id))
    order = {level: position for position, level in enumerate(SERVICE_LEVELS)}
    return sorted(rows, key=lambda m: (order.get(m.service_level, len(order)), m.service_level))


def policy_by_level(channel_id: int) -> dict[str, str]:
    """``{service level: shipping policy}`` for the channel (what Get Orders maps with)."""
    return {m.service_level: m.shipping_policy for m in channel_mappings(channel_id)}


def _clean(level: str, policy: str) -> tuple[str, str]:
    level, policy = level.strip().upper(), " ".join(policy.split())
    if level not in SERVICE_LEVELS:
        raise MappingError(f"Choose one of Amazon's service levels, not “{level}”.")
    if not policy:
        raise MappingError("Enter the name of the channel's shipping policy.")
    if len(policy) > POLICY_MAX_LENGTH:
        raise MappingError(f"Shipping policy names are at most {POLICY_MAX_LENGTH} characters.")
    return level, policy


def _taken(channel_id: int, level: str, except_id: int | None = None) -> bool:
    query = sa.select(ShippingMapping.id).where(
        ShippingMapping.channel_id == channel_id, ShippingMapping.service_level == level
    )
    if except_id is not None:
        query = query.where(ShippingMapping.id != except_id)
    return db.session.scalar(query) is not None


def add_mapping(channel: Channel, level: str, policy: str) -> ShippingMapping:
    """Add a mapping to ``channel`` (the caller commits).

    Raises:
        MappingError: unknown level, empty or too long policy, or the level is mapped already.
    """
    level, policy = _clean(level, policy)
    if _taken(channel.id, level):
        raise MappingError(f"{level_label(level)} is mapped already; edit that row instead.")
    mapping = ShippingMapping(
        account_id=channel.account_id, channel_id=channel.id, service_level=level, shipping_policy=policy
    )
    db.session.add(mapping)
    db.session.flush()
    return mapping


def update_mapping(mapping: ShippingMapping, level: str, policy: str) -> ShippingMapping:
    """Change a mapping's level and policy (the caller commits).

    Raises:
        MappingError: as :func:`add_mapping`.
    """
    level, policy = _clean(level, policy)
    if _taken(mapping.channel_id, level, except_id=mapping.id):
        raise MappingError(f"{level_label(level)} is mapped already on another row.")
    mapping.service_level, mapping.shipping_policy = level, policy
    db.session.flush()
    return mapping


def add_defaults(channel: Channel) -> int:
    """Add the default mappings the channel does not have yet; returns how many (the caller commits)."""
    added = 0
    for level, policy in DEFAULT_MAPPINGS:
        if not _taken(channel.id, level):
            add_mapping(channel, level, policy)
            added += 1
    return added
