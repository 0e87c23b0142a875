"""Views: list, connect with Amazon (consent + callback), manual entry, detail with test result, edit,
re-authorize, delete."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.connections import bp
from webapp.connections.forms import ConfirmForm, ConnectForm, EditConnectionForm, ManualConnectionForm
from webapp.extensions import db
from webapp.htmx import form_error, hx_redirect, is_htmx, render
from webapp.models import Connection
from webapp.services import connections as service
from webapp.services.runs import reap_abandoned_runs
from webapp.tenancy import current_account_id, get_owned_or_404, scoped


def _health_context(connection: Connection) -> dict:
    """What the health partial needs: the connection, its latest test run, the buttons' forms."""
    run = service.last_test_run(connection)
    if run is not None and not run.finished and reap_abandoned_runs([run.id]):
        db.session.refresh(run)
        db.session.refresh(connection)
    return {
        "connection": connection,
        "run": run,
        "errors": service.run_errors(run) if run is not None and run.finished else [],
        "confirm_form": ConfirmForm(),
    }


@bp.get("/")
@login_required
def index():
    """The account's connections, with Connect with Amazon (or the empty state)."""
    connections = db.session.scalars(scoped(Connection).order_by(Connection.name, Connection.id)).all()
    return render_template("connections/index.html", connections=connections, connect_form=ConnectForm())


@bp.post("/connect")
@login_required
def connect():
    """Send the seller to the chosen marketplace's Seller Central consent page."""
    form = ConnectForm()
    if not form.validate_on_submit():
        connections = db.session.scalars(scoped(Connection).order_by(Connection.name)).all()
        return render_template("connections/index.html", connections=connections, connect_form=form), 422
    url = service.begin_authorization(
        service.PendingAuthorization(
            account_id=current_account_id(), user_id=current_user.id, marketplace_id=form.marketplace_id.data
        )
    )
    return hx_redirect(url)


