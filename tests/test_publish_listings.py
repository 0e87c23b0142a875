"""Publish Listings end to end: a real RQ worker publishes against the sandbox over HTTP; payloads are
checked against Amazon's models and the sandbox's state is read back through Amazon's API."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from jsonschema import Draft7Validator

from sandbox.seed import DEMO_SELLER_ID
from tests.amazon.models import check_all
from tests.conftest import sandbox_app_config
from tests.publishing_support import (
    add_catalog_item,
    add_item,
    add_variant,
    amazon,
    bodies,
    catalog_size,
    demo_channel,
    fast_sandbox,
    fbm_channel,
    feed_schemas,
    history,
    operations,
    run_job,
    select,
    set_template_rule,
    sku_notes,
    uploaded_feeds,
    variant,
)
from webapp.amazon import NotFound, help_for
from webapp.amazon.transport import recording
from webapp.extensions import db
from webapp.models import (
    Connection,
    ConnectionStatus,
    FeedSubmission,
    MappingMode,
    RunKind,
    RunStatus,
    TemplatePurpose,
    VariantStatus,
)
from webapp.services.mapping_engine import CONDITION_NOTE, PRICE

PUBLISH = RunKind.PUBLISH_LISTINGS


@pytest.fixture
def sandbox():
    """A fast sandbox with the default seed."""
    yield from fast_sandbox()


# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
app_config = sandbox_app_config
channel = fbm_channel


def set_rule(channel, amazon_field: str, **values) -> None:
    """Change one row of the channel's Publish template."""
    set_template_rule(channel, TemplatePurpose.PUBLISH, amazon_field, **values)


def test_fbm_offer_is_published_on_the_asin_found_by_upc(app, redis, sandbox, channel):
    asin, upc = add_catalog_item(sandbox, 1)
    item = add_item(
        channel, "PUB-1", upc=upc, cost=Decimal("10.00"), quantity=7, image_urls=["https://x/1.jpg"]
    )
    draft = add_variant(channel, "PUB-1", item, product_id=upc, product_id_type="UPC")
    products = catalog_size(sandbox)

    with recording() as exchanges:
        run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    assert run.status == RunStatus.SUCCEEDED and run.counts["published"] == 1
    published = variant(draft.id)
    assert published.status == VariantStatus.PUBLISHED and published.asin == asin
    assert (published.pushed_price, published.pushed_quantity) == (Decimal("13.99"), 7)
    assert history(draft.id, "status") == [("unlinked", "published")]
    assert history(draft.id, "price") == [("", "13.99")] and history(draft.id, "quantity") == [("", "7")]

    operations_sent = check_all(exchanges)
    assert operations_sent.count("searchCatalogItems") == 1 and operations_sent.count("putListingsItem") == 1
    [put] = bodies(exchanges, "PUT", "/listings/2021-08-01/items/")
    assert put["requirements"] == "LISTING_OFFER_ONLY" and put["productType"] == "PRODUCT"
    attributes = put["attributes"]
    assert attributes["merchant_suggested_asin"][0]["value"] == asin
    assert attributes["purchasable_offer"][0]["our_price"][0]["schedule"][0]["value_with_tax"] == 13.99
    assert attributes["fulfillment_availability"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}]
    assert attributes["condition_type"][0]["value"] == "new_new"
    assert not {"item_name", "product_description", "main_product_image_locator"} & set(attributes)

    on_amazon = amazon(channel).get_listing("PUB-1")
    assert on_amazon.asin == asin
    assert on_amazon.fulfillment_availability[0]["quantity"] == 7
    assert catalog_size(sandbox) == products, "no new ASIN is ever created"


