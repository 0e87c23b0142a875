"""Sync listings end to end: the real job on an RQ worker against the sandbox, whose state is checked
afterwards, and every request checked against Amazon's models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs.listing_support import FEED_THRESHOLD
from sandbox.seed import DEMO_SELLER_ID
from tests.amazon.models import check_all
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import (
    US,
    add_linked,
    amazon_offer,
    amazon_offers,
    check_feed_document,
    demo_channel,
    fast_sandbox,
    give_source,
    offer_price,
    price_from_listing_price,
    run_job,
    variant,
)
from tests.listings_support import account_id_of, add_variant, make_channel
from tests.runs_support import notes
from webapp.amazon import SellerApi
from webapp.amazon.transport import recording
from webapp.extensions import db
from webapp.models import (
    Account,
    FeedSubmission,
    ListingVariant,
    RunKind,
    RunStatus,
    TemplatePurpose,
    VariantHistory,
    VariantStatus,
)
from webapp.services.connections import credentials_for
from webapp.services.listing_history import set_status
from webapp.services.listing_sync import never_on_amazon
from webapp.services.mapping_engine import load_template, row_fields
from webapp.timeutil import utcnow

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = fast_sandbox
app_config = sandbox_app_config


def sp_operations(exchanges) -> list[str]:
    """The SP-API operations of the recorded exchanges, each validated against Amazon's model."""
    return check_all(exchanges)


def expected_offer(channel, cost: str, quantity: int, fulfillment: str = "DEFAULT"):
    """What the channel's Sync template computes from a source cost and quantity."""
    return load_template(channel.id, TemplatePurpose.SYNC).offer(
        row_fields({}, {"cost": Decimal(cost), "quantity": quantity}), fulfillment
    )


def patch_bodies(exchanges) -> dict[str, dict]:
    """SKU → body of each patchListingsItem sent."""
    return {
        e.url.split("?")[0].rsplit("/", 1)[1]: json.loads(e.request_body)
        for e in exchanges
        if e.method == "PATCH" and "/listings/2021-08-01/items/" in e.url
    }


def test_a_few_changes_are_patched_with_amazon_shaped_payloads(app, redis, sandbox):
    channel = demo_channel(sandbox)
    fbm, fba = amazon_offers(sandbox, fba=False), amazon_offers(sandbox, fba=True)
    cheap = add_linked(channel, fbm[0])
    restocked = add_linked(channel, fbm[1])
    untouched = add_linked(channel, fbm[2])  # no source item: nothing to compute, nothing to send
    amazon_fulfilled = add_linked(channel, fba[0])
    paused = add_linked(channel, fbm[3], status=VariantStatus.PAUSED.value)
    hidden = add_linked(channel, fbm[4], status=VariantStatus.HIDDEN.value)
    give_source(cheap, "10.00", 7)
    give_source(restocked, "20.00", 3)
    give_source(amazon_fulfilled, "30.00", 99)
    give_source(paused, "5.00", 1)
    give_source(hidden, "5.00", 1)

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id)]
    assert sorted(op for op in sp_operations(exchanges)) == ["patchListingsItem"] * 3
    bodies = patch_bodies(exchanges)
    assert set(bodies) == {cheap.sku, restocked.sku, amazon_fulfilled.sku}
    fbm_paths = [p["path"] for p in bodies[cheap.sku]["patches"]]
    assert fbm_paths == ["/attributes/purchasable_offer", "/attributes/fulfillment_availability"]
    assert bodies[cheap.sku]["patches"][1]["value"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 7}
    ]
    assert bodies[cheap.sku]["patches"][0]["value"][0]["currency"] == "USD"
    fba_values = {p["path"]: p["value"] for p in bodies[amazon_fulfilled.sku]["patches"]}
    assert fba_values["/attributes/fulfillment_availability"] == [
        {"fulfillment_channel_code": fba[0]["fulfillment_channel"]}
    ], "FBA: the AMAZON_* channel code and never a quantity"

    for v, cost, quantity in ((cheap, "10.00", 7), (restocked, "20.00", 3)):
        offer = expected_offer(channel, cost, quantity)
        on_amazon = amazon_offer(sandbox, v.sku)
        assert Decimal(str(on_amazon["price"])) == offer.price and on_amazon["quantity"] == quantity
        saved = variant(v.id)
        assert (saved.pushed_price, saved.pushed_quantity) == (offer.price, quantity)
        assert saved.pushed_at is not None and saved.last_sync_at is not None
        price_history = db.session.scalar(
            sa.select(VariantHistory).where(
                VariantHistory.variant_id == v.id, VariantHistory.field == "price"
            )
        )
        assert price_history.run_id == run.id and price_history.note == offer.price_rule
    fba_offer = expected_offer(channel, "30.00", 99, fba[0]["fulfillment_channel"])
    assert offer_price(amazon_offer(sandbox, amazon_fulfilled.sku)["attributes"]) == float(fba_offer.price)
    assert variant(amazon_fulfilled.id).pushed_quantity is None
    assert amazon_offer(sandbox, untouched.sku)["price"] == fbm[2]["price"]
    for skipped in (paused, hidden):
        assert amazon_offer(sandbox, skipped.sku)["quantity"] == next(
            o["quantity"] for o in fbm if o["sku"] == skipped.sku
        )
    assert run.counts["updated"] == 3
    assert run.counts["unchanged"] == 1
    assert run.counts["skipped"] == 2

    with recording() as again_exchanges:
        again = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)
    assert sp_operations(again_exchanges) == [], "unchanged variants cost no Amazon call"
    assert (again.counts["updated"], again.counts["unchanged"]) == (0, 4)


