"""The mapping engine: a channel's templates turned into Amazon offers and attributes, row by row.

A template (``MappingTemplate``) says where each Amazon field gets its value: Do Not Map, a source or
listing field (``FIELDS``), a constant, a price rule or a quantity rule. ``load_template`` reads it
once (creating the channel's default when missing) and compiles it into a ``CompiledTemplate`` whose
per-row methods touch no database and use ``Decimal`` only, so a job can price 100,000 variants from
plain SQLAlchemy Core rows (``row_fields``) in well under a second.

Every computed value carries the text of the rule that bound it (``Offer.price_rule``), which is what
the dry-run diff and the variant history show the seller.

Save-time checks live here too (``validate_template``): a template that cannot work is refused when
the seller saves it, not when a job runs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Channel, MappingRule, MappingTemplate
from webapp.models.mapping import MappingMode, TemplatePurpose

CENT = Decimal("0.01")
ONE = Decimal(1)
HUNDRED = Decimal(100)

# ---------------------------------------------------------------------------------------------------
# What a rule can read
# ---------------------------------------------------------------------------------------------------

MONEY_FIELDS = ("cost", "msrp", "map_price", "listing_price")
QUANTITY_FIELDS = ("source_quantity", "listing_quantity")
IDENTIFIER_FIELDS = ("upc", "ean", "gtin")
TEXT_FIELDS = ("title", "description", "brand", "upc", "ean", "gtin", "mpn", "asin", "condition")
FIELDS = (
    "cost",
    "msrp",
    "map_price",
    "source_quantity",
    "listing_price",
    "listing_quantity",
    "title",
    "description",
    "brand",
    "upc",
    "ean",
    "gtin",
    "mpn",
    "asin",
    "image_urls",
    "condition",
    "weight",
)
FIELD_LABELS = {
    "cost": "Cost",
    "msrp": "MSRP",
    "map_price": "MAP",
    "source_quantity": "Source quantity",
    "listing_price": "Listing price",
    "listing_quantity": "Listing quantity",
    "title": "Title",
    "description": "Description",
    "brand": "Brand",
    "upc": "UPC",
    "ean": "EAN",
    "gtin": "GTIN",
    "mpn": "MPN",
    "asin": "ASIN",
    "image_urls": "Image URLs",
    "condition": "Condition",
    "weight": "Weight",
}

# ---------------------------------------------------------------------------------------------------
# The Amazon side: the fields a template maps, per purpose
# ---------------------------------------------------------------------------------------------------

PRICE = "amazon.inventory_product.price"
QUANTITY = "amazon.inventory_product.quantity"
FULFILLMENT_CHANNEL = "amazon.inventory_product.fulfillment_channel"
FULFILLMENT_CENTER = "amazon.inventory_product.fulfillment_center_id"
CONDITION = "amazon.inventory_product.condition"
CONDITION_NOTE = "amazon.inventory_product.condition_note"
PRODUCT_ID = "amazon.product.product_id"
ASIN = "amazon.product.asin"
TITLE = "amazon.product.title"
DESCRIPTION = "amazon.product.description"
BROWSE_NODE = "amazon.product.browse_node"
MPN = "amazon.product.mpn"
IMAGES = "amazon.product.images"

FBM = "FBM"
FBA = "FBA"
MERCHANT_CENTER = "DEFAULT"
AMAZON_CENTERS = ("AMAZON_NA", "AMAZON_EU", "AMAZON_FE")
ROUNDINGS = {
    ".99": "rounded up to .99",
    ".95": "rounded up to .95",
    "whole": "rounded up to a whole amount",
    "none": "",
}
CONDITIONS = (
    "new_new",
    "new_open_box",
    "new_oem",
    "refurbished_refurbished",
    "used_like_new",
    "used_very_good",
    "used_good",
    "used_acceptable",
    "collectible_like_new",
    "collectible_very_good",
    "collectible_good",
    "collectible_acceptable",
    "club_club",
)
MAX_OTHER_IMAGES = 8

D, F, C, P, Q = (
    MappingMode.DO_NOT_MAP,
    MappingMode.FIELD,
    MappingMode.CONSTANT,
    MappingMode.PRICE_RULE,
    MappingMode.QUANTITY_RULE,
)


@dataclass(frozen=True)
class AmazonField:
    """One Amazon field a template row maps: its label, the modes it accepts and the fields it reads."""

    key: str
    label: str
    modes: tuple[MappingMode, ...]
    sources: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # allowed constants (empty: free text)
    help: str = ""


AMAZON_FIELDS: dict[str, AmazonField] = {
    f.key: f
    for f in (
        AmazonField(PRICE, "Price", (D, F, C, P), MONEY_FIELDS, help="purchasable_offer.our_price"),
        AmazonField(
            QUANTITY, "Quantity", (D, F, C, Q), QUANTITY_FIELDS, help="FBM only; Amazon owns FBA quantity"
        ),
        AmazonField(FULFILLMENT_CHANNEL, "Fulfillment channel", (D, C), choices=(FBM, FBA)),
        AmazonField(
            FULFILLMENT_CENTER,
            "Fulfillment center id",
            (D, C),
            choices=(MERCHANT_CENTER, *AMAZON_CENTERS),
            help="DEFAULT for FBM, AMAZON_NA/EU/FE for FBA",
        ),
        AmazonField(CONDITION, "Condition", (D, F, C), ("condition",), CONDITIONS, help="condition_type"),
        AmazonField(CONDITION_NOTE, "Condition note", (D, F, C), TEXT_FIELDS, help="condition_note"),
        AmazonField(
            PRODUCT_ID,
            "Product id (UPC/EAN/GTIN)",
            (D, F),
            IDENTIFIER_FIELDS,
            help="the chosen identifier, else the item's other ones",
        ),
        AmazonField(ASIN, "ASIN", (D, F), ("asin",), help="merchant_suggested_asin"),
        AmazonField(TITLE, "Title", (D, F, C), TEXT_FIELDS, help="item_name"),
        AmazonField(DESCRIPTION, "Description", (D, F, C), TEXT_FIELDS, help="product_description"),
        AmazonField(BROWSE_NODE, "Browse node (category)", (D, C), help="recommended_browse_nodes"),
        AmazonField(MPN, "MPN (part number)", (D, F, C), TEXT_FIELDS, help="part_number"),
        AmazonField(IMAGES, "Images", (D, F), ("image_urls",), help="main + other image locators"),
    )
}

OFFER_FIELDS = (PRICE, QUANTITY, FULFILLMENT_CHANNEL, FULFILLMENT_CENTER)
PURPOSE_FIELDS: dict[TemplatePurpose, tuple[str, ...]] = {
    TemplatePurpose.SYNC: OFFER_FIELDS,
    TemplatePurpose.PUBLISH: (*OFFER_FIELDS, CONDITION, CONDITION_NOTE, PRODUCT_ID, ASIN),
    TemplatePurpose.OVERWRITE: (TITLE, DESCRIPTION, BROWSE_NODE, MPN, PRODUCT_ID, IMAGES),
}
MODE_LABELS = {
    D: "Do Not Map",
    F: "Field",
    C: "Constant",
    P: "Price rule",
    Q: "Quantity rule",
}

# Rule settings with their defaults (stored as strings so no float ever touches a price).
PRICE_PARAMS = {
    "markup": "1.30",
    "fixed": "0.00",
    "rounding": ".99",
    "min_price": "",
    "max_price": "",
    "respect_map": True,
}
QUANTITY_PARAMS = {"buffer": "0", "percent": "100", "maximum": "", "zero_below": ""}


# ---------------------------------------------------------------------------------------------------
# Templates as plain data
# ---------------------------------------------------------------------------------------------------


class RuleLike(Protocol):
    """What the engine reads from a template row (``MappingRule`` or ``RuleSpec``)."""

    amazon_field: str
    mode: str
    field: str
    constant: str
    params: dict


class TemplateLike(Protocol):
    """What the engine reads from a template (``MappingTemplate`` or ``TemplateSpec``)."""

    purpose: str
    rules: Any


@dataclass
class RuleSpec:
    """A template row as plain data: the editor's parsed form and the default templates use it."""

    amazon_field: str
    mode: str = MappingMode.DO_NOT_MAP
    field: str = ""
    constant: str = ""
    params: dict = dataclasses.field(default_factory=dict)


