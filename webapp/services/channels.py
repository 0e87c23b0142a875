"""Channels: the marketplace and fulfilment rules, saving and deleting a channel, and its integrations' state.

Every function that reads by id goes through ``webapp.tenancy``, so it only ever sees the current
account's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.amazon.marketplaces import MARKETPLACES, Marketplace
from webapp.extensions import db
from webapp.models import Channel, Connection, ImportMode, IntegrationRun, RunKind, Schedule
from webapp.models.channel import ORDER_STATUSES
from webapp.services.runs import JOBS
from webapp.services.schedules import MANUAL_ONLY_KINDS, SCHEDULABLE_KINDS, channel_schedules, set_schedule
from webapp.tenancy import scoped

# Merchant fulfilled (FBM): Amazon's fulfillment channel code for "the seller ships".
FBM = "DEFAULT"
# FBA fulfilment center id per marketplace region: only the region's own one is valid.
FBA_CENTERS = {"na": "AMAZON_NA", "eu": "AMAZON_EU", "fe": "AMAZON_FE"}
REGION_NAMES = {"na": "North America", "eu": "Europe", "fe": "Far East"}
IMPORT_MODE_LABELS = {
    ImportMode.CREATE_ONLY: "Create Only",
    ImportMode.CREATE_AND_OVERWRITE: "Create & Overwrite Existing",
}

# The integrations the channel page reports on, in the order it lists them.
INTEGRATIONS = {
    RunKind.SYNC_LISTINGS: "Sync Listings",
    RunKind.GET_ORDERS: "Get Orders",
    RunKind.SYNC_ORDERS: "Sync Orders",
    RunKind.IMPORT_LISTINGS: "Import Listings",
}


def marketplaces_in(region: str) -> list[Marketplace]:
    """The marketplaces a connection of ``region`` can sell on, by country code."""
    return sorted((m for m in MARKETPLACES.values() if m.region == region), key=lambda m: m.country_code)


def fulfillment_choices(region: str) -> list[tuple[str, str]]:
    """FBM, and FBA through the region's fulfilment center, as (value, label)."""
    return [(value, fulfillment_label(value)) for value in (FBM, FBA_CENTERS[region])]


def fulfillment_error(value: str, marketplace: Marketplace) -> str | None:
    """Why ``value`` is not a valid default fulfilment channel on ``marketplace``, or None when it is."""
    if value == FBM:
        return None
    expected = FBA_CENTERS[marketplace.region]
    if value == expected:
        return None
    if value in FBA_CENTERS.values():
        return (
            f"{value} is not the fulfilment center for {marketplace.country_code} "
            f"({REGION_NAMES[marketplace.region]}); use {expected}."
        )
    return f"Choose {FBM} (merchant fulfilled) or {expected} (FBA)."


def fulfillment_label(value: str) -> str:
    """How a default fulfilment channel reads on the channel page."""
    if value == FBM:
        return f"Merchant fulfilled (FBM, {FBM})"
    return f"Fulfilled by Amazon (FBA, {value})"


def order_status_label(status: str) -> str:
    """``PARTIALLY_SHIPPED`` → ``Partially shipped``."""
    return status.replace("_", " ").capitalize()


def account_connections() -> list[Connection]:
    """The current account's connections, by name."""
    return list(db.session.scalars(scoped(Connection).order_by(Connection.name, Connection.id)))


def owned_connection(connection_id: int | None) -> Connection | None:
    """The current account's connection with this id, or None (another account's is None too)."""
    if connection_id is None:
        return None
    return db.session.scalar(scoped(Connection).where(Connection.id == connection_id))


def name_taken(name: str, except_channel_id: int | None = None) -> bool:
    """True when another channel of the current account already has this name (case-insensitive)."""
    query = scoped(Channel).where(sa.func.lower(Channel.name) == name.strip().lower())
    if except_channel_id is not None:
        query = query.where(Channel.id != except_channel_id)
    return db.session.scalar(query.limit(1)) is not None


