"""The listings report reader: every header variant, encoding and kind of damaged line Amazon ships,
read from the sandbox's report documents through the adapter, plus hand-made edge cases."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.conftest import sandbox_app_config
from tests.listing_sync_support import US, fast_sandbox
from webapp.amazon import SellerApi, SellerCredentials
from webapp.services.listings_report import parse_price, read_rows

# Shared fixtures, adopted under the names the tests and the ``app`` fixture request.
sandbox = fast_sandbox
app_config = sandbox_app_config


def report_lines(sandbox: SandboxServer, **options) -> list[str]:
    """Request a GET_MERCHANT_LISTINGS_ALL_DATA report with ``options`` and download its lines."""
    sandbox.admin("put", "/report-options", json=options)
    api = SellerApi(SellerCredentials(DEMO_SELLER_ID, sandbox.authorize()["refresh_token"], US))
    report_id = api.create_report("GET_MERCHANT_LISTINGS_ALL_DATA")
    deadline = time.monotonic() + 10
    while not (report := api.get_report(report_id)).done:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return list(api.iter_report_lines(report.report_document_id))


def sandbox_offers(sandbox: SandboxServer) -> dict[str, dict]:
    rows = sandbox.sandbox.store.all(
        "SELECT sku, asin, price, quantity, fulfillment_channel, status FROM listings "
        "WHERE seller_id = ? AND marketplace_id = ?",
        (DEMO_SELLER_ID, US),
    )
    return {row["sku"]: dict(row) for row in rows}


@pytest.mark.parametrize(
    "options",
    [
        {"header": "29"},
        {"header": "28"},
        {"header": "27", "encoding": "windows-1252"},
        {"header": "b2b", "gzip": True},
        {"header": "29", "encoding": "ISO-8859-1", "missing_columns": ["item-description", "open-date"]},
    ],
    ids=["29", "28", "27-cp1252", "b2b-gzip", "latin1-missing-columns"],
)
def test_every_header_variant_reads_the_same_offers(app, sandbox, options):
    expected = sandbox_offers(sandbox)

    rows = list(read_rows(report_lines(sandbox, **options)))

    assert {row.sku for row in rows} == set(expected)
    for row in rows:
        offer = expected[row.sku]
        assert row.asin == offer["asin"] and row.listing_id
        assert row.fulfillment_channel == offer["fulfillment_channel"]
        if offer["price"] is None:
            assert row.price is None
        else:
            assert row.price == Decimal(str(offer["price"])).quantize(Decimal("0.01"))
        if row.is_fba:
            assert row.quantity is None, "FBA quantity is Amazon's and blank in the report"
        else:
            assert row.quantity == offer["quantity"]
        if options["header"] in ("27", "28"):
            assert row.status == "", "older files have no status column"
        else:
            assert row.active == (offer["status"] == "ACTIVE")
        assert row.problems == ()


def test_damaged_lines_still_yield_every_sku_and_say_what_was_wrong(app, sandbox):
    expected = sandbox_offers(sandbox)

    rows = list(read_rows(report_lines(sandbox, broken_rows=True)))

    assert sorted(row.sku for row in rows) == sorted(expected), "split lines are joined again"
    damaged = [row for row in rows if row.problems]
    assert damaged, "the sandbox damages every 7th row"
    problems = " ".join(p for row in damaged for p in row.problems)
    for kind in ("missing at the end", "unexpected extra values", "is not a number", "line break"):
        assert kind in problems


def test_columns_are_found_by_name_in_any_order_with_a_bom_and_crlf():
    lines = [
        "\ufeffstatus\tfulfillment-channel\tseller-sku\tasin1\tprice\tquantity\titem-name\r",
        "Active\tDEFAULT\tSKU-1\tB000000001\t12,50\t4\tFirst\r",
        "Inactive\tAMAZON_EU\tSKU-2\tb000000002\t1.234,56\t\tSecond",
        "",
        "Active\tDEFAULT\t\tB000000003\t1.00\t1\tNo SKU",
    ]
    left_out = []

    rows = list(read_rows(lines, lambda line, sku, message: left_out.append(line)))

    assert [(r.sku, r.asin, r.price, r.quantity, r.fulfillment_channel, r.active) for r in rows] == [
        ("SKU-1", "B000000001", Decimal("12.50"), 4, "DEFAULT", True),
        ("SKU-2", "B000000002", Decimal("1234.56"), None, "AMAZON_EU", False),
    ]
    assert left_out == [5]


def test_a_document_that_is_not_a_listings_report_is_refused_and_an_empty_one_has_no_rows():
    with pytest.raises(ValueError, match="seller-sku"):
        list(read_rows(["reportId\tstatus", "1\tDONE"]))
    assert list(read_rows([])) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("19.99", "19.99"), ("19,99", "19.99"), ("1,234.50", "1234.50"), ("", None), ("N/A", None)],
)
def test_prices_in_the_formats_reports_use(text, value):
    assert parse_price(text) == (Decimal(value) if value else None)
