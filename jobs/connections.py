"""The Test connection integration, and how any job reports a revoked authorization.

Parameters: ``connection_id`` (required).
"""

from __future__ import annotations

from typing import NoReturn

import sqlalchemy as sa

from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked, SellerApi
from webapp.extensions import db
from webapp.models import Connection
from webapp.services.connections import (
    credentials_for,
    mark_needs_reauthorization,
    marketplace_label,
    record_test_success,
)


def report_authorization_revoked(
    ctx: RunContext, connection: Connection, error: AuthorizationRevoked
) -> NoReturn:
    """Mark ``connection`` "Needs re-authorization" and end the run failed (call from any job).

    Only the run that discovers the problem says that scheduled runs are paused; later runs just
    record their own failure.
    """
    paused = mark_needs_reauthorization(connection.id, f"{error.code}: {error.message}")
    message = f"Amazon no longer accepts the authorization of connection “{connection.name}”: {error.message}"
    if paused is not None:
        if paused:
            names = ", ".join(f"“{name}”" for name in paused)
            message += f" Scheduled runs of {names} are paused until you re-authorize."
        else:
            message += " It needs re-authorization before it can be used again."
    ctx.fail(message, code="authorization_revoked", reference=connection.selling_partner_id, help=error.help)


def _participation_row(participation) -> dict:
    """The part of a marketplace participation the connection page shows."""
    return {
        "marketplace_id": participation.marketplace_id,
        "name": participation.name,
        "country_code": participation.country_code,
        "currency": participation.currency,
        "participating": participation.is_participating,
        "suspended_listings": participation.has_suspended_listings,
    }


@integration_job
def run_test_connection(ctx: RunContext) -> None:
    """Call Sellers getMarketplaceParticipations with the connection's stored authorization."""
    connection = db.session.scalar(
        sa.select(Connection).where(
            Connection.id == ctx.params.get("connection_id"), Connection.account_id == ctx.account_id
        )
    )
    if connection is None:
        ctx.fail("The connection was deleted before it could be tested.", code="connection_missing")
    ctx.progress(0, 1)
    try:
        participations = SellerApi(credentials_for(connection)).marketplace_participations()
    except AuthorizationRevoked as error:
        report_authorization_revoked(ctx, connection, error)
    except AmazonError as error:
        ctx.fail(
            f"The connection test failed: {error.message}",
            code=error.code,
            reference=connection.selling_partner_id,
            help=error.help,
        )
    rows = [_participation_row(p) for p in participations]
    record_test_success(connection.id, rows)
    ctx.count("marketplaces", len(rows))
    for row in rows:
        ctx.info(
            f"Seller participates in {row['name']} ({row['country_code']}, {row['currency']})."
            if row["participating"]
            else f"Seller is registered in {row['name']} ({row['country_code']}) but not selling there.",
            code="marketplace",
            reference=row["marketplace_id"],
        )
    if not any(r["marketplace_id"] == connection.marketplace_id and r["participating"] for r in rows):
        ctx.error(
            f"The seller does not sell in {marketplace_label(connection.marketplace_id)}, "
            "the marketplace this connection is set to.",
            code="marketplace_not_participating",
            reference=connection.marketplace_id,
            help="Edit the connection and choose one of the marketplaces listed above, or register "
            "the seller account in that marketplace in Seller Central first.",
        )
    ctx.progress(1, 1)