def test_fba_offer_names_its_fulfillment_center_and_sends_no_quantity(app, redis, sandbox):
    channel = demo_channel(sandbox, fulfillment="AMAZON_NA")
    asin, _ = add_catalog_item(sandbox, 2)
    item = add_item(channel, "PUB-FBA", cost=Decimal("20.00"), quantity=50)
    draft = add_variant(channel, "PUB-FBA", item, asin=asin)

    with recording() as exchanges:
        run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    assert run.status == RunStatus.SUCCEEDED
    published = variant(draft.id)
    assert published.status == VariantStatus.PUBLISHED and published.fulfillment_channel == "AMAZON_NA"
    assert published.pushed_quantity is None and published.pushed_price == Decimal("26.99")
    check_all(exchanges)
    [put] = bodies(exchanges, "PUT", "/listings/2021-08-01/items/")
    assert put["attributes"]["fulfillment_availability"] == [{"fulfillment_channel_code": "AMAZON_NA"}]
    assert not published.issues, "Amazon had nothing to warn about (no FBA quantity was sent)"
    assert amazon(channel).get_listing("PUB-FBA").asin == asin


def test_brand_restricted_product_ends_in_error_with_help_to_apply_then_link(app, redis, sandbox, channel):
    _, upc = add_catalog_item(sandbox, 3, brand="LuxeMark", restricted=True)
    item = add_item(channel, "PUB-GATED", upc=upc)
    draft = add_variant(channel, "PUB-GATED", item, product_id=upc, product_id_type="UPC")

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    assert run.status == RunStatus.PARTIAL and run.counts["errors"] == 1
    refused = variant(draft.id)
    assert refused.status == VariantStatus.ERROR
    assert "approval to list products of the brand 'LuxeMark'" in refused.last_error
    assert (
        "Apply to sell the brand" in refused.last_error_help and "link this item" in refused.last_error_help
    )
    [note] = sku_notes(run.id, "PUB-GATED")
    assert note.level == "error" and note.help == refused.last_error_help
    with pytest.raises(NotFound):
        amazon(channel).get_listing("PUB-GATED")


def test_an_identifier_of_another_product_is_an_identifier_conflict(app, redis, sandbox, channel):
    asin, _ = add_catalog_item(sandbox, 4)
    _, other_upc = add_catalog_item(sandbox, 5)
    item = add_item(channel, "PUB-CONFLICT", upc=other_upc)
    draft = add_variant(channel, "PUB-CONFLICT", item, asin=asin)

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    refused = variant(draft.id)
    assert run.status == RunStatus.PARTIAL and refused.status == VariantStatus.ERROR
    assert "conflicts with merchant_suggested_asin" in refused.last_error
    assert refused.last_error_help == help_for("8541")
    assert refused.issues[0]["code"] == "8541"


def test_a_product_id_type_without_a_product_id_is_refused_before_sending(app, redis, sandbox, channel):
    item = add_item(channel, "PUB-NOID")
    draft = add_variant(channel, "PUB-NOID", item, product_id="", product_id_type="UPC")
    sandbox.admin("delete", "/calls")

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    refused = variant(draft.id)
    assert refused.status == VariantStatus.ERROR
    assert "Product ID type UPC is set" in refused.last_error
    assert refused.last_error_help == help_for("ProductIdTypeWithoutProductId")
    assert "putListingsItem" not in operations(sandbox)
    assert run.status == RunStatus.PARTIAL


def test_a_condition_note_on_a_new_item_is_only_a_warning(app, redis, sandbox, channel):
    asin, _ = add_catalog_item(sandbox, 6)
    set_rule(channel, CONDITION_NOTE, mode=MappingMode.CONSTANT, constant="Box slightly dented")
    item = add_item(channel, "PUB-NOTE", condition="new_new")
    draft = add_variant(channel, "PUB-NOTE", item, asin=asin)

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    published = variant(draft.id)
    assert run.status == RunStatus.SUCCEEDED and published.status == VariantStatus.PUBLISHED
    [warning] = [n for n in sku_notes(run.id, "PUB-NOTE") if n.level == "warning"]
    assert "condition note is not allowed for new items" in warning.message
    assert warning.help == help_for("ConditionNoteIgnored")
    assert published.issues[0]["severity"] == "WARNING" and published.last_error == ""


