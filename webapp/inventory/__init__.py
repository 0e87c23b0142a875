"""Inventory: every source item of the account in one searchable table, and the item page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

from webapp.inventory import routes  # noqa: E402,F401  (registers the views on bp)
