"""Plain data the adapter hands out: dataclasses built from Amazon's JSON, no python-amazon-sp-api types.

Each record keeps the untouched JSON in ``raw`` for the fields we do not model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.amazon.help import help_for
from webapp.amazon.marketplaces import get_marketplace


@dataclass(frozen=True)
class SellerCredentials:
    """What a client needs to act for one seller in one marketplace.

    ``refresh_token`` is a secret: it is kept out of ``repr`` and never logged. To act in another
    marketplace of the same region, use ``dataclasses.replace(seller, marketplace_id=...)``.
    """

    selling_partner_id: str
    refresh_token: str = field(repr=False)
    marketplace_id: str

    @property
    def region(self) -> str:
        """``na``, ``eu`` or ``fe``, derived from the marketplace."""
        return get_marketplace(self.marketplace_id).region


@dataclass(frozen=True)
class OAuthTokens:
    """The result of exchanging an ``spapi_oauth_code``: store ``refresh_token`` (encrypted)."""

    refresh_token: str = field(repr=False)
    access_token: str = field(repr=False)
    expires_in: int


@dataclass(frozen=True)
class MarketplaceParticipation:
    """One marketplace the seller can sell in (Sellers getMarketplaceParticipations)."""

    marketplace_id: str
    name: str
    country_code: str
    currency: str
    language: str
    domain: str
    is_participating: bool
    has_suspended_listings: bool
    store_name: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarketplaceParticipation:
        """Build from one element of the Sellers payload."""
        market = data.get("marketplace") or {}
        part = data.get("participation") or {}
        return cls(
            marketplace_id=market.get("id", ""),
            name=market.get("name", ""),
            country_code=market.get("countryCode", ""),
            currency=market.get("defaultCurrencyCode", ""),
            language=market.get("defaultLanguageCode", ""),
            domain=market.get("domainName", ""),
            is_participating=bool(part.get("isParticipating")),
            has_suspended_listings=bool(part.get("hasSuspendedListings")),
            store_name=data.get("storeName", ""),
        )


@dataclass(frozen=True)
class ListingIssue:
    """A problem Amazon reports on a listing or a feed message, with Shelfsync's help text."""

    code: str
    message: str
    severity: str
    attribute_names: tuple[str, ...] = ()
    help: str = ""
    sku: str | None = None
    message_id: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListingIssue:
        """Build from a Listings ``Issue`` or a feed processing-report issue."""
        names = data.get("attributeNames") or ([data["attributeName"]] if data.get("attributeName") else [])
        code = str(data.get("code", ""))
        message = data.get("message", "")
        return cls(
            code=code,
            message=message,
            severity=data.get("severity", "ERROR"),
            attribute_names=tuple(names),
            help=help_for(code, message),
            sku=data.get("sku"),
            message_id=data.get("messageId"),
        )

    @property
    def is_error(self) -> bool:
        """True for ERROR issues (they block the listing); WARNING/INFO do not."""
        return self.severity == "ERROR"


def _issues(data: dict[str, Any]) -> tuple[ListingIssue, ...]:
    return tuple(ListingIssue.from_json(i) for i in data.get("issues") or [])


@dataclass(frozen=True)
class ListingItem:
    """A listing (SKU) as getListingsItem / searchListingsItems return it, first summary flattened."""

    sku: str
    asin: str | None
    product_type: str | None
    condition_type: str | None
    status: tuple[str, ...]
    item_name: str | None
    attributes: dict[str, Any]
    issues: tuple[ListingIssue, ...]
    offers: tuple[dict[str, Any], ...]
    fulfillment_availability: tuple[dict[str, Any], ...]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListingItem:
        """Build from a Listings ``Item``."""
        summary = (data.get("summaries") or [{}])[0]
        return cls(
            sku=data.get("sku", ""),
            asin=summary.get("asin"),
            product_type=summary.get("productType"),
            condition_type=summary.get("conditionType"),
            status=tuple(summary.get("status") or ()),
            item_name=summary.get("itemName"),
            attributes=data.get("attributes") or {},
            issues=_issues(data),
            offers=tuple(data.get("offers") or ()),
            fulfillment_availability=tuple(data.get("fulfillmentAvailability") or ()),
            raw=data,
        )


@dataclass(frozen=True)
class ListingSubmission:
    """Amazon's answer to a put/patch/delete: ACCEPTED (queued), INVALID, or VALID (preview only)."""

    sku: str
    status: str
    submission_id: str
    issues: tuple[ListingIssue, ...]
    asin: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListingSubmission:
        """Build from a ``ListingsItemSubmissionResponse``."""
        identifiers = data.get("identifiers") or [{}]
        return cls(
            sku=data.get("sku", ""),
            status=data.get("status", ""),
            submission_id=data.get("submissionId", ""),
            issues=_issues(data),
            asin=identifiers[0].get("asin"),
            raw=data,
        )

    @property
    def accepted(self) -> bool:
        """True when Amazon took the submission (ACCEPTED, or VALID in a validation preview)."""
        return self.status in ("ACCEPTED", "VALID")