def test_many_changes_go_as_one_feed_and_its_rejected_messages_become_errors(app, redis, sandbox):
    channel = demo_channel(sandbox)
    price_from_listing_price(channel)
    offers = amazon_offers(sandbox)[:30]
    variants = [add_linked(channel, offer, price=Decimal("50.00") + i) for i, offer in enumerate(offers)]
    refused = variants[:2]
    for v in refused:
        v.price = Decimal("-1.00")
    gone = variants[2]
    db.session.commit()
    sandbox.admin("delete", f"/listings/{DEMO_SELLER_ID}/{gone.sku}", params={"marketplaceId": US})

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    operations = sp_operations(exchanges)
    assert operations[:2] == ["createFeedDocument", "createFeed"]
    assert operations[-1] == "getFeedDocument"
    assert set(operations[2:-1]) == {"getFeed"}
    assert "patchListingsItem" not in operations
    [upload] = [e for e in exchanges if e.method == "PUT"]
    document = check_feed_document(upload.request_body)
    assert document["header"]["sellerId"] == DEMO_SELLER_ID
    assert len(document["messages"]) == 30
    assert {m["operationType"] for m in document["messages"]} == {"PATCH"}

    assert run.status == RunStatus.PARTIAL
    assert (run.counts["updated"], run.counts["errors"], run.counts["broken"]) == (27, 2, 1)
    for v in refused:
        saved = variant(v.id)
        assert saved.status == VariantStatus.ERROR
        assert "purchasable_offer" in saved.last_error and saved.last_error_help
        assert amazon_offer(sandbox, v.sku)["price"] == next(o["price"] for o in offers if o["sku"] == v.sku)
    errors = notes(run.id, "error")
    assert {n.reference for n in errors if n.code != "broken_link"} >= {v.sku for v in refused}
    broken = variant(gone.id)
    assert broken.status == VariantStatus.BROKEN_LINK
    [broken_note] = [n for n in errors if n.code == "broken_link"]
    assert broken_note.reference == gone.sku and "Unlink" in broken_note.help
    for v in variants[3:]:
        assert Decimal(str(amazon_offer(sandbox, v.sku)["price"])) == v.price
        assert variant(v.id).pushed_price == v.price
    [submission] = db.session.scalars(sa.select(FeedSubmission)).all()
    assert submission.status == "DONE" and submission.finished_at is not None
    assert submission.message_count == 30 and submission.run_id == run.id
    assert submission.result["summary"]["messagesInvalid"] == 3

    db.session.rollback()
    db.session.execute(
        sa.update(ListingVariant)
        .where(ListingVariant.id.in_([v.id for v in refused]))
        .values(price=Decimal("9.99"))
    )
    db.session.commit()
    fixed = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)
    assert fixed.counts["updated"] == 2
    for v in refused:
        assert variant(v.id).status == VariantStatus.LINKED, "an accepted update clears the error"


