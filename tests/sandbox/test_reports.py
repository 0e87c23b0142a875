"""Reports 2021-06-30 (GET_MERCHANT_LISTINGS_ALL_DATA) through python-amazon-sp-api against the sandbox."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sp_api.api import ListingsItems, Reports
from sp_api.base import SellingApiNotFoundException

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client, validate

MODEL = "reports_2021-06-30"
US = "ATVPDKIKX0DER"
MX = "A1AM78C64UM0Y8"
ALL_DATA = "GET_MERCHANT_LISTINGS_ALL_DATA"
# NOTES §5.4: the common 29-column header, written out here independently of the sandbox's code.
HEADER_29 = [
    "item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date",
    "image-url", "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note",
    "item-condition", "zshop-category1", "zshop-browse-path", "zshop-storefront-feature",
    "asin1", "asin2", "asin3", "will-ship-internationally", "expedited-shipping", "zshop-boldface",
    "product-id", "bid-for-featured-placement", "add-delete", "pending-quantity",
    "fulfillment-channel", "merchant-shipping-group", "status",
]  # fmt: skip


@pytest.fixture
def reports(spapi: Callable[..., Any]) -> Any:
    """A Reports client for the demo seller."""
    return spapi(Reports)


def _create(reports: Any, marketplace: str = US) -> str:
    response = reports.create_report(reportType=ALL_DATA, marketplaceIds=[marketplace])
    validate(MODEL, "createReport", response.payload, 202)
    return response.payload["reportId"]


def _get(reports: Any, report_id: str) -> dict[str, Any]:
    payload = reports.get_report(report_id).payload
    validate(MODEL, "getReport", payload)
    return payload


def _advance(server: SandboxServer, **amount: float) -> None:
    server.admin("post", "/clock/advance", json=amount)


def _finished_report(server: SandboxServer, reports: Any, marketplace: str = US) -> dict[str, Any]:
    report_id = _create(reports, marketplace)
    _advance(server, minutes=4)
    return _get(reports, report_id)


def _download(reports: Any, document_id: str) -> tuple[dict[str, Any], httpx.Response]:
    """The library's decoded document (payload) and the raw HTTP answer of the presigned URL."""
    response = reports.get_report_document(document_id, download=True)
    meta = {k: v for k, v in response.payload.items() if k != "document"}
    validate(MODEL, "getReportDocument", meta)
    return response.payload, httpx.get(response.payload["url"])


