"""Overwrite Listings end to end: a real RQ worker sends the Overwrite template's attributes to the sandbox
over HTTP; payloads are checked against Amazon's models and the listings read back."""

from __future__ import annotations

from jsonschema import Draft7Validator

from tests.amazon.models import check_all
from tests.conftest import sandbox_app_config
from tests.publishing_support import (
    add_item,
    add_variant,
    amazon,
    bodies,
    demo_channel,
    demo_listings,
    fbm_channel,
    feed_schemas,
    offers_sandbox,
    operations,
    run_job,
    select,
    set_template_rule,
    sku_notes,
    uploaded_feeds,
    variant,
)
from webapp.amazon.transport import recording
from webapp.models import MappingMode, RunKind, RunStatus, TemplatePurpose, VariantStatus
from webapp.services.mapping_engine import DESCRIPTION, MPN

OVERWRITE = RunKind.OVERWRITE_LISTINGS
IMAGES = ["https://img.example.com/a.jpg", "https://img.example.com/b.jpg"]

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = offers_sandbox
app_config = sandbox_app_config
channel = fbm_channel


def set_rule(channel, amazon_field: str, **values) -> None:
    """Change one row of the channel's Overwrite template."""
    set_template_rule(channel, TemplatePurpose.OVERWRITE, amazon_field, **values)


def linked(channel, offer: dict, **item_fields):
    """A Linked variant on one of the demo seller's offers, with a source item."""
    item = add_item(channel, offer["sku"], **item_fields)
    return add_variant(channel, offer["sku"], item, asin=offer["asin"], status=VariantStatus.LINKED)


def test_overwrite_sends_only_the_attributes_the_template_maps(app, redis, sandbox, channel):
    [offer] = demo_listings(sandbox)
    set_rule(channel, DESCRIPTION, mode=MappingMode.DO_NOT_MAP, field="")
    target = linked(
        channel, offer, title="Brand new title", description="Not sent", image_urls=IMAGES, mpn="M-1"
    )
    before = amazon(channel).get_listing(offer["sku"])

    with recording() as exchanges:
        run = run_job(app, redis, OVERWRITE, channel, {"selection": select(target)})

    assert run.status == RunStatus.SUCCEEDED and run.counts == {"updated": 1}
    assert check_all(exchanges) == ["patchListingsItem"]
    [patch] = bodies(exchanges, "PATCH", "/listings/2021-08-01/items/")
    assert [p["path"] for p in patch["patches"]] == [
        "/attributes/item_name",
        "/attributes/main_product_image_locator",
        "/attributes/other_product_image_locator_1",
    ]
    assert {p["op"] for p in patch["patches"]} == {"replace"}
    after = amazon(channel).get_listing(offer["sku"])
    assert after.attributes["item_name"][0]["value"] == "Brand new title"
    assert after.attributes["main_product_image_locator"][0]["media_location"] == IMAGES[0]
    assert after.offers == before.offers and after.fulfillment_availability == before.fulfillment_availability
    assert variant(target.id).status == VariantStatus.LINKED


def test_a_refused_value_is_reported_for_its_sku_and_the_others_are_updated(app, redis, sandbox, channel):
    good_offer, bad_offer = demo_listings(sandbox, count=2)
    set_rule(channel, MPN, mode=MappingMode.FIELD, field="mpn")
    good = linked(channel, good_offer, title="Fine title", mpn="PN-7")
    bad = linked(channel, bad_offer, title="x" * 250)

    run = run_job(app, redis, OVERWRITE, channel, {"selection": select(good, bad)})

    assert run.status == RunStatus.PARTIAL and run.counts == {"updated": 1, "errors": 1}
    refused = variant(bad.id)
    assert refused.status == VariantStatus.LINKED, "the offer is still live: its status stays"
    assert "item_name" in refused.last_error and refused.last_error_help
    [note] = sku_notes(run.id, bad_offer["sku"])
    assert note.level == "error" and note.help == refused.last_error_help
    updated = amazon(channel).get_listing(good_offer["sku"]).attributes
    assert updated["item_name"][0]["value"] == "Fine title" and updated["part_number"][0]["value"] == "PN-7"
    assert amazon(channel).get_listing(bad_offer["sku"]).attributes["item_name"][0]["value"] != "x" * 250


def test_many_overwrites_go_as_one_feed_of_patch_messages(app, redis, sandbox, channel):
    offers = demo_listings(sandbox, count=55)
    variants = [linked(channel, offer, title=f"Feed title {n}") for n, offer in enumerate(offers)]

    with recording() as exchanges:
        run = run_job(app, redis, OVERWRITE, channel, {"selection": select(*variants)})

    assert run.counts == {"updated": 55}
    calls = check_all(exchanges)
    assert "patchListingsItem" not in calls and calls.count("createFeed") == 1
    [document] = uploaded_feeds(exchanges)
    document_schema, message_schema = feed_schemas()
    assert not list(Draft7Validator(document_schema).iter_errors(document))
    for message in document["messages"]:
        assert not list(Draft7Validator(message_schema).iter_errors(message))
        assert message["operationType"] == "PATCH"
    assert (
        amazon(channel).get_listing(offers[-1]["sku"]).attributes["item_name"][0]["value"] == "Feed title 54"
    )


def test_unlinked_and_other_accounts_variants_are_not_overwritten(app, redis, sandbox, channel):
    [offer] = demo_listings(sandbox)
    unlinked = add_variant(channel, "NEVER-LINKED", add_item(channel, "NEVER-LINKED"))
    other = demo_channel(sandbox, name="Other Goods")
    foreign = linked(other, offer, title="Foreign title")
    sandbox.admin("delete", "/calls")

    run = run_job(app, redis, OVERWRITE, channel, {"selection": select(unlinked, foreign)})

    assert run.counts == {"skipped": 1}
    assert operations(sandbox) == {}
    assert amazon(channel).get_listing(offer["sku"]).attributes["item_name"][0]["value"] != "Foreign title"
