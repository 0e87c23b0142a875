"""Views: a channel's listings table (search, filters, sort, pages; state in the URL), bulk action
confirmation and start, the listing page with each variant's issues and history, Build listings."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from webapp.htmx import hx_redirect, render
from webapp.inventory.forms import InventoryFilterForm
from webapp.listings import bp
from webapp.listings.forms import BuildListingsForm, BulkActionForm, ListingFilterForm
from webapp.models import Channel, ListingVariant, RunKind
from webapp.pagination import paginate, requested_page
from webapp.services.listings import (
    BULK_ACTIONS,
    VARIANT_ACTIONS,
    ActionUnavailable,
    account_channels,
    action_available,
    channel_listing,
    count_selected,
    describe,
    has_variants,
    history_query,
    item_selection,
    parse_selection,
    posted_selection,
    start_build,
    start_bulk_action,
    user_emails,
    variants_query,
)
from webapp.services.runs import StartResult
from webapp.services.sources import account_sources
from webapp.tenancy import current_account_id, get_owned_or_404


def _started(result: StartResult, what: str):
    """Go to the run page of a started run (or say which run is already doing it)."""
    if result.already_running:
        link = url_for("runs.detail", run_id=result.run.id)
        flash(
            Markup('{} is already running on this channel: <a href="{}">see run #{}</a>.').format(
                what, link, result.run.id
            ),
            "warning",
        )
    return hx_redirect(url_for("runs.detail", run_id=result.run.id))


@bp.get("/listings/")
@login_required
def choose():
    """The nav's Listings link: the only channel's listings, or a choice of channels."""
    channels = account_channels(current_account_id())
    if len(channels) == 1:
        return redirect(url_for("listings.index", channel_id=channels[0].id))
    return render_template("listings/choose.html", channels=channels)


@bp.get("/channels/<int:channel_id>/listings/")
@login_required
def index(channel_id: int):
    """The channel's variants table; htmx requests get the table partial, every URL a full page."""
    account_id = current_account_id()
    channel = get_owned_or_404(Channel, channel_id)
    form = ListingFilterForm(request.args, meta={"csrf": False})
    form.set_sources(account_sources(account_id))
    filters = form.filters()
    variants = paginate(variants_query(account_id, channel.id, filters))
    return render(
        "listings/index.html",
        "listings/partials/_table.html",
        channel=channel,
        channels=account_channels(account_id),
        form=form,
        filters=filters,
        variants=variants,
        has_variants=bool(variants.items) or has_variants(account_id, channel.id),
        actions=BULK_ACTIONS,
    )


@bp.post("/channels/<int:channel_id>/listings/confirm")
@login_required
def confirm(channel_id: int):
    """Say what the chosen bulk action will do to how many variants, with the button that runs it."""
    account_id = current_account_id()
    channel = get_owned_or_404(Channel, channel_id)
    name = request.form.get("action", "")
    action = BULK_ACTIONS.get(name)
    if action is None:
        abort(400)
    selection = posted_selection(
        request.form.get("all_matching") == "1", request.form.getlist("ids"), request.form.get("filter", "")
    )
    count = count_selected(account_id, channel.id, selection) if selection else 0
    form = BulkActionForm(formdata=None, action=name, selection=json.dumps(selection or {}))
    return render(
        "listings/confirm.html",
        "listings/partials/_confirm.html",
        channel=channel,
        action=action,
        name=name,
        count=count,
        sentence=describe(action, count, channel) if count else "",
        available=action_available(action),
        form=form,
    )


@bp.post("/channels/<int:channel_id>/listings/run")
@login_required
def run(channel_id: int):
    """Start the confirmed bulk action as a run and show its progress."""
    channel = get_owned_or_404(Channel, channel_id)
    form = BulkActionForm()
    selection = parse_selection(form.selection.data)
    back = url_for("listings.index", channel_id=channel.id)
    if not form.validate_on_submit() or selection is None:
        flash("That action could not be started: choose the variants and the action again.", "error")
        return hx_redirect(back)
    try:
        result = start_bulk_action(
            current_account_id(),
            channel,
            form.action.data,
            selection,
            user_id=current_user.id,
            dry_run=bool(form.dry_run.data),
        )
    except ActionUnavailable as problem:
        flash(str(problem), "error")
        return hx_redirect(back)
    return _started(result, BULK_ACTIONS[form.action.data].kind.label)


def _listing_or_404(channel_id: int, listing_id: int):
    channel = get_owned_or_404(Channel, channel_id)
    listing = channel_listing(current_account_id(), channel.id, listing_id)
    if listing is None:
        abort(404)
    return channel, listing


def _history(variant: ListingVariant, page: int = 1):
    return paginate(history_query(variant), page)


def _detail_context(channel: Channel, listing, pages: dict[int, int] | None = None) -> dict:
    pages = pages or {}
    histories = {v.id: _history(v, pages.get(v.id, 1)) for v in listing.variants}
    emails = user_emails([entry for h in histories.values() for entry in h.items])
    return {
        "channel": channel,
        "listing": listing,
        "histories": histories,
        "emails": emails,
        "variant_actions": {name: BULK_ACTIONS[name] for name in VARIANT_ACTIONS},
    }


@bp.get("/channels/<int:channel_id>/listings/<int:listing_id>")
@login_required
def detail(channel_id: int, listing_id: int):
    """A listing: parent fields, each variant with Amazon's issues, its actions and its history."""
    channel, listing = _listing_or_404(channel_id, listing_id)
    return render_template("listings/detail.html", **_detail_context(channel, listing))


@bp.get("/channels/<int:channel_id>/listings/<int:listing_id>/variants/<int:variant_id>/history")
@login_required
def history(channel_id: int, listing_id: int, variant_id: int):
    """One page of a variant's history (the listing page with that page, without htmx)."""
    channel, listing = _listing_or_404(channel_id, listing_id)
    variant = next((v for v in listing.variants if v.id == variant_id), None)
    if variant is None:
        abort(404)
    context = _detail_context(channel, listing, {variant.id: requested_page()})
    return render("listings/detail.html", "listings/partials/_history.html", variant=variant, **context)


@bp.post("/listings/build")
@login_required
def build():
    """Build listings on a channel from the inventory table's ticked items, or all matching its filter."""
    account_id = current_account_id()
    # Another account's channel id answers 404, like every other route (not a form error).
    channel = get_owned_or_404(Channel, request.form.get("channel_id", 0, type=int))
    form = BuildListingsForm()
    form.set_channels(account_channels(account_id))
    if not form.validate_on_submit():
        flash("Choose the channel to build listings on.", "error")
        return hx_redirect(url_for("inventory.index"))
    if form.all_matching.data:
        filters = InventoryFilterForm(request.form, meta={"csrf": False})
        filters.set_sources(account_sources(account_id))
        items = item_selection(filters=filters.filters())
    else:
        ids = [int(i) for i in request.form.getlist("item_ids") if i.isdigit()]
        if not ids:
            flash("Tick the items to build listings from, or choose all items matching the filter.", "error")
            return hx_redirect(url_for("inventory.index"))
        items = item_selection(ids=ids)
    result = start_build(account_id, channel, items, user_id=current_user.id)
    return _started(result, RunKind.BUILD_LISTINGS.label)
