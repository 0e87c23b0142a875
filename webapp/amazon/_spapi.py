"""python-amazon-sp-api wired for Shelfsync: API clients, the LWA client, and the guarded call loop.

The only module that imports ``sp_api``. It is imported on first use by ``webapp.amazon.api``, never at
import of ``webapp.amazon`` (loading the library's API package takes about half a second).

Library quirks handled here (NOTES §6):
- Endpoints: the client's ``endpoint`` is set after construction (config override or the region's).
- ``host`` header = ``endpoint[8:]`` assumes https; for an http endpoint it is dropped (httpx sets it).
- ``SP_API_DEFAULT_MARKETPLACE`` overrides any marketplace argument: removed at import (with a warning),
  and the marketplace attributes are set explicitly after construction anyway.
- Token cache: replaced by ``webapp.amazon.tokens`` (namespaced by LWA URL + client id + refresh token).
- 4xx/5xx answers without an ``errors`` body would come back as an empty success: turned into errors.
- Credentials come only from the arguments, never from env variables or a config file.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import httpx

from webapp.amazon import tokens
from webapp.amazon.errors import (
    AccessDenied,
    AmazonError,
    AmazonUnavailable,
    AuthorizationRevoked,
    InvalidInput,
    NotFound,
)
from webapp.amazon.marketplaces import get_marketplace
from webapp.amazon.retry import RETRY_STATUSES, failure_delay, throttle_delay
from webapp.amazon.roles import role_for
from webapp.amazon.settings import AmazonSettings
from webapp.amazon.throttle import RateLimiter
from webapp.amazon.transport import http_client, notify
from webapp.amazon.types import SellerCredentials

log = logging.getLogger(__name__)

if os.environ.pop("SP_API_DEFAULT_MARKETPLACE", None):
    # The library would send every call to that marketplace, whatever the connection says.
    log.warning("SP_API_DEFAULT_MARKETPLACE was set; ignored (Shelfsync picks the marketplace per seller)")

from sp_api.api import ProductTypeDefinitions, Reports, Sellers  # noqa: E402
from sp_api.api.catalog_items.catalog_items_2022_04_01 import CatalogItemsV20220401  # noqa: E402
from sp_api.api.feeds.feeds_2021_06_30 import FeedsV20210630  # noqa: E402
from sp_api.api.listings_items.listings_items_2021_08_01 import ListingsItemsV20210801  # noqa: E402
from sp_api.api.orders.orders_2026_01_01 import OrdersV20260101  # noqa: E402
from sp_api.api.orders.orders_v0 import OrdersV0  # noqa: E402
from sp_api.auth import AccessTokenClient, AccessTokenResponse  # noqa: E402
from sp_api.auth.credentials import Credentials  # noqa: E402
from sp_api.auth.exceptions import AuthorizationError  # noqa: E402
from sp_api.base import ApiResponse, Client, Marketplaces, fill_query_params, sp_endpoint  # noqa: E402
from sp_api.base._transport_httpx import HttpxTransport  # noqa: E402
from sp_api.base.credential_provider import FromCodeCredentialProvider  # noqa: E402
from sp_api.base.exceptions import (  # noqa: E402
    SellingApiException,
    SellingApiForbiddenException,
    SellingApiRequestThrottledException,
    get_exception_for_code,
)

T = TypeVar("T")

RATE_HEADER = "x-amzn-RateLimit-Limit"


def _has_errors(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("errors"))


class _Shelfsync:
    """Mixin for every API class: Host header, shared transport hooks, errors for empty error bodies."""

    endpoint: str

    @property
    def headers(self) -> dict[str, str]:
        """The library's headers; ``host`` only for https (it assumes the 8-character ``https://``)."""
        headers = super().headers  # type: ignore[misc]
        if not self.endpoint.startswith("https://"):
            headers.pop("host", None)
        return headers

    def _check_response(self, res: httpx.Response, *args: Any, **kwargs: Any) -> ApiResponse:
        notify(res)
        if res.status_code >= 400 and not _has_errors(res):
            # The library would return an empty ApiResponse here, as if the call had worked.
            exc = get_exception_for_code(res.status_code)(
                [
                    {
                        "code": f"HTTP{res.status_code}",
                        "message": f"Amazon answered HTTP {res.status_code} without details.",
                    }
                ],
                headers=res.headers,
            )
            exc.status = res.status_code
            raise exc
        try:
            response = super()._check_response(res, *args, **kwargs)  # type: ignore[misc]
        except SellingApiException as exc:
            # The library's classes only know a class-level code (999 for unmapped statuses).
            exc.status = res.status_code
            raise
        response.status_code = res.status_code
        return response