@dataclass
class TemplateSpec:
    """A template as plain data (not saved yet)."""

    purpose: str
    rules: list[RuleSpec]


def center_for(fulfillment_channel: str) -> tuple[str, str]:
    """(FBM|FBA, fulfilment center id) for a channel's default fulfilment code (DEFAULT, AMAZON_NA…)."""
    if fulfillment_channel in AMAZON_CENTERS:
        return FBA, fulfillment_channel
    return FBM, MERCHANT_CENTER


def default_rules(purpose: TemplatePurpose | str, fulfillment_channel: str) -> list[RuleSpec]:
    """The default rows of a channel's template for ``purpose``.

    Sync and Publish: price = cost × 1.30 + 0.00 rounded up to .99, MAP respected, no guardrails; FBM
    quantity = source quantity (buffer 0, 100 %, no maximum, no threshold) with center DEFAULT; FBA
    quantity Do Not Map with the region's AMAZON_* center. Publish adds condition from the item, the
    product id from UPC (then EAN, GTIN) and the ASIN when known. Overwrite sends title, description
    and images from the source item; the rest is Do Not Map.
    """
    purpose = TemplatePurpose(purpose)
    kind, center = center_for(fulfillment_channel)
    preset: dict[str, RuleSpec] = {}
    if purpose in (TemplatePurpose.SYNC, TemplatePurpose.PUBLISH):
        preset[PRICE] = RuleSpec(PRICE, P, "cost", params=dict(PRICE_PARAMS))
        if kind == FBM:
            preset[QUANTITY] = RuleSpec(QUANTITY, Q, "source_quantity", params=dict(QUANTITY_PARAMS))
        preset[FULFILLMENT_CHANNEL] = RuleSpec(FULFILLMENT_CHANNEL, C, constant=kind)
        preset[FULFILLMENT_CENTER] = RuleSpec(FULFILLMENT_CENTER, C, constant=center)
    if purpose == TemplatePurpose.PUBLISH:
        preset[CONDITION] = RuleSpec(CONDITION, F, "condition")
        preset[PRODUCT_ID] = RuleSpec(PRODUCT_ID, F, "upc")
        preset[ASIN] = RuleSpec(ASIN, F, "asin")
    if purpose == TemplatePurpose.OVERWRITE:
        preset[TITLE] = RuleSpec(TITLE, F, "title")
        preset[DESCRIPTION] = RuleSpec(DESCRIPTION, F, "description")
        preset[IMAGES] = RuleSpec(IMAGES, F, "image_urls")
    return [preset.get(key, RuleSpec(key)) for key in PURPOSE_FIELDS[purpose]]