def _table(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def _us_listings(server: SandboxServer) -> list[Any]:
    return server.sandbox.store.all(
        "SELECT * FROM listings WHERE seller_id = ? AND marketplace_id = ?", (DEMO_SELLER_ID, US)
    )


def test_report_moves_from_queue_to_done_by_amazon_time(sandbox_server: SandboxServer, reports: Any) -> None:
    report_id = _create(reports)
    first = _get(reports, report_id)
    assert first["processingStatus"] == "IN_QUEUE"
    assert first["reportType"] == ALL_DATA and first["marketplaceIds"] == [US]
    assert "reportDocumentId" not in first

    _advance(sandbox_server, seconds=90)
    running = _get(reports, report_id)
    assert running["processingStatus"] == "IN_PROGRESS"
    assert "processingStartTime" in running and "reportDocumentId" not in running

    _advance(sandbox_server, minutes=2)
    done = _get(reports, report_id)
    assert done["processingStatus"] == "DONE"
    assert done["processingEndTime"] >= done["processingStartTime"] >= done["createdTime"]
    assert done["reportDocumentId"].startswith("amzn1.spdoc.")


def test_time_scale_finishes_report_in_real_seconds() -> None:
    with SandboxServer({"SANDBOX_RATE_LIMITS": "off", "SANDBOX_TIME_SCALE": 200}) as server:
        token = server.authorize(DEMO_SELLER_ID)["refresh_token"]
        reports = make_client(server, Reports, token)
        report_id = _create(reports)
        assert _get(reports, report_id)["processingStatus"] in ("IN_QUEUE", "IN_PROGRESS")
        deadline = time.monotonic() + 5
        status = ""
        while time.monotonic() < deadline and status != "DONE":
            time.sleep(0.2)
            status = _get(reports, report_id)["processingStatus"]
        assert status == "DONE"


def test_document_lists_every_listing_with_the_29_column_header(
    sandbox_server: SandboxServer, reports: Any
) -> None:
    report = _finished_report(sandbox_server, reports)
    payload, raw = _download(reports, report["reportDocumentId"])
    assert "compressionAlgorithm" not in payload
    assert raw.headers["content-type"] == "text/tab-separated-values; charset=UTF-8"
    rows = _table(payload["document"])
    assert rows[0] == HEADER_29
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    listings = {row["sku"]: row for row in _us_listings(sandbox_server)}
    assert sorted(r["seller-sku"] for r in records) == sorted(listings)
    statuses = {r["status"] for r in records}
    assert statuses <= {"Active", "Inactive", "Incomplete"} and {"Active", "Inactive"} <= statuses
    fba = [r for r in records if r["fulfillment-channel"].startswith("AMAZON")]
    assert fba and all(r["quantity"] == "" for r in fba)
    for record in records:
        listing = listings[record["seller-sku"]]
        assert record["asin1"] == listing["asin"]
        if not record["fulfillment-channel"].startswith("AMAZON"):
            assert record["quantity"] == str(listing["quantity"])
        assert record["price"] == ("" if listing["price"] is None else f"{listing['price']:.2f}")
        assert record["open-date"].endswith(("PST", "PDT"))


def test_document_url_works_without_auth_and_expires_after_five_minutes(
    sandbox_server: SandboxServer, reports: Any
) -> None:
    report = _finished_report(sandbox_server, reports)
    url = reports.get_report_document(report["reportDocumentId"]).payload["url"]
    assert httpx.get(url).status_code == 200
    _advance(sandbox_server, minutes=6)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text


@pytest.mark.parametrize(
    ("header", "columns", "last"),
    [("27", 27, "fulfillment-channel"), ("28", 28, "merchant-shipping-group"), ("b2b", 48, "status")],
)
def test_header_variants(
    sandbox_server: SandboxServer, reports: Any, header: str, columns: int, last: str
) -> None:
    sandbox_server.admin("put", "/report-options", json={"header": header})
    report = _finished_report(sandbox_server, reports)
    rows = _table(_download(reports, report["reportDocumentId"])[0]["document"])
    assert len(rows[0]) == columns and rows[0][-1] == last
    assert all(len(row) == columns for row in rows)
    if header == "b2b":
        assert rows[0][27:29] == ["Business Price", "Quantity Price Type"]
        assert "Progressive Price 3" in rows[0]


def test_windows_1252_gzip_document_decodes_with_its_charset(
    sandbox_server: SandboxServer, reports: Any, spapi: Callable[..., Any]
) -> None:
    title = "Café Crème – 20 €"
    patch = {
        "op": "replace",
        "path": "/attributes/item_name",
        "value": [{"value": title, "language_tag": "en_US", "marketplace_id": US}],
    }
    result = spapi(ListingsItems).patch_listings_item(
        DEMO_SELLER_ID, "DEMO-000002", marketplaceIds=US, body={"productType": "PRODUCT", "patches": [patch]}
    )
    assert result.payload["status"] == "ACCEPTED"
    sandbox_server.admin("put", "/report-options", json={"encoding": "windows-1252", "gzip": True})
    report = _finished_report(sandbox_server, reports)
    payload, raw = _download(reports, report["reportDocumentId"])
    assert payload["compressionAlgorithm"] == "GZIP"
    assert raw.headers["content-type"] == "text/tab-separated-values; charset=windows-1252"
    assert title.encode("cp1252") in gzip.decompress(raw.content)
    record = next(row for row in _table(payload["document"]) if row[3] == "DEMO-000002")
    assert record[0] == title


@pytest.mark.parametrize("outcome", ["FATAL", "CANCELLED"])
def test_report_can_end_fatal_or_cancelled(sandbox_server: SandboxServer, reports: Any, outcome: str) -> None:
    sandbox_server.admin("put", "/report-options", json={"outcome": outcome})
    report = _finished_report(sandbox_server, reports)
    assert report["processingStatus"] == outcome
    if outcome == "FATAL":
        assert "errorDetails" in _download(reports, report["reportDocumentId"])[0]["document"]
    else:
        assert "reportDocumentId" not in report


def test_report_without_data_is_cancelled(sandbox_server: SandboxServer, reports: Any) -> None:
    report = _finished_report(sandbox_server, reports, MX)
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


def test_stuck_fault_keeps_report_in_progress_until_cleared(
    sandbox_server: SandboxServer, reports: Any
) -> None:
    sandbox_server.admin("put", "/faults/createReport", json={"stuck": 1})
    report_id = _create(reports)
    _advance(sandbox_server, minutes=30)
    assert _get(reports, report_id)["processingStatus"] == "IN_PROGRESS"
    sandbox_server.admin("delete", "/faults/createReport")
    assert _get(reports, report_id)["processingStatus"] == "DONE"


def test_empty_document(sandbox_server: SandboxServer, reports: Any) -> None:
    sandbox_server.admin("put", "/report-options", json={"empty": True})
    report = _finished_report(sandbox_server, reports)
    assert report["processingStatus"] == "DONE"
    assert _download(reports, report["reportDocumentId"])[1].content == b""


def test_broken_rows_and_missing_columns(sandbox_server: SandboxServer, reports: Any) -> None:
    sandbox_server.admin(
        "put", "/report-options", json={"broken_rows": True, "missing_columns": ["quantity", "open-date"]}
    )
    report = _finished_report(sandbox_server, reports)
    lines = _download(reports, report["reportDocumentId"])[0]["document"].splitlines()
    header = lines[0].split("\t")
    assert "quantity" not in header and "open-date" not in header and len(header) == 27
    widths = [len(line.split("\t")) for line in lines[1:]]
    assert any(w < 27 for w in widths) and any(w > 27 for w in widths)
    assert any("N/A" in line.split("\t") for line in lines[1:])
    assert len(lines) - 1 > len(_us_listings(sandbox_server))  # a split line adds one


def test_report_options_reject_unknown_values(sandbox_server: SandboxServer) -> None:
    response = httpx.put(f"{sandbox_server.url}/_sandbox/report-options", json={"header": "30"})
    assert response.status_code == 400 and "header" in response.json()["error"]


def test_unknown_report_and_document_are_not_found(reports: Any) -> None:
    with pytest.raises(SellingApiNotFoundException):
        reports.get_report("12345")
    with pytest.raises(SellingApiNotFoundException):
        reports.get_report_document("amzn1.spdoc.1.4.na.nope")