def test_a_dry_run_sends_nothing_changes_nothing_and_shows_the_diff(app, client, auth, redis, sandbox):
    auth.register()
    channel = demo_channel(sandbox, account_id_of())
    fbm = amazon_offers(sandbox, fba=False)
    changed = add_linked(channel, fbm[0])
    give_source(changed, "10.00", 7)
    offer = expected_offer(channel, "10.00", 7)

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS, dry_run=True)

    assert run.status == RunStatus.SUCCEEDED
    assert [e for e in exchanges if "/auth/o2/token" not in e.url] == [], "a dry run sends nothing"
    saved = variant(changed.id)
    assert (saved.pushed_price, saved.pushed_quantity) == (Decimal(str(fbm[0]["price"])), fbm[0]["quantity"])
    assert saved.pushed_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VariantHistory)) == 0
    assert amazon_offer(sandbox, changed.sku)["price"] == fbm[0]["price"]
    [row] = run.params["diff"]
    assert row["sku"] == changed.sku and row["new_price"] == f"{offer.price:.2f}"
    assert row["price_rule"] == offer.price_rule and row["new_quantity"] == "7"

    page = client.get(f"/runs/{run.id}").text
    assert 'id="dry-run-diff"' in page and changed.sku in page
    assert f"{offer.price:.2f}" in page and str(fbm[0]["quantity"]) in page


def test_a_listing_deleted_on_amazon_becomes_broken_link_then_unlink_and_relink_fix_it(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = amazon_offers(sandbox, fba=False)[0]
    linked = add_linked(channel, offer)
    give_source(linked, "10.00", 7)
    sandbox.admin("delete", f"/listings/{DEMO_SELLER_ID}/{offer['sku']}", params={"marketplaceId": US})

    run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.PARTIAL and run.counts["broken"] == 1
    assert variant(linked.id).status == VariantStatus.BROKEN_LINK
    [note] = notes(run.id, "error")
    assert note.reference == offer["sku"] and "Unlink" in note.help

    v = variant(linked.id)
    v.status = VariantStatus.UNLINKED.value
    db.session.commit()
    api = SellerApi(credentials_for(channel.connection, US))
    recreated = api.put_listing(
        offer["sku"],
        "PRODUCT",
        {
            "merchant_suggested_asin": [{"value": offer["asin"], "marketplace_id": US}],
            "condition_type": [{"value": "new_new", "marketplace_id": US}],
            "purchasable_offer": [
                {
                    "marketplace_id": US,
                    "currency": "USD",
                    "our_price": [{"schedule": [{"value_with_tax": 11.5}]}],
                }
            ],
            "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 2}],
        },
        requirements="LISTING_OFFER_ONLY",
    )
    assert recreated.accepted

    relink = run_job(app, redis, channel, RunKind.LINK_LISTINGS, selection={"ids": [linked.id]})

    assert relink.counts["linked"] == 1
    back = variant(linked.id)
    assert back.status == VariantStatus.LINKED
    assert (back.pushed_price, back.pushed_quantity) == (Decimal("11.50"), 2)


def test_throttling_and_injected_failures_still_converge(app, redis, sandbox):
    channel = demo_channel(sandbox)
    # Twelve calls, each failing 60% of the time: the chance that none fails is 0.4^12 ≈ 0.002%; 500s
    # are rarer so that no variant runs out of retries (0.2^6 per variant).
    fbm = amazon_offers(sandbox, fba=False)[:12]
    variants = [add_linked(channel, offer) for offer in fbm]
    for i, v in enumerate(variants):
        give_source(v, f"{10 + i}.00", 5 + i)
    sandbox.admin("put", "/faults/patchListingsItem", json={"p429": 0.4, "p500": 0.2})

    run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id)]
    assert run.counts["updated"] == 12
    for i, v in enumerate(variants):
        assert amazon_offer(sandbox, v.sku)["quantity"] == 5 + i
    calls = sandbox.admin("get", "/calls", params={"operation": "patchListingsItem"})
    statuses = {c["status"] for c in calls["calls"]}
    assert statuses & {429, 500}, "the faults really happened"


