"""Supplier CSV import through the real views, Redis and an in-process RQ worker: rows, bad rows,
encodings, separators, the column-mapping step, re-uploads."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs.source_import import MAX_ROW_NOTIFICATIONS
from tests.runs_support import fresh, notes, work
from tests.sources_support import HX, add_source, csv_bytes, items_by_sku, run_id_from, upload
from webapp.extensions import db
from webapp.models import RunStatus, SourceItem, SourceUpload

UPC = "036000291452"
UPC_2 = "012345678905"
EAN = "4006381333931"
GTIN = "00012345678905"


@pytest.fixture
def source_id(app, auth, client) -> int:
    """A logged-in seller with one source."""
    auth.register()
    return add_source(client)


def imported(app, redis, client, source_id: int, content: bytes, filename: str = "inventory.csv") -> int:
    """Upload ``content``, run the import with a real RQ worker, return the run id."""
    response = upload(client, source_id, content, filename)
    run_id = run_id_from(response)
    work(app, redis)
    return run_id


def skipped_messages(run_id: int) -> list[str]:
    """The run's error lines (one per skipped row)."""
    return [n.message for n in notes(run_id, "error")]


def test_upload_imports_every_field_and_deletes_the_stored_file(app, redis, client, source_id):
    headers = [
        "SKU", "Title", "Description", "Brand", "UPC", "EAN", "GTIN", "MPN", "ASIN",
        "Cost", "MSRP", "MAP", "Qty", "Image URLs", "Weight", "Condition",
    ]  # fmt: skip
    row = [
        "A-1", "Red mug", "A mug, red.", "Acme", UPC, EAN, GTIN, "MUG-R", "b00test123",
        "4.50", "12.99", "9.99", "7", "https://img.example/1.jpg|https://img.example/2.jpg", "0.35", "New",
    ]  # fmt: skip
    run_id = imported(app, redis, client, source_id, csv_bytes([row], headers))

    run = fresh(run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.counts == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0}
    assert run.progress_done == run.progress_total == 1
    item = items_by_sku(source_id)["A-1"]
    assert (item.title, item.description, item.brand) == ("Red mug", "A mug, red.", "Acme")
    assert (item.upc, item.ean, item.gtin, item.mpn, item.asin) == (UPC, EAN, GTIN, "MUG-R", "B00TEST123")
    assert (item.cost, item.msrp, item.map_price) == (Decimal("4.50"), Decimal("12.99"), Decimal("9.99"))
    assert item.quantity == 7 and item.weight == Decimal("0.350") and item.condition == "new_new"
    assert item.image_urls == ["https://img.example/1.jpg", "https://img.example/2.jpg"]
    upload_row = db.session.scalar(sa.select(SourceUpload))
    assert upload_row.content is None and upload_row.content_deleted_at is not None
    assert "1 row read; 1 created" in notes(run_id, "info")[-1].message


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["", "No SKU", UPC, "1.00", "1"], "the SKU is missing"),
        (["B-1", "Bad cost", UPC, "cheap", "1"], "Cost “cheap” is not a number"),
        (["B-2", "Bad qty", UPC, "1.00", "lots"], "Quantity “lots” is not a number"),
        (["B-3", "Negative", UPC, "1.00", "-3"], "Quantity “-3” is negative"),
        (["B-4", "Fraction", UPC, "1.00", "2.5"], "Quantity “2.5” is not a whole number"),
        (["B-5", "Bad UPC", "036000291453", "1.00", "1"], "UPC “036000291453” has an invalid check digit"),
        (["B-6", "Short UPC", "12345", "1.00", "1"], "UPC “12345” must be 12 digits"),
        (["B-7", "Excel UPC", "3.60003E+11", "1.00", "1"], "scientific notation"),
        (["B-8", "Comma decimal", UPC, "12,5", "1"], "write decimals with a dot"),
    ],
)
def test_a_bad_row_is_skipped_with_its_row_number_and_the_good_rows_land(
    app, redis, client, source_id, row, problem
):
    rows = [["G-1", "Good one", UPC, "1.00", "1"], row, ["G-2", "Good two", UPC_2, "2.00", "2"]]
    run_id = imported(app, redis, client, source_id, csv_bytes(rows))

    run = fresh(run_id)
    assert run.status == RunStatus.PARTIAL
    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1}
    [message] = skipped_messages(run_id)
    assert message.startswith("Row 3 skipped: ") and problem in message
    assert set(items_by_sku(source_id)) == {"G-1", "G-2"}


