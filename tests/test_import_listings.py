"""Import listings end to end: the real job on an RQ worker, Amazon's listings report from the sandbox."""

from __future__ import annotations

import os
import signal
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.amazon.models import check_all
from tests.conftest import amazon_config, sandbox_app_config
from tests.listing_sync_support import FAST_SANDBOX, US, demo_channel, run_job, variant
from tests.listings_support import account_id_of, add_variant
from tests.runs_support import fresh, horse_pids, notes, wait_for, work, worker_process
from webapp.amazon.transport import recording
from webapp.extensions import db
from webapp.models import (
    Channel,
    ImportMode,
    IntegrationRun,
    Listing,
    ListingVariant,
    RunKind,
    RunStatus,
    Schedule,
    VariantHistory,
    VariantStatus,
)
from webapp.services.runs import reap_abandoned_runs, start_run
from webapp.services.schedules import SCHEDULABLE_KINDS, dispatchable_kinds, refuse_manual_only_schedules
from webapp.timeutil import utcnow

QUANTITY_PLACEHOLDER = 999999999
# Enough demo offers for the seeded suspects (~1% placeholder quantity, ~1% no price) to appear.
WORLD = {"listings": 1500}


@pytest.fixture
def sandbox():
    """A seeded sandbox on a fast clock."""
    with SandboxServer(FAST_SANDBOX, seed=WORLD) as server:
        yield server


# The shared fixture, adopted under the name the ``app`` fixture requests.
app_config = sandbox_app_config


def report_offers(sandbox: SandboxServer) -> list[dict]:
    """Every offer of the demo seller's US report, as the sandbox holds it (priced or not)."""
    rows = sandbox.sandbox.store.all(
        "SELECT sku, asin, price, quantity, fulfillment_channel, status FROM listings "
        "WHERE seller_id = ? AND marketplace_id = ? ORDER BY sku",
        (DEMO_SELLER_ID, US),
    )
    return [dict(row) for row in rows]


def suspect(offer: dict) -> bool:
    """What the import must skip: no price, or an FBM quantity that is a placeholder."""
    fbm = offer["fulfillment_channel"] == "DEFAULT"
    return offer["price"] is None or (fbm and offer["quantity"] >= 1_000_000)


def variants_by_sku(channel_id: int) -> dict[str, ListingVariant]:
    db.session.rollback()
    return {
        v.sku: v
        for v in db.session.scalars(sa.select(ListingVariant).where(ListingVariant.channel_id == channel_id))
    }


def count(model, **where) -> int:
    db.session.rollback()
    query = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def set_mode(channel: Channel, mode: ImportMode, paused: bool = False) -> None:
    channel = db.session.get(Channel, channel.id)
    channel.import_mode, channel.import_new_paused = mode.value, paused
    db.session.commit()


def test_import_creates_every_sound_offer_and_skips_suspects(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offers = report_offers(sandbox)
    sound = [o for o in offers if not suspect(o)]
    suspects = [o for o in offers if suspect(o)]
    assert suspects and any(o["price"] is None for o in suspects)
    assert any(o["quantity"] == QUANTITY_PLACEHOLDER for o in suspects)

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id, "error")]
    assert set(check_all(exchanges)) == {"createReport", "getReport", "getReportDocument"}
    imported = variants_by_sku(channel.id)
    assert set(imported) == {o["sku"] for o in sound}
    assert count(Listing, channel_id=channel.id) == len(sound)
    for offer in sound:
        v = imported[offer["sku"]]
        fba = offer["fulfillment_channel"] != "DEFAULT"
        assert v.asin == offer["asin"] and v.external_listing_id and v.title
        assert v.fulfillment_channel == offer["fulfillment_channel"]
        assert v.price == v.pushed_price == Decimal(str(offer["price"])).quantize(Decimal("0.01"))
        assert v.quantity == v.pushed_quantity == (None if fba else offer["quantity"])
        hidden = offer["status"] != "ACTIVE" or (not fba and offer["quantity"] == 0)
        assert v.status == (VariantStatus.HIDDEN if hidden else VariantStatus.LINKED), offer
        assert v.listing.sku == v.sku and v.listing.title == v.title
    assert any(v.status == VariantStatus.HIDDEN for v in imported.values()), "seeded inactive offers"
    assert any(v.is_fba for v in imported.values()), "FBA rows (blank quantity) are not suspect"

    warnings = {n.reference: n.message for n in notes(run.id, "warning") if n.code == "suspect_row"}
    assert set(warnings) == {o["sku"] for o in suspects}
    for offer in suspects:
        reason = "price is empty" if offer["price"] is None else f"quantity {QUANTITY_PLACEHOLDER}"
        assert reason in warnings[offer["sku"]], warnings[offer["sku"]]
    counts = run.counts
    assert counts["variants_created"] == counts["parents_created"] == len(sound)
    assert counts["skipped_suspect"] == len(suspects)
    summary = [n.message for n in notes(run.id) if n.code == "import_summary"]
    assert summary and f"variants {len(sound)} created" in summary[0] and " s: " in summary[0]
    history = db.session.scalars(
        sa.select(VariantHistory).where(VariantHistory.variant_id == imported[sound[0]["sku"]].id)
    ).all()
    assert [(h.field, h.old_value, h.run_id) for h in history] == [("status", "", run.id)]

    again = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)
    assert again.status == RunStatus.SUCCEEDED
    assert again.counts["unchanged"] == len(sound)
    assert again.counts["variants_created"] == again.counts["parents_created"] == 0
    assert again.counts["variants_updated"] == again.counts["variants_linked"] == 0
    assert count(ListingVariant) == len(sound) and count(VariantHistory) == len(sound)


