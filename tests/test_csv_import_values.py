"""The CSV reading rules on their own: format detection, header mapping, numbers, identifiers, conditions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.services.csv_import.columns import auto_mapping, guess_field, needs_review
from webapp.services.csv_import.formats import UnreadableFile, detect_format
from webapp.services.csv_import.values import (
    RowError,
    parse_condition,
    parse_identifier,
    parse_number,
    split_image_urls,
)


@pytest.mark.parametrize(
    ("content", "encoding", "delimiter"),
    [
        (b"sku,title\r\nA,x\r\n", "utf-8", ","),
        (b"\xef\xbb\xbfsku;title\r\nA;caf\xc3\xa9\r\n", "utf-8-sig", ";"),
        (b"sku;title\r\nA;caf\xe9 \x80\r\n", "cp1252", ";"),
        (b"sku\ttitle\r\nA\tx\r\n", "utf-8", "\t"),
        ("sku\ttitle\r\nA\tx\r\n".encode("utf-16"), "utf-16", "\t"),
        (b"sku\r\nA\r\n", "utf-8", ","),
    ],
)
def test_encoding_and_separator_are_detected(content, encoding, delimiter):
    fmt = detect_format(content)

    assert (fmt.encoding, fmt.delimiter) == (encoding, delimiter)


def test_binary_files_are_refused():
    with pytest.raises(UnreadableFile, match="not a text"):
        detect_format(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Item SKU", "sku"),
        ("seller_sku", "sku"),
        ("QTY", "quantity"),
        ("MAP", "map_price"),
        ("Minimum Advertised Price", "map_price"),
        ("RRP", "msrp"),
        ("Image URL 3", "image_urls"),
        ("image_url_10", "image_urls"),
        ("Manufacturer Part Number", "mpn"),
        ("Warehouse", ""),
    ],
)
def test_headers_map_ignoring_case_spaces_and_underscores(header, field):
    assert guess_field(header) == field


def test_two_columns_for_one_field_need_a_review():
    headers = ["SKU", "Qty", "Stock"]

    assert auto_mapping(headers) == ["sku", "quantity", ""]
    assert needs_review(headers, auto_mapping(headers))
    assert not needs_review(["SKU", "Qty"], auto_mapping(["SKU", "Qty"]))


@pytest.mark.parametrize(
    ("text", "decimal_comma", "value"),
    [
        ("1,234.50", False, "1234.50"),
        ("1234.5", False, "1234.5"),
        ("$ 12", False, "12"),
        ("12,5", True, "12.5"),
        ("1.234,50", True, "1234.50"),
        ("12.50", True, "12.50"),
        ("1.234.567", True, "1234567"),
        ("€7", True, "7"),
    ],
)
def test_numbers_follow_the_files_convention(text, decimal_comma, value):
    assert parse_number(text, "Cost", decimal_comma) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "message"),
    [
        ("12,5", False, "write decimals with a dot"),
        ("1,23,4", False, "is not a number"),
        ("1.000", True, "is ambiguous"),
        ("1e5", False, "scientific notation"),
        ("-1", False, "is negative"),
        ("NaN", False, "is not a number"),
    ],
)
def test_numbers_that_are_not_clear_are_refused(text, decimal_comma, message):
    with pytest.raises(RowError, match=message):
        parse_number(text, "Cost", decimal_comma)


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("036000291452", "upc", "036000291452"),
        ("36000291452", "upc", "036000291452"),  # Excel dropped the leading zero
        ("0-36000-29145-2", "upc", "036000291452"),
        ("4006381333931", "ean", "4006381333931"),
        ("96385074", "ean", "96385074"),  # EAN-8
        ("00012345678905", "gtin", "00012345678905"),
        ("", "upc", ""),
    ],
)
def test_valid_identifiers_are_normalized(text, kind, code):
    assert parse_identifier(text, kind) == code


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("036000291453", "upc", "invalid check digit"),
        ("4006381333932", "ean", "invalid check digit"),
        ("ABC123456789", "upc", "must be 12 digits"),
        ("1.23457E+11", "upc", "scientific notation"),
    ],
)
def test_invalid_identifiers_are_refused(text, kind, message):
    with pytest.raises(RowError, match=message):
        parse_identifier(text, kind)


def test_conditions_and_image_urls():
    assert parse_condition("Used - Like New") == "used_like_new"
    assert parse_condition("") == "new_new"
    with pytest.raises(RowError, match="Condition “shiny” is not one we know"):
        parse_condition("shiny")
    assert split_image_urls("https://a/1.jpg | https://a/2.jpg\nhttps://a/3.jpg") == [
        "https://a/1.jpg",
        "https://a/2.jpg",
        "https://a/3.jpg",
    ]
    with pytest.raises(RowError, match="must start with http"):
        split_image_urls("ftp://a/1.jpg")