# ---------------------------------------------------------------------------------------------------
# Rows → fields
# ---------------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value.__class__ is Decimal:
        return value
    if value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    if value is None or value.__class__ is int:
        return value
    if value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _list(value: Any) -> list:
    if value.__class__ is list:
        return value
    # JSON columns come back decoded from the ORM, but as text from some raw drivers/queries.
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else []
        except ValueError:
            return []
    return list(value) if isinstance(value, list | tuple) else []


def offer_fields(
    cost: Any, msrp: Any, map_price: Any, source_quantity: Any, listing_price: Any, listing_quantity: Any
) -> dict:
    """The ``FIELDS`` a price or quantity rule can read (money and quantities), as ``row_fields``
    builds them: what a bulk job that only computes offers needs, at a fraction of the cost per row.

    Pass the source item's values as None when the variant has none.
    """
    return {
        "cost": _decimal(cost),
        "msrp": _decimal(msrp),
        "map_price": _decimal(map_price),
        "source_quantity": _int(source_quantity),
        "listing_price": _decimal(listing_price),
        "listing_quantity": _int(listing_quantity),
    }


def row_fields(variant: Mapping, item: Mapping | None) -> dict:
    """The ``FIELDS`` of one variant from plain rows (column names of listing_variants / source_items).

    The source item wins for supplier data (cost, quantity, content, condition); the variant fills in
    what it alone knows (listing price/quantity, ASIN, its own product id, title and images when no item).
    """
    item = item or {}
    get = variant.get
    iget = item.get
    upc, ean, gtin = iget("upc") or "", iget("ean") or "", iget("gtin") or ""
    product_id, id_type = get("product_id") or "", (get("product_id_type") or "").upper()
    if product_id:
        # The variant's own identifier (e.g. from Link) stands in for a missing supplier one.
        if id_type == "UPC" and not upc:
            upc = product_id
        elif id_type == "EAN" and not ean:
            ean = product_id
        elif id_type == "GTIN" and not gtin:
            gtin = product_id
    return {
        **offer_fields(
            iget("cost"), iget("msrp"), iget("map_price"), iget("quantity"), get("price"), get("quantity")
        ),
        "title": iget("title") or get("title") or "",
        "description": iget("description") or "",
        "brand": iget("brand") or "",
        "upc": upc,
        "ean": ean,
        "gtin": gtin,
        "mpn": iget("mpn") or "",
        "asin": get("asin") or iget("asin") or "",
        "image_urls": _list(iget("image_urls")) or _list(get("images")),
        "condition": iget("condition") or get("condition") or "",
        "weight": _decimal(iget("weight")),
    }


