"""Sources (suppliers): create, edit, delete, the compliance toggle, and CSV inventory uploads."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sources", __name__, url_prefix="/sources")

from webapp.sources import routes  # noqa: E402,F401  (registers the views on bp)
