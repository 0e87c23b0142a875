"""Orders: the orders table (search, filters, ship-by badges), the order page, routing by hand, and the
Get Orders / Sync Orders buttons."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from webapp.orders import routes  # noqa: E402,F401  (registers the views on bp)
