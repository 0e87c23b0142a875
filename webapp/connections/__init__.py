"""Connections: Amazon seller accounts (connect, test, edit, re-authorize, delete) and their health banner."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.services.connections import marketplace_label, needing_reauthorization

bp = Blueprint("connections", __name__, url_prefix="/connections")


@bp.app_context_processor
def authorization_health() -> dict:
    """``connections_needing_reauthorization()`` for the banner in ``base.html``, and ``marketplace_label``.

    A function rather than a list, so that only full pages (which render the banner) run the query,
    not every htmx fragment.
    """

    def connections_needing_reauthorization() -> list:
        if not current_user.is_authenticated:
            return []
        return needing_reauthorization(current_user.account_id)

    return {
        "connections_needing_reauthorization": connections_needing_reauthorization,
        "marketplace_label": marketplace_label,
    }


from webapp.connections import routes  # noqa: E402,F401  (registers the views on bp)
