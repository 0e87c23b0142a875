"""Connections: authorize Amazon sellers (consent flow or a pasted token), test them, track their health.

The consent flow (Amazon's "website authorization workflow", NOTES §2.1):

1. :func:`begin_authorization` makes a random ``state``, keeps it in Redis for a few minutes (keyed by
   its SHA-256, with who asked and for which marketplace) and adds the same hash to the Flask session,
   then returns the Seller Central consent URL.
2. Amazon sends the browser back to ``/connections/amazon/callback``. :func:`consume_state` accepts the
   state only if this session asked for it and Redis still holds it; ``GETDEL`` makes it single-use
   even when two callbacks race.
3. :func:`complete_authorization` exchanges ``spapi_oauth_code`` at Login with Amazon (the only Amazon
   call made inside a web request: the code dies after 5 minutes) and upserts the connection.

Health: a job that gets ``AuthorizationRevoked`` calls :func:`mark_needs_reauthorization`; the
scheduler skips the channels of such connections (:func:`paused_channel_ids`) until a new authorization
makes the connection active again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, session
from sqlalchemy.exc import IntegrityError

from webapp.amazon import (
    AmazonError,
    AmazonSettings,
    AmazonUnavailable,
    AuthorizationRevoked,
    SellerCredentials,
    consent_url,
    exchange_oauth_code,
)
from webapp.amazon.marketplaces import get_marketplace
from webapp.extensions import db
from webapp.models import (
    Channel,
    Connection,
    ConnectionStatus,
    IntegrationRun,
    Notification,
    NotificationLevel,
    RunKind,
)
from webapp.redis_conn import get_redis
from webapp.services.runs import StartResult, start_run
from webapp.timeutil import utcnow

# The marketplaces a seller can connect, in the order of the picker: (id, country name).
CONNECT_MARKETPLACES: tuple[tuple[str, str], ...] = (
    ("ATVPDKIKX0DER", "United States"),
    ("A2EUQ1WTGCTBG2", "Canada"),
    ("A1AM78C64UM0Y8", "Mexico"),
    ("A2Q3Y263D00KWC", "Brazil"),
    ("A2VIGQ35RCS4UG", "United Arab Emirates"),
    ("A1PA6795UKMFR9", "Germany"),
    ("A1RKKUPIHCS9HS", "Spain"),
    ("A13V1IB3VIYZZH", "France"),
    ("A1F83G8C2ARO7P", "United Kingdom"),
    ("A21TJRUUN4KGV", "India"),
    ("APJ6JRA9NG5V4", "Italy"),
    ("A33AVAJ2PDY3EV", "Turkey"),
)
MARKETPLACE_NAMES = dict(CONNECT_MARKETPLACES)

# Amazon merchant tokens: an upper-case "A" and 9 to 19 more capitals or digits (A1B2C3D4E5F6G7).
SELLER_ID_PATTERN = re.compile(r"A[0-9A-Z]{9,19}")
# LWA refresh tokens: "Atzr|" and a URL-safe body (the same alphabet the log scrubber masks).
REFRESH_TOKEN_PATTERN = re.compile(r"Atzr\|[A-Za-z0-9_\-|.=+/]{20,2000}")

# The code exchange runs inside a web request: fail fast rather than hold a worker thread for 30 s.
EXCHANGE_TIMEOUT = 10.0
EXCHANGE_RETRIES = 1

SESSION_KEY = "amazon_oauth_states"
# A seller may start the flow in a few tabs; older pending states beyond this are forgotten.
MAX_PENDING_STATES = 5
STATE_KEY_PREFIX = "shelfsync:oauth-state:"

STATE_HELP = "Nothing was saved. Go to Connections and click Connect with Amazon again."


class AuthorizationFailed(Exception):
    """The consent callback cannot be completed; ``message`` and ``help`` are shown to the seller."""

    def __init__(self, message: str, help: str = STATE_HELP, status: int = 400) -> None:
        """Describe what went wrong and what to do about it."""
        super().__init__(message)
        self.message = message
        self.help = help
        self.status = status


@dataclass(frozen=True)
class PendingAuthorization:
    """What a ``state`` stands for: who started the flow, for which marketplace, re-authorizing what."""

    account_id: int
    user_id: int
    marketplace_id: str
    connection_id: int | None = None


def marketplace_label(marketplace_id: str) -> str:
    """``United States (US)`` for a known marketplace, else the id."""
    name = MARKETPLACE_NAMES.get(marketplace_id)
    if name is None:
        return marketplace_id
    return f"{name} ({get_marketplace(marketplace_id).country_code})"


def default_name(selling_partner_id: str, marketplace_id: str) -> str:
    """The name a connection gets when the seller has not chosen one."""
    return f"Amazon {get_marketplace(marketplace_id).country_code} · {selling_partner_id}"


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def state_ttl() -> int:
    """Seconds a ``state`` stays valid (``AMAZON_OAUTH_STATE_TTL``, 10 minutes by default)."""
    return int(current_app.config.get("AMAZON_OAUTH_STATE_TTL", 600))


def begin_authorization(pending: PendingAuthorization) -> str:
    """Remember a fresh ``state`` for this session and return the consent URL to send the seller to.

    Only the state's hash is stored (in Redis and in the session cookie), so neither reveals a usable
    state.
    """
    state = secrets.token_urlsafe(32)
    digest = _state_hash(state)
    get_redis().set(STATE_KEY_PREFIX + digest, json.dumps(dataclasses.asdict(pending)), ex=state_ttl())
    earlier = [h for h in session.get(SESSION_KEY, []) if h != digest]
    session[SESSION_KEY] = earlier[-(MAX_PENDING_STATES - 1) :] + [digest]
    return consent_url(pending.marketplace_id, state)


def consume_state(state: str | None, user_id: int) -> PendingAuthorization:
    """Accept the callback's ``state`` once, for the session and user that asked for it.

    The session is checked before Redis is touched, so a state replayed from another browser is
    refused without using it up for its owner.

    Raises:
        AuthorizationFailed: missing, tampered with, expired, already used, or from another session.
    """
    if not state:
        raise AuthorizationFailed("Amazon sent you back without the security code Shelfsync needs.")
    digest = _state_hash(state)
    pending_hashes = session.get(SESSION_KEY, [])
    if digest not in pending_hashes:
        raise AuthorizationFailed(
            "This authorization link was not started in this browser session (or it was altered), "
            "so Shelfsync did not accept it."
        )
    # The hash stays in the session: replaying the callback (a reload) then reads "already used".
    raw = get_redis().getdel(STATE_KEY_PREFIX + digest)
    if raw is None:
        minutes = max(1, state_ttl() // 60)
        raise AuthorizationFailed(
            f"This authorization link has expired or was already used (links last {minutes} minutes "
            "and work once)."
        )
    pending = PendingAuthorization(**json.loads(raw))
    if pending.user_id != user_id:
        raise AuthorizationFailed("This authorization link was started by another user.")
    return pending


def forget_state(state: str | None) -> None:
    """Use up ``state`` if this session owns it (the seller cancelled on Amazon's page)."""
    if not state:
        return
    digest = _state_hash(state)
    if digest in session.get(SESSION_KEY, []):
        get_redis().delete(STATE_KEY_PREFIX + digest)


def complete_authorization(
    pending: PendingAuthorization, selling_partner_id: str | None, code: str | None
) -> Connection:
    """Exchange the consent code for a refresh token and save the connection (active).

    Raises:
        AuthorizationFailed: a parameter is missing, the seller authorized the wrong account for a
            re-authorization, or Amazon refused the code (already used, expired) or was unreachable.
    """
    if not code or not selling_partner_id or not SELLER_ID_PATTERN.fullmatch(selling_partner_id):
        raise AuthorizationFailed("Amazon's answer is missing the seller ID or the authorization code.")
    if pending.connection_id is not None:
        connection = db.session.scalar(
            sa.select(Connection).where(
                Connection.id == pending.connection_id, Connection.account_id == pending.account_id
            )
        )
        if connection is None:
            raise AuthorizationFailed(
                "The connection you were re-authorizing has been deleted.",
                help="Nothing was saved. Connect the seller account again from Connections.",
            )
        if connection.selling_partner_id != selling_partner_id:
            raise AuthorizationFailed(
                f"You authorized seller {selling_partner_id}, but this connection is for seller "
                f"{connection.selling_partner_id}.",
                help="Nothing was saved. Sign in to Seller Central as the right account and click "
                "Re-authorize again.",
            )

    settings = dataclasses.replace(
        AmazonSettings.current(), http_timeout=EXCHANGE_TIMEOUT, max_retries=EXCHANGE_RETRIES
    )
    try:
        tokens = exchange_oauth_code(code, settings=settings)
    except AuthorizationRevoked:
        raise AuthorizationFailed(
            "Amazon refused the authorization code: it was already used or has expired.",
            help="Nothing was saved. Codes work once and for 5 minutes: click Connect with Amazon again.",
        ) from None
    except AmazonUnavailable as exc:
        raise AuthorizationFailed(
            "Amazon could not be reached to finish the connection.", exc.help, 503
        ) from None
    except AmazonError as exc:
        raise AuthorizationFailed(f"Amazon refused the connection: {exc.message}", exc.help, 502) from None
    connection, _ = save_connection(
        pending.account_id, selling_partner_id, pending.marketplace_id, tokens.refresh_token
    )
    return connection


def _find(account_id: int, selling_partner_id: str, marketplace_id: str) -> Connection | None:
    return db.session.scalar(
        sa.select(Connection).where(
            Connection.account_id == account_id,
            Connection.selling_partner_id == selling_partner_id,
            Connection.marketplace_id == marketplace_id,
        )
    )


def save_connection(
    account_id: int,
    selling_partner_id: str,
    marketplace_id: str,
    refresh_token: str,
    name: str | None = None,
) -> tuple[Connection, bool]:
    """Upsert by (account, seller, marketplace): a new authorization replaces the token and reactivates.

    Returns:
        The connection (committed) and whether it was created.
    """
    for attempt in range(2):
        connection = _find(account_id, selling_partner_id, marketplace_id)
        created = connection is None
        if connection is None:
            connection = Connection(
                account_id=account_id,
                selling_partner_id=selling_partner_id,
                marketplace_id=marketplace_id,
                region=get_marketplace(marketplace_id).region,
                name=name or default_name(selling_partner_id, marketplace_id),
                marketplaces=[],
            )
            db.session.add(connection)
        elif name:
            connection.name = name
        connection.refresh_token = refresh_token
        connection.status = ConnectionStatus.ACTIVE.value
        connection.status_reason = ""
        try:
            db.session.commit()
        except IntegrityError:
            # Two callbacks for the same seller raced; the second one updates the row the first made.
            db.session.rollback()
            if attempt:
                raise
            continue
        return connection, created
    raise AssertionError("unreachable")


def update_connection(
    connection: Connection, name: str, marketplace_id: str, refresh_token: str | None
) -> bool:
    """Save an edit (a blank ``refresh_token`` keeps the stored one); True when a new test is due.

    Raises:
        ValueError: another connection of the account already has this seller and marketplace.
    """
    clash = _find(connection.account_id, connection.selling_partner_id, marketplace_id)
    if clash is not None and clash.id != connection.id:
        raise ValueError(f"Connection “{clash.name}” already uses this seller in that marketplace.")
    retest = marketplace_id != connection.marketplace_id or bool(refresh_token)
    connection.name = name
    connection.marketplace_id = marketplace_id
    connection.region = get_marketplace(marketplace_id).region
    if refresh_token:
        connection.refresh_token = refresh_token
        connection.status = ConnectionStatus.ACTIVE.value
        connection.status_reason = ""
    db.session.commit()
    return retest


def channels_using(connection: Connection) -> list[Channel]:
    """The channels that sell through ``connection`` (which then cannot be deleted)."""
    return list(
        db.session.scalars(
            sa.select(Channel).where(Channel.connection_id == connection.id).order_by(Channel.name)
        )
    )


def delete_connection(connection: Connection) -> list[Channel]:
    """Delete ``connection`` unless a channel uses it; returns the channels in the way (empty = deleted)."""
    blocking = channels_using(connection)
    if not blocking:
        db.session.delete(connection)
        db.session.commit()
    return blocking


def start_test(connection: Connection, user_id: int | None = None) -> StartResult:
    """Start a Test connection run for ``connection`` and remember it for the connection's page."""
    result = start_run(
        connection.account_id,
        RunKind.TEST_CONNECTION,
        params={"connection_id": connection.id},
        user_id=user_id,
        subject=f"connection:{connection.id}",
    )
    connection.last_test_run_id = result.run.id
    db.session.commit()
    return result


def last_test_run(connection: Connection) -> IntegrationRun | None:
    """The connection's latest Test connection run, if it still exists."""
    if connection.last_test_run_id is None:
        return None
    return db.session.scalar(
        sa.select(IntegrationRun).where(
            IntegrationRun.id == connection.last_test_run_id,
            IntegrationRun.account_id == connection.account_id,
        )
    )


def run_errors(run: IntegrationRun) -> list[Notification]:
    """The error lines of ``run``'s log, oldest first (the inline result of a failed test)."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.run_id == run.id, Notification.level == NotificationLevel.ERROR.value)
            .order_by(Notification.id)
        )
    )


def credentials_for(connection: Connection, marketplace_id: str | None = None) -> SellerCredentials:
    """What the Amazon adapter needs to act for ``connection`` (in its marketplace unless given)."""
    return SellerCredentials(
        connection.selling_partner_id, connection.refresh_token, marketplace_id or connection.marketplace_id
    )


def mark_needs_reauthorization(connection_id: int, reason: str) -> list[str] | None:
    """Record that Amazon refused ``connection_id``'s authorization, and commit.

    A conditional UPDATE, so that of several jobs failing at once exactly one learns it was first
    (and tells the seller once that scheduled runs are paused).

    Returns:
        The names of the channels whose scheduled runs are now paused when this call made the
        change; None when the connection was already marked (or no longer exists).
    """
    result = db.session.execute(
        sa.update(Connection)
        .where(Connection.id == connection_id, Connection.status == ConnectionStatus.ACTIVE.value)
        .values(status=ConnectionStatus.NEEDS_REAUTHORIZATION.value, status_reason=reason[:1000]),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return list(
        db.session.scalars(
            sa.select(Channel.name).where(Channel.connection_id == connection_id).order_by(Channel.name)
        )
    )


def record_test_success(connection_id: int, marketplaces: list[dict]) -> None:
    """Save what a successful test found; a working authorization also makes the connection active."""
    db.session.execute(
        sa.update(Connection)
        .where(Connection.id == connection_id)
        .values(
            marketplaces=marketplaces,
            last_tested_at=utcnow(),
            status=ConnectionStatus.ACTIVE.value,
            status_reason="",
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def paused_channel_ids() -> sa.Select:
    """``SELECT channels.id`` of channels whose connection needs re-authorization (scheduler filter)."""
    return (
        sa.select(Channel.id)
        .join(Connection, Connection.id == Channel.connection_id)
        .where(Connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION.value)
    )


def needing_reauthorization(account_id: int) -> list[Connection]:
    """The account's connections that Amazon no longer accepts (for the banner on every page)."""
    return list(
        db.session.scalars(
            sa.select(Connection)
            .where(
                Connection.account_id == account_id,
                Connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION.value,
            )
            .order_by(Connection.name)
        )
    )