# ---------------------------------------------------------------------------------------------------
# The computed offer
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Offer:
    """Price and quantity for one SKU with the rule text that bound each; None = Do Not Map / unknown."""

    price: Decimal | None
    price_rule: str
    quantity: int | None
    quantity_rule: str
    fulfillment_channel: str

    @property
    def is_fba(self) -> bool:
        """True when Amazon fulfils (and owns the quantity)."""
        return self.fulfillment_channel != MERCHANT_CENTER


def _money(value: Decimal) -> str:
    # str() is several times faster than a format spec, and exact for values already in cents.
    text = str(value)
    dot = text.find(".")
    return text if dot >= 0 and len(text) - dot == 3 else f"{value:.2f}"


def _round(value: Decimal, rounding: str) -> Decimal:
    """Charm rounding *up*: the smallest price with the ending that is not below ``value``.

    ".99" and ".95" give the next price ending in .99/.95 (8.25 → 8.99, 8.99 stays, 9.00 → 9.99);
    "whole" gives the next whole amount (8.25 → 9.00, 9.00 stays). Rounding only ever raises the
    price so it never eats into the margin the markup was set for; the guardrails apply afterwards.
    """
    if rounding in (".99", ".95"):
        ending = Decimal(rounding[1:]) / HUNDRED
        base = value.to_integral_value(rounding=ROUND_FLOOR)
        return base + ending if base + ending >= value else base + ONE + ending
    if rounding == "whole":
        return value.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)
    return value


@dataclass(frozen=True, slots=True)
class _PriceRule:
    field: str
    markup: Decimal
    fixed: Decimal
    rounding: str
    min_price: Decimal | None
    max_price: Decimal | None
    respect_map: bool

    def compute(self, fields: Mapping, explain: bool = True) -> tuple[Decimal | None, str]:
        base = fields.get(self.field)
        if base is None:
            return None, f"no {self.field}: price not computed"
        raw = (base * self.markup + self.fixed).quantize(CENT, rounding=ROUND_HALF_UP)
        # The text costs more than the arithmetic: a bulk diff asks for it only on rows that changed.
        text = f"{self.field} {_money(base)} × {self.markup} + {self.fixed} = {raw}" if explain else ""
        price = _round(raw, self.rounding)
        # Guardrails after rounding, so they have the last word: a price the rounding lifted above
        # the maximum is lowered to the maximum, and only MAP may then raise it again.
        if explain and price != raw:
            text += f", {ROUNDINGS[self.rounding]} → {price}"
        if self.min_price is not None and price < self.min_price:
            price = self.min_price
            if explain:
                text += f"; raised to the minimum price {_money(price)}"
        if self.max_price is not None and price > self.max_price:
            price = self.max_price
            if explain:
                text += f"; lowered to the maximum price {_money(price)}"
        if self.respect_map:
            map_price = fields.get("map_price")
            if map_price is not None and price < map_price:
                price = map_price
                if explain:
                    text += f"; MAP {_money(map_price)} respected"
                    if self.max_price is not None and map_price > self.max_price:
                        text += f" (above the maximum price {_money(self.max_price)})"
        if price <= 0:
            return None, (text + "; not a valid price") if explain else ""
        return price, text


@dataclass(frozen=True, slots=True)
class _QuantityRule:
    field: str
    buffer: int
    percent: Decimal
    maximum: int | None
    zero_below: int | None

    def compute(self, fields: Mapping, explain: bool = True) -> tuple[int | None, str]:
        base = fields.get(self.field)
        if base is None:
            return None, f"no {self.field}: quantity not computed"
        quantity = base
        text = f"{self.field} {base}" if explain else ""
        if self.buffer:
            quantity -= self.buffer
            if explain:
                text += f" − {self.buffer} = {quantity}"
        if self.percent != HUNDRED:
            quantity = int((quantity * self.percent / HUNDRED).to_integral_value(rounding=ROUND_FLOOR))
            if explain:
                text += f", × {self.percent}% = {quantity}"
        if self.maximum is not None and quantity > self.maximum:
            quantity = self.maximum
            if explain:
                text += f"; capped at the maximum {quantity}"
        if self.zero_below is not None and 0 < quantity < self.zero_below:
            quantity = 0
            if explain:
                text += f"; below the threshold {self.zero_below} → 0"
        if quantity < 0:
            quantity = 0
            if explain:
                text += "; never negative → 0"
        return quantity, text