def test_create_only_links_a_matching_sku_and_keeps_shelfsync_data(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = next(
        o for o in report_offers(sandbox) if not suspect(o) and o["fulfillment_channel"] == "DEFAULT"
    )
    mine = add_variant(
        channel,
        offer["sku"],
        status=VariantStatus.UNLINKED.value,
        title="My own title",
        price=Decimal("1.00"),
    )
    linked = add_variant(channel, "MY-LINKED", status=VariantStatus.LINKED.value, title="Keep")

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    v = variant(mine.id)
    assert v.status == VariantStatus.LINKED and v.asin == offer["asin"] and v.external_listing_id
    assert v.title == "My own title" and v.price == Decimal("1.00"), "Create Only keeps Shelfsync's data"
    assert v.pushed_price == Decimal(str(offer["price"])).quantize(Decimal("0.01"))
    assert v.pushed_quantity == offer["quantity"]
    assert variant(linked.id).title == "Keep"
    assert run.counts["variants_linked"] == 1 and run.counts["variants_updated"] == 0
    assert count(ListingVariant, sku=offer["sku"]) == 1, "linked, not created twice"


def test_create_and_overwrite_replaces_data_with_amazons(app, redis, sandbox):
    channel = demo_channel(sandbox)
    set_mode(channel, ImportMode.CREATE_AND_OVERWRITE)
    offer = next(
        o
        for o in report_offers(sandbox)
        if not suspect(o)
        and o["fulfillment_channel"] == "DEFAULT"
        and o["status"] == "ACTIVE"
        and o["quantity"]
    )
    mine = add_variant(
        channel,
        offer["sku"],
        status=VariantStatus.LINKED.value,
        title="Old title",
        price=Decimal("1.00"),
        quantity=3,
        asin=offer["asin"],
    )
    parent_id = mine.listing_id

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    v = variant(mine.id)
    assert v.title != "Old title" and v.title
    assert v.price == Decimal(str(offer["price"])).quantize(Decimal("0.01")) == v.pushed_price
    assert v.quantity == offer["quantity"] == v.pushed_quantity
    assert db.session.get(Listing, parent_id).title == v.title, "the SKU's own parent is overwritten too"
    changes = {
        h.field: (h.old_value, h.new_value)
        for h in db.session.scalars(sa.select(VariantHistory).where(VariantHistory.variant_id == v.id))
    }
    assert changes["price"][0] == "1.00" and changes["quantity"] == ("3", str(offer["quantity"]))
    assert run.counts["variants_updated"] == 1 and run.counts["parents_updated"] == 1

    again = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)
    assert again.counts["variants_updated"] == again.counts["parents_updated"] == 0
    assert again.counts["unchanged"] == run.counts["variants_created"] + 1