def test_bad_ean_and_gtin_check_digits_are_skipped(app, redis, client, source_id):
    content = csv_bytes(
        [["E-1", "4006381333932", ""], ["E-2", "", "00012345678906"], ["E-3", "5901234123457", GTIN]],
        headers=["sku", "ean", "gtin"],
    )
    run_id = imported(app, redis, client, source_id, content)

    assert skipped_messages(run_id) == [
        "Row 2 skipped: EAN “4006381333932” has an invalid check digit.",
        "Row 3 skipped: GTIN “00012345678906” has an invalid check digit.",
    ]
    assert list(items_by_sku(source_id)) == ["E-3"]


def test_a_duplicate_sku_keeps_the_first_row_and_reports_the_later_ones(app, redis, client, source_id):
    rows = [
        ["D-1", "First", UPC, "1.00", "1"],
        ["D-2", "Other", UPC, "1.00", "1"],
        ["D-1", "Second", UPC, "9", "9"],
    ]
    run_id = imported(app, redis, client, source_id, csv_bytes(rows))

    assert skipped_messages(run_id) == [
        "Row 4 skipped: SKU D-1 already appeared on row 2 (the first one is kept)."
    ]
    assert notes(run_id, "error")[0].reference == "D-1"
    item = items_by_sku(source_id)["D-1"]
    assert (item.title, item.quantity) == ("First", 1)


def test_a_row_with_more_cells_than_the_header_is_skipped(app, redis, client, source_id):
    content = b"sku,title,cost\r\nOK-1,Fine,1.00\r\nX-1,Unquoted,1,234.50\r\n"
    run_id = imported(app, redis, client, source_id, content)

    [message] = skipped_messages(run_id)
    assert message.startswith("Row 3 skipped: it has 4 cells but the header has 3")
    assert list(items_by_sku(source_id)) == ["OK-1"]


def test_excel_thousands_separators_and_currency_signs_are_read(app, redis, client, source_id):
    content = csv_bytes(
        [["T-1", "1,234.50", "$12.5", "1,200"], ["T-2", "€ 7", "", "0"]],
        headers=["sku", "cost", "msrp", "quantity"],
    )
    imported(app, redis, client, source_id, content)

    items = items_by_sku(source_id)
    assert (items["T-1"].cost, items["T-1"].msrp, items["T-1"].quantity) == (
        Decimal("1234.50"),
        Decimal("12.50"),
        1200,
    )
    assert (items["T-2"].cost, items["T-2"].msrp, items["T-2"].quantity) == (Decimal("7.00"), None, 0)