@dataclass(frozen=True, slots=True)
class _Rule:
    mode: str
    field: str = ""
    constant: str = ""
    price: _PriceRule | None = None
    quantity: _QuantityRule | None = None


def _param_decimal(params: Mapping, name: str) -> Decimal | None:
    return _decimal(params.get(name, ""))


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def _compile_rule(rule: RuleLike) -> _Rule:
    params = rule.params or {}
    if rule.mode == P:
        defaults = PRICE_PARAMS
        return _Rule(
            rule.mode,
            rule.field,
            price=_PriceRule(
                field=rule.field,
                markup=_param_decimal(params, "markup") or Decimal(defaults["markup"]),
                fixed=(_param_decimal(params, "fixed") or Decimal(0)).quantize(CENT),
                rounding=params.get("rounding") or "none",
                min_price=_cents(_param_decimal(params, "min_price")),
                max_price=_cents(_param_decimal(params, "max_price")),
                respect_map=bool(params.get("respect_map", True)),
            ),
        )
    if rule.mode == Q:
        return _Rule(
            rule.mode,
            rule.field,
            quantity=_QuantityRule(
                field=rule.field,
                buffer=_int(params.get("buffer")) or 0,
                percent=_param_decimal(params, "percent") or HUNDRED,
                maximum=_int(params.get("maximum")),
                zero_below=_int(params.get("zero_below")),
            ),
        )
    return _Rule(rule.mode, rule.field or "", rule.constant or "")


