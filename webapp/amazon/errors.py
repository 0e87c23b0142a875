"""Domain exceptions of the Amazon adapter: what callers catch instead of python-amazon-sp-api's classes.

Every error carries Amazon's code and message, plain-English help for the seller (from ``help.py``),
the HTTP status when there was one, and whether running again later can succeed (``retryable``).
"""

from __future__ import annotations

from typing import Any

from webapp.amazon.help import help_for


class AmazonError(Exception):
    """An Amazon call failed in a way the seller (or the next run) has to deal with.

    Attributes:
        code: Amazon's error code (``InvalidInput``, ``invalid_grant``, ``8541``...) or ours.
        message: Amazon's message, or ours when Amazon sent none.
        help: what the seller should do, in plain English.
        status: the HTTP status of Amazon's answer, if any.
        retryable: True when the same call may succeed on a later run.
        details: Amazon's optional ``details`` text.
    """

    retryable_default = False

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        details: str = "",
        help: str | None = None,
    ) -> None:
        """Describe the error; ``help`` defaults to the help table's text for ``code``/``message``."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = self.retryable_default if retryable is None else retryable
        self.details = details
        self.help = help if help is not None else help_for(code, message)

    def __str__(self) -> str:
        """``code: message`` (never contains tokens or secrets)."""
        return f"{self.code}: {self.message}"


class AuthorizationRevoked(AmazonError):
    """The seller's authorization no longer works (``invalid_grant``, ``Unauthorized``, 403).

    The caller marks the connection "needs re-authorization"; retrying will not help.
    """


class AccessDenied(AmazonError):
    """Amazon refused the call although the authorization itself works (403 ``Unauthorized`` without a
    word about the token): the application lacks the role the call needs, or the resource is refused.

    Only this call fails: the connection stays active, and the caller goes on without what it asked for.
    ``role`` names the role the operation needs, when one does.
    """

    def __init__(self, code: str, message: str, *, role: str | None = None, **kwargs: Any) -> None:
        """Describe the refusal; the help names ``role`` when it is known."""
        kwargs.setdefault("help", role_help(role))
        super().__init__(code, message, **kwargs)
        self.role = role


def role_help(role: str | None) -> str:
    """What to do about a refused call (see ``AccessDenied``)."""
    if role is None:
        return (
            "Amazon refused this request for this seller although the connection works: the application may "
            "lack the role it needs. Check the application's roles, then re-authorize the connection."
        )
    return (
        f"Amazon refused this request: the application is not authorized for the “{role}” role for this "
        "seller. Add the role to the application in Seller Central's Developer Central (Edit App), then "
        "re-authorize the connection under Connections so the new role applies. The connection itself "
        "still works."
    )


class AmazonUnavailable(AmazonError):
    """Amazon kept throttling or failing for too long; the next run will try again."""

    retryable_default = True


class InvalidInput(AmazonError):
    """Amazon rejected what we sent (400 / ``InvalidInput``); the data has to be fixed first."""


class NotFound(AmazonError):
    """The SKU, order, report or feed does not exist on Amazon (404)."""
