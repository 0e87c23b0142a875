"""Views: add a package to an order, edit one, delete one Amazon has not accepted, and upload shipments
as CSV.

Orders and shipments are loaded through ``get_owned_or_404`` and a shipment only within its order, so
another account's ids answer 404. FBA orders and orders Amazon will not ship get no form (409 with the
reason). Deleting asks first (a confirmation page, then a POST). CSRF: the global ``CSRFProtect`` (forms
carry the token, htmx sends the header).
"""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.htmx import hx_redirect
from webapp.models import Order, Shipment, ShipmentSyncState
from webapp.services.carriers import OTHER, SHIPPING_METHODS
from webapp.services.csv_import.formats import UnreadableFile
from webapp.services.shipment_csv import import_shipments
from webapp.services.shipments import (
    NewShipment,
    ShipmentError,
    accepted_reason,
    add_shipment,
    can_add,
    delete_shipment,
    item_progress,
    refusal,
    remaining_quantities,
    update_shipment,
)
from webapp.shipments import bp
from webapp.shipments.forms import DeleteShipmentForm, ShipmentForm, ShipmentUploadForm, quantities_from
from webapp.tenancy import current_account_id, get_owned_or_404


def _owned_shipment(order: Order, shipment_id: int) -> Shipment:
    shipment = get_owned_or_404(Shipment, shipment_id)
    if shipment.order_id != order.id:
        abort(404)
    return shipment


def _refused(order: Order):
    return render_template("shipments/refused.html", order=order, reason=refusal(order)), 409


def _form_page(order: Order, form: ShipmentForm, shipment: Shipment | None, status: int = 200, **extra):
    context = {
        "order": order,
        "form": form,
        "shipment": shipment,
        "progress": item_progress(order),
        "methods": SHIPPING_METHODS,
        "other": OTHER,
        "quantities": {},
        "form_error": "",
        **extra,
    }
    return render_template("shipments/form.html", **context), status


@bp.app_template_global()
def shipment_panel_state(order: Order) -> dict:
    """What the shipments panel of the order page needs beyond ``order`` (used by ``_panel.html``)."""
    return {"can_add": can_add(order), "refusal": refusal(order)}


@bp.route("/<int:order_id>/shipments/new", methods=["GET", "POST"])
@login_required
def create(order_id: int):
    """Add a package (carrier, tracking, ship date, items and quantities) to a merchant order."""
    order = get_owned_or_404(Order, order_id)
    if refusal(order):
        return _refused(order)
    form = ShipmentForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return _form_page(order, form, None, 422)
        return _form_page(order, form, None, quantities=remaining_quantities(order))
    quantities, errors = quantities_from(request.form)
    try:
        if errors:
            raise ShipmentError(errors)
        shipment = add_shipment(order, NewShipment(form.details(), quantities), current_user.id)
    except ShipmentError as error:
        db.session.rollback()
        order = get_owned_or_404(Order, order_id)
        form.show_errors(error.errors)
        return _form_page(
            order,
            form,
            None,
            422,
            quantities=quantities,
            item_errors={k: v for k, v in error.errors.items() if k.startswith("quantity-")},
            form_error=error.errors.get("form", "") or error.errors.get("items", ""),
        )
    db.session.commit()
    flash(
        f"Package {shipment.package_reference_id} saved. Sync Orders sends it to Amazon on its next run.",
        "success",
    )
    return hx_redirect(url_for("orders.detail", order_id=order.id))


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(order_id: int, shipment_id: int):
    """Change a package's carrier, method, tracking number or ship date (it becomes pending again)."""
    order = get_owned_or_404(Order, order_id)
    shipment = _owned_shipment(order, shipment_id)
    if refusal(order):
        return _refused(order)
    form = ShipmentForm(obj=shipment)
    if request.method == "GET":
        form.ship_date.data = shipment.ship_date.date()
    if not form.validate_on_submit():
        return _form_page(order, form, shipment, 422 if form.is_submitted() else 200)
    try:
        changed = update_shipment(shipment, form.details())
    except ShipmentError as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _form_page(order, form, shipment, 422, form_error=error.errors.get("form", ""))
    db.session.commit()
    if changed:
        flash(
            f"Package {shipment.package_reference_id} changed: the next Sync Orders sends the correction.",
            "success",
        )
    return hx_redirect(url_for("orders.detail", order_id=order.id))


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(order_id: int, shipment_id: int):
    """Delete a package Amazon has not accepted: GET asks, POST deletes. An accepted one answers 409
    with the reason (Amazon keeps it)."""
    order = get_owned_or_404(Order, order_id)
    shipment = _owned_shipment(order, shipment_id)
    form = DeleteShipmentForm()
    accepted = shipment.sync_state == ShipmentSyncState.ACCEPTED
    if accepted or not form.validate_on_submit():
        status = 409 if accepted else 422 if form.is_submitted() else 200
        reason = accepted_reason(shipment) if accepted else ""
        return render_template(
            "shipments/delete.html", order=order, shipment=shipment, form=form, reason=reason
        ), status
    number = shipment.package_reference_id
    try:
        delete_shipment(shipment)
    except ShipmentError as error:  # Sync Orders recorded Amazon's acceptance meanwhile
        db.session.rollback()
        return render_template(
            "shipments/delete.html", order=order, shipment=shipment, form=form, reason=str(error)
        ), 409
    db.session.commit()
    flash(f"Package {number} deleted. Amazon never accepted it, so nothing changes there.", "success")
    return hx_redirect(url_for("orders.detail", order_id=order.id))


@bp.route("/shipments/upload", methods=["GET", "POST"])
@login_required
def upload():
    """Upload shipments as CSV; the page lists the saved packages and every bad line with its reason."""
    form = ShipmentUploadForm()
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            result = import_shipments(current_account_id(), form.file.data.read(), current_user.id)
        except UnreadableFile as problem:
            db.session.rollback()
            form.file.errors = [str(problem)]
            status = 422
        else:
            db.session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("shipments/upload.html", form=form, result=result), status