class CompiledTemplate:
    """A template ready to compute: no database access, Decimal arithmetic, one call per row."""

    def __init__(self, purpose: TemplatePurpose | str, rules: Iterable[RuleLike]) -> None:
        """Compile ``rules`` (rows missing from ``rules`` are Do Not Map)."""
        self.purpose = TemplatePurpose(purpose)
        self.rules: dict[str, _Rule] = {r.amazon_field: _compile_rule(r) for r in rules}
        self._none = _Rule(D)
        self._price = self.rule(PRICE)
        self._quantity = self.rule(QUANTITY)
        channel = self.rule(FULFILLMENT_CHANNEL)
        center = self.rule(FULFILLMENT_CENTER)
        # Resolved once: a template's fulfilment is the same for every row.
        self.fixed_center: str | None = center.constant if center.mode == C and center.constant else None
        self.fixed_kind: str | None = channel.constant if channel.mode == C and channel.constant else None

    @classmethod
    def from_template(cls, template: TemplateLike) -> CompiledTemplate:
        """Compile a ``MappingTemplate`` (or ``TemplateSpec``)."""
        return cls(template.purpose, list(template.rules))

    def rule(self, amazon_field: str) -> _Rule:
        """The compiled row of ``amazon_field`` (Do Not Map when absent)."""
        return self.rules.get(amazon_field, self._none)

    def fulfillment(self, default_fulfillment: str) -> str:
        """The fulfilment channel code the template sends; a template naming none uses the default."""
        if self.fixed_center:
            return self.fixed_center
        if self.fixed_kind == FBM:
            return MERCHANT_CENTER
        return default_fulfillment or MERCHANT_CENTER

    def offer(self, fields: Mapping, default_fulfillment: str, explain: bool = True) -> Offer:
        """Price and quantity of one row, with the rule texts that bound them.

        ``default_fulfillment`` is the channel's (or the linked variant's) fulfilment channel code; it
        applies when the template names no fulfilment (a price-only template). FBA quantity is
        always Do Not Map: Amazon owns it. ``explain=False`` computes the same values and leaves the
        rule texts empty (cheaper: a bulk diff explains only the rows that changed).
        """
        fulfillment = self.fulfillment(default_fulfillment)
        price, price_rule = self._value(self._price, fields, True, explain)
        if fulfillment != MERCHANT_CENTER:
            quantity, quantity_rule = None, "Do Not Map (FBA: Amazon owns the quantity)"
        else:
            quantity, quantity_rule = self._value(self._quantity, fields, False, explain)
        return Offer(price, price_rule, quantity, quantity_rule, fulfillment)

    @staticmethod
    def _value(rule: _Rule, fields: Mapping, money: bool, explain: bool) -> tuple[Any, str]:
        mode = rule.mode
        if mode == P and rule.price is not None:
            return rule.price.compute(fields, explain)
        if mode == Q and rule.quantity is not None:
            return rule.quantity.compute(fields, explain)
        if mode == F:
            value = fields.get(rule.field)
            if value is None:
                return None, f"no {rule.field}"
            if money:
                return value, f"{rule.field} {_money(value)}" if explain else ""
            value = max(int(value), 0)
            return value, f"{rule.field} {value}"
        if mode == C:
            if money:
                value = _decimal(rule.constant)
                return (value, f"constant {_money(value)}") if value is not None else (None, "no constant")
            value = _int(rule.constant)
            return (max(value, 0), f"constant {value}") if value is not None else (None, "no constant")
        return None, "Do Not Map"

    def text(self, amazon_field: str, fields: Mapping) -> str:
        """The text value of a content row (field or constant), "" when Do Not Map or empty."""
        rule = self.rule(amazon_field)
        if rule.mode == F:
            value = fields.get(rule.field)
            return "" if value is None else str(value).strip()
        if rule.mode == C:
            return rule.constant.strip()
        return ""

    def product_id(self, fields: Mapping) -> tuple[str, str]:
        """(type, value) of the product identifier: the chosen field, else the item's other identifiers."""
        rule = self.rule(PRODUCT_ID)
        if rule.mode != F:
            return "", ""
        for name in (rule.field, *(f for f in IDENTIFIER_FIELDS if f != rule.field)):
            value = str(fields.get(name) or "").strip()
            if value:
                return name, value
        return "", ""

    def attributes(self, fields: Mapping, marketplace_id: str, language_tag: str) -> dict:
        """Listings Items attributes of the content rows (Publish, Overwrite), in Amazon's shapes.

        Empty values are left out rather than sent blank: Amazon rejects empty strings.
        """
        mp = {"marketplace_id": marketplace_id}
        attrs: dict[str, list] = {}

        def text(name: str, key: str, localized: bool = True) -> None:
            value = self.text(key, fields)
            if value:
                entry = {"value": value, **mp}
                if localized:
                    entry["language_tag"] = language_tag
                attrs[name] = [entry]

        text("item_name", TITLE)
        text("product_description", DESCRIPTION)
        text("recommended_browse_nodes", BROWSE_NODE, localized=False)
        text("part_number", MPN, localized=False)
        text("merchant_suggested_asin", ASIN, localized=False)
        text("condition_note", CONDITION_NOTE)
        condition = self.text(CONDITION, fields)
        if condition in CONDITIONS:
            attrs["condition_type"] = [{"value": condition, **mp}]
        id_type, id_value = self.product_id(fields)
        if id_value:
            attrs["externally_assigned_product_identifier"] = [{"type": id_type, "value": id_value, **mp}]
        if self.rule(IMAGES).mode == F:
            urls = [u for u in _list(fields.get(self.rule(IMAGES).field)) if isinstance(u, str) and u]
            if urls:
                attrs["main_product_image_locator"] = [{"media_location": urls[0], **mp}]
                for n, url in enumerate(urls[1 : MAX_OTHER_IMAGES + 1], start=1):
                    attrs[f"other_product_image_locator_{n}"] = [{"media_location": url, **mp}]
        return attrs


def offer_attributes(offer: Offer, marketplace_id: str, currency: str) -> dict:
    """``purchasable_offer`` and ``fulfillment_availability`` of an offer (NOTES §5.3).

    A price of None leaves the price out; FBA sends its channel code without quantity (Amazon's); FBM
    without a quantity leaves availability out.
    """
    attrs: dict[str, list] = {}
    if offer.price is not None:
        attrs["purchasable_offer"] = [
            {
                "marketplace_id": marketplace_id,
                "currency": currency,
                "audience": "ALL",
                "our_price": [{"schedule": [{"value_with_tax": float(offer.price)}]}],
            }
        ]
    if offer.is_fba:
        attrs["fulfillment_availability"] = [{"fulfillment_channel_code": offer.fulfillment_channel}]
    elif offer.quantity is not None:
        attrs["fulfillment_availability"] = [
            {"fulfillment_channel_code": offer.fulfillment_channel, "quantity": offer.quantity}
        ]
    return attrs


# ---------------------------------------------------------------------------------------------------
# Loading from the database
# ---------------------------------------------------------------------------------------------------