class SellersApi(_Shelfsync, Sellers):
    """Sellers API v1."""


class ListingsApi(_Shelfsync, ListingsItemsV20210801):
    """Listings Items 2021-08-01."""

    @sp_endpoint("/listings/2021-08-01/items/{}/{}", method="DELETE")
    def delete_listings_item(self, seller_id: str, sku: str, **kwargs: Any) -> ApiResponse:
        """deleteListingsItem with the caller's query parameters only: the library's own also sends
        ``MarketplaceId``, ``MarketplaceIds`` and ``marketplace_ids``, which the model does not declare."""
        return self._request(
            fill_query_params(kwargs.pop("path"), seller_id, sku), params=kwargs, add_marketplace=False
        )


class CatalogApi(_Shelfsync, CatalogItemsV20220401):
    """Catalog Items 2022-04-01 (the library's ``CatalogItems()`` defaults to 2020-12-01)."""


class DefinitionsApi(_Shelfsync, ProductTypeDefinitions):
    """Product Type Definitions 2020-09-01."""


class ReportsApi(_Shelfsync, Reports):
    """Reports 2021-06-30."""

    @sp_endpoint("/reports/2021-06-30/reports/{}", method="GET")
    def get_report(self, report_id: str, **kwargs: Any) -> ApiResponse:
        """getReport without the four marketplace query keys the library adds (the model declares none)."""
        return self._request(
            fill_query_params(kwargs.pop("path"), report_id), params=kwargs, add_marketplace=False
        )


class FeedsApi(_Shelfsync, FeedsV20210630):
    """Feeds 2021-06-30, plus getFeedDocument without the library's download."""

    @sp_endpoint("/feeds/2021-06-30/documents/{}", method="GET")
    def get_feed_document_info(self, feed_document_id: str, **kwargs: Any) -> ApiResponse:
        """getFeedDocument: the presigned URL and compression, not the content."""
        return self._request(
            fill_query_params(kwargs.pop("path"), feed_document_id), params=kwargs, add_marketplace=False
        )


class OrdersApi(_Shelfsync, OrdersV20260101):
    """Orders 2026-01-01 (reads; v0 reads are deprecated)."""


class OrdersV0Api(_Shelfsync, OrdersV0):
    """Orders v0, for confirmShipment only (2026-01-01 has no write operations)."""


API_CLASSES: dict[str, type[Client]] = {
    "sellers": SellersApi,
    "listings": ListingsApi,
    "catalog": CatalogApi,
    "definitions": DefinitionsApi,
    "reports": ReportsApi,
    "feeds": FeedsApi,
    "orders": OrdersApi,
    "orders_v0": OrdersV0Api,
}


