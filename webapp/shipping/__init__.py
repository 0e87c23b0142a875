"""Shipping mappings per channel: Amazon's service level ↔ the channel's shipping policy (htmx editor)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shipping", __name__, url_prefix="/channels/<int:channel_id>/shipping-mappings")

from webapp.shipping import routes  # noqa: E402,F401  (registers the views on bp)