def test_semicolon_files_use_decimal_commas(app, redis, client, source_id):
    content = csv_bytes(
        [
            ["S-1", "Tasse", "12,5", "1.234,50", "3"],
            ["S-2", "Teller", "12.5", "1.234.567", "4"],
            ["S-3", "Schale", "1", "2", "1.000"],
        ],
        headers=["sku", "title", "cost", "msrp", "quantity"],
        delimiter=";",
    )
    run_id = imported(app, redis, client, source_id, content)

    items = items_by_sku(source_id)
    assert (items["S-1"].cost, items["S-1"].msrp, items["S-1"].quantity) == (
        Decimal("12.50"),
        Decimal("1234.50"),
        3,
    )
    assert (items["S-2"].cost, items["S-2"].msrp) == (Decimal("12.50"), Decimal("1234567.00"))
    # "1.000" could be a thousand or one: the row is skipped rather than guessed.
    assert skipped_messages(run_id) == [
        "Row 4 skipped: Quantity “1.000” is ambiguous in a file separated by “;”: write 1000 for thousands "
        "or 1,000 for a decimal."
    ]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
    ids=["utf-8", "utf-8-bom", "windows-1252"],
)
@pytest.mark.parametrize("delimiter", [",", ";"], ids=["comma", "semicolon"])
def test_encodings_and_separators(app, redis, client, source_id, encoding, prefix, delimiter):
    content = prefix + csv_bytes(
        [["CAFE-1", "Café crème", "Prix 5 €", "3"], ["CAFE-2", "Thé", "", "4"]],
        headers=["SKU", "Title", "Description", "Quantity"],
        delimiter=delimiter,
        encoding=encoding,
    )
    run_id = imported(app, redis, client, source_id, content)

    assert fresh(run_id).status == RunStatus.SUCCEEDED
    items = items_by_sku(source_id)
    assert set(items) == {"CAFE-1", "CAFE-2"}  # the BOM did not end up in the first header
    assert (items["CAFE-1"].title, items["CAFE-1"].description) == ("Café crème", "Prix 5 €")
    assert items["CAFE-2"].title == "Thé" and items["CAFE-2"].quantity == 4


def test_several_image_columns_and_separators(app, redis, client, source_id):
    content = csv_bytes(
        [["I-1", "https://a.example/1.jpg, https://a.example/2.jpg", "https://a.example/3.jpg", ""]],
        headers=["sku", "image_url_1", "Image URL 2", "image_url_3"],
    )
    imported(app, redis, client, source_id, content)

    assert items_by_sku(source_id)["I-1"].image_urls == [
        "https://a.example/1.jpg",
        "https://a.example/2.jpg",
        "https://a.example/3.jpg",
    ]


def test_reupload_updates_only_what_changed(app, redis, client, source_id):
    rows = [[f"R-{n}", f"Item {n}", UPC, "1.00", str(n)] for n in range(1, 6)]
    first = imported(app, redis, client, source_id, csv_bytes(rows))
    assert fresh(first).counts["created"] == 5
    before = {sku: item.changed_at for sku, item in items_by_sku(source_id).items()}

    rows[1][4] = "99"  # R-2's quantity
    rows[3][1] = "Item four, renamed"  # R-4's title
    rows.append(["R-6", "New one", UPC, "1.00", "1"])
    second = imported(app, redis, client, source_id, csv_bytes(rows))

    run = fresh(second)
    assert run.counts == {"created": 1, "updated": 2, "unchanged": 3, "skipped": 0}
    after = items_by_sku(source_id)
    changed = {sku for sku in before if after[sku].changed_at != before[sku]}
    assert changed == {"R-2", "R-4"}
    assert after["R-2"].quantity == 99 and after["R-4"].title == "Item four, renamed"
    assert len(after) == 6

    third = imported(app, redis, client, source_id, csv_bytes(rows))
    assert fresh(third).counts == {"created": 0, "updated": 0, "unchanged": 6, "skipped": 0}


def test_a_file_without_some_columns_leaves_them_as_they_are(app, redis, client, source_id):
    imported(app, redis, client, source_id, csv_bytes([["P-1", "Kettle", UPC, "20.00", "5"]]))
    run_id = imported(app, redis, client, source_id, csv_bytes([["P-1", "0"]], headers=["SKU", "Stock"]))

    assert fresh(run_id).counts["updated"] == 1
    item = items_by_sku(source_id)["P-1"]
    assert (item.title, item.cost, item.quantity) == ("Kettle", Decimal("20.00"), 0)


