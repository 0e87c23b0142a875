"""Link listings end to end: the real job on an RQ worker, Amazon's listings report from the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from sandbox.seed import DEMO_SELLER_ID
from tests.amazon.models import check_all
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import amazon_offers, demo_channel, fast_sandbox, run_job, variant
from tests.listings_support import add_variant
from tests.runs_support import notes
from webapp.amazon.transport import recording
from webapp.extensions import db
from webapp.models import RunKind, RunStatus, VariantHistory, VariantStatus
from webapp.services.listing_selection import selection_for

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = fast_sandbox
app_config = sandbox_app_config


def test_link_matches_by_sku_only_and_reports_what_it_found(app, redis, sandbox):
    channel = demo_channel(sandbox)
    fbm = amazon_offers(sandbox, fba=False)
    fba = amazon_offers(sandbox, fba=True)
    all_offers = amazon_offers(sandbox)
    plain = add_variant(channel, fbm[0]["sku"], status=VariantStatus.UNLINKED.value, asin="")
    amazon_fulfilled = add_variant(channel, fba[0]["sku"], status=VariantStatus.UNLINKED.value)
    same_asin = add_variant(channel, "MY-OWN-SKU-1", status=VariantStatus.UNLINKED.value, asin=fbm[1]["asin"])
    already = add_variant(channel, fbm[2]["sku"], status=VariantStatus.LINKED.value, asin=fbm[2]["asin"])

    with recording() as exchanges:
        run = run_job(app, redis, channel, RunKind.LINK_LISTINGS, selection=selection_for(filters=None))

    assert run.status == RunStatus.SUCCEEDED, [n.message for n in notes(run.id)]
    operations = check_all(exchanges)
    assert operations[0] == "createReport" and "getReportDocument" in operations
    assert set(operations) <= {"createReport", "getReport", "getReportDocument"}

    linked = variant(plain.id)
    assert linked.status == VariantStatus.LINKED
    assert linked.asin == fbm[0]["asin"] and linked.external_listing_id
    assert linked.fulfillment_channel == "DEFAULT"
    assert linked.pushed_price == Decimal(str(fbm[0]["price"])).quantize(Decimal("0.01"))
    assert linked.pushed_quantity == fbm[0]["quantity"]
    fba_linked = variant(amazon_fulfilled.id)
    assert fba_linked.status == VariantStatus.LINKED
    assert fba_linked.fulfillment_channel == fba[0]["fulfillment_channel"] != "DEFAULT"
    assert fba_linked.pushed_quantity is None, "Amazon owns an FBA offer's quantity"
    assert variant(same_asin.id).status == VariantStatus.UNLINKED, "an ASIN never links, only the SKU"
    assert variant(already.id).status == VariantStatus.LINKED

    assert run.counts["linked"] == 2
    assert run.counts["already_linked"] == 1
    assert run.counts["not_on_amazon"] == 1
    # Amazon SKUs of the report (priced or not) that have no Shelfsync variant.
    report_skus = len(
        sandbox.sandbox.store.all(
            "SELECT sku FROM listings WHERE seller_id = ? AND marketplace_id = ?",
            (DEMO_SELLER_ID, "ATVPDKIKX0DER"),
        )
    )
    assert run.counts["amazon_only"] == report_skus - 3
    assert len(all_offers) <= report_skus
    messages = {n.code: n.message for n in notes(run.id)}
    assert messages["link_report"].startswith("Link report: 2 linked, 1 already linked")
    assert "MY-OWN-SKU-1" in messages["not_on_amazon"]
    history = db.session.scalars(sa.select(VariantHistory).where(VariantHistory.variant_id == plain.id)).all()
    assert [(h.field, h.old_value, h.new_value, h.run_id) for h in history] == [
        ("status", "unlinked", "linked", run.id)
    ]

    again = run_job(app, redis, channel, RunKind.LINK_LISTINGS, selection={"filter": {}})
    assert again.status == RunStatus.SUCCEEDED
    assert (again.counts["linked"], again.counts["already_linked"]) == (0, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VariantHistory)) == 2


def test_a_broken_link_whose_sku_is_back_on_amazon_is_linked_again(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offer = amazon_offers(sandbox, fba=False)[0]
    broken = add_variant(channel, offer["sku"], status=VariantStatus.BROKEN_LINK.value, last_error="gone")

    run = run_job(app, redis, channel, RunKind.LINK_LISTINGS, selection={"ids": [broken.id]})

    assert run.counts["linked"] == 1 and run.counts["not_on_amazon"] == 0
    relinked = variant(broken.id)
    assert relinked.status == VariantStatus.LINKED and relinked.last_error == ""


@pytest.mark.parametrize(
    ("outcome", "text"),
    [("FATAL", "could not produce the listings report"), ("CANCELLED", "cancelled the listings report")],
)
def test_a_report_amazon_cannot_produce_ends_the_run_with_a_clear_error(app, redis, sandbox, outcome, text):
    channel = demo_channel(sandbox)
    add_variant(channel, "DEMO-000001", status=VariantStatus.UNLINKED.value)
    sandbox.admin("put", "/report-options", json={"outcome": outcome})

    run = run_job(app, redis, channel, RunKind.LINK_LISTINGS)

    assert run.status == RunStatus.FAILED
    [error] = notes(run.id, "error")
    assert text in error.message and error.help


def test_damaged_report_variants_still_link_every_sku(app, redis, sandbox):
    channel = demo_channel(sandbox)
    offers = amazon_offers(sandbox)
    for offer in offers:
        add_variant(channel, offer["sku"], status=VariantStatus.UNLINKED.value)
    sandbox.admin(
        "put",
        "/report-options",
        json={"header": "b2b", "encoding": "windows-1252", "gzip": True, "broken_rows": True},
    )

    run = run_job(app, redis, channel, RunKind.LINK_LISTINGS)

    assert run.counts["linked"] == len(offers)
    assert run.counts["not_on_amazon"] == 0
    assert any(n.code == "report_row" for n in notes(run.id, "warning")), "damaged lines are reported"
