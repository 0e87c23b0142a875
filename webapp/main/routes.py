"""Views: the dashboard."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from webapp.extensions import db
from webapp.main import bp
from webapp.models import IntegrationRun
from webapp.runs.forms import DiagnosticForm
from webapp.services.sources import noncompliant_sources
from webapp.tenancy import current_account_id, scoped

LATEST_RUNS = 5


@bp.get("/")
@login_required
def dashboard():
    """Latest runs, unread errors, and the first steps for a new account."""
    runs = db.session.scalars(
        scoped(IntegrationRun)
        .order_by(IntegrationRun.created_at.desc(), IntegrationRun.id.desc())
        .limit(LATEST_RUNS)
    ).all()
    return render_template(
        "main/dashboard.html",
        runs=runs,
        diagnostic_form=DiagnosticForm(),
        noncompliant=noncompliant_sources(current_account_id()),
    )
