"""The listings pages: a channel's variants table, a listing's variants and history, bulk actions and
Build listings.

Which variants a view or action means is decided by ``listing_selection`` (filters, selections); this
module adds what the pages need on top: counts, the bulk actions the seller can start (each a run of
its own kind, see ``BULK_ACTIONS``) and the history of a variant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, Listing, ListingVariant, RunKind, User, VariantHistory
from webapp.services.inventory import InventoryFilters, valid_sort
from webapp.services.listing_selection import (
    VariantFilters,
    filtered_variants,
    ordered,
    selected_variant_ids,
    selection_for,
)
from webapp.services.runs import JOBS, StartResult, start_run


@dataclass(frozen=True)
class BulkAction:
    """A bulk action of the listings table: the run it starts and what the seller is told first."""

    label: str
    kind: RunKind
    # What will happen, with ``{n}`` (how many variants) and ``{channel}`` filled in.
    effect: str
    dangerous: bool = False
    # Sync can be tried first without sending anything.
    dry_run: bool = False


BULK_ACTIONS: dict[str, BulkAction] = {
    "link": BulkAction(
        "Link",
        RunKind.LINK_LISTINGS,
        "Link {n} on {channel}: each is matched by SKU (never by ASIN, GTIN or UPC) to an existing Amazon "
        "offer and marked Linked. Nothing is changed on Amazon.",
    ),
    "sync": BulkAction(
        "Sync",
        RunKind.SYNC_LISTINGS,
        "Sync {n} on {channel}: the price and quantity computed by the Sync template are sent to Amazon "
        "where they differ from what Amazon last accepted. Paused, Hidden and Delisted variants are "
        "skipped. A dry run computes the same changes and sends nothing.",
        dry_run=True,
    ),
    "publish": BulkAction(
        "Publish",
        RunKind.PUBLISH_LISTINGS,
        "Publish {n} on {channel}: an offer is created on Amazon for each, on an existing ASIN only "
        "(never a new ASIN), with the price and quantity of the Publish template.",
    ),
    "overwrite": BulkAction(
        "Overwrite",
        RunKind.OVERWRITE_LISTINGS,
        "Overwrite {n} on {channel}: the content chosen in the Overwrite template (title, description, "
        "categories, identifiers, images) replaces what Amazon shows for the published ones.",
    ),
    "hide": BulkAction(
        "Hide",
        RunKind.LISTING_ACTION,
        "Hide {n} on {channel}: their quantity is set to 0 on Amazon and they are left out of quantity "
        "sync until unhidden.",
    ),
    "unhide": BulkAction(
        "Unhide",
        RunKind.LISTING_ACTION,
        "Unhide {n} on {channel}: the Hidden ones get their mapped quantity back on Amazon at once; "
        "others are left as they are.",
    ),
    "delist": BulkAction(
        "Delist",
        RunKind.LISTING_ACTION,
        "Delist {n} on {channel}: this DELETES their offers on Amazon (deleteListingsItem). They stay "
        "in Shelfsync as Delisted; publishing or syncing them can bring them back later.",
        dangerous=True,
    ),
    "pause": BulkAction(
        "Pause",
        RunKind.LISTING_ACTION,
        "Pause {n} on {channel}: Shelfsync stops syncing them. Nothing is sent to Amazon.",
    ),
    "unpause": BulkAction(
        "Unpause",
        RunKind.LISTING_ACTION,
        "Unpause {n} on {channel}: Shelfsync resumes syncing the paused ones. Nothing is sent to Amazon.",
    ),
    "unlink": BulkAction(
        "Unlink",
        RunKind.LISTING_ACTION,
        "Unlink {n} on {channel}: Shelfsync forgets their tie to an Amazon offer (they become "
        "Unlinked). Nothing is sent to Amazon; Link ties them again.",
    ),
}
# Actions offered on each variant of the listing page (they change nothing on Amazon).
VARIANT_ACTIONS = ("pause", "unpause", "unlink")


class ActionUnavailable(Exception):
    """The bulk action cannot start: its integration is not installed, or nothing is selected."""


def account_channels(account_id: int) -> list[Channel]:
    """The account's channels, by name."""
    return list(
        db.session.scalars(
            sa.select(Channel).where(Channel.account_id == account_id).order_by(Channel.name, Channel.id)
        )
    )


def variants_query(account_id: int, channel_id: int, filters: VariantFilters) -> sa.Select:
    """The table's rows: the channel's variants matching ``filters``, in the table's order."""
    return ordered(filtered_variants(account_id, channel_id, filters), filters)


def has_variants(account_id: int, channel_id: int) -> bool:
    """True once the channel has any variant (the empty state then says "no match")."""
    return db.session.scalar(
        sa.select(
            sa.exists().where(
                ListingVariant.account_id == account_id, ListingVariant.channel_id == channel_id
            )
        )
    )