def test_new_listings_start_paused_and_unpause_returns_to_linked(app, redis, sandbox):
    channel = demo_channel(sandbox)
    set_mode(channel, ImportMode.CREATE_ONLY, paused=True)
    existing = add_variant(channel, report_offers(sandbox)[0]["sku"], status=VariantStatus.UNLINKED.value)

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    imported = variants_by_sku(channel.id)
    new = [v for v in imported.values() if v.id != existing.id]
    assert new and all(v.status == VariantStatus.PAUSED for v in new)
    assert imported[existing.sku].status != VariantStatus.PAUSED, "only new listings start Paused"
    sample = next(v for v in new if not v.is_fba and v.quantity)
    history = db.session.scalars(
        sa.select(VariantHistory).where(VariantHistory.variant_id == sample.id).order_by(VariantHistory.id)
    ).all()
    assert [(h.old_value, h.new_value) for h in history] == [("", "linked"), ("linked", "paused")]
    assert "Paused" in history[1].note and history[1].run_id == run.id

    unpause = run_job(
        app, redis, channel, RunKind.LISTING_ACTION, action="unpause", selection={"ids": [sample.id]}
    )
    assert unpause.status == RunStatus.SUCCEEDED
    assert variant(sample.id).status == VariantStatus.LINKED


def test_an_asin_held_by_another_shelfsync_sku_is_warned_about(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = next(o for o in report_offers(sandbox) if not suspect(o))
    add_variant(channel, "MY-OWN-SKU", status=VariantStatus.UNLINKED.value, asin=offer["asin"])

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    assert run.counts["duplicate_warnings"] == 1
    [warning] = [n for n in notes(run.id, "warning") if n.code == "duplicate_asin"]
    assert warning.reference == offer["sku"]
    assert "MY-OWN-SKU" in warning.message and offer["asin"] in warning.message and warning.help
    assert count(ListingVariant, sku="MY-OWN-SKU") == 1
    assert variant(variants_by_sku(channel.id)[offer["sku"]].id).status != VariantStatus.UNLINKED


@pytest.mark.parametrize(
    "options",
    [
        {"header": "27"},
        {"header": "28", "encoding": "windows-1252"},
        {"header": "b2b", "gzip": True},
        {"header": "29", "encoding": "shift_jis", "gzip": True},
    ],
)
def test_every_header_variant_and_encoding_imports_the_same_listings(app, redis, sandbox, options):
    channel = demo_channel(sandbox)
    sound = {o["sku"] for o in report_offers(sandbox) if not suspect(o)}
    sandbox.admin("put", "/report-options", json=options)

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id, "error")]
    assert set(variants_by_sku(channel.id)) == sound


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"outcome": "FATAL"}, "could not produce the listings report"),
        ({"outcome": "CANCELLED"}, "cancelled the listings report"),
        ({"empty": True}, "document is empty"),
        ({"missing_columns": ["price"]}, "has no price column"),
        ({"encoding": "windows-1252", "charset": "UTF-8"}, "not in the encoding Amazon declared"),
    ],
)
def test_a_malformed_report_fails_clearly_and_loses_nothing(app, redis, sandbox, options, text):
    channel = demo_channel(sandbox)
    offer = next(o for o in report_offers(sandbox) if not suspect(o))
    mine = add_variant(
        channel, offer["sku"], status=VariantStatus.LINKED.value, title="Mine", asin="B0MINE0001"
    )
    if "charset" in options:
        # A title Amazon writes in Windows-1252 while the download says UTF-8.
        sandbox.sandbox.store.execute(
            "UPDATE listings SET attributes = json_set(attributes, '$.item_name[0].value', 'Café crème') "
            "WHERE seller_id = ? AND marketplace_id = ? AND sku = ?",
            (DEMO_SELLER_ID, US, offer["sku"]),
        )
    sandbox.admin("put", "/report-options", json=options)

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    assert run.status == RunStatus.FAILED
    errors = [n for n in notes(run.id, "error")]
    assert any(text in n.message for n in errors), [n.message for n in errors]
    assert all(n.help for n in errors)
    kept = variant(mine.id)
    assert (kept.title, kept.asin, kept.status) == ("Mine", "B0MINE0001", VariantStatus.LINKED)
    assert all("\ufffd" not in v.title for v in variants_by_sku(channel.id).values())