@dataclass(frozen=True)
class CatalogItem:
    """A catalog product (ASIN) with the marketplace's summary, identifiers, product type and images."""

    asin: str
    item_name: str | None
    brand: str | None
    manufacturer: str | None
    product_type: str | None
    identifiers: tuple[dict[str, str], ...]
    images: tuple[dict[str, Any], ...]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any], marketplace_id: str) -> CatalogItem:
        """Build from a Catalog Items 2022-04-01 ``Item``, picking the entries for ``marketplace_id``."""

        def pick(key: str) -> dict[str, Any]:
            entries = data.get(key) or []
            return next(
                (e for e in entries if e.get("marketplaceId") == marketplace_id),
                entries[0] if entries else {},
            )

        summary = pick("summaries")
        return cls(
            asin=data.get("asin", ""),
            item_name=summary.get("itemName"),
            brand=summary.get("brand"),
            manufacturer=summary.get("manufacturer"),
            product_type=pick("productTypes").get("productType"),
            identifiers=tuple(pick("identifiers").get("identifiers") or ()),
            images=tuple(pick("images").get("images") or ()),
            raw=data,
        )


@dataclass(frozen=True)
class ProductTypeDefinition:
    """A product type's requirements and where to fetch its attribute JSON Schema."""

    product_type: str
    display_name: str
    requirements: str
    requirements_enforced: str
    version: str
    schema_url: str
    schema_checksum: str
    property_groups: dict[str, Any]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProductTypeDefinition:
        """Build from a ``ProductTypeDefinition``."""
        schema = data.get("schema") or {}
        return cls(
            product_type=data.get("productType", ""),
            display_name=data.get("displayName", ""),
            requirements=data.get("requirements", ""),
            requirements_enforced=data.get("requirementsEnforced", ""),
            version=(data.get("productTypeVersion") or {}).get("version", ""),
            schema_url=(schema.get("link") or {}).get("resource", ""),
            schema_checksum=schema.get("checksum", ""),
            property_groups=data.get("propertyGroups") or {},
            raw=data,
        )


class ProcessingState:
    """The ``processingStatus`` lifecycle that reports and feeds share (Reports/Feeds API 2021-06-30).

    A plain mixin, not a dataclass, so each record keeps its own field order and constructor.
    """

    TERMINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})
    """Statuses after which processing never changes again."""

    processing_status: str

    @property
    def done(self) -> bool:
        """True once processing ended, successfully or not (DONE, CANCELLED, FATAL)."""
        return self.processing_status in self.TERMINAL_STATUSES

    @staticmethod
    def _lifecycle_fields(data: dict[str, Any]) -> dict[str, Any]:
        """The fields a report and a feed read alike from Amazon's JSON (status, times, ``raw``)."""
        return {
            "processing_status": data.get("processingStatus", ""),
            "created_time": data.get("createdTime"),
            "processing_end_time": data.get("processingEndTime"),
            "raw": data,
        }


@dataclass(frozen=True)
class Report(ProcessingState):
    """A report request and its processing state."""

    report_id: str
    report_type: str
    processing_status: str
    report_document_id: str | None
    created_time: str | None
    processing_end_time: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """Build from a Reports 2021-06-30 ``Report``."""
        return cls(
            report_id=data.get("reportId", ""),
            report_type=data.get("reportType", ""),
            report_document_id=data.get("reportDocumentId"),
            **cls._lifecycle_fields(data),
        )


@dataclass(frozen=True)
class Feed(ProcessingState):
    """A submitted feed and its processing state."""

    feed_id: str
    feed_type: str
    processing_status: str
    result_feed_document_id: str | None
    created_time: str | None
    processing_end_time: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Feed:
        """Build from a Feeds 2021-06-30 ``Feed``."""
        return cls(
            feed_id=data.get("feedId", ""),
            feed_type=data.get("feedType", ""),
            result_feed_document_id=data.get("resultFeedDocumentId"),
            **cls._lifecycle_fields(data),
        )


@dataclass(frozen=True)
class FeedSubmission:
    """The ids of a submitted feed and of its uploaded input document."""

    feed_id: str
    feed_document_id: str


@dataclass(frozen=True)
class ListingsFeedResult:
    """A JSON_LISTINGS_FEED processing report: counts, issues (with help) and the reported items."""

    summary: dict[str, Any]
    issues: tuple[ListingIssue, ...]
    items: tuple[dict[str, Any], ...]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListingsFeedResult:
        """Build from a processing report (listings-feed-processing-report-schema-v2)."""
        return cls(
            summary=data.get("summary") or {},
            issues=_issues(data),
            items=tuple(data.get("items") or ()),
            raw=data,
        )


@dataclass(frozen=True)
class ShipmentPackage:
    """One package for Orders v0 confirmShipment (tracking sync-back).

    ``items`` are ``(order_item_id, quantity)`` pairs; ``carrier_name`` is required by Amazon when
    ``carrier_code`` is ``Other``; ``ship_date`` is ISO 8601.
    """

    package_reference_id: str
    carrier_code: str
    tracking_number: str
    ship_date: str
    items: tuple[tuple[str, int], ...]
    carrier_name: str | None = None
    shipping_method: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``packageDetail`` object of a ConfirmShipmentRequest."""
        detail: dict[str, Any] = {
            "packageReferenceId": self.package_reference_id,
            "carrierCode": self.carrier_code,
            "trackingNumber": self.tracking_number,
            "shipDate": self.ship_date,
            "orderItems": [{"orderItemId": item_id, "quantity": qty} for item_id, qty in self.items],
        }
        if self.carrier_name:
            detail["carrierName"] = self.carrier_name
        if self.shipping_method:
            detail["shippingMethod"] = self.shipping_method
        return detail
