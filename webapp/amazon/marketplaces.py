"""Amazon marketplaces: id -> country, region, SP-API endpoint and Seller Central URL (NOTES §1).

Kept here rather than taken from ``sp_api.base.Marketplaces`` so that building a consent URL or
validating a connection never imports the library.
"""

from __future__ import annotations

from dataclasses import dataclass

SPAPI_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


@dataclass(frozen=True)
class Marketplace:
    """One Amazon marketplace."""

    id: str
    country_code: str
    region: str
    seller_central: str
    currency: str  # ISO 4217 code offers are priced in (purchasable_offer.currency, NOTES §5.3)
    language_tag: str  # language of text attributes (language_tag) and of issue messages

    @property
    def spapi_endpoint(self) -> str:
        """Amazon's production SP-API base URL for this marketplace's region."""
        return SPAPI_ENDPOINTS[self.region]


_EUROPE = "https://sellercentral-europe.amazon.com"

# Seller Central hosts: the 2021 developer guide's table; BE, ZA, EG, SA, IE come from public code
# (NOTES §1), not the official table.
MARKETPLACES: dict[str, Marketplace] = {
    m.id: m
    for m in (
        Marketplace("A2EUQ1WTGCTBG2", "CA", "na", "https://sellercentral.amazon.ca", "CAD", "en_CA"),
        Marketplace("ATVPDKIKX0DER", "US", "na", "https://sellercentral.amazon.com", "USD", "en_US"),
        Marketplace("A1AM78C64UM0Y8", "MX", "na", "https://sellercentral.amazon.com.mx", "MXN", "es_MX"),
        Marketplace("A2Q3Y263D00KWC", "BR", "na", "https://sellercentral.amazon.com.br", "BRL", "pt_BR"),
        Marketplace("A28R8C7NBKEWEA", "IE", "eu", "https://sellercentral.amazon.ie", "EUR", "en_IE"),
        Marketplace("A1RKKUPIHCS9HS", "ES", "eu", _EUROPE, "EUR", "es_ES"),
        Marketplace("A1F83G8C2ARO7P", "GB", "eu", _EUROPE, "GBP", "en_GB"),
        Marketplace("A13V1IB3VIYZZH", "FR", "eu", _EUROPE, "EUR", "fr_FR"),
        Marketplace("AMEN7PMS3EDWL", "BE", "eu", "https://sellercentral.amazon.com.be", "EUR", "fr_BE"),
        Marketplace("A1805IZSGTT6HS", "NL", "eu", "https://sellercentral.amazon.nl", "EUR", "nl_NL"),
        Marketplace("A1PA6795UKMFR9", "DE", "eu", _EUROPE, "EUR", "de_DE"),
        Marketplace("APJ6JRA9NG5V4", "IT", "eu", _EUROPE, "EUR", "it_IT"),
        Marketplace("A2NODRKZP88ZB9", "SE", "eu", "https://sellercentral.amazon.se", "SEK", "sv_SE"),
        Marketplace("AE08WJ6YKNBMC", "ZA", "eu", "https://sellercentral.amazon.co.za", "ZAR", "en_ZA"),
        Marketplace("A1C3SOZRARQ6R3", "PL", "eu", "https://sellercentral.amazon.pl", "PLN", "pl_PL"),
        Marketplace("ARBP9OOSHTCHU", "EG", "eu", "https://sellercentral.amazon.eg", "EGP", "ar_EG"),
        Marketplace("A33AVAJ2PDY3EV", "TR", "eu", "https://sellercentral.amazon.com.tr", "TRY", "tr_TR"),
        Marketplace("A17E79C6D8DWNP", "SA", "eu", "https://sellercentral.amazon.sa", "SAR", "ar_SA"),
        Marketplace("A2VIGQ35RCS4UG", "AE", "eu", "https://sellercentral.amazon.ae", "AED", "en_AE"),
        Marketplace("A21TJRUUN4KGV", "IN", "eu", "https://sellercentral.amazon.in", "INR", "en_IN"),
        Marketplace("A19VAU5U5O7RUS", "SG", "fe", "https://sellercentral.amazon.sg", "SGD", "en_SG"),
        Marketplace("A39IBJ37TRP1C6", "AU", "fe", "https://sellercentral.amazon.com.au", "AUD", "en_AU"),
        Marketplace("A1VC38T7YXB528", "JP", "fe", "https://sellercentral.amazon.co.jp", "JPY", "ja_JP"),
    )
}


def get_marketplace(marketplace_id: str) -> Marketplace:
    """The marketplace with this id.

    Raises:
        KeyError: the id is not an Amazon marketplace we know.
    """
    try:
        return MARKETPLACES[marketplace_id]
    except KeyError:
        raise KeyError(f"unknown Amazon marketplace id {marketplace_id!r}") from None