def parse_selection(raw: str | None) -> dict | None:
    """A selection posted back by the confirmation form, rebuilt through ``selection_for`` (so only
    integer ids or known filters survive); None when it is not one."""
    try:
        value = json.loads(raw or "")
        if isinstance(value, dict) and isinstance(value.get("ids"), list):
            return selection_for(ids=[int(i) for i in value["ids"]])
        if isinstance(value, dict) and isinstance(value.get("filter"), dict):
            return selection_for(filters=VariantFilters.from_mapping(value["filter"]))
    except (ValueError, TypeError):
        return None
    return None


def posted_selection(all_matching: bool, ids: list[str], filter_json: str) -> dict | None:
    """The selection the table's bulk form means: every variant matching the table's filters (sent
    back as JSON), or the ticked ids; None when nothing is ticked."""
    if all_matching:
        try:
            stored = json.loads(filter_json or "{}")
        except ValueError:
            stored = {}
        return selection_for(filters=VariantFilters.from_mapping(stored if isinstance(stored, dict) else {}))
    ticked = [int(i) for i in ids if i.isdigit()]
    return selection_for(ids=ticked) if ticked else None


def count_selected(account_id: int, channel_id: int, selection: dict) -> int:
    """How many variants of the channel a selection means (ids of other accounts count for nothing)."""
    ids = selected_variant_ids(account_id, channel_id, selection).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids))


def describe(action: BulkAction, count: int, channel: Channel) -> str:
    """The confirmation sentence: what will happen to how many variants."""
    noun = "1 variant" if count == 1 else f"{count:,} variants"
    return action.effect.format(n=noun, channel=channel.name)


def action_available(action: BulkAction) -> bool:
    """True when the action's job is installed in this version (see ``JOBS``)."""
    return action.kind in JOBS


def start_bulk_action(
    account_id: int,
    channel: Channel,
    name: str,
    selection: dict,
    *,
    user_id: int,
    dry_run: bool = False,
) -> StartResult:
    """Start the run of bulk action ``name`` on ``selection`` (see ISSUE5 contracts for the params).

    Raises:
        ActionUnavailable: unknown action, its job not installed, or nothing of the account selected.
    """
    action = BULK_ACTIONS.get(name)
    if action is None:
        raise ActionUnavailable("Unknown action.")
    if not action_available(action):
        raise ActionUnavailable(f"{action.label} is not available in this version of Shelfsync yet.")
    if count_selected(account_id, channel.id, selection) == 0:
        raise ActionUnavailable("None of the selected variants is on this channel any more.")
    params: dict = {"selection": selection}
    if action.kind == RunKind.LISTING_ACTION:
        params["action"] = name
    if action.kind == RunKind.SYNC_LISTINGS:
        params["dry_run"] = bool(dry_run)
    return start_run(account_id, action.kind, channel_id=channel.id, params=params, user_id=user_id)


def channel_listing(account_id: int, channel_id: int, listing_id: int) -> Listing | None:
    """A listing of the account on that channel, or None."""
    return db.session.scalar(
        sa.select(Listing).where(
            Listing.id == listing_id, Listing.account_id == account_id, Listing.channel_id == channel_id
        )
    )


def history_query(variant: ListingVariant) -> sa.Select:
    """The variant's history, newest first (``ix_variant_history_variant_created``)."""
    return (
        sa.select(VariantHistory)
        .where(VariantHistory.variant_id == variant.id, VariantHistory.account_id == variant.account_id)
        .order_by(VariantHistory.created_at.desc(), VariantHistory.id.desc())
    )


def user_emails(entries: list[VariantHistory]) -> dict[int, str]:
    """Email of each user named in ``entries`` (one query)."""
    ids = {entry.user_id for entry in entries if entry.user_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())


def item_selection(ids: list[int] | None = None, filters: InventoryFilters | None = None) -> dict:
    """Which source items Build listings reads: explicit ids, or all matching the inventory filters."""
    if ids is not None:
        return {"ids": sorted({int(i) for i in ids})}
    filters = filters or InventoryFilters()
    stored = {"q": filters.q, "source_id": filters.source_id, "stock": filters.stock}
    return {"filter": {key: value for key, value in stored.items() if value}}


def item_filters(stored: dict) -> InventoryFilters:
    """The inventory filters of a stored item selection."""
    source_id = stored.get("source_id")
    return InventoryFilters(
        q=str(stored.get("q", ""))[:200],
        source_id=int(source_id) if str(source_id or "").isdigit() else None,
        stock=str(stored.get("stock", "")),
        sort=valid_sort(None),
    )


def start_build(account_id: int, channel: Channel, items: dict, *, user_id: int) -> StartResult:
    """Start Build listings on ``channel`` for the source items of ``items`` (see ``item_selection``)."""
    return start_run(
        account_id, RunKind.BUILD_LISTINGS, channel_id=channel.id, params={"items": items}, user_id=user_id
    )
