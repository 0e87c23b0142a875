"""The Amazon adapter: the only code in Shelfsync that talks to Amazon (through python-amazon-sp-api).

Importing this package does not import ``sp_api`` (that happens on the first call). Public surface:

- ``SellerApi(SellerCredentials(...))``: the SP-API operations for one seller and marketplace.
- ``consent_url``, ``exchange_oauth_code``: the website authorization workflow.
- ``errors``: ``AmazonError`` and its kinds; ``help_for``: plain-English help for Amazon's codes.
"""

from __future__ import annotations

from webapp.amazon.api import SellerApi, clear_token_cache, consent_url, exchange_oauth_code
from webapp.amazon.errors import (
    AccessDenied,
    AmazonError,
    AmazonUnavailable,
    AuthorizationRevoked,
    InvalidInput,
    NotFound,
    role_help,
)
from webapp.amazon.help import help_for
from webapp.amazon.settings import AmazonSettings
from webapp.amazon.types import (
    CatalogItem,
    Feed,
    FeedSubmission,
    ListingIssue,
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

__all__ = [
    "AccessDenied",
    "AmazonError",
    "AmazonSettings",
    "AmazonUnavailable",
    "AuthorizationRevoked",
    "CatalogItem",
    "Feed",
    "FeedSubmission",
    "InvalidInput",
    "ListingIssue",
    "ListingItem",
    "ListingSubmission",
    "ListingsFeedResult",
    "MarketplaceParticipation",
    "NotFound",
    "OAuthTokens",
    "ProductTypeDefinition",
    "Report",
    "SellerApi",
    "SellerCredentials",
    "ShipmentPackage",
    "clear_token_cache",
    "consent_url",
    "exchange_oauth_code",
    "help_for",
    "role_help",
]
