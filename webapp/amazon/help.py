"""Plain-English help for Amazon's error codes and listing issues: one table, looked up by code or message.

Amazon reports problems in two shapes that both land here: SP-API errors
(``{"errors": [{"code": "InvalidInput", "message": ...}]}``) and listing ``issues``
(``{"code": "8541", "message": ..., "severity": "ERROR"}``) from putListingsItem / patchListingsItem,
getListingsItem and the JSON_LISTINGS_FEED processing report. Some entries are Shelfsync's own codes
(raised before anything is sent), so the seller sees one vocabulary.

Numeric listing codes are matched by code where a public source names them (cited per entry), and
by message text otherwise, because Amazon rewords messages but keeps codes, and vice versa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class HelpEntry:
    """One row of the table: the codes and/or message pattern it covers, and what to tell the seller."""

    codes: tuple[str, ...]
    pattern: str | None
    text: str


RE_AUTHORIZE = (
    "Amazon no longer accepts this connection's authorization (it was revoked in Seller Central, "
    "expired, or the account changed). Open Connections and click Re-authorize."
)
REQUIRED_ATTRIBUTE = (
    "Amazon needs a value for a required attribute (named in the message). Map that attribute in the "
    "channel's mapping template, or fill it in on the source item, then run again."
)

HELP_TABLE: tuple[HelpEntry, ...] = (
    # Brand gating. 5461 "not approved for brand" and 5665 "brand name not approved": Seller Central
    # processing-report codes as quoted in public seller guides (imagikids.freshdesk.com "Brand error
    # reporting"; "Amazon Listing Basics and Common Error Codes" on scribd).
    HelpEntry(
        ("5461", "5665", "BrandRestricted"),
        r"brand.*(not (been )?approved|approval|restricted|not authori[sz]ed)|restricted brand",
        "Amazon restricts this brand. Apply to sell the brand in Seller Central (Catalog > Add Products > "
        "search the product > Apply to sell). Once approved, link this item to the existing Amazon listing "
        "instead of publishing a new one.",
    ),
    # Shelfsync's own checks, raised before a listing is sent.
    HelpEntry(
        ("MissingFulfillmentCenterId",),
        r"fulfillment_center_id",
        "This listing needs a fulfillment channel. Map amazon.inventory_product.fulfillment_center_id in "
        "the channel's mapping template: a constant DEFAULT for items you ship yourself, or AMAZON_NA / "
        "AMAZON_EU / AMAZON_FE for FBA.",
    ),
    HelpEntry(
        ("ProductIdTypeWithoutProductId",),
        r"product.?id.?type.*(without|no|missing|empty).*product.?id",
        "The template sets a Product ID Type (UPC, EAN, ASIN...) but this item has no Product ID. Map the "
        "Product ID to the source item's UPC/EAN/ASIN field, or set Product ID Type to Do Not Map.",
    ),
    HelpEntry(
        ("ConditionNoteIgnored",),
        r"condition.?note",
        "Amazon ignores condition notes on items listed as New, so the note was not sent. Remove the "
        "condition note mapping for new items, or list the item in a used condition.",
    ),
    # LWA token endpoint errors (NOTES §2.2) and SP-API 403 "Unauthorized".
    HelpEntry(("invalid_grant", "Unauthorized", "AccessDenied"), r"invalid_grant", RE_AUTHORIZE),
    HelpEntry(
        ("invalid_client", "unauthorized_client"),
        None,
        "Amazon rejected Shelfsync's own app credentials (AMAZON_LWA_CLIENT_ID / AMAZON_LWA_CLIENT_SECRET). "
        "This is a setup problem on the Shelfsync server, not in your account: contact your administrator.",
    ),
    # Throttling and outages (NOTES §3); a throttle only surfaces after long exhaustion.
    HelpEntry(
        ("QuotaExceeded", "TemporarilyUnavailable"),
        None,
        "Amazon is limiting how fast Shelfsync may call it right now. Nothing was lost: Shelfsync slows "
        "down on its own and the next run continues where this one stopped.",
    ),
    HelpEntry(
        (
            "InternalFailure",
            "ServiceUnavailable",
            "HTTP500",
            "HTTP502",
            "HTTP503",
            "HTTP504",
            "ConnectionError",
        ),
        None,
        "Amazon had a temporary problem answering. Nothing was lost; the next run tries again.",
    ),
    HelpEntry(
        ("NotFound", "NOT_FOUND"),
        r"SKU .*does not exist",
        "This SKU (or record) does not exist on Amazon any more, so the link is broken. Unlink the listing "
        "and link it again to the right Amazon SKU, or publish it anew.",
    ),
    # Shipment confirmation with a carrier or method Amazon does not know (confirmShipment InvalidInput).
    HelpEntry(
        ("UnknownCarrier", "UnknownShippingMethod"),
        r"carrier|shipping ?method",
        "Amazon does not recognise this carrier or shipping method. Edit the shipment on the order page: "
        "choose one of Amazon's carrier codes (or Other plus the carrier's name) and the carrier's own "
        "service name as the method; Sync Orders sends it again on its next run.",
    ),
    # 8541: data conflicts with the catalog (linnworks "Amazon errors when listing"; scribd guide above).
    HelpEntry(
        ("8541",),
        r"conflicts with the Amazon catalog",
        "Your data conflicts with what Amazon's catalog holds for this product ID (the message names the "
        "attributes). Make those values match the Amazon listing, or check that the product ID is right.",
    ),
    # 8572: product ID does not match the product/brand (amzn/selling-partner-api-models issues #549, #2711).
    HelpEntry(
        ("8572",),
        r"(UPCs?|EANs?).*do not match the products",
        "The UPC/EAN/ISBN does not match the product or brand Amazon has on file for it. Check that the "
        "product ID belongs to this exact product; if it does, the brand owner must register it (GS1) or "
        "Amazon must approve it before you can list it.",
    ),
    # 8566: no matching ASIN and not eligible for ASIN creation (selling-partner-api-models issue #2711).
    HelpEntry(
        ("8566",),
        r"does not match any ASIN",
        "Amazon found no existing product for this item and will not create one from the data sent. Search "
        "the catalog for the product's ASIN and link to it, or check the UPC/EAN and the brand name.",
    ),
    # 90220 "'x' is required but not supplied" (matched by message: no authoritative source for the code);
    # 99022 "Required value missing for field ..." (selling-partner-api-docs issue #2658); 8560 "mandatory
    # data is missing" (Channable help centre "How to solve common Amazon errors").
    HelpEntry(
        ("90220", "99022", "8560"), r"required but not supplied|required value missing", REQUIRED_ATTRIBUTE
    ),
    HelpEntry(
        (),
        r"not applicable to (the )?product type",
        "Amazon does not accept this attribute for the item's product type. Set it to Do Not Map in the "
        "channel's mapping template (or choose the right product type), then run again.",
    ),
    # 4000001 "The provided value for 'x' is invalid" (selling-partner-api-models issue #1917).
    HelpEntry(
        ("4000001",),
        r"(provided )?value (provided )?for .* is invalid",
        "Amazon rejected a value for one attribute (named in the message). Check the mapping template and "
        "the source item for that attribute; Amazon's product type definition lists the allowed values.",
    ),
    HelpEntry(
        ("InvalidInput", "InvalidParameterValue", "BadRequest"),
        None,
        "Amazon rejected the data Shelfsync sent (the message names the field). Fix the value in the source "
        "item or the mapping template, then run again.",
    ),
)

DEFAULT_HELP = (
    "Amazon reported a problem with this request. Read Amazon's message; if it keeps happening, contact "
    "support and quote the code."
)

_BY_CODE = {code.lower(): entry for entry in HELP_TABLE for code in entry.codes}
_BY_PATTERN = [(re.compile(e.pattern, re.IGNORECASE), e) for e in HELP_TABLE if e.pattern]


def help_for(code: str | None, message: str | None = None) -> str:
    """Plain-English help for an Amazon error or listing issue.

    Args:
        code: Amazon's code (``InvalidInput``, ``8541``, ``invalid_grant``) or one of Shelfsync's.
        message: Amazon's message.

    Returns:
        The help text of the first entry whose message pattern matches (Amazon files most listing
        problems under a generic code such as ``InvalidInput``, and reuses numeric codes for related
        problems), else the entry for the code, else a default.
    """
    if message:
        for pattern, entry in _BY_PATTERN:
            if pattern.search(message):
                return entry.text
    entry = _BY_CODE.get((code or "").lower())
    return entry.text if entry is not None else DEFAULT_HELP
