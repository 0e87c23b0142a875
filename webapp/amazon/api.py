"""The adapter's operations: one ``SellerApi`` per connection, plus the OAuth helpers.

Everything returns plain dataclasses/dicts (``webapp.amazon.types``) and raises only
``webapp.amazon.errors``. Every call waits for the seller's rate-limit token (shared through Redis),
backs off on throttling and retries transient failures (see ``_spapi.call``).

Typical use in a job (inside an app context)::

    api = SellerApi(SellerCredentials(connection.selling_partner_id, refresh_token, channel.marketplace_id))
    for item in api.search_listings():
        ...
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from redis import Redis

from webapp.amazon import documents, tokens
from webapp.amazon.settings import AmazonSettings
from webapp.amazon.throttle import RateLimiter
from webapp.amazon.types import (
    CatalogItem,
    Feed,
    FeedSubmission,
    ListingItem,
    ListingsFeedResult,
    ListingSubmission,
    MarketplaceParticipation,
    OAuthTokens,
    ProductTypeDefinition,
    Report,
    SellerCredentials,
    ShipmentPackage,
)

DEFAULT_LISTING_DATA = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability")
DEFAULT_CATALOG_DATA = ("summaries", "identifiers", "productTypes", "images")
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def _lib() -> Any:
    """The module that wraps python-amazon-sp-api, imported on first use (it is slow to import)."""
    return importlib.import_module("webapp.amazon._spapi")


def _iso(value: datetime | str | None) -> str | None:
    """ISO 8601 in UTC with ``Z`` for datetimes (naive = UTC); strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def _csv(values: Iterable[str] | None) -> str | None:
    return ",".join(values) if values else None


def _drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def consent_url(
    marketplace_id: str,
    state: str,
    *,
    redirect_uri: str | None = None,
    settings: AmazonSettings | None = None,
) -> str:
    """The Seller Central consent URL to redirect the seller to (website authorization workflow).

    Args:
        marketplace_id: decides the Seller Central site (one consent covers the whole region).
        state: the short-lived, session-bound value the callback must check.
        redirect_uri: one of the app's registered redirect URIs; Amazon uses the first when omitted.
        settings: defaults to the current app's.

    Returns:
        ``{seller central}/apps/authorize/consent?application_id=..&state=..``, plus ``version=beta``
        for a Draft app and ``redirect_uri`` when given.
    """
    settings = settings or AmazonSettings.current()
    params = {"application_id": settings.app_id, "state": state}
    if settings.app_draft:
        params["version"] = "beta"
    if redirect_uri:
        params["redirect_uri"] = redirect_uri
    return f"{settings.seller_central(marketplace_id)}/apps/authorize/consent?{urlencode(params)}"


def exchange_oauth_code(
    code: str, *, redirect_uri: str | None = None, settings: AmazonSettings | None = None
) -> OAuthTokens:
    """Exchange the ``spapi_oauth_code`` from the consent redirect for a refresh token (within 5 minutes).

    Args:
        code: the ``spapi_oauth_code`` query parameter.
        redirect_uri: only if the consent URL named one.
        settings: defaults to the current app's.

    Raises:
        AuthorizationRevoked: ``invalid_grant`` (code reused, expired or unknown).
        AmazonError: e.g. ``invalid_client`` (the app's LWA credentials are wrong).
        AmazonUnavailable: Login with Amazon could not be reached.
    """
    settings = settings or AmazonSettings.current()
    data = _lib().exchange_code(settings, code, redirect_uri)
    return OAuthTokens(
        refresh_token=data["refresh_token"],
        access_token=data["access_token"],
        expires_in=int(data.get("expires_in") or 3600),
    )


def clear_token_cache() -> None:
    """Forget every cached LWA access token of this process."""
    tokens.clear()