def test_a_call_that_keeps_failing_sets_that_variant_to_error_and_the_run_partial(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = amazon_offers(sandbox, fba=False)[0]
    failing = add_linked(channel, offer)
    give_source(failing, "10.00", 7)
    sandbox.admin("put", "/faults/patchListingsItem", json={"p500": 1.0})

    run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.PARTIAL and run.counts["errors"] == 1
    saved = variant(failing.id)
    assert saved.status == VariantStatus.ERROR and saved.last_error and saved.last_error_help
    assert saved.pushed_price == Decimal(str(offer["price"])), "nothing recorded as pushed"


def test_a_stuck_feed_ends_partial_and_the_next_run_reads_its_result(app, redis, sandbox):
    channel = demo_channel(sandbox)
    price_from_listing_price(channel)
    offers = amazon_offers(sandbox, fba=False)[:25]
    variants = [add_linked(channel, offer, price=Decimal("40.00") + i) for i, offer in enumerate(offers)]
    sandbox.admin("put", "/faults/createFeed", json={"stuck": 1})

    stuck = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert stuck.status == RunStatus.PARTIAL
    [pending] = [n for n in notes(stuck.id, "error") if n.code == "feed_pending"]
    assert "still processing" in pending.message
    [submission] = db.session.scalars(sa.select(FeedSubmission)).all()
    assert submission.finished_at is None
    assert variant(variants[0].id).pushed_price == Decimal(str(offers[0]["price"]))

    sandbox.admin("delete", "/faults/createFeed")
    with recording() as exchanges:
        resumed = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert resumed.status == RunStatus.SUCCEEDED, [n.message for n in notes(resumed.id)]
    operations = sp_operations(exchanges)
    assert "createFeed" not in operations and "getFeedDocument" in operations
    assert resumed.counts["updated"] == 25 and resumed.counts["unchanged"] == 25
    for v in variants:
        assert variant(v.id).pushed_price == v.price
        assert Decimal(str(amazon_offer(sandbox, v.sku)["price"])) == v.price
    db.session.rollback()
    assert db.session.get(FeedSubmission, submission.id).status == "DONE"


def _publish_refused(channel, sku: str, asin: str):
    """An Unlinked variant whose Publish Amazon refused: Error, the ASIN it was offered on, nothing pushed."""
    failed = add_variant(channel, sku, asin=asin, status=VariantStatus.UNLINKED.value)
    set_status(failed, VariantStatus.ERROR.value, note="publish failed")
    failed.last_error = "You are not approved to list this brand."
    db.session.commit()
    give_source(failed, "10.00", 3)
    return failed


def _patch_refused(channel, offer: dict):
    """A Linked variant whose last update Amazon refused: Error, its offer still on Amazon."""
    linked = add_linked(channel, offer)
    set_status(linked, VariantStatus.ERROR.value, note="update refused")
    linked.last_error = "The price is outside the allowed range."
    db.session.commit()
    give_source(linked, "10.00", 7)
    return linked


def test_sync_skips_an_error_variant_never_created_on_amazon_but_syncs_one_that_is(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offers = amazon_offers(sandbox, fba=False)
    failed = _publish_refused(channel, "NEVER-PUBLISHED-1", offers[1]["asin"])
    linked = _patch_refused(channel, offers[0])

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id)]
    assert set(patch_bodies(exchanges)) == {linked.sku}, "no PATCH for a SKU Amazon never created"
    assert (run.counts["updated"], run.counts["skipped"], run.counts["errors"]) == (1, 1, 0)
    [skipped] = [n for n in notes(run.id) if n.code == "not_on_amazon"]
    assert skipped.message == "Skipped 1 Error variants that were never created on Amazon."
    saved = variant(failed.id)
    assert saved.status == VariantStatus.ERROR and saved.pushed_at is None
    assert saved.last_error == "You are not approved to list this brand.", "Publish's reason is kept"
    assert amazon_offer(sandbox, failed.sku) is None
    synced = variant(linked.id)
    assert synced.status == VariantStatus.LINKED and synced.last_error == ""
    assert synced.pushed_price == expected_offer(channel, "10.00", 7).price


def test_a_dry_run_makes_the_same_decision_for_error_variants(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offers = amazon_offers(sandbox, fba=False)
    failed = _publish_refused(channel, "NEVER-PUBLISHED-1", offers[1]["asin"])
    linked = _patch_refused(channel, offers[0])

    run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS, dry_run=True)

    assert run.status == RunStatus.SUCCEEDED
    assert [row["sku"] for row in run.params["diff"]] == [linked.sku]
    assert (run.counts["would_update"], run.counts["skipped"]) == (1, 1)
    assert any(n.code == "not_on_amazon" for n in notes(run.id))
    assert variant(failed.id).status == VariantStatus.ERROR


