"""Listings of a channel: the variants table with bulk actions, the listing page, Build listings."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("listings", __name__)

from webapp.listings import routes  # noqa: E402,F401  (registers the views on bp)