def test_an_unknown_upc_or_a_missing_price_is_an_error_saying_what_to_fix(app, redis, sandbox, channel):
    unknown = add_variant(
        channel,
        "PUB-UNKNOWN",
        add_item(channel, "PUB-UNKNOWN", upc="799999999993"),
        product_id="799999999993",
    )
    asin, _ = add_catalog_item(sandbox, 7)
    no_cost = add_variant(channel, "PUB-NOCOST", add_item(channel, "PUB-NOCOST", cost=None), asin=asin)
    products = catalog_size(sandbox)

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(unknown, no_cost)})

    assert run.counts["errors"] == 2
    missing = variant(unknown.id)
    assert missing.status == VariantStatus.ERROR
    assert missing.last_error == "No Amazon product matches UPC 799999999993."
    assert "never creates new products" in missing.last_error_help
    unpriced = variant(no_cost.id)
    assert unpriced.status == VariantStatus.ERROR and PRICE in unpriced.last_error
    assert PRICE in unpriced.last_error_help
    assert catalog_size(sandbox) == products


def test_many_variants_are_published_with_one_feed_and_its_report_is_kept(app, redis, sandbox, channel):
    asin, upc = add_catalog_item(sandbox, 8)
    _, gated_upc = add_catalog_item(sandbox, 9, brand="LuxeMark", restricted=True)
    drafts = [
        add_variant(channel, f"BULK-{n:03d}", add_item(channel, f"BULK-{n:03d}", upc=upc)) for n in range(55)
    ]
    gated = add_variant(channel, "BULK-GATED", add_item(channel, "BULK-GATED", upc=gated_upc))
    products = catalog_size(sandbox)

    with recording() as exchanges:
        run = run_job(app, redis, PUBLISH, channel, {"selection": select(*drafts, gated)})

    assert run.counts["published"] == 55 and run.counts["errors"] == 1
    calls = check_all(exchanges)
    assert "putListingsItem" not in calls and calls.count("createFeed") == 1
    [document] = uploaded_feeds(exchanges)
    document_schema, message_schema = feed_schemas()
    assert not list(Draft7Validator(document_schema).iter_errors(document))
    for message in document["messages"]:
        assert not list(Draft7Validator(message_schema).iter_errors(message))
        assert message["operationType"] == "UPDATE" and message["requirements"] == "LISTING_OFFER_ONLY"
    assert {v.status for v in map(variant, (d.id for d in drafts))} == {VariantStatus.PUBLISHED}
    assert "LuxeMark" in variant(gated.id).last_error
    [feed] = db.session.scalars(sa.select(FeedSubmission).where(FeedSubmission.run_id == run.id))
    assert (
        feed.status == "DONE" and feed.message_count == 56 and feed.result["summary"]["messagesInvalid"] == 1
    )
    assert amazon(channel).get_listing("BULK-054").asin == asin
    assert catalog_size(sandbox) == products


def test_linked_variants_and_another_accounts_variants_are_left_alone(app, redis, sandbox, channel):
    asin, _ = add_catalog_item(sandbox, 10)
    linked = add_variant(channel, "PUB-LINKED", asin=asin, status=VariantStatus.LINKED)
    other_channel = demo_channel(sandbox, name="Other Goods")
    foreign = add_variant(other_channel, "PUB-FOREIGN", add_item(other_channel, "PUB-FOREIGN"), asin=asin)
    sandbox.admin("delete", "/calls")

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(linked, foreign)})

    assert run.status == RunStatus.SUCCEEDED and run.counts == {"skipped": 1}
    assert variant(linked.id).status == VariantStatus.LINKED
    assert variant(foreign.id).status == VariantStatus.UNLINKED and history(foreign.id, "status") == []
    assert operations(sandbox) == {}


def test_a_revoked_authorization_fails_the_run_and_marks_the_connection(app, redis, sandbox, channel):
    asin, _ = add_catalog_item(sandbox, 11)
    draft = add_variant(channel, "PUB-REVOKED", add_item(channel, "PUB-REVOKED"), asin=asin)
    sandbox.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")

    run = run_job(app, redis, PUBLISH, channel, {"selection": select(draft)})

    assert run.status == RunStatus.FAILED
    assert db.session.get(Connection, channel.connection_id).status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert variant(draft.id).status == VariantStatus.UNLINKED, "nothing was sent, nothing is recorded"
