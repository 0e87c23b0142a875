"""Hide, Unhide, Delist (on Amazon) and Pause, Unpause, Unlink (local only) end to end: a real RQ worker
against the sandbox over HTTP, with the sandbox's listings and call log read back."""

from __future__ import annotations

from decimal import Decimal

import pytest
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
    history,
    offers_sandbox,
    operations,
    run_job,
    select,
    sku_notes,
    uploaded_feeds,
    variant,
)
from webapp.amazon import NotFound
from webapp.amazon.transport import recording
from webapp.models import RunKind, RunStatus, VariantStatus

ACTION = RunKind.LISTING_ACTION

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = offers_sandbox
app_config = sandbox_app_config
channel = fbm_channel


def linked(channel, offer: dict, status: VariantStatus = VariantStatus.LINKED, quantity: int = 9, **fields):
    """A variant linked to one of the demo seller's existing offers, its source item holding ``quantity``."""
    item = add_item(channel, offer["sku"], quantity=quantity, cost=Decimal("10.00"))
    return add_variant(channel, offer["sku"], item, asin=offer["asin"], status=status, **fields)


def quantity_on_amazon(channel, sku: str) -> int | None:
    """The FBM quantity Amazon shows for ``sku``."""
    availability = amazon(channel).get_listing(sku).fulfillment_availability
    return availability[0].get("quantity") if availability else None


def act(app, redis, channel, action: str, *variants):
    """Run a listing action on ``variants``."""
    return run_job(app, redis, ACTION, channel, {"action": action, "selection": select(*variants)})


def test_hide_sets_quantity_zero_on_amazon_and_unhide_restores_the_mapped_quantity(
    app, redis, sandbox, channel
):
    [offer] = demo_listings(sandbox)
    shown = linked(channel, offer, status=VariantStatus.PUBLISHED, quantity=9, pushed_quantity=4)

    with recording() as exchanges:
        hidden_run = act(app, redis, channel, "hide", shown)

    assert hidden_run.status == RunStatus.SUCCEEDED and hidden_run.counts == {"hidden": 1}
    hidden = variant(shown.id)
    assert hidden.status == VariantStatus.HIDDEN and hidden.pushed_quantity == 0
    assert quantity_on_amazon(channel, offer["sku"]) == 0
    assert check_all(exchanges) == ["patchListingsItem"]
    [patch] = bodies(exchanges, "PATCH", "/listings/2021-08-01/items/")
    assert patch["patches"] == [
        {
            "op": "merge",
            "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}],
        }
    ]

    unlinked_too = add_variant(channel, "NOT-HIDDEN", status=VariantStatus.LINKED)
    shown_run = act(app, redis, channel, "unhide", hidden, unlinked_too)

    assert shown_run.counts == {"unhidden": 1, "skipped": 1}
    back = variant(shown.id)
    assert back.status == VariantStatus.PUBLISHED, "unhide returns to the status before the hide"
    assert back.pushed_quantity == 9 and quantity_on_amazon(channel, offer["sku"]) == 9
    assert history(shown.id, "status") == [("published", "hidden"), ("hidden", "published")]
    assert history(shown.id, "quantity") == [("4", "0"), ("0", "9")]


def test_an_fba_offer_cannot_be_hidden_and_says_so(app, redis, sandbox):
    channel = demo_channel(sandbox, fulfillment="AMAZON_NA")
    [offer] = demo_listings(sandbox, fulfillment="AMAZON_NA")
    fba = linked(channel, offer, fulfillment_channel="AMAZON_NA")
    sandbox.admin("delete", "/calls")

    run = act(app, redis, channel, "hide", fba)

    assert variant(fba.id).status == VariantStatus.LINKED
    [warning] = sku_notes(run.id, offer["sku"])
    assert warning.level == "warning" and "cannot be hidden" in warning.message
    assert "Amazon owns the quantity" in warning.help
    assert "patchListingsItem" not in operations(sandbox)


def test_delist_deletes_the_offer_on_amazon(app, redis, sandbox, channel):
    [offer] = demo_listings(sandbox)
    live = linked(channel, offer)

    run = act(app, redis, channel, "delist", live)

    assert run.status == RunStatus.SUCCEEDED and run.counts == {"delisted": 1}
    gone = variant(live.id)
    assert gone.status == VariantStatus.DELISTED and gone.pushed_quantity is None
    with pytest.raises(NotFound):
        amazon(channel).get_listing(offer["sku"])
    assert history(live.id, "status") == [("linked", "delisted")]


def test_pause_unpause_and_unlink_change_nothing_on_amazon(app, redis, sandbox, channel):
    first, second = demo_listings(sandbox, count=2)
    published = linked(channel, first, status=VariantStatus.PUBLISHED, pushed_price=Decimal("5.00"))
    broken = linked(channel, second, status=VariantStatus.BROKEN_LINK, external_listing_id="0101XYZ")
    sandbox.admin("delete", "/calls")

    paused_run = act(app, redis, channel, "pause", published)
    assert variant(published.id).status == VariantStatus.PAUSED and paused_run.counts == {"paused": 1}
    act(app, redis, channel, "unpause", published)
    assert variant(published.id).status == VariantStatus.PUBLISHED
    act(app, redis, channel, "unlink", broken)

    unlinked = variant(broken.id)
    assert unlinked.status == VariantStatus.UNLINKED
    assert (unlinked.asin, unlinked.external_listing_id, unlinked.pushed_price) == ("", "", None)
    assert history(published.id, "status") == [("published", "paused"), ("paused", "published")]
    assert operations(sandbox) == {}, "local actions send nothing to Amazon"


def test_many_variants_are_hidden_with_one_feed(app, redis, sandbox, channel):
    offers = demo_listings(sandbox, count=60)
    variants = [linked(channel, offer) for offer in offers]

    with recording() as exchanges:
        run = act(app, redis, channel, "hide", *variants)

    assert run.counts.get("hidden", 0) + run.counts.get("errors", 0) == len(variants)
    calls = check_all(exchanges)
    assert "patchListingsItem" not in calls and calls.count("createFeed") == 1
    [document] = uploaded_feeds(exchanges)
    document_schema, message_schema = feed_schemas()
    assert not list(Draft7Validator(document_schema).iter_errors(document))
    for message in document["messages"]:
        assert not list(Draft7Validator(message_schema).iter_errors(message))
        assert message["operationType"] == "PATCH"
    assert run.counts["hidden"] == len(variants)
    assert {variant(v.id).status for v in variants} == {VariantStatus.HIDDEN}
    assert quantity_on_amazon(channel, offers[-1]["sku"]) == 0


def test_another_accounts_variants_in_a_selection_are_untouched(app, redis, sandbox, channel):
    [offer] = demo_listings(sandbox)
    other = demo_channel(sandbox, name="Other Goods")
    foreign = linked(other, offer)
    sandbox.admin("delete", "/calls")

    run = act(app, redis, channel, "delist", foreign)

    assert run.status == RunStatus.SUCCEEDED and run.counts == {}
    assert variant(foreign.id).status == VariantStatus.LINKED
    assert operations(sandbox) == {}
    assert amazon(channel).get_listing(offer["sku"]).asin == offer["asin"]
