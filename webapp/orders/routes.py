"""Views: the orders table (search, filters, sort, pages; state in the URL), Get Orders and Sync Orders
per channel, the order page, and routing an order or one of its items by hand.

Every order, item, channel and source is loaded within the signed-in account: another account's ids
answer 404 (``webapp.tenancy``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, render_template, request, url_for
from flask_login import login_required

from webapp.extensions import db
from webapp.htmx import hx_redirect, render
from webapp.models import Channel, ListingVariant, Order, OrderItem, RunKind, ShippingMapping, Source
from webapp.orders import bp
from webapp.orders.forms import OrderFilterForm
from webapp.orders.labels import ROUTING_LABELS, STATE_CLASSES, STATUS_LABELS, SYNC_LABELS
from webapp.orders.selection import filtered_orders, ordered, ship_by_state
from webapp.pagination import paginate
from webapp.runs.starting import start_and_show
from webapp.services.listings import account_channels
from webapp.services.order_routing import (
    RoutingRefused,
    compliant_sources,
    is_routable,
    reroute_item,
    route_order,
)
from webapp.tenancy import current_account_id, get_owned_or_404, scoped
from webapp.timeutil import utcnow

# What the page templates need to name states (one place, so the table and the order page agree).
LABELS = {
    "status_labels": STATUS_LABELS,
    "routing_labels": ROUTING_LABELS,
    "sync_labels": SYNC_LABELS,
    "state_classes": STATE_CLASSES,
}


def _mapped_channel_ids(account_id: int) -> set[int]:
    """Channels with at least one shipping mapping (Get Orders refuses the others)."""
    return set(
        db.session.scalars(
            sa.select(ShippingMapping.channel_id).where(ShippingMapping.account_id == account_id).distinct()
        )
    )


@bp.get("/")
@login_required
def index():
    """The account's orders; htmx requests get the table partial, every URL a full page."""
    account_id = current_account_id()
    channels = account_channels(account_id)
    form = OrderFilterForm(request.args, meta={"csrf": False})
    form.set_channels(channels)
    filters = form.filters()
    now = utcnow()
    query = ordered(filtered_orders(account_id, filters, now), filters).options(so.selectinload(Order.items))
    orders = paginate(query)
    has_orders = bool(orders.items) or (
        db.session.scalar(scoped(Order).with_only_columns(Order.id).limit(1)) is not None
    )
    return render(
        "orders/index.html",
        "orders/partials/_table.html",
        form=form,
        filters=filters,
        orders=orders,
        has_orders=has_orders,
        channels=channels,
        channel_names={c.id: c.name for c in channels},
        mapped=_mapped_channel_ids(account_id),
        now=now,
        ship_by_state=ship_by_state,
        **LABELS,
    )


def _start(channel_id: int, kind: RunKind, name: str):
    """Start ``kind`` on one of the account's channels (another account's id is a 404)."""
    return start_and_show(get_owned_or_404(Channel, channel_id), kind, name)


@bp.post("/channels/<int:channel_id>/get-orders")
@login_required
def get_orders(channel_id: int):
    """Start Get Orders on the channel."""
    return _start(channel_id, RunKind.GET_ORDERS, "Get Orders")


@bp.post("/channels/<int:channel_id>/sync-orders")
@login_required
def sync_orders(channel_id: int):
    """Start Sync Orders (send entered tracking to Amazon) on the channel."""
    return _start(channel_id, RunKind.SYNC_ORDERS, "Sync Orders")


def _variant_listings(items: list[OrderItem]) -> dict[int, int]:
    """``{variant id: listing id}`` of the items' variants (the variant link needs its listing)."""
    ids = {item.listing_variant_id for item in items if item.listing_variant_id}
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(ListingVariant.id, ListingVariant.listing_id).where(
                ListingVariant.account_id == current_account_id(), ListingVariant.id.in_(ids)
            )
        ).all()
    )


def _sources_by_id(items: list[OrderItem]) -> dict[int, Source]:
    ids = {item.routed_source_id for item in items if item.routed_source_id}
    if not ids:
        return {}
    return {source.id: source for source in db.session.scalars(scoped(Source).where(Source.id.in_(ids)))}


@bp.get("/<int:order_id>")
@login_required
def detail(order_id: int):
    """An order: its state, what needs attention, its items with their sources, address, shipments."""
    order = get_owned_or_404(Order, order_id)
    account_id = current_account_id()
    routable = is_routable(order)
    choices = {item.id: compliant_sources(account_id, item) for item in order.items} if routable else {}
    return render_template(
        "orders/detail.html",
        order=order,
        channel=db.session.get(Channel, order.channel_id),
        listings=_variant_listings(order.items),
        sources=_sources_by_id(order.items),
        choices=choices,
        routable=routable,
        badge=ship_by_state(order, utcnow()),
        **LABELS,
    )


@bp.post("/<int:order_id>/route")
@login_required
def route(order_id: int):
    """Route the order again: items without a source (or whose source is no longer compliant)."""
    order = get_owned_or_404(Order, order_id)
    back = url_for("orders.detail", order_id=order.id)
    try:
        result = route_order(order)
    except RoutingRefused as refused:
        flash(str(refused), "error")
        return hx_redirect(back)
    db.session.commit()
    if result.news:
        flash("Some items still have no compliant source with enough stock: see what to do below.", "warning")
    else:
        flash(f"Order {order.amazon_order_id} is routed.", "success")
    return hx_redirect(back)


@bp.post("/<int:order_id>/items/<int:item_id>/route")
@login_required
def reroute(order_id: int, item_id: int):
    """Route one item to the source the seller chose (a compliant source of the account only)."""
    order = get_owned_or_404(Order, order_id)
    item = next((i for i in order.items if i.id == item_id), None)
    if item is None:
        abort(404)
    source_id = request.form.get("source_id", type=int)
    if source_id is None:
        abort(400)
    source = get_owned_or_404(Source, source_id)
    back = url_for("orders.detail", order_id=order.id)
    try:
        cautions = reroute_item(order, item, source)
    except RoutingRefused as refused:
        flash(str(refused), "error")
        return hx_redirect(back)
    db.session.commit()
    flash(f"SKU {item.sku} is routed to {source.name}.", "success")
    for caution in cautions:
        flash(caution, "warning")
    return hx_redirect(back)
