"""Views: channels list, create and edit (htmx forms), channel page with its integrations, delete."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import abort, flash, render_template, request, url_for
from flask_login import login_required

from webapp.amazon.marketplaces import MARKETPLACES
from webapp.channels import bp
from webapp.channels.deletion import channel_contents, name_confirmed
from webapp.channels.forms import ChannelForm, schedule_data
from webapp.extensions import db
from webapp.htmx import hx_redirect, render
from webapp.models import Channel, RunKind
from webapp.runs.starting import start_and_show
from webapp.services.channels import (
    FBA_CENTERS,
    FBM,
    IMPORT_MODE_LABELS,
    REGION_NAMES,
    account_connections,
    channel_run_count,
    create_channel,
    delete_channel,
    fulfillment_label,
    integration_states,
    order_status_label,
    owned_connection,
    save_channel,
)
from webapp.services.schedules import channel_schedules
from webapp.services.shipping_mappings import policy_by_level
from webapp.tenancy import current_account_id, get_owned_or_404, scoped


def _form_response(form: ChannelForm, heading: str, action: str, has_connections: bool):
    """The form page, or just the form for htmx; 422 when a submitted form did not validate."""
    return render(
        "channels/form.html",
        "channels/partials/_form.html",
        status=422 if form.is_submitted() else 200,
        form=form,
        heading=heading,
        action=action,
        has_connections=has_connections,
    )


def _detail_context(channel: Channel) -> dict:
    marketplace = MARKETPLACES.get(channel.marketplace_id)
    return {
        "channel": channel,
        "marketplace": marketplace,
        "region_name": REGION_NAMES.get(marketplace.region, "") if marketplace else "",
        "fulfillment": fulfillment_label(channel.fulfillment_channel),
        "import_mode": IMPORT_MODE_LABELS.get(channel.import_mode, channel.import_mode),
        "statuses": [order_status_label(s) for s in channel.order_statuses],
        "integrations": integration_states(channel),
        "has_shipping_mappings": bool(policy_by_level(channel.id)),
    }


@bp.get("/")
@login_required
def index():
    """The account's channels, or what to do first."""
    channels = db.session.scalars(
        scoped(Channel).options(so.selectinload(Channel.connection)).order_by(Channel.name, Channel.id)
    ).all()
    return render_template(
        "channels/index.html",
        channels=channels,
        marketplaces=MARKETPLACES,
        has_connections=bool(account_connections()),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Create a channel on one of the account's connections."""
    connections = account_connections()
    form = ChannelForm()
    form.prepare(connections)
    if form.validate_on_submit():
        channel = create_channel(current_account_id(), form.settings())
        flash(f"Channel {channel.name} created.", "success")
        return hx_redirect(url_for("channels.detail", channel_id=channel.id))
    return _form_response(form, "New channel", url_for("channels.create"), bool(connections))


@bp.get("/marketplace-fields")
@login_required
def marketplace_fields():
    """Marketplace and fulfilment fields for the chosen connection's region (swapped in by htmx).

    The marketplace becomes the connection's own; FBA stays FBA, through the new region's center.
    """
    connection = owned_connection(request.args.get("connection_id", type=int))
    if connection is None:
        abort(404)
    was_fba = request.args.get("fulfillment_channel", FBM) != FBM
    form = ChannelForm(
        formdata=None,
        connection_id=connection.id,
        fulfillment_channel=FBA_CENTERS[connection.region] if was_fba else FBM,
    )
    form.prepare(account_connections())
    return render_template("channels/partials/_marketplace_fields.html", form=form)


@bp.get("/<int:channel_id>")
@login_required
def detail(channel_id: int):
    """The channel: settings, connection health, and each integration's last and next run."""
    channel = get_owned_or_404(Channel, channel_id)
    return render_template("channels/detail.html", **_detail_context(channel))


@bp.get("/<int:channel_id>/integrations")
@login_required
def integrations(channel_id: int):
    """The integrations table, polled while one of its runs is active."""
    channel = get_owned_or_404(Channel, channel_id)
    return render("channels/detail.html", "channels/partials/_integrations.html", **_detail_context(channel))


@bp.post("/<int:channel_id>/import-listings")
@login_required
def import_listings(channel_id: int):
    """Start Import listings on the channel (manual only) and show its run, or the one already running."""
    return start_and_show(get_owned_or_404(Channel, channel_id), RunKind.IMPORT_LISTINGS, "Import listings")


@bp.route("/<int:channel_id>/edit", methods=["GET", "POST"])
@login_required
def edit(channel_id: int):
    """Edit a channel's settings and schedules."""
    channel = get_owned_or_404(Channel, channel_id)
    connections = account_connections()
    form = ChannelForm(obj=channel, channel=channel, **schedule_data(channel_schedules(channel)))
    form.prepare(connections)
    if form.validate_on_submit():
        save_channel(channel, form.settings())
        flash(f"Channel {channel.name} saved.", "success")
        return hx_redirect(url_for("channels.detail", channel_id=channel.id))
    return _form_response(
        form,
        f"Edit {channel.name}",
        url_for("channels.edit", channel_id=channel.id),
        bool(connections),
    )


@bp.get("/<int:channel_id>/delete")
@login_required
def confirm_delete(channel_id: int):
    """Ask before deleting, counting the listings, orders and shipments that go with the channel."""
    channel = get_owned_or_404(Channel, channel_id)
    return render_template(
        "channels/delete.html",
        channel=channel,
        contents=channel_contents(channel),
        run_count=channel_run_count(channel),
    )


@bp.post("/<int:channel_id>/delete")
@login_required
def delete(channel_id: int):
    """Delete the channel with everything it holds (its runs stay in the history).

    A channel holding listings or orders is deleted only when its name was typed on the confirmation.
    """
    channel = get_owned_or_404(Channel, channel_id)
    contents = channel_contents(channel)
    if not name_confirmed(channel, contents, request.form.get("confirm_name")):
        flash(
            f"Nothing was deleted: type the channel name ({channel.name}) exactly to confirm.",
            "error",
        )
        return hx_redirect(url_for("channels.confirm_delete", channel_id=channel.id))
    name = channel.name
    delete_channel(channel)
    flash(
        f"Channel {name} deleted with its {contents.listings} listing{'s' if contents.listings != 1 else ''}"
        f" and {contents.orders} order{'s' if contents.orders != 1 else ''}."
        " Its past runs stay in the run history.",
        "success",
    )
    return hx_redirect(url_for("channels.index"))