def test_running_the_same_import_twice_converges(app, redis, client, source_id):
    rows = [[f"C-{n}", f"Item {n}", UPC, "1.00", "1"] for n in range(50)]
    response = upload(client, source_id, csv_bytes(rows))
    run_id = run_id_from(response)
    work(app, redis)
    upload_row = db.session.scalar(sa.select(SourceUpload))
    # As if the first run's end had been lost: the file is still there and the import runs again.
    upload_row.content = csv_bytes(rows)
    upload_row.content_deleted_at = None
    db.session.commit()

    again = client.post(f"/sources/{source_id}/uploads/{upload_row.id}/start", headers=HX)
    second = run_id_from(again)
    work(app, redis)

    assert second != run_id
    assert fresh(second).counts == {"created": 0, "updated": 0, "unchanged": 50, "skipped": 0}
    assert db.session.scalar(sa.select(sa.func.count(SourceItem.id))) == 50


def test_unknown_headers_ask_for_a_column_mapping_before_the_import(app, redis, client, source_id):
    content = csv_bytes([["Z-1", "Widget", "3"]], headers=["Artikelnummer", "Bezeichnung", "Bestand"])
    response = upload(client, source_id, content)
    mapping_url = response.headers["HX-Redirect"]
    assert "/mapping" in mapping_url
    assert db.session.scalar(sa.select(SourceUpload)).run_id is None

    page = client.get(mapping_url).get_data(as_text=True)
    assert "Artikelnummer" in page and "Z-1" in page and "Ignore this column" in page

    missing = client.post(mapping_url, data={"col_0": "", "col_1": "title", "col_2": "quantity"}, headers=HX)
    assert missing.status_code == 422
    assert "Choose the column that holds the SKU." in missing.get_data(as_text=True)
    twice = client.post(mapping_url, data={"col_0": "sku", "col_1": "title", "col_2": "title"}, headers=HX)
    assert "Only one column can be the Title." in twice.get_data(as_text=True)

    saved = client.post(mapping_url, data={"col_0": "sku", "col_1": "title", "col_2": "quantity"}, headers=HX)
    run_id = run_id_from(saved)
    work(app, redis)

    assert fresh(run_id).status == RunStatus.SUCCEEDED
    item = items_by_sku(source_id)["Z-1"]
    assert (item.title, item.quantity) == ("Widget", 3)


def test_ignored_columns_are_reported(app, redis, client, source_id):
    content = csv_bytes([["K-1", "x"]], headers=["sku", "Warehouse bin"])
    run_id = imported(app, redis, client, source_id, content)

    assert notes(run_id, "info")[0].message == "Columns not imported: Warehouse bin."


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"   \r\n", "blank.csv", "The file is empty."),
        (b"sku,title\r\n", "header.csv", "The file has a header row but no items below it."),
        (b"PK\x03\x04\x14\x00\x00\x00", "stock.csv", "This is an Excel workbook (.xlsx)"),
        (b"sku\r\nA\r\n", "stock.xlsx", "Upload a .csv file"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_clear_error(client, source_id, content, filename, message):
    response = upload(client, source_id, content, filename)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SourceUpload.id))) == 0


def test_an_upload_without_a_file_asks_for_one(client, source_id):
    response = client.post(f"/sources/{source_id}/uploads", data={}, headers=HX)

    assert response.status_code == 422
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused_with_a_clear_error(app, client, source_id):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    content = csv_bytes([[f"L-{n}", "x" * 100] for n in range(12_000)], headers=["sku", "title"])

    response = upload(client, source_id, content)

    assert response.status_code == 422
    assert "The file is larger than 1 MB." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SourceUpload.id))) == 0


def test_many_bad_rows_are_listed_up_to_a_limit(app, redis, client, source_id):
    bad = MAX_ROW_NOTIFICATIONS + 20
    rows = [[f"M-{n}", "x", UPC, "oops", "1"] for n in range(bad)] + [["M-ok", "fine", UPC, "1", "1"]]
    run_id = imported(app, redis, client, source_id, csv_bytes(rows))

    errors = skipped_messages(run_id)
    assert len(errors) == MAX_ROW_NOTIFICATIONS + 1
    assert errors[-1] == f"20 more rows were skipped; the first {MAX_ROW_NOTIFICATIONS} are listed."
    assert fresh(run_id).counts["skipped"] == bad
    assert list(items_by_sku(source_id)) == ["M-ok"]