def test_damaged_rows_are_left_out_with_an_error_and_the_rest_imported(app, redis, sandbox):
    channel = demo_channel(sandbox)
    sound = {o["sku"] for o in report_offers(sandbox) if not suspect(o)}
    sandbox.admin("put", "/report-options", json={"broken_rows": True})

    run = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)

    assert run.status == RunStatus.PARTIAL
    damaged = {n.reference for n in notes(run.id, "error") if n.code == "report_row"}
    assert damaged and run.counts["skipped_damaged"] == len(damaged)
    imported = variants_by_sku(channel.id)
    assert not damaged & set(imported), "a damaged row is never imported half-read"
    assert len(imported) >= len(sound) - len(damaged) - 5
    assert set(imported) <= sound


def test_a_worker_killed_mid_import_leaves_whole_batches_and_the_rerun_has_no_duplicates(
    app, redis, sandbox, tmp_path, monkeypatch
):
    for key, value in amazon_config(sandbox).items():
        monkeypatch.setenv(key, str(value))
    # Small batches so that the kill lands between commits of a report of a few thousand rows.
    monkeypatch.setenv("SHELFSYNC_IMPORT_BATCH_SIZE", "50")
    channel = demo_channel(sandbox)
    sound = {o["sku"] for o in report_offers(sandbox) if not suspect(o)}

    with worker_process(app, tmp_path / "worker.log") as worker:
        run = start_run(channel.account_id, RunKind.IMPORT_LISTINGS, channel_id=channel.id).run
        wait_for(lambda: count(ListingVariant) > 0, timeout=60)
        [horse] = wait_for(lambda: horse_pids(worker.pid))
        os.kill(horse, signal.SIGKILL)  # what the out-of-memory killer does
        wait_for(lambda: reap_abandoned_runs([run.id]) == 1, timeout=30, interval=0.2)

    assert fresh(run.id).status == RunStatus.FAILED

    killed = count(ListingVariant)
    assert 0 < killed < len(sound), "killed mid-import"
    assert count(Listing) == killed, "every committed parent has its variant"
    assert count(VariantHistory) == killed

    rerun = run_job(app, redis, channel, RunKind.IMPORT_LISTINGS)
    assert rerun.status == RunStatus.SUCCEEDED
    assert set(variants_by_sku(channel.id)) == sound
    assert count(ListingVariant) == count(Listing) == count(VariantHistory) == len(sound)
    assert rerun.counts["unchanged"] == killed


def test_import_listings_is_manual_only(app, auth, client, sandbox):
    auth.register()
    channel = demo_channel(sandbox, account_id_of())
    form = client.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    assert f'name="{RunKind.SYNC_LISTINGS.value}-' in form, "the form offers the schedulable integrations"
    assert f'name="{RunKind.IMPORT_LISTINGS.value}-' not in form, "but no schedule for Import Listings"
    assert RunKind.IMPORT_LISTINGS not in SCHEDULABLE_KINDS
    assert RunKind.IMPORT_LISTINGS.value not in dispatchable_kinds()
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "Run import" in page and "Manual only" in page

    schedule = Schedule(
        account_id=channel.account_id,
        channel_id=channel.id,
        kind=RunKind.IMPORT_LISTINGS.value,
        interval_minutes=60,
        next_run_at=utcnow(),
    )
    db.session.add(schedule)
    db.session.commit()
    assert refuse_manual_only_schedules() == 1
    db.session.rollback()
    assert db.session.get(Schedule, schedule.id).interval_minutes is None
    assert count(IntegrationRun) == 0


def test_run_import_button_starts_the_run_and_shows_it(app, auth, client, redis, sandbox):
    auth.register()
    channel = demo_channel(sandbox, account_id_of())

    response = client.post(f"/channels/{channel.id}/import-listings", headers={"HX-Request": "true"})

    run = db.session.scalar(sa.select(IntegrationRun))
    assert response.headers["HX-Redirect"] == f"/runs/{run.id}"
    assert (run.kind, run.channel_id, run.trigger) == (RunKind.IMPORT_LISTINGS.value, channel.id, "manual")
    again = client.post(f"/channels/{channel.id}/import-listings", headers={"HX-Request": "true"})
    assert again.headers["HX-Redirect"] == f"/runs/{run.id}", "one import at a time per channel"
    work(app, redis)
    assert fresh(run.id).status == RunStatus.SUCCEEDED
    body = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "Import finished in" in body
