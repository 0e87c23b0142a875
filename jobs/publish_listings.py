"""The "Publish listings" integration: offers on **existing** Amazon products for the selected variants.

Parameters: ``selection`` (see ``webapp.services.listing_selection``); the channel is the run's.

Only Unlinked, Error and Delisted variants are published (the others are skipped). For each:

1. The Publish template gives the offer (price required, quantity for FBM, the fulfilment channel) and
   the offer attributes: condition, condition note, product id, suggested ASIN. Content (title,
   description, images...) is never sent on publish; Overwrite does that.
2. The product is found in Amazon's catalog, never created: by the variant's ASIN, else by its UPC,
   EAN or GTIN (searchCatalogItems, up to 20 identifiers per call). The catalog's product type is used.
3. putListingsItem with ``requirements=LISTING_OFFER_ONLY`` (Amazon then refuses to create an ASIN),
   or, for more than ``FEED_THRESHOLD`` variants, JSON_LISTINGS_FEED ``UPDATE`` messages with the same
   requirements.

Each variant ends Published (ASIN, the price and quantity sent recorded with the rule that bound them,
history) or Error with Amazon's issue text and Shelfsync's help (brand approval, identifier conflicts,
...). Warnings such as a condition note on a new item are reported but do not stop the publish.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jobs.amazon_channel import ChannelApi, open_channel
from jobs.listing_results import issue_rows
from jobs.listing_submit import MAX_MESSAGES, Change, Outcome, send
from jobs.listing_support import (
    BATCH_SIZE,
    FEED_THRESHOLD,
    SkuNotes,
    chunks,
    clear_problem,
    column_values,
    finish_summary,
    first_error,
    load_variants,
    record_problem,
    split_selection,
    stop_on_revoked,
)
from jobs.runner import RunContext, integration_job
from webapp.amazon import AmazonError, AuthorizationRevoked, CatalogItem, help_for
from webapp.amazon.marketplaces import get_marketplace
from webapp.models import ListingVariant, TemplatePurpose, VariantStatus
from webapp.services.listing_history import record_change, set_status
from webapp.services.mapping_engine import (
    CONDITIONS,
    PRICE,
    CompiledTemplate,
    Offer,
    load_template,
    offer_attributes,
    row_fields,
)
from webapp.timeutil import utcnow

ELIGIBLE = (VariantStatus.UNLINKED, VariantStatus.ERROR, VariantStatus.DELISTED)
# The only template attributes an offer carries; the rest is content, sent by Overwrite.
OFFER_ATTRIBUTES = (
    "merchant_suggested_asin",
    "condition_type",
    "condition_note",
    "externally_assigned_product_identifier",
)
IDENTIFIER_ORDER = ("upc", "ean", "gtin")
SEARCH_BATCH = 20  # searchCatalogItems takes at most 20 identifiers

NO_PRICE_HELP = (
    f"Amazon needs a price for every offer. Map {PRICE} in the channel's Publish template to a field this "
    "item has (cost, MSRP, MAP or listing price), or fill in that field on the source item, then publish "
    "again."
)
NO_IDENTIFIER_HELP = (
    "Shelfsync only offers items on products that already exist on Amazon, found by ASIN or by UPC, EAN "
    "or GTIN. Add the item's ASIN or barcode to the source item (or the variant), then publish again."
)
NO_MATCH_HELP = (
    "Amazon's catalog has no product with this identifier, and Shelfsync never creates new products. "
    "Check the barcode on the source item; if the product really is not on Amazon, create it in Seller "
    "Central first, then link or publish."
)
LOOKUP_HELP = (
    "Shelfsync could not search Amazon's catalog for this item; nothing was sent. Run Publish again; "
    "if it keeps failing, read Amazon's message."
)


@dataclass
class Draft:
    """A variant on its way to Amazon: its offer and attributes, and the product it will be offered on."""

    variant_id: int
    sku: str
    offer: Offer
    attributes: dict
    lookup_type: str  # ASIN, UPC, EAN or GTIN: how the product is searched in the catalog
    lookup_value: str
    asin: str = ""
    product_type: str = "PRODUCT"


def _normalized(identifier_type: str, value: str) -> str:
    """A key on which the same product's identifiers meet (GTIN-14 for barcodes, ASINs as they are)."""
    return value.upper() if identifier_type == "ASIN" else value.strip().zfill(14)


