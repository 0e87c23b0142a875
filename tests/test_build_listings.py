"""Build listings from source inventory: from the inventory page (ticked items or all matching the
filter) to one Unlinked listing + variant per item on a channel, idempotent by (channel, SKU), fast."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.listings_support import account_id_of, add_variant, make_channel, other_account, runs_of
from tests.runs_support import fresh, notes, work
from tests.sources_support import HX, add_source, csv_bytes, items_by_sku, run_id_from, upload
from webapp.extensions import db
from webapp.models import Listing, ListingVariant, RunKind, RunStatus, SourceItem, VariantStatus

HEADERS = ["sku", "title", "upc", "ean", "gtin", "asin", "cost", "quantity"]
ROWS = [
    ["MUG-RED", "Red mug", "036000291452", "", "", "B000MUGRED", "4.00", "10"],
    ["MUG-BLUE", "Blue mug", "", "4006381333931", "", "", "5.00", "0"],
    ["PLATE-1", "Dinner plate", "", "", "00012345678905", "", "9.00", "3"],
    ["BOWL-1", "Soup bowl", "", "", "", "", "7.00", "1"],
]


@pytest.fixture
def stocked(app, redis, auth, client) -> int:
    """A seller with a channel and one source of four items (imported by the real job); the source id."""
    auth.register()
    source_id = add_source(client, "North Supply")
    upload(client, source_id, csv_bytes(ROWS, HEADERS))
    work(app, redis)
    return source_id


def variants() -> dict[str, ListingVariant]:
    db.session.rollback()
    return {v.sku: v for v in db.session.scalars(sa.select(ListingVariant))}


def build(client, channel_id: int, **form) -> int:
    """Click Build listings on the inventory page; returns the run it started."""
    response = client.post("/listings/build", data={"channel_id": str(channel_id), **form}, headers=HX)
    return run_id_from(response)


def test_inventory_page_offers_build_once_a_channel_exists(client, stocked):
    assert 'id="build-form"' not in client.get("/inventory/").get_data(as_text=True)
    channel = make_channel(account_id_of())

    html = client.get("/inventory/?q=mug").get_data(as_text=True)

    assert 'id="build-form"' in html and "Build listings" in html
    assert f'value="{channel.id}">Amazon US</option>' in html
    assert re.search(r'name="item_ids" value="\d+" form="build-form"', html)
    assert '<input type="hidden" name="q" value="mug">' in html


def test_ticked_items_become_unlinked_variants_with_identifiers(app, redis, client, stocked):
    channel = make_channel(account_id_of(), fulfillment="AMAZON_NA")
    items = items_by_sku(stocked)
    run_id = build(
        client, channel.id, item_ids=[str(items[s].id) for s in ("MUG-RED", "MUG-BLUE", "PLATE-1")]
    )

    work(app, redis)

    run = fresh(run_id)
    assert run.status == RunStatus.SUCCEEDED and run.channel_id == channel.id
    assert run.counts == {"created": 3, "already_existed": 0, "skipped": 0}
    built = variants()
    assert set(built) == {"MUG-RED", "MUG-BLUE", "PLATE-1"}
    red = built["MUG-RED"]
    assert (red.product_id, red.product_id_type, red.asin) == ("036000291452", "UPC", "B000MUGRED")
    assert (built["MUG-BLUE"].product_id, built["MUG-BLUE"].product_id_type) == ("4006381333931", "EAN")
    assert (built["PLATE-1"].product_id, built["PLATE-1"].product_id_type) == ("00012345678905", "GTIN")
    assert red.status == VariantStatus.UNLINKED and red.fulfillment_channel == "AMAZON_NA"
    assert red.source_item_id == items["MUG-RED"].id and red.title == "Red mug"
    assert red.listing.sku == "MUG-RED" and red.listing.title == "Red mug"
    assert red.listing.channel_id == channel.id
    assert any("3 created, 0 already existed" in n.message for n in notes(run_id, "info"))


def test_built_listings_carry_the_items_images_and_description(app, redis, client, stocked):
    channel = make_channel(account_id_of())
    items = items_by_sku(stocked)
    red, blue = items["MUG-RED"], items["MUG-BLUE"]
    red.image_urls = ["https://img.example.com/red-1.jpg", 'https://img.example.com/red "2".jpg']
    red.description = "Stoneware, 350 ml."
    blue.image_urls = None  # stored as JSON null: the build must still write a list
    db.session.commit()
    run_id = build(client, channel.id, item_ids=[str(red.id), str(blue.id)])

    work(app, redis)

    assert fresh(run_id).status == RunStatus.SUCCEEDED
    built = variants()
    expected = ["https://img.example.com/red-1.jpg", 'https://img.example.com/red "2".jpg']
    assert built["MUG-RED"].images == expected and built["MUG-RED"].listing.images == expected
    assert built["MUG-RED"].listing.description == "Stoneware, 350 ml."
    assert built["MUG-BLUE"].images == [] and built["MUG-BLUE"].listing.images == []


def test_building_again_creates_nothing_and_ties_existing_variants_to_their_items(
    app, redis, client, stocked
):
    channel = make_channel(account_id_of())
    # Already on the channel (imported from Amazon, say): linked, priced, not tied to an item.
    add_variant(channel, "BOWL-1", status=VariantStatus.LINKED.value, price=11, asin="B0BOWL0001")
    first = build(client, channel.id, all_matching="y")
    work(app, redis)
    second = build(client, channel.id, all_matching="y")
    work(app, redis)

    assert fresh(first).counts == {"created": 3, "already_existed": 1, "skipped": 0}
    assert fresh(second).counts == {"created": 0, "already_existed": 4, "skipped": 0}
    built = variants()
    assert len(built) == 4 and db.session.scalar(sa.select(sa.func.count(Listing.id))) == 4
    bowl = built["BOWL-1"]
    assert bowl.source_item_id == items_by_sku(stocked)["BOWL-1"].id
    assert (bowl.status, str(bowl.price), bowl.asin) == (VariantStatus.LINKED, "11.00", "B0BOWL0001")


def test_all_matching_the_filter_builds_only_those_items(app, redis, client, stocked):
    channel = make_channel(account_id_of())
    run_id = build(client, channel.id, all_matching="y", q="mug", stock="in")

    work(app, redis)

    assert fresh(run_id).params == {"items": {"filter": {"q": "mug", "stock": "in"}}}
    assert set(variants()) == {"MUG-RED"}


def test_same_sku_in_two_sources_is_built_once_with_a_warning(app, redis, client, stocked):
    channel = make_channel(account_id_of())
    south = add_source(client, "South Supply")
    upload(client, south, csv_bytes([["MUG-RED", "Red mug (south)", "", "", "", "", "3", "2"]], HEADERS))
    work(app, redis)

    run_id = build(client, channel.id, all_matching="y", q="MUG-RED")
    work(app, redis)

    assert fresh(run_id).counts == {"created": 1, "already_existed": 0, "skipped": 1}
    assert variants()["MUG-RED"].source_item_id == items_by_sku(stocked)["MUG-RED"].id
    [warning] = notes(run_id, "warning")
    assert warning.reference == "MUG-RED" and "more than one source" in warning.message


def test_another_accounts_items_and_channels_are_out_of_reach(app, redis, client, stocked):
    channel = make_channel(account_id_of())
    stranger = other_account()
    their_channel = make_channel(stranger.id, name="Their channel")
    their_source = add_source(client, "Borrowed")  # ours; the item below is put in another account
    theirs = SourceItem(account_id=stranger.id, source_id=their_source, sku="THEIRS-1")
    db.session.add(theirs)
    db.session.commit()

    response = client.post("/listings/build", data={"channel_id": str(their_channel.id), "all_matching": "y"})
    assert response.status_code == 404
    run_id = build(client, channel.id, item_ids=[str(theirs.id)])
    work(app, redis)

    assert fresh(run_id).counts["created"] == 0
    assert variants() == {}
    assert [run.channel_id for run in runs_of(RunKind.BUILD_LISTINGS)] == [channel.id]


def test_ten_thousand_items_build_in_one_run(app, redis, client, stocked):
    channel = make_channel(account_id_of())
    account_id = channel.account_id
    db.session.execute(
        sa.insert(SourceItem.__table__),
        [
            {
                "account_id": account_id,
                "source_id": stocked,
                "sku": f"BULK-{n:05d}",
                "title": f"Bulk item {n}",
                "upc": "036000291452",
                "quantity": 1,
                "image_urls": [],
                "condition": "new_new",
            }
            for n in range(10_000)
        ],
    )
    db.session.commit()
    run_id = build(client, channel.id, all_matching="y", q="BULK-")

    work(app, redis)

    assert fresh(run_id).counts == {"created": 10_000, "already_existed": 0, "skipped": 0}
    assert db.session.scalar(sa.select(sa.func.count(ListingVariant.id))) == 10_000
