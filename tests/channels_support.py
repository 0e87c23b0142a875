"""Helpers for the channel tests: connections made directly in the database, and a valid form post."""

from __future__ import annotations

import re

from webapp.amazon.marketplaces import MARKETPLACES
from webapp.extensions import db
from webapp.models import Connection, ConnectionStatus

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"
JP = "A1VC38T7YXB528"
CA = "A2EUQ1WTGCTBG2"
HX = {"HX-Request": "true"}


def make_connection(
    account_id: int,
    marketplace_id: str = US,
    name: str = "Acme US",
    status: ConnectionStatus = ConnectionStatus.ACTIVE,
) -> Connection:
    """A connection of ``account_id`` selling on ``marketplace_id`` (its region follows)."""
    connection = Connection(
        account_id=account_id,
        name=name,
        selling_partner_id=f"SP{account_id}{marketplace_id[:6]}",
        marketplace_id=marketplace_id,
        region=MARKETPLACES[marketplace_id].region,
        refresh_token="Atzr|not-a-real-token",
        status=status,
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def channel_form(connection_id: int, **changes) -> dict:
    """A valid channel form post for a US connection, with ``changes`` applied (None drops a field)."""
    data = {
        "name": "Amazon US",
        "connection_id": str(connection_id),
        "marketplace_id": US,
        "fulfillment_channel": "DEFAULT",
        "sync_listings-enabled": "y",
        "sync_listings-interval": "30",
        "get_orders-interval": "60",
        "sync_orders-interval": "60",
        "orders_window_days": "7",
        "order_statuses": ["UNSHIPPED", "PARTIALLY_SHIPPED"],
        "import_mode": "create_only",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(html: str) -> list[str]:
    """The field error messages a form rendered."""
    return re.findall(r'class="field-error">([^<]*)<', html)


def integration_row(html: str, kind: str) -> str:
    """The channel page's table row of one integration (``sync-listings``, ``import-listings``…)."""
    match = re.search(rf'<tr id="integration-{kind}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {kind}"
    return match.group(1)
