"""Starting a channel's integration from a button, as every page with run buttons does it."""

from __future__ import annotations

from flask import Response, flash, url_for
from flask_login import current_user
from markupsafe import Markup

from webapp.htmx import hx_redirect
from webapp.models import Channel, RunKind
from webapp.services.runs import start_run
from webapp.tenancy import current_account_id


def start_and_show(channel: Channel, kind: RunKind, name: str) -> Response:
    """Start ``kind`` on ``channel`` (one of the signed-in account's, already checked by the caller) and
    go to its run page; when one is already running, go to that one with a warning naming ``name``."""
    result = start_run(current_account_id(), kind, channel_id=channel.id, user_id=current_user.id)
    if result.already_running:
        flash(Markup("{} is already running on {}: here is its run.").format(name, channel.name), "warning")
    return hx_redirect(url_for("runs.detail", run_id=result.run.id))
