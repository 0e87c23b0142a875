"""Routing orders to sources against the sandbox: Get Orders routes its new merchant orders to a compliant
source with enough stock, never to a non-compliant one; without one the order needs attention with the
reason; the seller re-routes by hand (compliant sources of the account only) and routes again."""

from __future__ import annotations

import pytest

from tests.conftest import sandbox_app_config
from tests.listing_sync_support import demo_channel, run_job
from tests.listings_support import account_id_of, add_variant, other_account
from tests.order_routing_support import make_source, routed_sources, stock
from tests.orders_support import amazon_change, imported, place_order, queued_run, run_concurrently
from tests.runs_support import fresh, notes, work
from tests.sources_support import add_source, csv_bytes, upload
from webapp.extensions import db
from webapp.models import AttentionCode, Channel, Order, RoutingState, RunKind, RunStatus
from webapp.models.channel import ORDER_STATUSES
from webapp.services.shipping_mappings import add_defaults

app_config = sandbox_app_config


@pytest.fixture
def channel(auth, sandbox) -> Channel:
    """The signed-in seller's US channel on the demo seller, with the default shipping mappings."""
    auth.register()
    channel = demo_channel(sandbox, account_id_of())
    add_defaults(channel)
    db.session.commit()
    return channel


def get_orders(app, redis, channel: Channel):
    """One Get Orders run, worked by a real RQ worker; the finished run."""
    return run_job(app, redis, channel, RunKind.GET_ORDERS)


def order_of(channel: Channel, amazon_id: str) -> Order:
    """The imported order, as committed now."""
    return imported(channel)[amazon_id]


def test_get_orders_routes_a_new_order_to_a_compliant_source_with_enough_stock(app, redis, channel, sandbox):
    add_variant(channel, "MUG-1")
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(supplier, "MUG-1", 5)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 2}])

    run = get_orders(app, redis, channel)

    order = order_of(channel, amazon_id)
    assert run.status == RunStatus.SUCCEEDED
    assert order.routing_state == RoutingState.ROUTED and not order.needs_attention
    assert routed_sources(order) == {"MUG-1": supplier.id}
    assert order.items[0].routed_at is not None
    assert run.counts["routed"] >= 1
    assert not [n for n in notes(run.id) if n.reference == amazon_id]


def test_a_non_compliant_source_is_never_chosen_even_with_more_stock_a_lower_cost_and_the_link(
    app, redis, channel, sandbox
):
    variant = add_variant(channel, "MUG-1")
    cheap = make_source(channel.account_id, "Cheap Dropship", compliant=False)
    variant.source_item_id = stock(cheap, "MUG-1", 500, cost="1.00").id
    db.session.commit()
    compliant = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(compliant, "MUG-1", 3, cost="9.00")
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 3}])

    get_orders(app, redis, channel)

    order = order_of(channel, amazon_id)
    assert routed_sources(order) == {"MUG-1": compliant.id}
    assert order.routing_state == RoutingState.ROUTED


def test_with_stock_only_at_a_non_compliant_source_the_order_needs_attention_saying_to_turn_compliance_on(
    app, redis, channel, sandbox
):
    add_variant(channel, "MUG-1")
    stock(make_source(channel.account_id, "Cheap Dropship", compliant=False), "MUG-1", 50)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])

    run = get_orders(app, redis, channel)

    order = order_of(channel, amazon_id)
    assert routed_sources(order) == {"MUG-1": None}
    assert order.routing_state == RoutingState.NEEDS_ATTENTION and order.needs_attention
    [entry] = order.attention
    assert entry["code"] == AttentionCode.NO_ELIGIBLE_SOURCE and entry["reference"] == "MUG-1"
    assert "Cheap Dropship" in entry["message"] and "not marked compliant" in entry["message"]
    assert "Business Solutions Agreement" in entry["help"] and "Sources" in entry["help"]
    [warning] = [n for n in notes(run.id, "warning") if n.reference == amazon_id]
    assert warning.code == "no_eligible_source" and warning.message == entry["message"]
    assert warning.help == entry["help"]
    assert run.counts["not_routed"] >= 1


def test_too_little_stock_at_compliant_sources_needs_attention_with_the_quantities(
    app, redis, channel, sandbox
):
    add_variant(channel, "MUG-1")
    stock(make_source(channel.account_id, "Good Supply", compliant=True), "MUG-1", 1)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 3}])

    get_orders(app, redis, channel)

    order = order_of(channel, amazon_id)
    [entry] = order.attention
    assert order.routing_state == RoutingState.NEEDS_ATTENTION
    assert "3 × SKU “MUG-1”" in entry["message"] and "hold only 1" in entry["message"]
    assert "Add stock of MUG-1" in entry["help"]


