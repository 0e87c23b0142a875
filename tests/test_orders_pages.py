"""The orders pages: the table (search by order id, SKU or exact buyer name; filters; ship-by badges;
sort and pages; htmx partial vs page; the empty state), Get Orders / Sync Orders buttons, the order page
(header, attention, items, address or "Redacted", shipments panel), and 404s for another account's ids."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import csrf_token_from
from tests.listings_support import account_id_of, add_variant, make_channel, other_account, runs_of
from tests.order_routing_support import make_source, stock
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import (
    AttentionCode,
    Channel,
    FulfilledBy,
    Order,
    OrderItem,
    OrderSyncState,
    RoutingState,
    RunKind,
    ShippingMapping,
)
from webapp.services.order_import import buyer_name_digest
from webapp.timeutil import utcnow

HX = {"HX-Request": "true"}


@pytest.fixture
def app_config(app_config):
    """Small pages, so pagination shows with a handful of rows."""
    return {**app_config, "PER_PAGE": 3}


def make_order(channel: Channel, amazon_id: str, items=(("MUG-1", 1),), **fields) -> Order:
    """An order on ``channel`` with ``items`` (``(sku, quantity)`` pairs); ``fields`` override defaults."""
    now = utcnow()
    buyer = fields.pop("buyer_name", "Jane Q. Buyer")
    values = {
        "status": "UNSHIPPED",
        "fulfilled_by": FulfilledBy.MERCHANT.value,
        "purchased_at": now - timedelta(hours=2),
        "amazon_updated_at": now - timedelta(hours=1),
        "ship_by_latest": now + timedelta(days=3),
        "buyer_name": buyer,
        "buyer_name_digest": buyer_name_digest(buyer),
        "buyer_email": "jane@marketplace.example",
        "recipient_name": "Jane Buyer",
        "address_line1": "12 Secret Lane",
        "city": "Seattle",
        "state_or_region": "WA",
        "postal_code": "98101",
        "country_code": "US",
        "order_total": Decimal("25.00"),
        "currency": "USD",
        **fields,
    }
    order = Order(account_id=channel.account_id, channel_id=channel.id, amazon_order_id=amazon_id, **values)
    db.session.add(order)
    db.session.flush()
    for n, (sku, quantity) in enumerate(items):
        db.session.add(
            OrderItem(
                account_id=channel.account_id,
                order_id=order.id,
                amazon_order_item_id=f"{amazon_id}-{n}",
                sku=sku,
                title=f"Title of {sku}",
                quantity_ordered=quantity,
            )
        )
    db.session.commit()
    return order


@pytest.fixture
def channel(auth) -> Channel:
    """The signed-in seller's channel."""
    auth.register()
    return make_channel(account_id_of())


@pytest.fixture
def orders(channel) -> dict[str, Order]:
    """Five orders of the seller: overdue, at risk, later, shipped long ago, and FBA overdue."""
    now = utcnow()
    return {
        "overdue": make_order(
            channel,
            "111-0000001-0000001",
            items=(("MUG-RED", 2),),
            ship_by_latest=now - timedelta(hours=3),
            purchased_at=now - timedelta(days=3),
        ),
        "at_risk": make_order(
            channel,
            "111-0000002-0000002",
            items=(("PLATE-1", 1), ("MUG-BLUE", 1)),
            ship_by_latest=now + timedelta(hours=5),
            purchased_at=now - timedelta(days=2),
            buyer_name="Max Mustermann",
            routing_state=RoutingState.ROUTED.value,
        ),
        "later": make_order(
            channel,
            "222-0000003-0000003",
            items=(("BOWL-1", 1),),
            ship_by_latest=now + timedelta(days=4),
            purchased_at=now - timedelta(days=1),
            sync_state=OrderSyncState.PENDING.value,
        ),
        "shipped": make_order(
            channel,
            "222-0000004-0000004",
            items=(("SPOON-1", 1),),
            status="SHIPPED",
            ship_by_latest=now - timedelta(days=9),
            purchased_at=now - timedelta(days=10),
            routing_state=RoutingState.NOT_APPLICABLE.value,
        ),
        "fba": make_order(
            channel,
            "333-0000005-0000005",
            items=(("CUP-9", 1),),
            fulfilled_by=FulfilledBy.AMAZON.value,
            ship_by_latest=now - timedelta(hours=1),
            purchased_at=now - timedelta(hours=5),
            routing_state=RoutingState.NOT_APPLICABLE.value,
            sync_state=OrderSyncState.NOT_APPLICABLE.value,
        ),
    }


