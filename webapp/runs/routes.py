"""Views: run history, run detail (live progress, Recent Notifications), start diagnostic, cancel."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from webapp.extensions import db
from webapp.htmx import hx_redirect, is_htmx, render
from webapp.models import IntegrationRun, RunKind
from webapp.pagination import paginate
from webapp.runs import bp
from webapp.runs.forms import ConfirmForm, DiagnosticForm, LogFilterForm, RunFilterForm
from webapp.services.notifications import mark_run_read, run_log_query
from webapp.services.runs import cancel_run, reap_abandoned_runs, start_run
from webapp.tenancy import current_account_id, get_owned_or_404, scoped


def _load_run(run_id: int) -> IntegrationRun:
    """The current account's run (404 otherwise), failed first if its worker died."""
    run = get_owned_or_404(IntegrationRun, run_id)
    if not run.finished and reap_abandoned_runs([run.id]):
        db.session.refresh(run)
    return run


def _log_context(run: IntegrationRun) -> dict:
    """The Recent Notifications page being viewed; viewing it marks the run's errors read."""
    form = LogFilterForm(request.args, meta={"csrf": False})
    level = form.selected_level()
    notifications = paginate(run_log_query(run, level))
    mark_run_read(run)
    return {"run": run, "level": level, "notifications": notifications, "is_fragment": is_htmx()}


def _detail_context(run: IntegrationRun) -> dict:
    return {**_log_context(run), "cancel_form": ConfirmForm()}


@bp.get("/")
@login_required
def index():
    """Run history, filtered by integration and status."""
    form = RunFilterForm(request.args, meta={"csrf": False})
    filters = form.filters()
    query = scoped(IntegrationRun)
    if "kind" in filters:
        query = query.where(IntegrationRun.kind == filters["kind"])
    if "status" in filters:
        query = query.where(IntegrationRun.status == filters["status"])
    runs = paginate(query.order_by(IntegrationRun.created_at.desc(), IntegrationRun.id.desc()))
    return render(
        "runs/index.html",
        "runs/partials/_table.html",
        form=form,
        filtered=bool(filters),
        runs=runs,
        diagnostic_form=DiagnosticForm(),
    )


@bp.post("/diagnostic")
@login_required
def start_diagnostic():
    """Start a diagnostic run and show it (or point to the one already running)."""
    form = DiagnosticForm()
    if not form.validate_on_submit():
        flash(
            "Diagnostic options: "
            + "; ".join(
                f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()
            ),
            "error",
        )
        return hx_redirect(url_for("runs.index"))
    result = start_run(
        current_account_id(), RunKind.DIAGNOSTIC, params=form.params(), user_id=current_user.id
    )
    if result.already_running:
        link = url_for("runs.detail", run_id=result.run.id)
        flash(
            Markup('A diagnostic run is already in progress: <a href="{}">see run #{}</a>.').format(
                link, result.run.id
            ),
            "warning",
        )
        return hx_redirect(url_for("runs.index"))
    return hx_redirect(url_for("runs.detail", run_id=result.run.id))


@bp.get("/<int:run_id>")
@login_required
def detail(run_id: int):
    """One run: summary, live progress, Recent Notifications."""
    run = _load_run(run_id)
    return render("runs/detail.html", "runs/partials/_log.html", **_detail_context(run))


@bp.get("/<int:run_id>/progress")
@login_required
def progress(run_id: int):
    """The progress partial, polled while the run is active; ``run-finished`` tells the page it ended."""
    run = _load_run(run_id)
    context = {"run": run, "cancel_form": ConfirmForm()} if is_htmx() else _detail_context(run)
    response = render("runs/detail.html", "runs/partials/_progress.html", **context)
    if run.finished:
        response.headers["HX-Trigger"] = "run-finished"
    return response


@bp.get("/<int:run_id>/notifications")
@login_required
def notifications(run_id: int):
    """The Recent Notifications partial (filter by level, pages), refreshed while the run is active."""
    run = _load_run(run_id)
    return render("runs/detail.html", "runs/partials/_log.html", **_detail_context(run))


@bp.post("/<int:run_id>/cancel")
@login_required
def cancel(run_id: int):
    """Cancel a queued or running run."""
    run = get_owned_or_404(IntegrationRun, run_id)
    if ConfirmForm().validate_on_submit() and cancel_run(run, by=current_user):
        flash("Run cancelled.", "info")
    else:
        flash("This run had already finished; there was nothing to cancel.", "warning")
    return hx_redirect(url_for("runs.detail", run_id=run.id))
