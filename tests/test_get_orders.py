"""Get Orders against the sandbox: refusal without shipping mappings, the window and status filters,
idempotent and concurrent imports, changes picked up by the cursor, flags, FBA, PII at rest."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, run_job
from tests.listings_support import add_variant
from tests.order_routing_support import stock_compliantly
from tests.orders_support import (
    amazon_change,
    amazon_item_count,
    amazon_orders,
    imported,
    item_count,
    place_order,
    queued_run,
    run_concurrently,
    searchable,
    with_default_mappings,
)
from tests.runs_support import fresh, notes
from webapp.extensions import db
from webapp.models import (
    AttentionCode,
    Channel,
    OrderCursor,
    OrderSyncState,
    RoutingState,
    RunKind,
    RunStatus,
)
from webapp.models.channel import ORDER_STATUSES
from webapp.services.shipping_mappings import add_mapping

OPEN = ["UNSHIPPED", "PARTIALLY_SHIPPED"]


app_config = sandbox_app_config


@pytest.fixture
def channel(app, sandbox) -> Channel:
    """The demo seller's US channel with the default shipping mappings (window 7 days, open statuses)."""
    return with_default_mappings(demo_channel(sandbox))


def get_orders(app, redis, channel: Channel):
    """One Get Orders run, worked by a real RQ worker; the finished run."""
    return run_job(app, redis, channel, RunKind.GET_ORDERS)


def test_without_shipping_mappings_get_orders_refuses_and_says_where_to_set_them_up(app, redis, sandbox):
    channel = demo_channel(sandbox)

    run = get_orders(app, redis, channel)

    assert run.status == RunStatus.FAILED
    [error] = notes(run.id, "error")
    assert error.code == "no_shipping_mappings"
    assert "Amazon US" in error.message
    assert "Channels → Amazon US → Shipping mappings" in error.help and "Add the defaults" in error.help
    assert imported(channel) == {}


def test_get_orders_imports_the_chosen_statuses_once_and_a_second_run_adds_nothing(
    app, redis, channel, sandbox
):
    expected = searchable(sandbox, OPEN, 7)
    other_statuses = searchable(sandbox, ["PENDING", "SHIPPED", "CANCELLED"], 7)
    assert expected and other_statuses  # the seed has both, so the status filter is really tested

    first = get_orders(app, redis, channel)
    orders = imported(channel)
    items = item_count(channel)

    assert first.status == RunStatus.SUCCEEDED
    assert set(orders) == expected
    assert first.counts["imported"] == len(expected)
    assert items == amazon_item_count(sandbox, expected)
    assert {o.status for o in orders.values()} <= set(OPEN)

    second = get_orders(app, redis, channel)

    assert second.status == RunStatus.SUCCEEDED
    assert "imported" not in second.counts
    assert {k: o.id for k, o in imported(channel).items()} == {k: o.id for k, o in orders.items()}
    assert item_count(channel) == items


def test_the_window_limits_orders_to_those_created_within_it(app, redis, channel, sandbox):
    channel.order_statuses, channel.orders_window_days = list(ORDER_STATUSES), 10
    db.session.commit()
    expected = searchable(sandbox, list(ORDER_STATUSES), 10)
    older = searchable(sandbox, list(ORDER_STATUSES), 60) - expected
    assert expected and older

    get_orders(app, redis, channel)

    assert set(imported(channel)) == expected


def test_two_concurrent_runs_import_every_order_exactly_once(app, channel, sandbox):
    channel.order_statuses = list(ORDER_STATUSES)
    db.session.commit()
    expected = searchable(sandbox, list(ORDER_STATUSES), 7)
    runs = [queued_run(channel), queued_run(channel)]

    run_concurrently(app, runs)

    finished = [fresh(run_id) for run_id in runs]
    assert [run.status for run in finished] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert sum(run.counts.get("imported", 0) for run in finished) == len(expected)
    assert set(imported(channel)) == expected
    assert item_count(channel) == amazon_item_count(sandbox, expected)


def test_a_cancellation_on_amazon_reaches_the_imported_order_through_the_cursor(app, redis, channel, sandbox):
    order_id = place_order(sandbox)
    get_orders(app, redis, channel)
    assert imported(channel)[order_id].status == "UNSHIPPED"
    cursor_before = db.session.scalar(sa.select(OrderCursor.last_updated_after))

    amazon_change(sandbox, order_id, "cancel")
    run = get_orders(app, redis, channel)

    order = imported(channel)[order_id]
    assert order.status == "CANCELLED" and order.cancelled_at is not None
    assert order.routing_state == RoutingState.NOT_APPLICABLE
    cancelled = [n for n in notes(run.id) if n.code == "order_cancelled"]
    assert [n.reference for n in cancelled] == [order_id]
    assert db.session.scalar(sa.select(OrderCursor.last_updated_after)) > cursor_before


def test_fba_orders_are_imported_read_only_and_amazons_shipping_is_picked_up(app, redis, channel, sandbox):
    order_id = place_order(sandbox, fulfilledBy="AMAZON")
    get_orders(app, redis, channel)

    order = imported(channel)[order_id]
    assert order.is_fba and order.status == "UNSHIPPED"
    assert order.routing_state == RoutingState.NOT_APPLICABLE
    assert order.sync_state == OrderSyncState.NOT_APPLICABLE
    assert not order.needs_attention and order.shipping_policy is None

    amazon_change(sandbox, order_id, "ship")
    run = get_orders(app, redis, channel)

    order = imported(channel)[order_id]
    assert order.status == "SHIPPED" and order.shipped_at is not None
    assert all(item.quantity_shipped == item.quantity_ordered for item in order.items)
    assert [n.reference for n in notes(run.id) if n.code == "order_shipped_by_amazon"] == [order_id]