def channel_on(
    connection_id: int, marketplace_id: str, except_channel_id: int | None = None
) -> Channel | None:
    """The current account's channel selling through ``connection_id`` on ``marketplace_id``, if any."""
    query = scoped(Channel).where(
        Channel.connection_id == connection_id, Channel.marketplace_id == marketplace_id
    )
    if except_channel_id is not None:
        query = query.where(Channel.id != except_channel_id)
    return db.session.scalar(query.limit(1))


@dataclass
class ChannelSettings:
    """Everything the channel form edits, already validated."""

    name: str
    connection_id: int
    marketplace_id: str
    fulfillment_channel: str
    orders_window_days: int
    order_statuses: list[str]
    acknowledge_orders: bool
    import_mode: str
    import_new_paused: bool
    # Minutes between runs per schedulable kind; None = off.
    schedules: dict[RunKind, int | None] = field(default_factory=dict)


def save_channel(channel: Channel, settings: ChannelSettings) -> Channel:
    """Apply ``settings`` to a new or existing channel, upsert its schedules, and commit."""
    channel.name = settings.name.strip()
    channel.connection_id = settings.connection_id
    channel.marketplace_id = settings.marketplace_id
    channel.fulfillment_channel = settings.fulfillment_channel
    channel.orders_window_days = settings.orders_window_days
    # Stored in Amazon's order so that an unchanged selection compares equal.
    channel.order_statuses = [s for s in ORDER_STATUSES if s in settings.order_statuses]
    channel.acknowledge_orders = settings.acknowledge_orders
    channel.import_mode = settings.import_mode
    channel.import_new_paused = settings.import_new_paused
    db.session.add(channel)
    db.session.flush()  # a new channel needs its id before its schedules
    for kind in SCHEDULABLE_KINDS:
        set_schedule(channel, kind, settings.schedules.get(kind))
    db.session.commit()
    return channel


def create_channel(account_id: int, settings: ChannelSettings) -> Channel:
    """A new channel of ``account_id`` with ``settings``."""
    return save_channel(Channel(account_id=account_id), settings)


def channel_run_count(channel: Channel) -> int:
    """How many runs the channel has (they outlive it)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(IntegrationRun).where(IntegrationRun.channel_id == channel.id)
    )


def delete_channel(channel: Channel) -> None:
    """Delete the channel and its schedules; its runs stay in the history, without a channel.

    Done explicitly rather than left to the foreign keys' ON DELETE rules, which SQLite only applies
    when foreign key enforcement is switched on per connection.
    """
    db.session.execute(sa.delete(Schedule).where(Schedule.channel_id == channel.id))
    db.session.execute(
        sa.update(IntegrationRun).where(IntegrationRun.channel_id == channel.id).values(channel_id=None),
        execution_options={"synchronize_session": False},
    )
    db.session.delete(channel)
    db.session.commit()


@dataclass(frozen=True)
class IntegrationState:
    """One integration of a channel as the channel page shows it."""

    kind: RunKind
    label: str
    last_run: IntegrationRun | None
    schedule: Schedule | None
    manual_only: bool
    # False while this version has no job for the integration: a schedule then waits for it.
    available: bool

    @property
    def scheduled(self) -> bool:
        """True when the integration runs on a schedule."""
        return self.schedule is not None and self.schedule.interval_minutes is not None


def integration_states(channel: Channel) -> list[IntegrationState]:
    """Last run and schedule of each integration of the channel (two queries, whatever the history size)."""
    kinds = [kind.value for kind in INTEGRATIONS]
    last_ids = db.session.scalars(
        sa.select(sa.func.max(IntegrationRun.id))
        .where(
            IntegrationRun.account_id == channel.account_id,
            IntegrationRun.channel_id == channel.id,
            IntegrationRun.kind.in_(kinds),
        )
        .group_by(IntegrationRun.kind)
    ).all()
    last_runs = {
        run.kind: run
        for run in db.session.scalars(sa.select(IntegrationRun).where(IntegrationRun.id.in_(last_ids)))
    }
    schedules = channel_schedules(channel)
    return [
        IntegrationState(
            kind=kind,
            label=label,
            last_run=last_runs.get(kind.value),
            schedule=schedules.get(kind.value),
            manual_only=kind in MANUAL_ONLY_KINDS,
            available=kind in JOBS,
        )
        for kind, label in INTEGRATIONS.items()
    ]