def test_a_sku_no_source_has_needs_attention_saying_to_add_it(app, redis, channel, sandbox):
    add_variant(channel, "MUG-1")
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])

    get_orders(app, redis, channel)

    [entry] = order_of(channel, amazon_id).attention
    assert "no source has SKU “MUG-1”" in entry["message"]
    assert "Add SKU MUG-1" in entry["help"]


def test_the_variants_linked_source_item_is_preferred_even_under_another_sku(app, redis, channel, sandbox):
    variant = add_variant(channel, "AMZ-MUG-1")
    linked = make_source(channel.account_id, "Linked Supply", compliant=True)
    variant.source_item_id = stock(linked, "SUP-77", 4, cost="8.00").id
    db.session.commit()
    cheaper = make_source(channel.account_id, "Cheaper Supply", compliant=True)
    stock(cheaper, "AMZ-MUG-1", 40, cost="2.00")
    amazon_id = place_order(sandbox, items=[{"sku": "AMZ-MUG-1", "quantity": 2}])

    get_orders(app, redis, channel)

    assert routed_sources(order_of(channel, amazon_id)) == {"AMZ-MUG-1": linked.id}


def test_fba_and_cancelled_orders_are_never_routed(app, redis, channel, sandbox):
    channel.order_statuses = list(ORDER_STATUSES)
    db.session.commit()
    add_variant(channel, "MUG-1")
    stock(make_source(channel.account_id, "Good Supply", compliant=True), "MUG-1", 100)
    fba_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}], fulfilledBy="AMAZON")
    cancelled_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    amazon_change(sandbox, cancelled_id, "cancel")

    get_orders(app, redis, channel)

    for amazon_id in (fba_id, cancelled_id):
        order = order_of(channel, amazon_id)
        assert order.routing_state == RoutingState.NOT_APPLICABLE
        assert routed_sources(order) == {"MUG-1": None}


def test_two_concurrent_runs_route_each_new_order_once(app, channel, sandbox):
    add_variant(channel, "MUG-1")
    stock(make_source(channel.account_id, "Good Supply", compliant=True), "MUG-1", 100)
    placed = {place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}]) for _ in range(3)}
    runs = [queued_run(channel), queued_run(channel)]

    run_concurrently(app, runs)

    finished = [fresh(run_id) for run_id in runs]
    orders = imported(channel)
    # Orders with an unknown SKU wait for the seller (import flags them), the others are routed once.
    routable = [
        o
        for o in orders.values()
        if o.routing_state != RoutingState.NOT_APPLICABLE
        and AttentionCode.UNKNOWN_SKU not in {a["code"] for a in o.attention}
    ]
    routed_or_not = sum(run.counts.get("routed", 0) + run.counts.get("not_routed", 0) for run in finished)
    assert routed_or_not == len(routable) >= len(placed)
    warned = [n.reference for run in finished for n in notes(run.id) if n.code == "no_eligible_source"]
    assert len(warned) == len(set(warned))
    assert all(orders[amazon_id].routing_state == RoutingState.ROUTED for amazon_id in placed)


def reroute(client, order: Order, source_id: int):
    """Post the order page's re-route form for the order's first item."""
    return client.post(f"/orders/{order.id}/items/{order.items[0].id}/route", data={"source_id": source_id})


def test_rerouting_by_hand_to_a_compliant_source_resolves_the_attention(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    other_compliant = make_source(channel.account_id, "Backup Supply", compliant=True)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 2}])
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)
    assert order.routing_state == RoutingState.NEEDS_ATTENTION

    response = reroute(client, order, other_compliant.id)

    assert response.status_code == 302 and response.headers["Location"] == f"/orders/{order.id}"
    order = order_of(channel, amazon_id)
    assert routed_sources(order) == {"MUG-1": other_compliant.id}
    assert order.routing_state == RoutingState.ROUTED
    assert order.attention == [] and not order.needs_attention