def ensure_template(channel_id: int, purpose: TemplatePurpose | str) -> MappingTemplate:
    """The channel's ``MappingTemplate`` for ``purpose``; the default is created (committed) when missing."""
    purpose = TemplatePurpose(purpose)
    query = sa.select(MappingTemplate).where(
        MappingTemplate.channel_id == channel_id, MappingTemplate.purpose == purpose.value
    )
    template = db.session.scalar(query)
    if template is not None:
        return template
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"channel {channel_id} does not exist")
    template = MappingTemplate(account_id=channel.account_id, channel_id=channel_id, purpose=purpose.value)
    template.rules = [
        MappingRule(
            amazon_field=r.amazon_field, mode=r.mode, field=r.field, constant=r.constant, params=r.params
        )
        for r in default_rules(purpose, channel.fulfillment_channel)
    ]
    try:
        # A savepoint: a concurrent job creating the same default must not undo the caller's work.
        with db.session.begin_nested():
            db.session.add(template)
        db.session.commit()
    except IntegrityError:
        return db.session.scalar(query)
    return template


def load_template(channel_id: int, purpose: TemplatePurpose | str) -> CompiledTemplate:
    """The channel's compiled template for ``purpose`` (the default one is created when missing)."""
    return CompiledTemplate.from_template(ensure_template(channel_id, purpose))


# ---------------------------------------------------------------------------------------------------
# Save-time validation
# ---------------------------------------------------------------------------------------------------


def _missing(key: str) -> str:
    return f"Missing required mapping for {key} in mapping template"


def _invalid(key: str, why: str) -> str:
    return f"Invalid mapping for {key} in mapping template: {why}"


def _parse_numbers(key: str, params: Mapping, names: dict[str, str], *, integer: bool) -> dict[str, Any]:
    """Parse the numeric settings ``names`` ({param: label}); returns {param: value or error text}."""
    parsed: dict[str, Any] = {}
    for name, label in names.items():
        given = params.get(name)
        raw = "" if given is None else str(given).strip()
        if raw == "":
            parsed[name] = None
            continue
        value = _int(raw) if integer else _decimal(raw)
        if value is None or (not integer and not value.is_finite()):
            parsed[name] = _invalid(key, f"{label} must be {'a whole number' if integer else 'a number'}")
        elif value < 0:
            parsed[name] = _invalid(key, f"{label} must not be negative")
        else:
            parsed[name] = value
    return parsed


def _price_errors(key: str, params: Mapping) -> list[str]:
    labels = {
        "markup": "markup",
        "fixed": "fixed amount",
        "min_price": "minimum price",
        "max_price": "maximum price",
    }
    parsed = _parse_numbers(key, params, labels, integer=False)
    errors = [v for v in parsed.values() if isinstance(v, str)]
    if isinstance(parsed.get("markup"), Decimal) and parsed["markup"] == 0:
        errors.append(
            _invalid(key, "markup must be above 0 (a markup of 0 prices everything at the fixed amount)")
        )
    if (params.get("rounding") or "none") not in ROUNDINGS:
        errors.append(_invalid(key, f"rounding must be one of {', '.join(ROUNDINGS)}"))
    low, high = parsed.get("min_price"), parsed.get("max_price")
    if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
        errors.append(_invalid(key, f"minimum price {_money(low)} is above the maximum price {_money(high)}"))
    return errors


def _quantity_errors(key: str, params: Mapping) -> list[str]:
    labels = {"buffer": "buffer", "maximum": "maximum", "zero_below": "threshold"}
    parsed = _parse_numbers(key, params, labels, integer=True)
    parsed.update(_parse_numbers(key, params, {"percent": "percentage"}, integer=False))
    errors = [v for v in parsed.values() if isinstance(v, str)]
    percent = parsed.get("percent")
    if isinstance(percent, Decimal) and not 0 < percent <= 100:
        errors.append(_invalid(key, "percentage must be above 0 and at most 100"))
    high, threshold = parsed.get("maximum"), parsed.get("zero_below")
    if isinstance(high, int) and isinstance(threshold, int) and high < threshold:
        errors.append(
            _invalid(
                key, f"maximum {high} is below the threshold {threshold}, so the quantity would always be 0"
            )
        )
    return errors