class SellerApi:
    """SP-API operations for one seller in one marketplace."""

    def __init__(
        self, seller: SellerCredentials, *, settings: AmazonSettings | None = None, redis: Redis | None = None
    ) -> None:
        """Bind to a seller; ``settings`` and ``redis`` default to the current app's."""
        if redis is None:
            from webapp.redis_conn import get_redis

            redis = get_redis()
        self.seller = seller
        self.settings = settings or AmazonSettings.current()
        self.limiter = RateLimiter(redis, self.settings, seller.region, seller.selling_partner_id)

    @property
    def marketplace_id(self) -> str:
        """The marketplace every call targets."""
        return self.seller.marketplace_id

    def _call(self, api: str, operation: str, fn: Callable[[Any], Any], feed_type: str | None = None) -> Any:
        lib = _lib()
        client = lib.client_for(api, self.seller, self.settings)
        return lib.call(client, self.limiter, self.settings, operation, lambda: fn(client), feed_type)

    # Sellers ---------------------------------------------------------------------------------------

    def marketplace_participations(self) -> list[MarketplaceParticipation]:
        """The marketplaces the seller participates in (the connection test)."""
        res = self._call(
            "sellers", "getMarketplaceParticipations", lambda c: c.get_marketplace_participation()
        )
        return [MarketplaceParticipation.from_json(p) for p in res.payload or []]

    # Listings --------------------------------------------------------------------------------------

    def get_listing(
        self, sku: str, *, included_data: Iterable[str] = DEFAULT_LISTING_DATA, issue_locale: str = "en_US"
    ) -> ListingItem:
        """getListingsItem.

        Raises:
            NotFound: the SKU is not on Amazon (a broken link).
        """
        res = self._call(
            "listings",
            "getListingsItem",
            lambda c: c.get_listings_item(
                self.seller.selling_partner_id,
                sku,
                marketplaceIds=self.marketplace_id,
                includedData=_csv(included_data),
                issueLocale=issue_locale,
            ),
        )
        return ListingItem.from_json(res.payload)

    def put_listing(
        self,
        sku: str,
        product_type: str,
        attributes: dict[str, Any],
        *,
        requirements: str = "LISTING",
        preview: bool = False,
        issue_locale: str = "en_US",
    ) -> ListingSubmission:
        """putListingsItem (full replace). ``requirements="LISTING_OFFER_ONLY"`` offers on an existing ASIN.

        Args:
            preview: ``mode=VALIDATION_PREVIEW``: validate only, nothing is written.

        Returns:
            The submission; ``issues`` carry help text. INVALID is a result, not an exception.
        """
        body = {"productType": product_type, "requirements": requirements, "attributes": attributes}
        return self._submit(
            "putListingsItem",
            lambda c, params: c.put_listings_item(self.seller.selling_partner_id, sku, body=body, **params),
            preview,
            issue_locale,
        )

    def patch_listing(
        self,
        sku: str,
        product_type: str,
        patches: list[dict[str, Any]],
        *,
        preview: bool = False,
        issue_locale: str = "en_US",
    ) -> ListingSubmission:
        """patchListingsItem: ``patches`` are ``{"op", "path": "/attributes/<name>", "value"}`` objects."""
        body = {"productType": product_type, "patches": patches}
        return self._submit(
            "patchListingsItem",
            lambda c, params: c.patch_listings_item(self.seller.selling_partner_id, sku, body=body, **params),
            preview,
            issue_locale,
        )

    def _submit(
        self, operation: str, send: Callable[[Any, dict[str, Any]], Any], preview: bool, issue_locale: str
    ) -> ListingSubmission:
        params = _drop_none(
            {
                "marketplaceIds": self.marketplace_id,
                "issueLocale": issue_locale,
                "includedData": "issues,identifiers",
                "mode": "VALIDATION_PREVIEW" if preview else None,
            }
        )
        res = self._call("listings", operation, lambda c: send(c, params))
        return ListingSubmission.from_json(res.payload)

    def delete_listing(self, sku: str) -> ListingSubmission:
        """deleteListingsItem in this marketplace."""
        res = self._call(
            "listings",
            "deleteListingsItem",
            lambda c: c.delete_listings_item(
                self.seller.selling_partner_id, sku, marketplaceIds=self.marketplace_id
            ),
        )
        return ListingSubmission.from_json(res.payload)

    def search_listings(
        self,
        *,
        identifiers: Iterable[str] | None = None,
        identifiers_type: str | None = None,
        included_data: Iterable[str] = DEFAULT_LISTING_DATA,
        last_updated_after: datetime | str | None = None,
        page_size: int = 20,
    ) -> Iterator[ListingItem]:
        """searchListingsItems, following every page (Amazon pages only the first 1000 SKUs:
        use the GET_MERCHANT_LISTINGS_ALL_DATA report for a full import).

        Args:
            identifiers: up to 20 SKUs/ASINs/EANs..., with ``identifiers_type``.
        """
        params = _drop_none(
            {
                "marketplaceIds": self.marketplace_id,
                "includedData": _csv(included_data),
                "identifiers": _csv(identifiers),
                "identifiersType": identifiers_type,
                "lastUpdatedAfter": _iso(last_updated_after),
                "pageSize": page_size,
            }
        )
        token: str | None = None
        while True:
            page = dict(params, pageToken=token) if token else params
            res = self._call(
                "listings",
                "searchListingsItems",
                lambda c, page=page: c.search_listings_items(self.seller.selling_partner_id, **page),
            )
            for item in res.payload.get("items") or []:
                yield ListingItem.from_json(item)
            token = (res.pagination or {}).get("nextToken")
            if not token:
                return

    # Catalog and product types ---------------------------------------------------------------------

    def search_catalog(
        self,
        identifiers: Iterable[str],
        identifiers_type: str,
        *,
        included_data: Iterable[str] = DEFAULT_CATALOG_DATA,
    ) -> list[CatalogItem]:
        """searchCatalogItems by identifiers (up to 20 UPC/EAN/GTIN/ISBN/ASIN values), all pages."""
        params = {
            "marketplaceIds": self.marketplace_id,
            "identifiers": _csv(identifiers),
            "identifiersType": identifiers_type,
            "includedData": _csv(included_data),
            "pageSize": 20,
        }
        items: list[CatalogItem] = []
        token: str | None = None
        while True:
            page = dict(params, pageToken=token) if token else params
            res = self._call(
                "catalog", "searchCatalogItems", lambda c, page=page: c.search_catalog_items(**page)
            )
            items.extend(
                CatalogItem.from_json(i, self.marketplace_id) for i in res.payload.get("items") or []
            )
            token = (res.pagination or {}).get("nextToken")
            if not token:
                return items

    def get_catalog_item(
        self, asin: str, *, included_data: Iterable[str] = DEFAULT_CATALOG_DATA
    ) -> CatalogItem:
        """getCatalogItem.

        Raises:
            NotFound: no such ASIN in this marketplace.
        """
        res = self._call(
            "catalog",
            "getCatalogItem",
            lambda c: c.get_catalog_item(
                asin, marketplaceIds=self.marketplace_id, includedData=_csv(included_data)
            ),
        )
        return CatalogItem.from_json(res.payload, self.marketplace_id)

    def get_product_type_definition(
        self,
        product_type: str,
        *,
        requirements: str = "LISTING",
        requirements_enforced: str = "ENFORCED",
        locale: str | None = None,
    ) -> ProductTypeDefinition:
        """getDefinitionsProductType for this seller and marketplace."""
        params = _drop_none(
            {
                "marketplaceIds": self.marketplace_id,
                "sellerId": self.seller.selling_partner_id,
                "requirements": requirements,
                "requirementsEnforced": requirements_enforced,
                "locale": locale,
            }
        )
        res = self._call(
            "definitions",
            "getDefinitionsProductType",
            lambda c: c.get_definitions_product_type(product_type, **params),
        )
        return ProductTypeDefinition.from_json(res.payload)

    # Reports ---------------------------------------------------------------------------------------

    def create_report(
        self,
        report_type: str,
        *,
        data_start_time: datetime | str | None = None,
        data_end_time: datetime | str | None = None,
        options: dict[str, str] | None = None,
    ) -> str:
        """createReport for this marketplace; returns the report id."""
        body = _drop_none(
            {
                "reportType": report_type,
                "marketplaceIds": [self.marketplace_id],
                "dataStartTime": _iso(data_start_time),
                "dataEndTime": _iso(data_end_time),
                "reportOptions": options,
            }
        )
        res = self._call("reports", "createReport", lambda c: c.create_report(**body))
        return res.payload["reportId"]

    def get_report(self, report_id: str) -> Report:
        """getReport: processing status and, when DONE, the document id."""
        res = self._call("reports", "getReport", lambda c: c.get_report(report_id))
        return Report.from_json(res.payload)

    def iter_report_lines(self, report_document_id: str) -> Iterator[str]:
        """getReportDocument, then stream the document as decoded lines (gunzipped, charset-aware).

        The presigned URL expires after 5 minutes, so it is fetched right before the download.
        """
        res = self._call("reports", "getReportDocument", lambda c: c.get_report_document(report_document_id))
        yield from documents.iter_lines(self.settings, res.payload["url"])

    # Feeds -----------------------------------------------------------------------------------------

    def submit_feed(
        self,
        feed_type: str,
        document: bytes,
        *,
        content_type: str = JSON_CONTENT_TYPE,
        options: dict[str, str] | None = None,
    ) -> FeedSubmission:
        """createFeedDocument, upload the bytes, createFeed.

        Args:
            document: the feed content as bytes (encode text yourself: UTF-8 for JSON feeds).
        """
        doc = self._call(
            "feeds", "createFeedDocument", lambda c: c.create_feed_document(None, content_type)
        ).payload
        documents.upload(self.settings, doc["url"], document, content_type)
        body = _drop_none({"marketplaceIds": [self.marketplace_id], "feedOptions": options})
        feed = self._call(
            "feeds",
            "createFeed",
            lambda c: c.create_feed(feed_type, doc["feedDocumentId"], **body),
            feed_type=feed_type,
        ).payload
        return FeedSubmission(feed_id=feed["feedId"], feed_document_id=doc["feedDocumentId"])

    def submit_listings_feed(
        self, messages: list[dict[str, Any]], *, issue_locale: str = "en_US"
    ) -> FeedSubmission:
        """Submit a JSON_LISTINGS_FEED (UPDATE / PARTIAL_UPDATE / PATCH / DELETE messages, up to 25,000).

        The processing report is asked to include each item's issues, offers and availability.
        """
        document = {
            "header": {
                "sellerId": self.seller.selling_partner_id,
                "version": "2.0",
                "issueLocale": issue_locale,
                "report": {
                    "includedData": ["issues", "offers", "fulfillmentAvailability"],
                    "apiVersion": "2021-08-01",
                },
            },
            "messages": messages,
        }
        return self.submit_feed(
            "JSON_LISTINGS_FEED", json.dumps(document, separators=(",", ":")).encode("utf-8")
        )

    def get_feed(self, feed_id: str) -> Feed:
        """getFeed: processing status and, when DONE, the result document id."""
        res = self._call("feeds", "getFeed", lambda c: c.get_feed(feed_id))
        return Feed.from_json(res.payload)

    def read_feed_result(self, result_feed_document_id: str) -> str:
        """getFeedDocument, then download the processing report as text."""
        res = self._call(
            "feeds", "getFeedDocument", lambda c: c.get_feed_document_info(result_feed_document_id)
        )
        return documents.read_text(self.settings, res.payload["url"])

    def get_listings_feed_result(self, result_feed_document_id: str) -> ListingsFeedResult:
        """The JSON_LISTINGS_FEED processing report, parsed, with help text on every issue."""
        return ListingsFeedResult.from_json(json.loads(self.read_feed_result(result_feed_document_id)))

    # Orders ----------------------------------------------------------------------------------------

    def search_orders(
        self,
        *,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        last_updated_after: datetime | str | None = None,
        last_updated_before: datetime | str | None = None,
        fulfillment_statuses: Iterable[str] | None = None,
        fulfilled_by: Iterable[str] | None = None,
        included_data: Iterable[str] | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Orders 2026-01-01 searchOrders in this marketplace, every page; yields ``Order`` dicts.

        Give exactly one of ``created_after`` / ``last_updated_after``. ``included_data``: BUYER,
        RECIPIENT, FULFILLMENT, PACKAGES, PROCEEDS... (buyer PII: encrypt what you store).
        """
        params = _drop_none(
            {
                "marketplaceIds": self.marketplace_id,
                "createdAfter": _iso(created_after),
                "createdBefore": _iso(created_before),
                "lastUpdatedAfter": _iso(last_updated_after),
                "lastUpdatedBefore": _iso(last_updated_before),
                "fulfillmentStatuses": _csv(fulfillment_statuses),
                "fulfilledBy": _csv(fulfilled_by),
                "includedData": _csv(included_data),
                "maxResultsPerPage": page_size,
            }
        )
        token: str | None = None
        while True:
            page = dict(params, paginationToken=token) if token else params
            res = self._call("orders", "searchOrders", lambda c, page=page: c.search_orders(**page))
            yield from res.payload.get("orders") or []
            token = (res.pagination or {}).get("nextToken")
            if not token:
                return

    def get_order(self, order_id: str, *, included_data: Iterable[str] | None = None) -> dict[str, Any]:
        """Orders 2026-01-01 getOrder; returns the ``Order`` dict (items always included).

        Raises:
            NotFound: no such order for this seller.
        """
        params = _drop_none({"includedData": _csv(included_data)})
        res = self._call("orders", "getOrder", lambda c: c.get_order(order_id, **params))
        return res.payload["order"]

    def confirm_shipment(self, order_id: str, package: ShipmentPackage) -> None:
        """Orders v0 confirmShipment: push one package's carrier and tracking number to Amazon.

        Raises:
            InvalidInput: e.g. an unknown carrier code (the help text says to fix the shipping mapping).
        """
        self._call(
            "orders_v0",
            "confirmShipment",
            lambda c: c.confirm_shipment(
                order_id, marketplaceId=self.marketplace_id, packageDetail=package.to_json()
            ),
        )