def test_rerouting_by_hand_refuses_a_non_compliant_source(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    compliant = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(compliant, "MUG-1", 5)
    non_compliant = make_source(channel.account_id, "Cheap Dropship", compliant=False)
    stock(non_compliant, "MUG-1", 500)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)

    response = reroute(client, order, non_compliant.id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert response.status_code == 302
    assert routed_sources(order) == {"MUG-1": compliant.id}
    assert "Cheap Dropship is not marked compliant" in page
    # The form only offers compliant sources.
    assert f'<option value="{compliant.id}"' in page and f'<option value="{non_compliant.id}"' not in page


def test_rerouting_by_hand_to_another_accounts_source_answers_404(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    stock(make_source(channel.account_id, "Good Supply", compliant=True), "MUG-1", 5)
    foreign = make_source(other_account().id, "Their Supply", compliant=True)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)
    before = routed_sources(order)

    response = reroute(client, order, foreign.id)

    assert response.status_code == 404
    assert routed_sources(order) == before


def test_route_again_routes_once_compliance_is_turned_on(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    supplier = make_source(channel.account_id, "Cheap Dropship", compliant=False)
    stock(supplier, "MUG-1", 50)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    assert order_of(channel, amazon_id).routing_state == RoutingState.NEEDS_ATTENTION

    db.session.get(type(supplier), supplier.id).bsa_compliant = True
    db.session.commit()
    response = client.post(f"/orders/{order_of(channel, amazon_id).id}/route")

    order = order_of(channel, amazon_id)
    assert response.status_code == 302
    assert order.routing_state == RoutingState.ROUTED and order.attention == []
    assert routed_sources(order) == {"MUG-1": supplier.id}


def test_route_again_moves_an_item_off_a_source_no_longer_compliant(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    first = make_source(channel.account_id, "A Supply", compliant=True)
    stock(first, "MUG-1", 5, cost="1.00")
    second = make_source(channel.account_id, "B Supply", compliant=True)
    stock(second, "MUG-1", 5, cost="2.00")
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    assert routed_sources(order_of(channel, amazon_id)) == {"MUG-1": first.id}

    db.session.get(type(first), first.id).bsa_compliant = False
    db.session.commit()
    client.post(f"/orders/{order_of(channel, amazon_id).id}/route")

    assert routed_sources(order_of(channel, amazon_id)) == {"MUG-1": second.id}


def test_a_cancelled_order_cannot_be_routed_by_hand(app, redis, client, channel, sandbox):
    add_variant(channel, "MUG-1")
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(supplier, "MUG-1", 5)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    amazon_change(sandbox, amazon_id, "cancel")
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)
    assert order.status == "CANCELLED"

    client.post(f"/orders/{order.id}/route")
    reroute(client, order, supplier.id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert order_of(channel, amazon_id).routing_state == RoutingState.NOT_APPLICABLE
    assert "This order is cancelled: there is nothing left to route." in page
    assert "Route again" not in page


def test_two_orders_for_the_last_unit_in_one_run_do_not_both_go_to_that_source(app, redis, channel, sandbox):
    add_variant(channel, "MUG-1")
    cheap = make_source(channel.account_id, "Cheap Supply", compliant=True)
    stock(cheap, "MUG-1", 1, cost="1.00")
    backup = make_source(channel.account_id, "Backup Supply", compliant=True)
    stock(backup, "MUG-1", 5, cost="2.00")
    first = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    second = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])

    get_orders(app, redis, channel)

    chosen = sorted(routed_sources(order_of(channel, amazon_id))["MUG-1"] for amazon_id in (first, second))
    assert chosen == sorted([cheap.id, backup.id])


def supplier_upload(client, app, redis, source_id: int, rows: list[tuple[str, int]]) -> None:
    """The supplier's inventory file stating each (SKU, quantity), imported by the real job."""
    upload(client, source_id, csv_bytes([[sku, "Mug", "", "4.00", quantity] for sku, quantity in rows]))
    work(app, redis)


def test_stock_routed_earlier_stays_reserved_until_the_supplier_states_the_item_again(
    app, redis, client, channel, sandbox
):
    add_variant(channel, "MUG-1")
    supplier_id = add_source(client, "Good Supply", compliant=True)
    supplier_upload(client, app, redis, supplier_id, [("MUG-1", 1), ("CUP-1", 5)])
    first = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    assert routed_sources(order_of(channel, first)) == {"MUG-1": supplier_id}

    second = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    order = order_of(channel, second)
    assert order.routing_state == RoutingState.NEEDS_ATTENTION
    [entry] = order.attention
    assert "hold only 0 not already routed to other orders (Good Supply: 1 in stock)" in entry["message"]
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Good Supply (0 available, fewer than ordered)" in page

    # A file that leaves MUG-1 out says nothing about it: the first order still holds the unit.
    supplier_upload(client, app, redis, supplier_id, [("CUP-1", 4)])
    client.post(f"/orders/{order.id}/route")
    assert order_of(channel, second).routing_state == RoutingState.NEEDS_ATTENTION

    # The supplier states MUG-1 again, even with the same figure: that accounts for every order before it.
    supplier_upload(client, app, redis, supplier_id, [("MUG-1", 1)])
    client.post(f"/orders/{order.id}/route")
    assert routed_sources(order_of(channel, second)) == {"MUG-1": supplier_id}
    assert order_of(channel, second).routing_state == RoutingState.ROUTED


def test_a_cancelled_order_gives_its_reserved_stock_back(app, redis, channel, sandbox):
    add_variant(channel, "MUG-1")
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(supplier, "MUG-1", 1)
    first = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    amazon_change(sandbox, first, "cancel")

    second = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)

    assert order_of(channel, first).status == "CANCELLED"
    assert routed_sources(order_of(channel, second)) == {"MUG-1": supplier.id}