def test_an_error_variant_delisted_before_its_publish_failed_is_not_synced(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = amazon_offers(sandbox, fba=False)[0]
    delisted = add_linked(
        channel, offer, external_listing_id="0101ABCDEF", status=VariantStatus.DELISTED.value
    )
    set_status(delisted, VariantStatus.ERROR.value, note="publish failed")
    db.session.commit()
    give_source(delisted, "10.00", 7)

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert patch_bodies(exchanges) == {}
    assert run.counts["skipped"] == 1 and run.counts["broken"] == 0
    assert variant(delisted.id).status == VariantStatus.ERROR


def test_an_error_variant_without_status_history_is_judged_by_what_amazon_recorded(app):
    account = Account(name="Acme Goods")
    db.session.add(account)
    db.session.commit()
    channel = make_channel(account.id)
    error = VariantStatus.ERROR.value
    linked = add_variant(channel, "OLD-LINKED", status=error, external_listing_id="0101ABCDEF")
    pushed = add_variant(channel, "OLD-PUSHED", status=error, pushed_at=utcnow())
    never = add_variant(channel, "OLD-NEVER", status=error, asin="B000000001")
    add_variant(channel, "LINKED", status=VariantStatus.LINKED.value)

    absent = never_on_amazon(db.session, channel.account_id, channel.id, None)

    assert absent == {never.id}
    assert (
        never_on_amazon(db.session, channel.account_id, channel.id, {"ids": [linked.id, pushed.id]}) == set()
    )


def sellers_own_offer_data(sandbox, sku: str) -> dict:
    """Give an offer on Amazon what a seller sets in Seller Central and Shelfsync does not own: a B2B
    price with a quantity discount, a sale price, minimum/maximum seller-allowed prices, a handling
    time and a restock date. Returns the attributes as stored."""
    row = sandbox.sandbox.store.one(
        "SELECT attributes FROM listings WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (DEMO_SELLER_ID, US, sku),
    )
    attributes = json.loads(row["attributes"])
    restock = sandbox.sandbox.clock.now() + 30 * 86400
    [offer] = attributes["purchasable_offer"]
    offer["minimum_seller_allowed_price"] = [{"schedule": [{"value_with_tax": 4.0}]}]
    offer["maximum_seller_allowed_price"] = [{"schedule": [{"value_with_tax": 400.0}]}]
    offer["discounted_price"] = [{"schedule": [{"value_with_tax": 9.0}]}]
    attributes["purchasable_offer"].append(
        {
            "marketplace_id": US,
            "currency": "USD",
            "audience": "B2B",
            "our_price": [{"schedule": [{"value_with_tax": 8.5}]}],
            "quantity_discount_plan": [
                {"schedule": [{"discount_type": "fixed", "levels": [{"lower_bound": 10, "value": 8.0}]}]}
            ],
        }
    )
    [availability] = attributes["fulfillment_availability"]
    availability["lead_time_to_ship_max_days"] = 5
    availability["restock_date"] = datetime.fromtimestamp(restock, UTC).date().isoformat()
    sandbox.sandbox.store.execute(
        "UPDATE listings SET attributes = ? WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
        (json.dumps(attributes), DEMO_SELLER_ID, US, sku),
    )
    return attributes


@pytest.mark.parametrize("count", [1, FEED_THRESHOLD + 1], ids=["patch", "feed"])
def test_sync_changes_only_the_price_and_quantity_and_keeps_what_the_seller_set_on_amazon(
    app, redis, sandbox, count
):
    channel = demo_channel(sandbox)
    offers = amazon_offers(sandbox, fba=False)[:count]
    before = {offer["sku"]: sellers_own_offer_data(sandbox, offer["sku"]) for offer in offers}
    for offer in offers:
        give_source(add_linked(channel, offer), "10.00", 7)

    run = run_job(app, redis, channel, RunKind.SYNC_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id)]
    expected = expected_offer(channel, "10.00", 7)
    for sku, old in before.items():
        after = json.loads(amazon_offer(sandbox, sku)["attributes"])
        everyone, business = after["purchasable_offer"]
        assert everyone["our_price"] == [{"schedule": [{"value_with_tax": float(expected.price)}]}]
        kept = ("minimum_seller_allowed_price", "maximum_seller_allowed_price", "discounted_price")
        assert {k: everyone[k] for k in kept} == {k: old["purchasable_offer"][0][k] for k in kept}
        assert business == old["purchasable_offer"][1], "the B2B offer is untouched"
        [availability] = after["fulfillment_availability"]
        assert availability["quantity"] == 7
        assert {k: availability[k] for k in ("lead_time_to_ship_max_days", "restock_date")} == {
            k: old["fulfillment_availability"][0][k] for k in ("lead_time_to_ship_max_days", "restock_date")
        }