def _rule_errors(spec: AmazonField, rule: RuleLike) -> list[str]:
    """Problems of one row on its own (its mode, source field, constant and settings)."""
    key, mode = spec.key, rule.mode
    if mode not in spec.modes:
        return [_invalid(key, f"{MODE_LABELS.get(mode, mode)} is not possible for {spec.label}")]
    errors: list[str] = []
    if mode in (F, P, Q):
        if not rule.field:
            return [_invalid(key, "choose the field it comes from")]
        if rule.field not in spec.sources:
            kind = "a text field" if rule.field in TEXT_FIELDS else "not a suitable field"
            if rule.field not in FIELDS:
                kind = "not a known field"
            return [_invalid(key, f"{spec.label} cannot come from {rule.field}, {kind}")]
    if mode == C:
        constant = (rule.constant or "").strip()
        if not constant:
            return [_invalid(key, "the constant is empty")]
        if spec.choices and constant not in spec.choices:
            return [_invalid(key, f"{constant} is not one of {', '.join(spec.choices)}")]
        if spec.key == PRICE and (_decimal(constant) is None or not _decimal(constant) > 0):
            errors.append(_invalid(key, f"the constant price {constant} is not a positive number"))
        if spec.key == QUANTITY and (_int(constant) is None or _int(constant) < 0):
            errors.append(_invalid(key, f"the constant quantity {constant} is not a whole number ≥ 0"))
        if spec.key == BROWSE_NODE and not constant.isdigit():
            errors.append(_invalid(key, f"browse node {constant} is not a number"))
    if mode == P:
        errors += _price_errors(key, rule.params or {})
    if mode == Q:
        errors += _quantity_errors(key, rule.params or {})
    return errors


def template_errors(template: TemplateLike) -> dict[str, list[str]]:
    """Why ``template`` cannot work, per Amazon field (empty when it can); see ``validate_template``."""
    try:
        purpose = TemplatePurpose(template.purpose)
    except ValueError:
        return {"": [f"Unknown mapping template purpose {template.purpose}"]}
    allowed = PURPOSE_FIELDS[purpose]
    rules = {r.amazon_field: r for r in template.rules}
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    for key, rule in rules.items():
        if key not in allowed:
            add(key, _invalid(key, f"not a field of a {purpose.value} template"))
            continue
        for message in _rule_errors(AMAZON_FIELDS[key], rule):
            add(key, message)

    def mapped(key: str) -> bool:
        rule = rules.get(key)
        return rule is not None and rule.mode != D

    if purpose in (TemplatePurpose.SYNC, TemplatePurpose.PUBLISH):
        kind = rules[FULFILLMENT_CHANNEL].constant.strip() if mapped(FULFILLMENT_CHANNEL) else ""
        center = rules[FULFILLMENT_CENTER].constant.strip() if mapped(FULFILLMENT_CENTER) else ""
        fba = kind == FBA or center in AMAZON_CENTERS
        if mapped(QUANTITY) and fba:
            add(
                QUANTITY,
                _invalid(QUANTITY, "must be Do Not Map on an FBA template: Amazon owns FBA quantity"),
            )
        elif (mapped(QUANTITY) or kind) and not center:
            # Where the quantity is available must be explicit, or Amazon could open a second offer.
            add(FULFILLMENT_CENTER, _missing(FULFILLMENT_CENTER))
        if kind == FBM and center in AMAZON_CENTERS:
            add(
                FULFILLMENT_CENTER,
                _invalid(FULFILLMENT_CENTER, f"{center} is an FBA center, the channel is FBM"),
            )
        if kind == FBA and center == MERCHANT_CENTER:
            add(
                FULFILLMENT_CENTER,
                _invalid(FULFILLMENT_CENTER, "DEFAULT is the FBM center, the channel is FBA"),
            )
    if purpose == TemplatePurpose.PUBLISH:
        if not mapped(PRICE):
            add(PRICE, _missing(PRICE))
        if not mapped(CONDITION):
            add(CONDITION, _missing(CONDITION))
    if purpose == TemplatePurpose.SYNC and not (mapped(PRICE) or mapped(QUANTITY)):
        add(PRICE, _invalid(PRICE, "map the price or the quantity, or Sync has nothing to send"))
    if purpose == TemplatePurpose.OVERWRITE and not any(mapped(k) for k in allowed):
        add(allowed[0], _invalid(allowed[0], "map at least one field, or Overwrite has nothing to send"))
    return errors


def validate_template(template: TemplateLike) -> list[str]:
    """Every reason ``template`` (a ``MappingTemplate`` or ``TemplateSpec``) cannot work; [] when it can.

    Messages name the Amazon field the way Amazon-side template errors do, e.g. "Missing required
    mapping for amazon.inventory_product.fulfillment_center_id in mapping template".
    """
    return [message for messages in template_errors(template).values() for message in messages]
