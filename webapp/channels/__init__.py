"""Amazon channels: a connection + marketplace with its settings, schedules and integrations' state."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("channels", __name__, url_prefix="/channels")

from webapp.channels import routes  # noqa: E402,F401  (registers the views on bp)