def test_unknown_sku_and_unmapped_service_level_flag_the_order_with_what_to_fix(app, redis, channel, sandbox):
    known = add_variant(channel, "KNOWN-SKU-1")
    stock_compliantly(channel, "KNOWN-SKU-1", 5)  # so the clean order is routed, with nothing to say
    flagged_id = place_order(
        sandbox, items=[{"sku": "NOT-LISTED-1", "quantity": 1}], shipServiceLevel="Sched US D2D Dom Weekend"
    )
    clean_id = place_order(
        sandbox, items=[{"sku": "KNOWN-SKU-1", "quantity": 2}], shipServiceLevel="Exp US D2D Dom"
    )

    run = get_orders(app, redis, channel)

    orders = imported(channel)
    flagged, clean = orders[flagged_id], orders[clean_id]
    assert flagged.needs_attention
    assert {a["code"] for a in flagged.attention} == {
        AttentionCode.UNKNOWN_SKU,
        AttentionCode.UNMAPPED_SERVICE_LEVEL,
    }
    assert flagged.routing_state == RoutingState.NEEDS_ATTENTION
    assert flagged.service_level == "SCHEDULED" and flagged.shipping_policy is None
    assert flagged.items[0].listing_variant_id is None

    assert not clean.needs_attention and clean.routing_state == RoutingState.ROUTED
    assert clean.service_level == "EXPEDITED" and clean.shipping_policy == "Expedited"
    assert clean.items[0].listing_variant_id == known.id and clean.items[0].quantity_ordered == 2

    warnings = {n.code: n for n in notes(run.id, "warning") if n.reference == flagged_id}
    assert set(warnings) == {"unknown_sku", "unmapped_service_level"}
    assert not [n for n in notes(run.id) if n.reference == clean_id]
    flagged_orders = {n.reference for n in notes(run.id, "warning") if n.code in warnings}
    assert run.counts["needs_attention"] == len(flagged_orders)
    assert "NOT-LISTED-1" in warnings["unknown_sku"].message
    assert "SCHEDULED" in warnings["unmapped_service_level"].help
    assert "Shipping mappings" in warnings["unmapped_service_level"].help


def test_flags_the_seller_fixed_are_cleared_by_the_next_run_and_the_order_is_routed(
    app, redis, channel, sandbox
):
    flagged_id = place_order(
        sandbox, items=[{"sku": "LATE-LISTED-1", "quantity": 1}], shipServiceLevel="Sched US D2D Dom Weekend"
    )
    get_orders(app, redis, channel)
    assert {a["code"] for a in imported(channel)[flagged_id].attention} == {
        AttentionCode.UNKNOWN_SKU,
        AttentionCode.UNMAPPED_SERVICE_LEVEL,
    }

    # The seller's fixes: the listing (as Import Listings would add it), stock, and the mapping.
    variant = add_variant(channel, "LATE-LISTED-1")
    stock_compliantly(channel, "LATE-LISTED-1", 3)
    add_mapping(channel, "SCHEDULED", "Weekend")
    db.session.commit()
    run = get_orders(app, redis, channel)

    order = imported(channel)[flagged_id]
    assert order.attention == [] and not order.needs_attention
    assert order.items[0].listing_variant_id == variant.id and order.shipping_policy == "Weekend"
    assert order.routing_state == RoutingState.ROUTED and order.items[0].routed_source_id is not None
    assert run.counts["attention_cleared"] == 1
    [info] = [n for n in notes(run.id, "info") if n.code == "attention_cleared"]
    assert info.message.startswith("1 order flagged for an unknown SKU or an unmapped service level")


def test_buyer_pii_is_encrypted_at_rest_and_never_logged(app, redis, channel, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    order_id = place_order(sandbox)
    [amazon_side] = [o for o in amazon_orders(sandbox) if o["order_id"] == order_id]
    buyer = sandbox.sandbox.store.one("SELECT buyer, recipient FROM orders WHERE order_id = ?", (order_id,))

    run = get_orders(app, redis, channel)

    order = imported(channel)[order_id]
    assert amazon_side["status"] == "UNSHIPPED"
    # The sandbox stores them as JSON text (non-ASCII names escaped): compare decoded values.
    assert order.buyer_name and order.buyer_name == json.loads(buyer["buyer"])["buyerName"]
    recipient = json.dumps(json.loads(buyer["recipient"]), ensure_ascii=False)
    assert order.address_line1 and order.address_line1 in recipient
    assert order.city and order.postal_code and order.country_code == "US"
    raw = db.session.execute(
        sa.text("SELECT buyer_name, buyer_email, recipient_name, address_line1 FROM orders WHERE id = :id"),
        {"id": order.id},
    ).one()
    for column in raw:
        assert column and order.buyer_name not in column and order.address_line1 not in column
    logged = caplog.text + " ".join(n.message + n.help for n in notes(run.id))
    for secret in (order.buyer_name, order.buyer_email, order.address_line1, order.buyer_phone):
        assert secret and secret not in logged