@bp.get("/amazon/callback")
@login_required
def callback():
    """Amazon's redirect after the consent page: check ``state``, exchange the code, save, test."""
    state = request.args.get("state")
    if request.args.get("error"):
        service.forget_state(state)
        if request.args.get("error") == "access_denied":
            title, message = "Authorization cancelled", "You cancelled the authorization on Amazon's page."
        else:
            title = "Amazon did not authorize Shelfsync"
            message = f"Amazon answered: {request.args.get('error_description') or request.args['error']}."
        return render_template(
            "connections/callback_error.html",
            title=title,
            message=message,
            help="Nothing was saved. You can connect again at any time from Connections.",
        ), 400
    try:
        pending = service.consume_state(state, current_user.id)
        reauthorizing = pending.connection_id is not None
        connection = service.complete_authorization(
            pending, request.args.get("selling_partner_id"), request.args.get("spapi_oauth_code")
        )
    except service.AuthorizationFailed as failure:
        return render_template(
            "connections/callback_error.html",
            title="The connection was not saved",
            message=failure.message,
            help=failure.help,
        ), failure.status
    service.start_test(connection, user_id=current_user.id)
    flash(
        f"“{connection.name}” is re-authorized and active again."
        if reauthorizing
        else f"Connected “{connection.name}”. Testing the connection…",
        "success",
    )
    return hx_redirect(url_for("connections.detail", connection_id=connection.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Manual entry for a seller who authorized from the Appstore: paste the seller ID and token."""
    form = ManualConnectionForm()
    if form.validate_on_submit():
        connection, created = service.save_connection(
            current_account_id(),
            form.selling_partner_id.data,
            form.marketplace_id.data,
            form.refresh_token.data,
            name=form.name.data,
        )
        service.start_test(connection, user_id=current_user.id)
        flash(
            f"Saved “{connection.name}”. Testing the connection…"
            if created
            else f"This seller was already connected: “{connection.name}” now uses the new token. Testing…",
            "success",
        )
        return hx_redirect(url_for("connections.detail", connection_id=connection.id))
    if form.errors and is_htmx():
        return form_error("connections/partials/_manual_form.html", form=form)
    return render_template("connections/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:connection_id>")
@login_required
def detail(connection_id: int):
    """One connection: its health, the latest test result (live while it runs), the actions."""
    connection = get_owned_or_404(Connection, connection_id)
    return render_template(
        "connections/detail.html",
        channels=service.channels_using(connection),
        **_health_context(connection),
    )


@bp.get("/<int:connection_id>/health")
@login_required
def health(connection_id: int):
    """The health partial, polled while a test runs (stops once the run has finished)."""
    connection = get_owned_or_404(Connection, connection_id)
    return render(
        "connections/detail.html",
        "connections/partials/_health.html",
        channels=service.channels_using(connection),
        **_health_context(connection),
    )


@bp.post("/<int:connection_id>/test")
@login_required
def test(connection_id: int):
    """Start a Test connection run; htmx gets the health partial, which polls until the run ends."""
    connection = get_owned_or_404(Connection, connection_id)
    if ConfirmForm().validate_on_submit():
        service.start_test(connection, user_id=current_user.id)
    if is_htmx():
        return render_template("connections/partials/_health.html", **_health_context(connection))
    return hx_redirect(url_for("connections.detail", connection_id=connection.id))


@bp.post("/<int:connection_id>/reauthorize")
@login_required
def reauthorize(connection_id: int):
    """One click: the consent flow again for this connection's seller and marketplace."""
    connection = get_owned_or_404(Connection, connection_id)
    if not ConfirmForm().validate_on_submit():
        return hx_redirect(url_for("connections.detail", connection_id=connection.id))
    url = service.begin_authorization(
        service.PendingAuthorization(
            account_id=connection.account_id,
            user_id=current_user.id,
            marketplace_id=connection.marketplace_id,
            connection_id=connection.id,
        )
    )
    return hx_redirect(url)


@bp.route("/<int:connection_id>/edit", methods=["GET", "POST"])
@login_required
def edit(connection_id: int):
    """Rename, change marketplace, or paste a new token (the stored one is never shown)."""
    connection = get_owned_or_404(Connection, connection_id)
    # Only name and marketplace are prefilled; the stored token never goes near the form.
    form = EditConnectionForm(data={"name": connection.name, "marketplace_id": connection.marketplace_id})
    if form.validate_on_submit():
        try:
            retest = service.update_connection(
                connection, form.name.data, form.marketplace_id.data, form.refresh_token.data or None
            )
        except ValueError as clash:
            db.session.rollback()
            form.marketplace_id.errors.append(str(clash))
        else:
            if retest:
                service.start_test(connection, user_id=current_user.id)
            flash(f"Saved “{connection.name}”.", "success")
            return hx_redirect(url_for("connections.detail", connection_id=connection.id))
    if form.errors and is_htmx():
        return form_error("connections/partials/_edit_form.html", form=form, connection=connection)
    status = 422 if form.errors else 200
    return render_template("connections/edit.html", form=form, connection=connection), status


@bp.get("/<int:connection_id>/delete")
@login_required
def confirm_delete(connection_id: int):
    """The confirmation page (or why the connection cannot be deleted)."""
    connection = get_owned_or_404(Connection, connection_id)
    return render_template(
        "connections/delete.html",
        connection=connection,
        channels=service.channels_using(connection),
        form=ConfirmForm(),
    )


@bp.post("/<int:connection_id>/delete")
@login_required
def delete(connection_id: int):
    """Delete the connection, unless a channel still sells through it."""
    connection = get_owned_or_404(Connection, connection_id)
    if not ConfirmForm().validate_on_submit():
        return hx_redirect(url_for("connections.confirm_delete", connection_id=connection.id))
    name = connection.name
    blocking = service.delete_connection(connection)
    if blocking:
        names = ", ".join(f"“{channel.name}”" for channel in blocking)
        channel_word = "channel" if len(blocking) == 1 else "channels"
        flash(
            f"“{name}” cannot be deleted: {channel_word} {names} {'uses' if len(blocking) == 1 else 'use'} "
            "it. Delete the channel or move it to another connection first.",
            "error",
        )
        return hx_redirect(url_for("connections.detail", connection_id=connection_id))
    flash(f"Deleted “{name}”. Shelfsync no longer uses its authorization.", "success")
    return hx_redirect(url_for("connections.index"))
