"""Shipments of an order (add, edit) and the shipments CSV upload, under ``/orders``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shipments", __name__, url_prefix="/orders")

from webapp.shipments import routes  # noqa: E402,F401  (registers the views on bp)