class LwaClient(AccessTokenClient):
    """LWA token client: URL from settings, the shared transport, and the namespaced token cache."""

    def __init__(
        self,
        *,
        settings: AmazonSettings,
        refresh_token: str | None = None,
        credentials: Any = None,
        proxies: Any = None,
        verify: bool = True,
    ) -> None:
        """Same arguments as the library's client plus ``settings``; no private httpx client is built."""
        self.cred = Credentials(refresh_token, credentials)
        self.proxies = proxies
        self.verify = verify
        self.settings = settings
        self._transport = HttpxTransport(client=http_client(settings.http_timeout))

    @property
    def key(self) -> str:
        """This client's token cache key."""
        return tokens.cache_key(self.settings.lwa_url, self.cred.client_id, self.cred.refresh_token or "")

    def get_auth(self) -> AccessTokenResponse:
        """A fresh access token, from the cache or the LWA endpoint."""
        cached = tokens.get(self.key)
        if cached is None:
            cached = self._request(self.settings.lwa_url, self.data, self.headers)
            expires_in = int(cached.get("expires_in") or 3600)
            tokens.put(
                self.key, cached, self.settings.real_seconds(max(0, expires_in - tokens.EXPIRY_MARGIN))
            )
        return AccessTokenResponse(**cached)

    def forget(self) -> None:
        """Drop the cached access token (Amazon rejected it)."""
        tokens.forget(self.key)

    def authorize_auth_code(self, auth_code: str, redirect_uri: str | None = None) -> dict[str, Any]:
        """Exchange an ``spapi_oauth_code`` for tokens (``redirect_uri`` only if the consent used one)."""
        body = self._auth_code_request_body(auth_code)
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        return self._request(self.settings.lwa_url, body, self.headers)

    def _request(self, url: str, data: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        response = self._transport.request("POST", url, data=data, headers=headers)
        notify(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            raise AuthorizationError(
                body.get("error") or f"HTTP{response.status_code}",
                body.get("error_description") or f"Login with Amazon answered HTTP {response.status_code}.",
                response.status_code,
            )
        return body


_local = threading.local()
_MAX_CLIENTS_PER_THREAD = 64


def client_for(api: str, seller: SellerCredentials, settings: AmazonSettings) -> Any:
    """The API client of kind ``api`` for a seller, reused within the thread (they are not thread-safe)."""
    cache: dict[tuple[str, SellerCredentials, AmazonSettings], Any] = _local.__dict__.setdefault(
        "clients", {}
    )
    key = (api, seller, settings)
    client = cache.get(key)
    if client is None:
        if len(cache) >= _MAX_CLIENTS_PER_THREAD:
            cache.clear()
        client = cache[key] = _build(API_CLASSES[api], seller, settings)
    return client


def _build(cls: type[Client], seller: SellerCredentials, settings: AmazonSettings) -> Any:
    marketplace = get_marketplace(seller.marketplace_id)
    client = cls(
        Marketplaces[marketplace.country_code],
        refresh_token=seller.refresh_token,
        credentials={
            "refresh_token": seller.refresh_token,
            "lwa_app_id": settings.lwa_client_id,
            "lwa_client_secret": settings.lwa_client_secret,
        },
        credential_providers=(FromCodeCredentialProvider,),
        auth_token_client_class=functools.partial(LwaClient, settings=settings),
        timeout=settings.http_timeout,
    )
    client.endpoint = settings.spapi_endpoint(marketplace.id)
    client.marketplace_id = marketplace.id
    client.region = Marketplaces[marketplace.country_code].region
    client._transport.close()
    client._transport = HttpxTransport(client=http_client(settings.http_timeout))
    return client


def _announced_rate(headers: Any) -> float | None:
    try:
        value = float((headers or {}).get(RATE_HEADER) or 0)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _first_error(exc: SellingApiException) -> tuple[str | None, str, str]:
    errors = exc.error if isinstance(exc.error, list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return first.get("code"), first.get("message") or "", first.get("details") or ""


def _about_the_token(status: int, details: str) -> bool:
    """Whether a 401/403 is about the authorization itself. Amazon answers every refusal 403
    ``Unauthorized`` / "Access to requested resource is denied."; only a bad, revoked or expired token
    says so in ``details`` ("The access token you provided is revoked, malformed or invalid."), while a
    missing role leaves ``details`` empty (amzn/selling-partner-api-models issues 826, 2333)."""
    return status == 401 or "access token" in details.lower()


def translate(exc: SellingApiException, operation: str | None = None) -> AmazonError:
    """Our domain error for a library exception that will not be retried."""
    status = getattr(exc, "status", exc.code)
    code, message, details = _first_error(exc)
    code = code or f"HTTP{status}"
    message = message or f"Amazon answered HTTP {status}."
    if status in (401, 403) and _about_the_token(status, details):
        return AuthorizationRevoked(code, message, status=status, details=details)
    if status in (401, 403):
        role = role_for(operation) if operation else None
        return AccessDenied(code, message, role=role, status=status, details=details)
    if status == 404:
        return NotFound(code, message, status=status, details=details)
    if status == 400:
        return InvalidInput(code, message, status=status, details=details)
    if status in RETRY_STATUSES:
        return AmazonUnavailable(code, message, status=status, details=details)
    return AmazonError(code, message, status=status, details=details)


def translate_lwa(exc: AuthorizationError) -> AmazonError:
    """Our domain error for a failed LWA token request."""
    code = exc.error_code or f"HTTP{exc.status_code}"
    message = exc.message or "Login with Amazon refused the request."
    if code == "invalid_grant":
        return AuthorizationRevoked(code, message, status=exc.status_code)
    if exc.status_code in RETRY_STATUSES or exc.status_code == 429:
        return AmazonUnavailable(code, message, status=exc.status_code)
    return AmazonError(code, message, status=exc.status_code)


def _retryable_lwa(exc: AuthorizationError) -> bool:
    return exc.status_code in RETRY_STATUSES or exc.status_code == 429


def call(
    client: Any,
    limiter: RateLimiter,
    settings: AmazonSettings,
    operation: str,
    fn: Callable[[], T],
    feed_type: str | None = None,
) -> T:
    """Run one SP-API operation with rate limiting, back-off and retries; translate what remains.

    Args:
        client: the API client ``fn`` uses (its cached access token is dropped on a 403).
        limiter: the seller's token buckets; a token is taken before every attempt.
        settings: retry and wait limits.
        operation: the operationId (rate-limit table key).
        fn: performs the call and returns the library's answer.
        feed_type: for createFeed, the feed type, whose own limit Amazon applies on top (see throttle).

    Returns:
        What ``fn`` returned.

    Raises:
        AuthorizationRevoked: LWA ``invalid_grant``, or a 401/403 about the token twice in a row (a fresh
            token did not help).
        AccessDenied: a 403 not about the token (a missing role), twice in a row.
        AmazonUnavailable: throttled past ``throttle_max_wait`` or failing past ``max_retries``.
        InvalidInput, NotFound, AmazonError: Amazon refused the request.
    """
    started = time.monotonic()
    failures = throttles = 0
    token_refreshed = False
    while True:
        try:
            # Fetch the access token before taking a rate-limit token, so an LWA round trip never
            # sits between the reservation and the request (see throttle.py on skew).
            client._auth.get_auth()
            waited = 0.0
            if feed_type:
                waited += limiter.acquire_feed_type(
                    feed_type, settings.throttle_max_wait - (time.monotonic() - started)
                )
            waited += limiter.acquire(operation, settings.throttle_max_wait - (time.monotonic() - started))
            if waited:
                log.debug("%s waited %.3f s for a rate-limit token", operation, waited)
            result = fn()
        except SellingApiRequestThrottledException as exc:
            throttles += 1
            announced = _announced_rate(exc.headers)
            if announced:
                limiter.note_rate(operation, announced)
            limiter.penalize(operation)
            delay = throttle_delay(settings, throttles, announced)
            if time.monotonic() - started + delay > settings.throttle_max_wait:
                raise AmazonUnavailable(
                    "QuotaExceeded",
                    f"Amazon kept throttling {operation}; the next run will continue.",
                    status=429,
                ) from None
            log.info("%s throttled (%d in a row), retrying in %.2f s", operation, throttles, delay)
            time.sleep(delay)
            continue
        except SellingApiForbiddenException as exc:
            # A cached access token can expire or be revoked before its time: retry once with a new one.
            if token_refreshed:
                raise translate(exc, operation) from None
            token_refreshed = True
            client._auth.forget()
            continue
        except SellingApiException as exc:
            if getattr(exc, "status", exc.code) not in RETRY_STATUSES:
                raise translate(exc) from None
            error: AmazonError = translate(exc)
        except AuthorizationError as exc:
            if not _retryable_lwa(exc):
                raise translate_lwa(exc) from None
            error = translate_lwa(exc)
        except httpx.TransportError as exc:
            # Retried even for POSTs: a repeated createFeed/createReport is harmless, put/patch are
            # idempotent, and confirmShipment with the same package reference updates in place.
            error = AmazonUnavailable(
                "ConnectionError", f"The connection to Amazon failed ({type(exc).__name__})."
            )
        else:
            announced = _announced_rate(getattr(result, "headers", None))
            if announced:
                limiter.note_rate(operation, announced)
            return result
        failures += 1
        if failures > settings.max_retries:
            raise AmazonUnavailable(error.code, error.message, status=error.status, details=error.details)
        delay = failure_delay(settings, failures)
        log.info("%s failed (%s), retry %d in %.2f s", operation, error.code, failures, delay)
        time.sleep(delay)


def exchange_code(settings: AmazonSettings, code: str, redirect_uri: str | None) -> dict[str, Any]:
    """Exchange an OAuth code at the LWA endpoint; retried only when the request never arrived.

    A code is single-use: after a dropped answer, a retry would fail with ``invalid_grant`` anyway.
    """
    credentials = SimpleNamespace(
        lwa_app_id=settings.lwa_client_id, lwa_client_secret=settings.lwa_client_secret, refresh_token=None
    )
    lwa = LwaClient(settings=settings, credentials=credentials)
    attempt = 0
    while True:
        try:
            return lwa.authorize_auth_code(code, redirect_uri)
        except AuthorizationError as exc:
            raise translate_lwa(exc) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            attempt += 1
            if attempt > settings.max_retries:
                raise AmazonUnavailable("ConnectionError", "Login with Amazon could not be reached.") from exc
            time.sleep(failure_delay(settings, attempt))