def test_two_channels_routing_at_once_take_the_last_unit_once(app, channel, sandbox):
    second_channel = Channel(
        account_id=channel.account_id,
        connection_id=channel.connection_id,
        name="Amazon US, second store",
        marketplace_id=channel.marketplace_id,
    )
    db.session.add(second_channel)
    db.session.flush()
    add_defaults(second_channel)
    db.session.commit()
    for each in (channel, second_channel):
        add_variant(each, "MUG-1")
    stock(make_source(channel.account_id, "Good Supply", compliant=True), "MUG-1", 1)
    # Both channels read the same seller, so each imports its own copy of this order.
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])

    run_concurrently(app, [queued_run(channel), queued_run(second_channel)])

    states = sorted(order_of(each, amazon_id).routing_state for each in (channel, second_channel))
    assert states == sorted([RoutingState.NEEDS_ATTENTION.value, RoutingState.ROUTED.value])


def test_get_orders_routes_waiting_orders_again_once_stock_arrives_oldest_first(app, redis, channel, sandbox):
    add_variant(channel, "MUG-1")
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    waiting = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    get_orders(app, redis, channel)
    assert order_of(channel, waiting).routing_state == RoutingState.NEEDS_ATTENTION

    stock(supplier, "MUG-1", 1)  # the supplier's upload: one unit
    newer = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 1}])
    run = get_orders(app, redis, channel)

    assert routed_sources(order_of(channel, waiting)) == {"MUG-1": supplier.id}
    assert order_of(channel, waiting).attention == []
    assert order_of(channel, newer).routing_state == RoutingState.NEEDS_ATTENTION, (
        "the unit went to the older"
    )
    assert run.counts["routed_again"] == 1
    [info] = [n for n in notes(run.id, "info") if n.code == "routed_again"]
    assert info.message == "1 order that needed a source could be routed now."
    assert [n.reference for n in notes(run.id, "warning") if n.code == "no_eligible_source"].count(
        waiting
    ) == 0


def test_routing_by_hand_to_a_source_short_of_stock_is_allowed_with_a_caution(
    app, redis, client, channel, sandbox
):
    add_variant(channel, "MUG-1")
    short = make_source(channel.account_id, "Short Supply", compliant=True)
    stock(short, "MUG-1", 1)
    elsewhere = make_source(channel.account_id, "Other Supply", compliant=True)
    amazon_id = place_order(sandbox, items=[{"sku": "MUG-1", "quantity": 3}])
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)

    reroute(client, order, short.id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert routed_sources(order) == {"MUG-1": short.id}
    assert "Short Supply has only 1 of SKU MUG-1 available for new orders (3 ordered)" in page
    reroute(client, order, elsewhere.id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Other Supply does not list SKU MUG-1 in its inventory" in page


def test_routing_by_hand_says_what_still_keeps_the_order_waiting(app, redis, client, channel, sandbox):
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    amazon_id = place_order(sandbox, items=[{"sku": "NOT-LISTED-9", "quantity": 1}])
    get_orders(app, redis, channel)
    order = order_of(channel, amazon_id)

    reroute(client, order, supplier.id)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert order_of(channel, amazon_id).needs_attention
    assert "The order still needs attention: SKU “NOT-LISTED-9” is not a listing" in page
