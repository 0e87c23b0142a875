"""Views: the channel's shipping mappings (list, add, the defaults, edit a row, delete a row).

Every view loads the channel through ``get_owned_or_404`` and a mapping only within that channel and
account, so another account's ids answer 404. htmx requests get the editor (or one row) back; plain
form posts are redirected to the page. CSRF: the global ``CSRFProtect`` (htmx sends the header).
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.extensions import db
from webapp.htmx import is_htmx, render
from webapp.models import Channel, ShippingMapping
from webapp.models.order import SERVICE_LEVELS
from webapp.services.shipping_mappings import (
    DEFAULT_MAPPINGS,
    SERVICE_LEVEL_LABELS,
    MappingError,
    add_defaults,
    add_mapping,
    channel_mappings,
    level_label,
    update_mapping,
)
from webapp.shipping import bp
from webapp.tenancy import get_owned_or_404, scoped


def _owned_mapping(channel: Channel, mapping_id: int) -> ShippingMapping:
    mapping = db.session.scalar(
        scoped(ShippingMapping).where(
            ShippingMapping.id == mapping_id, ShippingMapping.channel_id == channel.id
        )
    )
    if mapping is None:
        abort(404)
    return mapping


def _context(channel: Channel, **extra) -> dict:
    return {
        "channel": channel,
        "mappings": channel_mappings(channel.id),
        "levels": SERVICE_LEVELS,
        "level_label": level_label,
        "seed_labels": SERVICE_LEVEL_LABELS,
        "defaults": DEFAULT_MAPPINGS,
        "new_error": "",
        "new_values": {},
        **extra,
    }


def _editor(channel: Channel, status: int = 200, **extra):
    """The editor for htmx; for a plain post, the page on errors and a redirect on success."""
    if not is_htmx() and request.method == "POST" and status == 200:
        return redirect(url_for("shipping.index", channel_id=channel.id))
    return render(
        "shipping/index.html", "shipping/partials/_editor.html", status=status, **_context(channel, **extra)
    )


@bp.get("")
@login_required
def index(channel_id: int):
    """The channel's mappings, with a way to add the defaults while there are none."""
    return _editor(get_owned_or_404(Channel, channel_id))


@bp.post("")
@login_required
def create(channel_id: int):
    """Add one mapping; 422 with the reason on the new row when it cannot be saved."""
    channel = get_owned_or_404(Channel, channel_id)
    level, policy = request.form.get("service_level", ""), request.form.get("shipping_policy", "")
    try:
        add_mapping(channel, level, policy)
    except MappingError as error:
        db.session.rollback()
        return _editor(
            channel, 422, new_error=str(error), new_values={"service_level": level, "shipping_policy": policy}
        )
    db.session.commit()
    return _editor(channel)


@bp.post("/defaults")
@login_required
def defaults(channel_id: int):
    """Add the default mappings the channel does not have yet."""
    channel = get_owned_or_404(Channel, channel_id)
    add_defaults(channel)
    db.session.commit()
    return _editor(channel)


@bp.post("/<int:mapping_id>")
@login_required
def update(channel_id: int, mapping_id: int):
    """Save one row; htmx gets the row back (422 with the reason when it cannot be saved)."""
    channel = get_owned_or_404(Channel, channel_id)
    mapping = _owned_mapping(channel, mapping_id)
    level = request.form.get("service_level", mapping.service_level)
    policy = request.form.get("shipping_policy", "")
    try:
        update_mapping(mapping, level, policy)
    except MappingError as error:
        db.session.rollback()
        if not is_htmx():
            return _editor(channel, 422)
        row = {"id": mapping.id, "service_level": level, "shipping_policy": policy}
        return (
            render_template(
                "shipping/partials/_row.html", row=row, error=str(error), saved=False, **_context(channel)
            ),
            422,
        )
    db.session.commit()
    if not is_htmx():
        return _editor(channel)
    return render_template(
        "shipping/partials/_row.html", row=mapping, error="", saved=True, **_context(channel)
    )


@bp.post("/<int:mapping_id>/delete")
@login_required
def delete(channel_id: int, mapping_id: int):
    """Remove one mapping."""
    channel = get_owned_or_404(Channel, channel_id)
    db.session.delete(_owned_mapping(channel, mapping_id))
    db.session.commit()
    return _editor(channel)
