"""Template editor per channel and purpose (Sync, Publish, Overwrite): one htmx row per Amazon field."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mappings", __name__, url_prefix="/channels/<int:channel_id>/mappings")

from webapp.mappings import routes  # noqa: E402,F401  (registers the views on bp)