class Publisher:
    """Publishes one run's variants (see the module docstring)."""

    def __init__(self, ctx: RunContext, target: ChannelApi, template: CompiledTemplate) -> None:
        """Bind to the run, its channel's Amazon client and the channel's Publish template."""
        self.ctx = ctx
        self.target = target
        self.template = template
        self.marketplace_id = target.api.marketplace_id
        marketplace = get_marketplace(self.marketplace_id)
        self.currency, self.language_tag = marketplace.currency, marketplace.language_tag
        self.notes = SkuNotes(ctx)

    def run(self, ids: list[int]) -> None:
        """Publish the variants of ``ids`` (all eligible), a batch or a feed's worth at a time."""
        as_feed = len(ids) > FEED_THRESHOLD
        for part in chunks(ids, MAX_MESSAGES if as_feed else BATCH_SIZE):
            drafts: dict[int, Draft] = {}
            for batch in chunks(part, BATCH_SIZE):
                found = self._prepare(load_variants(batch, with_source=True))
                drafts.update((d.variant_id, d) for d in found)
                self.ctx.checkpoint(force=True)
            changes = [self._change(d) for d in drafts.values()]
            for outcomes in chunks(list(send(self.ctx, self.target, changes, as_feed)), BATCH_SIZE):
                variants = {v.id: v for v in load_variants(o.change.variant_id for o in outcomes)}
                for outcome in outcomes:
                    draft = drafts[outcome.change.variant_id]
                    self._record(variants[draft.variant_id], draft, outcome)
                self.ctx.progress(self.ctx.done + len(outcomes))
                self.ctx.checkpoint(force=True)
        self.notes.finish()

    # Preparing ------------------------------------------------------------------------------------

    def _prepare(self, variants: list[ListingVariant]) -> list[Draft]:
        """Drafts for the variants that can be sent; the others end Error here."""
        by_id = {v.id: v for v in variants}
        drafts = [d for d in map(self._draft, variants) if d is not None]
        return [d for d in self._find_products(drafts, by_id) if d.asin]

    def _draft(self, variant: ListingVariant) -> Draft | None:
        if variant.product_id_type and not variant.product_id:
            code = "ProductIdTypeWithoutProductId"
            message = f"Product ID type {variant.product_id_type} is set, but the item has no product ID."
            self._fail(variant, message, help_for(code, message), code)
            return None
        fields = row_fields(column_values(variant), column_values(variant.source_item) or None)
        offer = self.template.offer(fields, variant.fulfillment_channel)
        if offer.price is None:
            self._fail(
                variant,
                f"No price to publish: the Publish template's {PRICE} gave none ({offer.price_rule}).",
                NO_PRICE_HELP,
                "missing_price",
            )
            return None
        attributes = self.template.attributes(fields, self.marketplace_id, self.language_tag)
        attributes = {k: v for k, v in attributes.items() if k in OFFER_ATTRIBUTES}
        if "condition_type" not in attributes and variant.condition in CONDITIONS:
            attributes["condition_type"] = [
                {"value": variant.condition, "marketplace_id": self.marketplace_id}
            ]
        suggested = (attributes.get("merchant_suggested_asin") or [{}])[0].get("value", "")
        asin = (fields["asin"] or suggested).strip().upper()
        if asin:
            return Draft(variant.id, variant.sku, offer, attributes, "ASIN", asin)
        id_type, id_value = self.template.product_id(fields)
        if not id_value:
            id_type, id_value = next(
                ((name, fields[name]) for name in IDENTIFIER_ORDER if fields.get(name)), ("", "")
            )
        if not id_value:
            self._fail(
                variant,
                "has no ASIN and no UPC, EAN or GTIN to find its Amazon product by.",
                NO_IDENTIFIER_HELP,
                "no_identifier",
            )
            return None
        return Draft(variant.id, variant.sku, offer, attributes, id_type.upper(), str(id_value).strip())

    def _find_products(self, drafts: list[Draft], variants: dict[int, ListingVariant]) -> list[Draft]:
        """Look the drafts' products up in the catalog, 20 identifiers per call; unfound ones end Error."""
        for lookup_type in sorted({d.lookup_type for d in drafts}):
            group = [d for d in drafts if d.lookup_type == lookup_type]
            values = sorted({d.lookup_value for d in group})
            for part in chunks(values, SEARCH_BATCH):
                wanted = set(part)
                members = [d for d in group if d.lookup_value in wanted]
                try:
                    items = self.target.api.search_catalog(part, lookup_type)
                except AuthorizationRevoked as error:
                    stop_on_revoked(self.ctx, self.target, error)
                except AmazonError as error:
                    for draft in members:
                        self._fail(
                            variants[draft.variant_id],
                            f"the catalog search failed: {error.message}",
                            LOOKUP_HELP,
                            error.code,
                        )
                    continue
                found = self._index(items, lookup_type)
                for draft in members:
                    item = found.get(_normalized(lookup_type, draft.lookup_value))
                    if item is None:
                        self._fail(
                            variants[draft.variant_id],
                            f"No Amazon product matches {lookup_type} {draft.lookup_value}.",
                            NO_MATCH_HELP,
                            "no_catalog_match",
                        )
                        continue
                    draft.asin = item.asin
                    draft.product_type = item.product_type or "PRODUCT"
        return drafts

    @staticmethod
    def _index(items: Iterable[CatalogItem], lookup_type: str) -> dict[str, CatalogItem]:
        index: dict[str, CatalogItem] = {}
        for item in items:
            if lookup_type == "ASIN":
                index[item.asin.upper()] = item
                continue
            for identifier in item.identifiers:
                value = str(identifier.get("identifier", ""))
                if value.isdigit():
                    index.setdefault(_normalized(lookup_type, value), item)
        return index

    def _change(self, draft: Draft) -> Change:
        attributes = {
            **draft.attributes,
            "merchant_suggested_asin": [{"value": draft.asin, "marketplace_id": self.marketplace_id}],
            **offer_attributes(draft.offer, self.marketplace_id, self.currency),
        }
        body = {
            "operationType": "UPDATE",
            "productType": draft.product_type,
            "requirements": "LISTING_OFFER_ONLY",
            "attributes": attributes,
        }
        return Change(
            draft.variant_id,
            draft.sku,
            body,
            price=draft.offer.price,
            quantity=draft.offer.quantity,
            asin=draft.asin,
        )

    # Recording ------------------------------------------------------------------------------------

    def _fail(
        self,
        variant: ListingVariant,
        message: str,
        help: str,
        code: str,
        issues: list[dict] | None = None,
        sent: bool = False,
    ) -> None:
        """End ``variant`` in Error, with a notification (``sent``: after Amazon answered; progress for
        sent variants is counted by the caller)."""
        record_problem(variant, message, help, issues)
        set_status(variant, VariantStatus.ERROR, run_id=self.ctx.run_id, note="publish failed")
        self.notes.add("error", variant.sku, f"not published: {message}", code=code, help=help)
        self.ctx.count("errors")
        if not sent:
            self.ctx.progress(self.ctx.done + 1)

    def _record(self, variant: ListingVariant, draft: Draft, outcome: Outcome) -> None:
        for warning in outcome.warnings:
            self.notes.issue(variant.sku, warning)
        if not outcome.accepted:
            error = first_error(outcome.issues)
            message = error.message if error else "Amazon refused the offer."
            help = error.help if error else LOOKUP_HELP
            code = error.code if error else ""
            self._fail(variant, message, help, code, issue_rows(outcome.issues), sent=True)
            return
        offer, run_id, now = draft.offer, self.ctx.run_id, utcnow()
        record_change(
            variant, "price", variant.pushed_price, offer.price, run_id=run_id, note=offer.price_rule
        )
        record_change(
            variant,
            "quantity",
            variant.pushed_quantity,
            offer.quantity,
            run_id=run_id,
            note=offer.quantity_rule,
        )
        variant.asin = outcome.asin or draft.asin
        variant.product_type = draft.product_type
        variant.fulfillment_channel = offer.fulfillment_channel
        variant.price = offer.price
        variant.pushed_price = offer.price
        if offer.quantity is not None:
            variant.quantity = offer.quantity
        variant.pushed_quantity = offer.quantity
        variant.pushed_at = now
        variant.last_sync_at = now
        clear_problem(variant, issue_rows(outcome.warnings))
        set_status(variant, VariantStatus.PUBLISHED, run_id=run_id, note=f"offer on ASIN {variant.asin}")
        self.ctx.count("published")


@integration_job
def run(ctx: RunContext) -> None:
    """Publish the run's selected variants (see the module docstring)."""
    selected, eligible = split_selection(
        ctx,
        ELIGIBLE,
        "only Unlinked, Error and Delisted variants are published (the others already have an offer on "
        "Amazon).",
    )
    if eligible:
        target = open_channel(ctx)
        Publisher(ctx, target, load_template(target.channel.id, TemplatePurpose.PUBLISH)).run(eligible)
    finish_summary(ctx, selected, "Publish", "published", "publish_summary")
