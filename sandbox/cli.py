"""Command line: `python -m sandbox serve|seed|revoke|deny-role|fault|advance-clock|delete-listing|calls`.

Commands act on the database named by SANDBOX_DB (or `--db`), so they work while a server runs.
Operation modules may add commands with `@cli.command()`.
"""

from __future__ import annotations

import json
from typing import Any

import click

from sandbox import control, faults, roles


def _app(db: str | None, **overrides: Any):
    from sandbox import create_app

    config = {"SANDBOX_DB": db} if db else {}
    config.update(overrides)
    return create_app(config)


def _state(db: str | None):
    return _app(db).extensions["sandbox"]


db_option = click.option(
    "--db", default=None, help="SQLite file (default: SANDBOX_DB or instance/sandbox.db)."
)


@click.group()
def cli() -> None:
    """Shelfsync's local Amazon sandbox."""


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
def serve(db: str | None, host: str, port: int) -> None:
    """Serve the sandbox with werkzeug's threaded server (use gunicorn for throughput, see bench/)."""
    from werkzeug.serving import run_simple

    app = _app(db)
    click.echo(f"sandbox on http://{host}:{port} (db {app.extensions['sandbox'].store.path})")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cli.command()
@db_option
@click.option("--listings", default=200, show_default=True, type=int, help="Demo seller's listings.")
@click.option("--orders", default=50, show_default=True, type=int)
@click.option("--sellers", default=3, show_default=True, type=int)
@click.option("--seed", "seed_value", default=1, show_default=True, type=int)
def seed(db: str | None, listings: int, orders: int, sellers: int, seed_value: int) -> None:
    """Replace the world with a deterministic one."""
    from sandbox.seed import seed_world

    state = _state(db)
    result = seed_world(
        state.store, state.clock.now(), listings=listings, orders=orders, sellers=sellers, seed=seed_value
    )
    click.echo(json.dumps(result, indent=2))


@cli.command()
@db_option
@click.argument("seller_id")
def revoke(db: str | None, seller_id: str) -> None:
    """Revoke a seller's authorization (refresh tokens then get invalid_grant)."""
    count = control.revoke_seller(_state(db).store, seller_id)
    click.echo(f"revoked {count} refresh token(s) of {seller_id}")


@cli.command("deny-role")
@db_option
@click.argument("seller_id")
@click.argument("role", type=click.Choice(roles.ROLES))
@click.option("--grant", is_flag=True, help="Give the role back instead.")
def deny_role(db: str | None, seller_id: str, role: str, grant: bool) -> None:
    """Take an SP-API role away from a seller's authorization (its calls then get 403)."""
    store = _state(db).store
    (roles.grant_role if grant else roles.deny_role)(store, seller_id, role)
    click.echo(f"{seller_id} lacks: {', '.join(sorted(roles.denied_roles(store, seller_id))) or 'nothing'}")


@cli.command("advance-clock")
@db_option
@click.option("--days", default=0.0, type=float)
@click.option("--hours", default=0.0, type=float)
@click.option("--minutes", default=0.0, type=float)
@click.option("--seconds", default=0.0, type=float)
def advance_clock(db: str | None, days: float, hours: float, minutes: float, seconds: float) -> None:
    """Move Amazon time forward."""
    from sandbox.clock import iso

    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if total < 0:
        raise click.BadParameter("the clock only moves forward")
    click.echo(f"Amazon time is now {iso(_state(db).clock.advance(total))}")


@cli.command("delete-listing")
@db_option
@click.option("--marketplace", default=None, help="Only this marketplace id.")
@click.argument("seller_id")
@click.argument("sku")
def delete_listing(db: str | None, marketplace: str | None, seller_id: str, sku: str) -> None:
    """Delete a listing on Amazon's side."""
    count = control.delete_listing(_state(db).store, seller_id, sku, marketplace)
    if not count:
        raise click.ClickException(f"no listing {sku} for {seller_id}")
    click.echo(f"deleted {count} listing row(s)")


@cli.command()
@db_option
@click.option("--seller", default=None)
@click.option("--operation", default=None)
def calls(db: str | None, seller: str | None, operation: str | None) -> None:
    """Print call counts per operation and status."""
    click.echo(json.dumps(control.call_log(_state(db).store, seller, operation, limit=0)["counts"], indent=2))


@cli.command()
@db_option
@click.argument("operation", required=False)
@click.option("--p429", type=float, default=0.0, help="Share of 429 answers (0..1).")
@click.option("--p500", type=float, default=0.0)
@click.option("--p503", type=float, default=0.0)
@click.option("--latency-ms", type=int, default=0)
@click.option("--drop", "p_drop", type=float, default=0.0, help="Share of dropped connections.")
@click.option("--stuck/--no-stuck", default=False, help="Feeds/reports stay IN_PROGRESS.")
@click.option("--clear", is_flag=True, help="Remove the faults of OPERATION (or all).")
@click.option("--list", "show", is_flag=True, help="Show all faults.")
def fault(
    db: str | None,
    operation: str | None,
    p429: float,
    p500: float,
    p503: float,
    latency_ms: int,
    p_drop: float,
    stuck: bool,
    clear: bool,
    show: bool,
) -> None:
    """Set faults for OPERATION (an operationId, or '*' for all), clear them, or list them."""
    store = _state(db).store
    if show:
        click.echo(json.dumps(faults.list_faults(store), indent=2))
        return
    if clear:
        faults.clear_faults(store, operation)
        click.echo(f"cleared faults of {operation or 'all operations'}")
        return
    if not operation:
        raise click.UsageError("give an OPERATION (or --list / --clear)")
    row = faults.set_fault(
        store,
        operation,
        {
            "p429": p429,
            "p500": p500,
            "p503": p503,
            "latency_ms": latency_ms,
            "p_drop": p_drop,
            "stuck": stuck,
        },
    )
    click.echo(json.dumps(row))
