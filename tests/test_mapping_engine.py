"""The mapping engine: price and quantity rules, fulfilment, attribute shapes, defaults and validation."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from jsonschema import Draft7Validator

from sandbox.product_types import attribute_schema
from tests.amazon.models import MODELS
from webapp.extensions import db
from webapp.models import Account, Channel, MappingTemplate, TemplatePurpose
from webapp.services import mapping_engine as me
from webapp.services.mapping_engine import (
    FULFILLMENT_CENTER,
    FULFILLMENT_CHANNEL,
    PRICE,
    QUANTITY,
    CompiledTemplate,
    RuleSpec,
    TemplateSpec,
    default_rules,
    load_template,
    offer_attributes,
    row_fields,
    validate_template,
)

US = "ATVPDKIKX0DER"
MESSAGE_SCHEMA = MODELS / "listings-feed-message-schema-v2.json"


def price_template(fulfillment: str = "DEFAULT", field: str = "cost", **params) -> CompiledTemplate:
    """A Sync template whose price rule has ``params`` over the defaults (no rounding unless given)."""
    rules = default_rules("sync", fulfillment)
    rules[0] = RuleSpec(PRICE, "price_rule", field, params={**me.PRICE_PARAMS, "rounding": "none", **params})
    return CompiledTemplate("sync", rules)


def quantity_template(**params) -> CompiledTemplate:
    """An FBM Sync template whose quantity rule has ``params`` over the defaults."""
    rules = default_rules("sync", "DEFAULT")
    rules[1] = RuleSpec(QUANTITY, "quantity_rule", "source_quantity", params={**me.QUANTITY_PARAMS, **params})
    return CompiledTemplate("sync", rules)


def fields(**values) -> dict:
    """Engine fields of a variant tied to a source item with ``values`` (source_items column names)."""
    item = {"cost": Decimal("10.00"), "quantity": 20, **values}
    return row_fields({"sku": "SKU-1", "price": None, "quantity": None}, item)


# --- price ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "rounding", "expected"),
    [
        ("10.00", ".99", "13.99"),  # 13.00 → up to 13.99, never down to 12.99
        ("10.50", ".99", "13.99"),  # 13.65 → 13.99
        ("11.15", ".99", "14.99"),  # 14.50 → 14.99
        ("10.00", ".95", "13.95"),  # 13.00 → 13.95
        ("10.80", ".95", "14.95"),  # 14.04 → 14.95
        ("10.00", "whole", "13.00"),  # already whole: stays
        ("10.40", "whole", "14.00"),  # 13.52 → 14
        ("10.70", "whole", "14.00"),  # 13.91 → 14
        ("10.35", "none", "13.46"),  # 13.455 → 13.46 (half up to cents)
        ("0.10", ".99", "0.99"),
    ],
)
def test_price_rule_applies_markup_then_rounding(cost: str, rounding: str, expected: str) -> None:
    offer = price_template(markup="1.30", rounding=rounding).offer(fields(cost=Decimal(cost)), "DEFAULT")
    assert offer.price == Decimal(expected)


@pytest.mark.parametrize(
    ("cost", "rounding", "expected"),
    [
        ("8.00", ".99", "8.99"),  # 8.25: the QA repro sent 7.99, below cost
        ("4.20", ".99", "4.99"),  # 4.45: the QA repro sent 3.99
        ("8.74", ".99", "8.99"),  # 8.99 already ends in .99: stays
        ("8.75", ".99", "9.99"),  # 9.00 → the next .99 is 9.99
        ("8.00", ".95", "8.95"),
        ("8.70", ".95", "8.95"),  # 8.95 stays
        ("8.71", ".95", "9.95"),  # 8.96 is past .95: next one up
        ("8.00", "whole", "9.00"),  # 8.25 → 9.00
        ("8.75", "whole", "9.00"),  # 9.00 stays
        ("8.76", "whole", "10.00"),  # 9.01 → 10.00
    ],
)
def test_rounding_never_goes_below_the_computed_price(cost: str, rounding: str, expected: str) -> None:
    offer = price_template(markup="1.00", fixed="0.25", rounding=rounding).offer(
        fields(cost=Decimal(cost)), "DEFAULT"
    )
    computed = Decimal(cost) + Decimal("0.25")
    assert offer.price == Decimal(expected)
    assert offer.price >= computed and offer.price > Decimal(cost)


def test_default_markup_rounds_up_to_the_next_99() -> None:
    offer = price_template(rounding=".99").offer(fields(cost=Decimal("12.50")), "DEFAULT")
    assert offer.price == Decimal("16.99")
    assert offer.price_rule == "cost 12.50 × 1.30 + 0.00 = 16.25, rounded up to .99 → 16.99"


def test_price_rule_text_explains_the_computation() -> None:
    offer = price_template(markup="1.30", fixed="1.00", rounding=".99").offer(fields(), "DEFAULT")
    assert offer.price == Decimal("14.99")
    assert offer.price_rule == "cost 10.00 × 1.30 + 1.00 = 14.00, rounded up to .99 → 14.99"


def test_maximum_wins_over_a_rounding_that_would_pass_it() -> None:
    offer = price_template(markup="1.00", fixed="0.25", rounding=".99", max_price="8.50").offer(
        fields(cost=Decimal("8.00")), "DEFAULT"
    )
    assert offer.price == Decimal("8.50")
    assert offer.price_rule == (
        "cost 8.00 × 1.00 + 0.25 = 8.25, rounded up to .99 → 8.99; lowered to the maximum price 8.50"
    )


def test_minimum_above_the_rounded_price_binds_it() -> None:
    offer = price_template(markup="1.00", fixed="0.25", rounding=".99", min_price="9.50").offer(
        fields(cost=Decimal("8.00")), "DEFAULT"
    )
    assert offer.price == Decimal("9.50")
    assert offer.price_rule.endswith("rounded up to .99 → 8.99; raised to the minimum price 9.50")


@pytest.mark.parametrize(
    ("params", "cost", "expected", "bound_by"),
    [
        ({"min_price": "15.00"}, "10.00", "15.00", "raised to the minimum price 15.00"),
        ({"max_price": "12.00"}, "10.00", "12.00", "lowered to the maximum price 12.00"),
        ({"min_price": "5", "max_price": "50"}, "10.00", "13.00", None),
        ({"max_price": "100"}, "99.00", "100.00", "lowered to the maximum price 100.00"),
    ],
)
def test_guardrails_clamp_the_price(params: dict, cost: str, expected: str, bound_by: str | None) -> None:
    offer = price_template(**params).offer(fields(cost=Decimal(cost)), "DEFAULT")
    assert offer.price == Decimal(expected)
    if bound_by:
        assert offer.price_rule.endswith(bound_by)
    else:
        assert "minimum" not in offer.price_rule and "maximum" not in offer.price_rule


@pytest.mark.parametrize(
    ("respect_map", "map_price", "expected", "text"),
    [
        (True, "16.00", "16.00", "MAP 16.00 respected"),
        (True, "12.00", "13.00", None),  # already above MAP
        (False, "16.00", "13.00", None),
    ],
)
def test_map_is_never_undercut_when_respected(respect_map, map_price, expected, text) -> None:
    offer = price_template(respect_map=respect_map).offer(fields(map_price=Decimal(map_price)), "DEFAULT")
    assert offer.price == Decimal(expected)
    assert (text in offer.price_rule) if text else ("MAP" not in offer.price_rule)


def test_map_wins_over_a_lower_maximum_and_says_so() -> None:
    offer = price_template(max_price="14.00").offer(fields(map_price=Decimal("16.00")), "DEFAULT")
    assert offer.price == Decimal("16.00")
    assert offer.price_rule.endswith("MAP 16.00 respected (above the maximum price 14.00)")


def test_price_without_its_source_value_is_not_computed() -> None:
    offer = price_template().offer(fields(cost=None), "DEFAULT")
    assert offer.price is None
    assert offer.price_rule == "no cost: price not computed"


def test_price_from_msrp_field_and_constant() -> None:
    rules = default_rules("sync", "DEFAULT")
    rules[0] = RuleSpec(PRICE, "field", "msrp")
    assert CompiledTemplate("sync", rules).offer(fields(msrp=Decimal("24.50")), "DEFAULT").price == Decimal(
        "24.50"
    )
    rules[0] = RuleSpec(PRICE, "constant", constant="9.99")
    offer = CompiledTemplate("sync", rules).offer(fields(), "DEFAULT")
    assert (offer.price, offer.price_rule) == (Decimal("9.99"), "constant 9.99")


# --- quantity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "source", "expected", "bound_by"),
    [
        ({}, 20, 20, "source_quantity 20"),
        ({"buffer": "3"}, 20, 17, "source_quantity 20 − 3 = 17"),
        ({"buffer": "3"}, 2, 0, "never negative → 0"),
        ({"percent": "50"}, 21, 10, "× 50% = 10"),
        ({"maximum": "5"}, 20, 5, "capped at the maximum 5"),
        ({"zero_below": "5"}, 4, 0, "below the threshold 5 → 0"),
        ({"zero_below": "5"}, 5, 5, "source_quantity 5"),
        (
            {"buffer": "2", "percent": "50", "maximum": "6", "zero_below": "3"},
            30,
            6,
            "capped at the maximum 6",
        ),
        ({"buffer": "2", "percent": "50", "zero_below": "3"}, 6, 0, "below the threshold 3 → 0"),
    ],
)
def test_quantity_rule(params: dict, source: int, expected: int, bound_by: str) -> None:
    offer = quantity_template(**params).offer(fields(quantity=source), "DEFAULT")
    assert offer.quantity == expected
    assert offer.quantity_rule.endswith(bound_by)


def test_quantity_without_a_source_item_is_not_computed() -> None:
    offer = quantity_template().offer(row_fields({"sku": "X", "quantity": 7}, None), "DEFAULT")
    assert offer.quantity is None


@pytest.mark.parametrize(
    ("template", "values"),
    [
        (price_template(rounding=".99", min_price="15.00", max_price="40.00"), {"cost": Decimal("9.10")}),
        (price_template(max_price="14.00"), {"map_price": Decimal("16.00")}),
        (price_template(markup="0.01"), {"cost": Decimal("0.10")}),
        (price_template(), {"cost": None}),
        (quantity_template(buffer="2", percent="50", maximum="6", zero_below="3"), {"quantity": 30}),
        (quantity_template(buffer="3"), {"quantity": 2}),
    ],
)
def test_an_offer_without_its_explanation_has_the_same_values(template, values: dict) -> None:
    explained = template.offer(fields(**values), "DEFAULT")
    bare = template.offer(fields(**values), "DEFAULT", explain=False)
    assert (bare.price, bare.quantity, bare.fulfillment_channel) == (
        explained.price,
        explained.quantity,
        explained.fulfillment_channel,
    )
    assert explained.price_rule


def test_offer_fields_are_the_offer_part_of_row_fields() -> None:
    item = {"cost": "10.5", "msrp": Decimal("20.00"), "map_price": None, "quantity": "7"}
    variant = {"price": Decimal("12.99"), "quantity": 3}
    read_by_rules = (*me.MONEY_FIELDS, *me.QUANTITY_FIELDS)
    expected = {k: v for k, v in row_fields(variant, item).items() if k in read_by_rules}
    assert me.offer_fields("10.5", Decimal("20.00"), None, "7", Decimal("12.99"), 3) == expected
    assert expected["cost"] == Decimal("10.5") and expected["source_quantity"] == 7


# --- fulfilment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("center", ["AMAZON_NA", "AMAZON_EU", "AMAZON_FE"])
def test_fba_template_leaves_quantity_to_amazon(center: str) -> None:
    template = CompiledTemplate("sync", default_rules("sync", center))
    offer = template.offer(fields(), "DEFAULT")
    assert (offer.fulfillment_channel, offer.quantity, offer.is_fba) == (center, None, True)
    assert offer_attributes(offer, US, "USD")["fulfillment_availability"] == [
        {"fulfillment_channel_code": center}
    ]


def test_fbm_template_maps_quantity_on_the_default_center() -> None:
    offer = CompiledTemplate("sync", default_rules("sync", "DEFAULT")).offer(fields(), "AMAZON_NA")
    assert (offer.fulfillment_channel, offer.quantity) == ("DEFAULT", 20)
    assert offer_attributes(offer, US, "USD")["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 20}
    ]


@pytest.mark.parametrize(
    ("default", "quantity"),
    [("DEFAULT", None), ("AMAZON_EU", None)],
)
def test_price_only_template_uses_the_default_fulfilment(default: str, quantity) -> None:
    spec = TemplateSpec("sync", [RuleSpec(PRICE, "price_rule", "cost", params=dict(me.PRICE_PARAMS))])
    assert validate_template(spec) == []
    offer = CompiledTemplate.from_template(spec).offer(fields(), default)
    assert (offer.fulfillment_channel, offer.quantity, offer.price) == (default, quantity, Decimal("13.99"))
    attrs = offer_attributes(offer, US, "USD")
    assert ("fulfillment_availability" in attrs) is (default != "DEFAULT")


# --- Amazon shapes --------------------------------------------------------------------------------


def _schema_errors(attributes: dict, requirements: str = "LISTING_OFFER_ONLY") -> list[str]:
    validator = Draft7Validator({**attribute_schema(requirements), "required": []})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(attributes)]


def _message_errors(attributes: dict) -> list[str]:
    message = {
        "messageId": 1,
        "sku": "SKU-1",
        "operationType": "PARTIAL_UPDATE",
        "productType": "PRODUCT",
        "attributes": attributes,
    }
    validator = Draft7Validator(json.loads(MESSAGE_SCHEMA.read_text(encoding="utf-8")))
    return [e.message for e in validator.iter_errors(message)]


@pytest.mark.parametrize("fulfillment", ["DEFAULT", "AMAZON_NA"])
def test_offer_attributes_match_the_product_type_schema(fulfillment: str) -> None:
    offer = CompiledTemplate("sync", default_rules("sync", fulfillment)).offer(fields(), fulfillment)
    attrs = offer_attributes(offer, US, "USD")
    assert attrs["purchasable_offer"] == [
        {
            "marketplace_id": US,
            "currency": "USD",
            "audience": "ALL",
            "our_price": [{"schedule": [{"value_with_tax": 13.99}]}],
        }
    ]
    assert _schema_errors(attrs) == []
    assert _message_errors(attrs) == []


def test_publish_attributes_make_an_offer_only_listing() -> None:
    template = CompiledTemplate("publish", default_rules("publish", "DEFAULT"))
    row = fields(condition="used_good", upc="", ean="4006381333931", image_urls=["https://img/1.jpg"])
    row["asin"] = "B00TESTASN"
    attrs = {
        **template.attributes(row, US, "en_US"),
        **offer_attributes(template.offer(row, "DEFAULT"), US, "USD"),
    }
    assert attrs["condition_type"] == [{"value": "used_good", "marketplace_id": US}]
    # UPC is the chosen identifier; the item has none, so its EAN is sent.
    assert attrs["externally_assigned_product_identifier"] == [
        {"type": "ean", "value": "4006381333931", "marketplace_id": US}
    ]
    assert attrs["merchant_suggested_asin"] == [{"value": "B00TESTASN", "marketplace_id": US}]
    assert "main_product_image_locator" not in attrs  # content is not sent on publish
    assert Draft7Validator(attribute_schema("LISTING_OFFER_ONLY")).is_valid(attrs)
    assert _message_errors(attrs) == []


def test_overwrite_attributes_carry_content_in_amazon_shapes() -> None:
    rules = default_rules("overwrite", "DEFAULT")
    rules[2] = RuleSpec(me.BROWSE_NODE, "constant", constant="1055398")
    rules[3] = RuleSpec(me.MPN, "field", "mpn")
    images = [f"https://img.example/{n}.jpg" for n in range(11)]
    row = fields(title="Blue Kettle", description="A kettle.", mpn="KT-1", image_urls=images)
    attrs = CompiledTemplate("overwrite", rules).attributes(row, US, "en_US")
    assert attrs["item_name"] == [{"value": "Blue Kettle", "marketplace_id": US, "language_tag": "en_US"}]
    assert attrs["product_description"][0]["value"] == "A kettle."
    assert attrs["recommended_browse_nodes"] == [{"value": "1055398", "marketplace_id": US}]
    assert attrs["part_number"] == [{"value": "KT-1", "marketplace_id": US}]
    assert attrs["main_product_image_locator"] == [{"media_location": images[0], "marketplace_id": US}]
    others = sorted(k for k in attrs if k.startswith("other_product_image_locator_"))
    assert len(others) == 8  # Amazon takes 8 other images; the rest are dropped
    assert "externally_assigned_product_identifier" not in attrs  # Do Not Map by default
    assert _schema_errors(attrs) == []
    assert _message_errors(attrs) == []


def test_empty_content_is_left_out() -> None:
    attrs = CompiledTemplate("overwrite", default_rules("overwrite", "DEFAULT")).attributes(
        fields(title="", description=""), US, "en_US"
    )
    assert attrs == {}


# --- rows -----------------------------------------------------------------------------------------


def test_row_fields_prefer_the_source_item_and_fill_in_from_the_variant() -> None:
    variant = {
        "price": Decimal("19.99"),
        "quantity": 3,
        "asin": "B000000001",
        "product_id": "012345678905",
        "product_id_type": "UPC",
        "title": "Variant title",
        "images": '["https://v/1.jpg"]',
        "condition": "new_new",
    }
    item = {"cost": "7.5", "quantity": 9, "title": "Item title", "image_urls": [], "condition": "used_good"}
    row = row_fields(variant, item)
    assert set(row) == set(me.FIELDS)
    assert row["cost"] == Decimal("7.5") and row["source_quantity"] == 9
    assert (row["listing_price"], row["listing_quantity"]) == (Decimal("19.99"), 3)
    assert (row["title"], row["condition"], row["upc"]) == ("Item title", "used_good", "012345678905")
    assert row["image_urls"] == ["https://v/1.jpg"]  # JSON text from a raw row is decoded


# --- validation -----------------------------------------------------------------------------------


def sync_rules(**changes: RuleSpec | None) -> TemplateSpec:
    """The FBM Sync default with rows replaced (None = Do Not Map) by Amazon field short name."""
    keys = {
        "price": PRICE,
        "quantity": QUANTITY,
        "channel": FULFILLMENT_CHANNEL,
        "center": FULFILLMENT_CENTER,
    }
    rules = {r.amazon_field: r for r in default_rules("sync", "DEFAULT")}
    for name, rule in changes.items():
        rules[keys[name]] = rule or RuleSpec(keys[name])
    return TemplateSpec("sync", list(rules.values()))


def price_rule(**params) -> RuleSpec:
    """A price rule row from cost with ``params`` over the defaults."""
    return RuleSpec(PRICE, "price_rule", "cost", params={**me.PRICE_PARAMS, **params})


def quantity_rule(**params) -> RuleSpec:
    """A quantity rule row from source quantity with ``params`` over the defaults."""
    return RuleSpec(QUANTITY, "quantity_rule", "source_quantity", params={**me.QUANTITY_PARAMS, **params})


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            sync_rules(price=RuleSpec(PRICE, "field", "title")),
            f"Invalid mapping for {PRICE} in mapping template: Price cannot come from title, a text field",
        ),
        (
            sync_rules(channel=RuleSpec(FULFILLMENT_CHANNEL, "constant", constant="FBA"), center=None),
            f"Invalid mapping for {QUANTITY} in mapping template: must be Do Not Map on an FBA template",
        ),
        (
            sync_rules(center=RuleSpec(FULFILLMENT_CENTER, "constant", constant="AMAZON_NA"), channel=None),
            f"Invalid mapping for {QUANTITY} in mapping template: must be Do Not Map on an FBA template",
        ),
        (sync_rules(center=None), f"Missing required mapping for {FULFILLMENT_CENTER} in mapping template"),
        (
            sync_rules(center=None, channel=None),
            f"Missing required mapping for {FULFILLMENT_CENTER} in mapping template",
        ),
        (
            sync_rules(center=RuleSpec(FULFILLMENT_CENTER, "constant", constant="AMAZON_NA"), quantity=None),
            f"Invalid mapping for {FULFILLMENT_CENTER} in mapping template: AMAZON_NA is an FBA center",
        ),
        (
            TemplateSpec(
                "publish", [r for r in default_rules("publish", "DEFAULT") if r.amazon_field != PRICE]
            ),
            f"Missing required mapping for {PRICE} in mapping template",
        ),
        (
            sync_rules(price=price_rule(min_price="20", max_price="10")),
            "minimum price 20.00 is above the maximum price 10.00",
        ),
        (sync_rules(price=price_rule(markup="-1.2")), "markup must not be negative"),
        (sync_rules(price=price_rule(markup="0")), "markup must be above 0"),
        (sync_rules(price=price_rule(fixed="abc")), "fixed amount must be a number"),
        (sync_rules(price=price_rule(rounding=".49")), "rounding must be one of"),
        (sync_rules(price=RuleSpec(PRICE, "price_rule", "")), "choose the field it comes from"),
        (sync_rules(price=RuleSpec(PRICE, "constant", constant="free")), "is not a positive number"),
        (sync_rules(quantity=quantity_rule(buffer="-2")), "buffer must not be negative"),
        (sync_rules(quantity=quantity_rule(buffer="1.5")), "buffer must be a whole number"),
        (sync_rules(quantity=quantity_rule(percent="150")), "percentage must be above 0 and at most 100"),
        (sync_rules(quantity=quantity_rule(maximum="2", zero_below="5")), "the quantity would always be 0"),
        (sync_rules(quantity=RuleSpec(QUANTITY, "price_rule", "cost")), "Price rule is not possible"),
        (sync_rules(quantity=RuleSpec(QUANTITY, "field", "cost")), "cannot come from cost"),
        (sync_rules(channel=RuleSpec(FULFILLMENT_CHANNEL, "constant", constant="MFN")), "MFN is not one of"),
        (sync_rules(price=None, quantity=None), "Sync has nothing to send"),
        (
            TemplateSpec("overwrite", [RuleSpec(me.TITLE)]),
            "map at least one field, or Overwrite has nothing to send",
        ),
        (
            TemplateSpec("overwrite", [RuleSpec(PRICE, "field", "cost")]),
            "not a field of a overwrite template",
        ),
        (
            TemplateSpec("overwrite", [RuleSpec(me.BROWSE_NODE, "constant", constant="Kitchen")]),
            "browse node Kitchen is not a number",
        ),
    ],
)
def test_a_template_that_cannot_work_is_refused(template: TemplateSpec, message: str) -> None:
    errors = validate_template(template)
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize("purpose", list(TemplatePurpose))
@pytest.mark.parametrize("fulfillment", ["DEFAULT", "AMAZON_NA", "AMAZON_EU", "AMAZON_FE"])
def test_default_templates_are_valid(purpose: TemplatePurpose, fulfillment: str) -> None:
    assert validate_template(TemplateSpec(purpose, default_rules(purpose, fulfillment))) == []


# --- loading from the database ----------------------------------------------------------------------


def _channel(fulfillment: str) -> Channel:
    account = Account(name="Acme")
    db.session.add(account)
    db.session.flush()
    channel = Channel(account_id=account.id, name="US", marketplace_id=US, fulfillment_channel=fulfillment)
    db.session.add(channel)
    db.session.commit()
    return channel


def test_load_template_creates_the_default_once(app) -> None:
    channel = _channel("AMAZON_NA")
    first = load_template(channel.id, TemplatePurpose.SYNC)
    again = load_template(channel.id, "sync")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(MappingTemplate))
    assert count == 1
    for template in (first, again):
        assert template.rule(QUANTITY).mode == "do_not_map"
        assert template.rule(FULFILLMENT_CENTER).constant == "AMAZON_NA"
    saved = db.session.scalar(sa.select(MappingTemplate))
    assert (saved.account_id, saved.purpose, len(saved.rules)) == (channel.account_id, "sync", 4)


def test_load_template_reads_the_saved_rules(app) -> None:
    channel = _channel("DEFAULT")
    template = me.ensure_template(channel.id, TemplatePurpose.SYNC)
    price = next(r for r in template.rules if r.amazon_field == PRICE)
    price.params = {**price.params, "markup": "2", "rounding": "whole"}
    db.session.commit()
    offer = load_template(channel.id, TemplatePurpose.SYNC).offer(fields(), "DEFAULT")
    assert offer.price == Decimal("20.00")
