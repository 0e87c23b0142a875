"""The inventory table: search, filters, sort, pagination, state in the URL, empty state, item page."""

from __future__ import annotations

import re

import pytest

from tests.runs_support import work
from tests.sources_support import HX, add_source, csv_bytes, upload

HEADERS = ["sku", "title", "upc", "ean", "asin", "mpn", "cost", "quantity"]


@pytest.fixture
def stocked(app, redis, auth, client) -> dict[str, int]:
    """Two sources with a few items each, imported through the real job."""
    auth.register()
    north = add_source(client, "North Supply")
    south = add_source(client, "South Supply")
    upload(
        client,
        north,
        csv_bytes(
            [
                ["MUG-RED", "Red mug", "036000291452", "", "", "", "4.00", "10"],
                ["MUG-BLUE", "Blue mug", "", "4006381333931", "", "", "5.00", "0"],
                ["PLATE-1", "Dinner plate", "", "", "B00PLATE01", "PL-1", "9.00", "3"],
            ],
            HEADERS,
        ),
    )
    work(app, redis)
    upload(
        client, south, csv_bytes([["BOWL-1", "Soup bowl (50% off)", "", "", "", "", "7.00", "1"]], HEADERS)
    )
    work(app, redis)
    return {"north": north, "south": south}


def skus(html: str) -> list[str]:
    """The SKUs of the table rows, in order."""
    return re.findall(r'<td><a href="/inventory/\d+">([^<]+)</a></td>', html)


def test_empty_inventory_says_to_upload_a_csv(auth, client):
    auth.register()
    page = client.get("/inventory/").get_data(as_text=True)

    assert "No inventory yet." in page and "Upload a supplier CSV" in page
    assert 'href="/sources/"' in page


def test_table_lists_every_item_sorted_by_sku(client, stocked):
    html = client.get("/inventory/").get_data(as_text=True)

    assert skus(html) == ["BOWL-1", "MUG-BLUE", "MUG-RED", "PLATE-1"]
    assert "4 items" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mug", ["MUG-BLUE", "MUG-RED"]),  # SKU and title, any case
        ("dinner", ["PLATE-1"]),
        ("036000291452", ["MUG-RED"]),  # UPC
        ("4006381333931", ["MUG-BLUE"]),  # EAN
        ("b00plate01", ["PLATE-1"]),  # ASIN, any case
        ("PL-1", ["PLATE-1"]),  # MPN
        ("50%", ["BOWL-1"]),  # "%" is a character here, not a wildcard
        ("nothing-like-this", []),
    ],
)
def test_search_by_sku_title_and_identifiers(client, stocked, query, expected):
    html = client.get("/inventory/", query_string={"q": query}, headers=HX).get_data(as_text=True)

    assert skus(html) == expected
    if not expected:
        assert "No items match these filters." in html


def test_filters_by_source_and_stock(client, stocked):
    north = client.get("/inventory/", query_string={"source": stocked["north"]}).get_data(as_text=True)
    in_stock = client.get("/inventory/", query_string={"stock": "in"}).get_data(as_text=True)
    out = client.get("/inventory/", query_string={"stock": "out", "source": stocked["north"]}).get_data(
        as_text=True
    )

    assert skus(north) == ["MUG-BLUE", "MUG-RED", "PLATE-1"]
    assert skus(in_stock) == ["BOWL-1", "MUG-RED", "PLATE-1"]
    assert skus(out) == ["MUG-BLUE"]


def test_sort_by_whitelisted_columns_and_ignore_others(client, stocked):
    by_quantity = client.get("/inventory/?sort=-quantity").get_data(as_text=True)
    by_cost = client.get("/inventory/?sort=cost").get_data(as_text=True)
    unknown = client.get("/inventory/?sort=password_hash").get_data(as_text=True)

    assert skus(by_quantity) == ["MUG-RED", "PLATE-1", "BOWL-1", "MUG-BLUE"]
    assert skus(by_cost) == ["MUG-RED", "MUG-BLUE", "BOWL-1", "PLATE-1"]
    assert skus(unknown) == ["BOWL-1", "MUG-BLUE", "MUG-RED", "PLATE-1"]
    # The header of the current sort links to the reverse order and keeps the other filters.
    assert 'href="/inventory/?sort=cost"' in by_quantity
    assert 'href="/inventory/?sort=-cost"' in by_cost


def test_pagination_keeps_the_filters_in_the_url(app, client, stocked):
    app.config["PER_PAGE"] = 2
    first = client.get("/inventory/?stock=in&sort=sku", headers=HX).get_data(as_text=True)
    second = client.get("/inventory/?stock=in&sort=sku&page=2", headers=HX).get_data(as_text=True)

    assert skus(first) == ["BOWL-1", "MUG-RED"] and skus(second) == ["PLATE-1"]
    assert 'href="/inventory/?stock=in&amp;sort=sku&amp;page=2"' in first
    assert "Page 2 of 2" in second


def test_htmx_gets_the_table_and_the_same_url_renders_the_full_page(client, stocked):
    url = "/inventory/?q=mug&stock=in&sort=-sku&page=1"
    partial = client.get(url, headers=HX)
    full = client.get(url)

    assert partial.get_data(as_text=True).lstrip().startswith('<div id="inventory-table">')
    assert "<html" not in partial.get_data(as_text=True)
    assert "Vary" in partial.headers and "HX-Request" in partial.headers["Vary"]
    page = full.get_data(as_text=True)
    assert "<html" in page and 'id="inventory-filters"' in page and 'hx-push-url="true"' in page
    assert 'value="mug"' in page and '<option selected value="in">' in page
    assert skus(page) == ["MUG-RED"]


def test_item_page_shows_what_the_supplier_sent(client, stocked):
    html = client.get("/inventory/?q=PLATE-1").get_data(as_text=True)
    item_url = re.search(r'href="(/inventory/\d+)">PLATE-1', html).group(1)

    page = client.get(item_url).get_data(as_text=True)

    assert "Dinner plate" in page and "B00PLATE01" in page and "PL-1" in page and "9.00" in page
    assert "North Supply" in page