def order_ids(html: str) -> list[str]:
    """The Amazon order ids of the table rows, in order."""
    return re.findall(r'class="reference">(\d{3}-\d{7}-\d{7})</a>', html)


def table(client, query: str = "", htmx: bool = True) -> str:
    response = client.get(f"/orders/?{query}", headers=HX if htmx else {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_without_orders_the_page_says_to_set_shipping_mappings_and_run_get_orders(client, channel):
    html = table(client, htmx=False)

    assert "No orders yet." in html
    assert "shipping mappings" in html and "Get Orders" in html
    assert f"/channels/{channel.id}/shipping-mappings" in html
    assert "No shipping mappings: Get Orders will refuse" in html


def test_a_channel_with_mappings_is_not_warned_about_them(client, channel):
    db.session.add(
        ShippingMapping(
            account_id=channel.account_id,
            channel_id=channel.id,
            service_level="STANDARD",
            shipping_policy="Std",
        )
    )
    db.session.commit()

    assert "No shipping mappings" not in table(client, htmx=False)


def test_table_shows_newest_orders_first_and_pages(client, orders):
    first = table(client)
    second = table(client, "page=2")

    assert order_ids(first) == [
        orders["fba"].amazon_order_id,
        orders["later"].amazon_order_id,
        orders["at_risk"].amazon_order_id,
    ]
    assert order_ids(second) == [orders["overdue"].amazon_order_id, orders["shipped"].amazon_order_id]
    assert "Page 1 of 2" in first and "5 orders" in first


def test_sorting_by_ship_by_puts_the_most_urgent_first(client, orders):
    default = table(client)
    html = table(client, "sort=ship_by&direction=asc")

    assert 'href="/orders/?sort=ship_by&amp;direction=asc"' in default  # a first click: most urgent first

    assert order_ids(html) == [
        orders["shipped"].amazon_order_id,
        orders["overdue"].amazon_order_id,
        orders["fba"].amazon_order_id,
    ]


def test_htmx_gets_the_table_partial_and_a_plain_request_the_whole_page(client, orders):
    partial = table(client, "status=SHIPPED")
    page = table(client, "status=SHIPPED", htmx=False)

    assert partial.lstrip().startswith('<div id="order-table">') and "<html" not in partial
    assert "<html" in page and 'id="order-filters"' in page
    assert order_ids(partial) == order_ids(page) == [orders["shipped"].amazon_order_id]


def test_search_finds_orders_by_order_id_prefix(client, orders):
    assert sorted(order_ids(table(client, "q=222-"))) == sorted(
        [orders["later"].amazon_order_id, orders["shipped"].amazon_order_id]
    )
    assert order_ids(table(client, "q=111-0000002-0000002")) == [orders["at_risk"].amazon_order_id]


def test_search_finds_orders_by_sku_of_any_item(client, orders):
    assert order_ids(table(client, "q=MUG-BLUE")) == [orders["at_risk"].amazon_order_id]
    assert sorted(order_ids(table(client, "q=MUG-"))) == sorted(
        [orders["overdue"].amazon_order_id, orders["at_risk"].amazon_order_id]
    )


def test_search_finds_a_buyer_by_exact_name_only(client, orders):
    assert order_ids(table(client, "q=max  MUSTERMANN")) == [orders["at_risk"].amazon_order_id]
    assert order_ids(table(client, "q=Mustermann")) == []


def test_a_search_wildcard_is_searched_for_as_itself(client, orders):
    assert order_ids(table(client, "q=%25")) == []
    assert order_ids(table(client, "q=MUG_RED")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=SHIPPED", ["shipped"]),
        ("routing=routed", ["at_risk"]),
        ("sync=pending", ["later"]),
        ("sync=not_applicable", ["fba"]),
        ("ship_by=overdue", ["overdue"]),
        ("ship_by=at_risk", ["at_risk"]),
        ("ship_by=later", ["later"]),
    ],
)
def test_filters_narrow_the_table(client, orders, query, expected):
    assert sorted(order_ids(table(client, query))) == sorted(orders[k].amazon_order_id for k in expected)


def test_the_channel_filter_shows_one_channel(client, channel, orders):
    other = make_channel(channel.account_id, name="Amazon CA")
    mine = make_order(other, "444-0000006-0000006")

    assert order_ids(table(client, f"channel_id={other.id}")) == [mine.amazon_order_id]
    assert len(order_ids(table(client, f"channel_id={channel.id}&sort=order"))) == 3  # first page


def test_the_attention_filter_shows_orders_that_need_the_seller(client, channel, orders):
    flagged = make_order(channel, "555-0000007-0000007", needs_attention=True, attention=[])

    assert order_ids(table(client, "attention=1")) == [flagged.amazon_order_id]


def test_unknown_filter_values_mean_all(client, orders):
    assert "5 orders" in table(client, "status=NOPE&routing=x&ship_by=tomorrow&sort=drop+table")


def test_overdue_and_at_risk_badges_mark_open_merchant_orders_only(client, orders):
    html = table(client, "sort=ship_by&direction=asc&page=1")
    rows = {m[0]: m[1] for m in re.findall(r'<tr id="order-row-(\d+)">(.*?)</tr>', html, re.S)}

    assert "Overdue" in rows[str(orders["overdue"].id)]
    assert "Overdue" not in rows[str(orders["shipped"].id)]  # closed
    assert "Overdue" not in rows[str(orders["fba"].id)]  # Amazon ships it
    at_risk = table(client, "ship_by=at_risk")
    assert "At risk" in at_risk and "Overdue" not in at_risk
    assert "At risk" not in table(client, "ship_by=later") and "Overdue" not in table(client, "ship_by=later")


def test_get_orders_and_sync_orders_buttons_start_runs_on_the_channel(client, channel):
    got = client.post(f"/orders/channels/{channel.id}/get-orders")
    synced = client.post(f"/orders/channels/{channel.id}/sync-orders", headers=HX)

    [get_run] = runs_of(RunKind.GET_ORDERS)
    [sync_run] = runs_of(RunKind.SYNC_ORDERS)
    assert got.status_code == 302 and got.headers["Location"] == f"/runs/{get_run.id}"
    assert synced.status_code == 204 and synced.headers["HX-Redirect"] == f"/runs/{sync_run.id}"
    assert get_run.channel_id == sync_run.channel_id == channel.id
    assert get_run.created_by_id == user_by_email().id


def test_a_second_click_shows_the_run_already_going(client, channel):
    client.post(f"/orders/channels/{channel.id}/get-orders")
    again = client.post(f"/orders/channels/{channel.id}/get-orders", follow_redirects=True)

    assert len(runs_of(RunKind.GET_ORDERS)) == 1
    assert "Get Orders is already running on Amazon US" in again.get_data(as_text=True)


def test_the_run_buttons_need_a_csrf_token(app, client, channel):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/orders/").get_data(as_text=True)

    refused = client.post(f"/orders/channels/{channel.id}/get-orders")
    accepted = client.post(
        f"/orders/channels/{channel.id}/get-orders", headers={"X-CSRFToken": csrf_token_from(page)}
    )

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert len(runs_of(RunKind.GET_ORDERS)) == 1


def detail(client, order: Order) -> str:
    response = client.get(f"/orders/{order.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_order_page_shows_header_items_routing_address_and_shipments(client, channel):
    variant = add_variant(channel, "MUG-RED")
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    order = make_order(
        channel,
        "111-0000009-0000009",
        items=(("MUG-RED", 2), ("GONE-SKU", 1)),
        ship_by_latest=utcnow() + timedelta(hours=2),
        service_level="EXPEDITED",
        shipping_policy="Expedited",
        routing_state=RoutingState.NEEDS_ATTENTION.value,
        needs_attention=True,
        attention=[
            {
                "code": AttentionCode.NO_ELIGIBLE_SOURCE.value,
                "reference": "GONE-SKU",
                "message": "Order 111-0000009-0000009 needs attention: no source has SKU “GONE-SKU”.",
                "help": "Add SKU GONE-SKU with its stock to a source marked compliant.",
            }
        ],
    )
    first, second = order.items
    first.listing_variant_id, first.routed_source_id = variant.id, supplier.id
    db.session.commit()

    html = detail(client, order)

    assert "Order 111-0000009-0000009" in html and "At risk" in html
    assert "Unshipped" in html and "Amazon US" in html and "Expedited" in html and "25.00 USD" in html
    assert "Needs attention" in html and "no source has SKU “GONE-SKU”" in html
    assert "Add SKU GONE-SKU with its stock" in html
    assert f"/channels/{channel.id}/listings/{variant.listing_id}#variant-{variant.id}" in html
    assert f'href="/sources/{supplier.id}">Good Supply</a>' in html
    assert "GONE-SKU" in html and "(no listing)" in html and "Not routed" in html
    assert "Jane Buyer" in html and "12 Secret Lane" in html and "jane@marketplace.example" in html
    assert "Seattle" in html and "98101" in html
    assert '<section id="shipments"' in html
    assert "Route again" in html


def test_a_redacted_order_shows_redacted_and_keeps_the_city(client, channel):
    order = make_order(
        channel,
        "111-0000010-0000010",
        status="SHIPPED",
        buyer_name=None,
        buyer_email=None,
        recipient_name=None,
        address_line1=None,
        redacted_at=utcnow(),
        routing_state=RoutingState.NOT_APPLICABLE.value,
    )

    html = detail(client, order)
    listed = table(client)

    assert "Redacted" in html and "Seattle" in html and "WA" in html and "98101" in html
    assert "12 Secret Lane" not in html and "jane@marketplace.example" not in html
    assert "Route again" not in html
    assert "Redacted" in listed


def test_the_reroute_form_offers_compliant_sources_with_their_stock(client, channel):
    good = make_source(channel.account_id, "Good Supply", compliant=True)
    stock(good, "MUG-1", 7)
    empty = make_source(channel.account_id, "Empty Supply", compliant=True)
    stock(make_source(channel.account_id, "Bad Supply", compliant=False), "MUG-1", 99)
    order = make_order(channel, "111-0000011-0000011", items=(("MUG-1", 2),))

    html = detail(client, order)

    assert f'<option value="{good.id}"' in html and "Good Supply (7 available)" in html
    assert f'<option value="{empty.id}"' in html and "does not stock this SKU" in html
    assert "Bad Supply" not in html
    assert html.index("Good Supply (7") < html.index("Empty Supply (")


def test_viewing_an_order_logs_no_buyer_data(client, channel, caplog):
    caplog.set_level(logging.DEBUG)
    order = make_order(channel, "111-0000012-0000012")

    detail(client, order)
    table(client, "q=Jane+Q.+Buyer")

    for secret in ("Jane Q. Buyer", "Jane Buyer", "12 Secret Lane", "jane@marketplace.example"):
        assert secret not in caplog.text


@pytest.fixture
def foreign_order() -> Order:
    """An order of another account (no user of it is signed in)."""
    account = other_account()
    return make_order(make_channel(account.id, name="Their US"), "999-0000013-0000013")


def test_another_accounts_order_ids_answer_404_on_every_order_route(client, channel, foreign_order):
    mine = make_source(channel.account_id, "Good Supply", compliant=True)
    item = foreign_order.items[0]

    responses = [
        client.get(f"/orders/{foreign_order.id}"),
        client.post(f"/orders/{foreign_order.id}/route"),
        client.post(f"/orders/{foreign_order.id}/items/{item.id}/route", data={"source_id": mine.id}),
        client.post(f"/orders/channels/{foreign_order.channel_id}/get-orders"),
        client.post(f"/orders/channels/{foreign_order.channel_id}/sync-orders"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    db.session.rollback()
    assert db.session.get(OrderItem, item.id).routed_source_id is None
    assert runs_of(RunKind.GET_ORDERS) == [] and runs_of(RunKind.SYNC_ORDERS) == []


def test_another_accounts_orders_never_show_in_the_table_or_its_search(client, channel, foreign_order):
    mine = make_order(channel, "111-0000016-0000016")  # the same buyer name as the foreign order

    assert order_ids(table(client)) == [mine.amazon_order_id]
    assert order_ids(table(client, "q=999-")) == []
    assert order_ids(table(client, "q=Jane+Q.+Buyer")) == [mine.amazon_order_id]


def test_an_item_of_another_order_answers_404(client, channel):
    supplier = make_source(channel.account_id, "Good Supply", compliant=True)
    first = make_order(channel, "111-0000014-0000014")
    second = make_order(channel, "111-0000015-0000015")

    response = client.post(
        f"/orders/{first.id}/items/{second.items[0].id}/route", data={"source_id": supplier.id}
    )

    assert response.status_code == 404
