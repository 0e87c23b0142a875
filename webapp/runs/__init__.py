"""Integration runs: history, detail with live progress, Recent Notifications, cancel."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("runs", __name__, url_prefix="/runs")

from webapp.runs import routes  # noqa: E402,F401  (registers the views on bp)
