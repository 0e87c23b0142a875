"""Mapping template editor: defaults, mode switch swaps a row, save or refuse (422), preview, tenancy."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.channels_support import HX, US, make_connection
from tests.conftest import csrf_token_from
from tests.runs_support import user_by_email
from webapp.extensions import db
from webapp.models import Channel, Listing, ListingVariant, MappingTemplate, Source, SourceItem
from webapp.services.mapping_engine import (
    FULFILLMENT_CENTER,
    FULFILLMENT_CHANNEL,
    PRICE,
    PRICE_PARAMS,
    QUANTITY,
    QUANTITY_PARAMS,
)

PRICE_SLUG = PRICE.replace(".", "-")
QUANTITY_SLUG = QUANTITY.replace(".", "-")
CHANNEL_SLUG = FULFILLMENT_CHANNEL.replace(".", "-")
CENTER_SLUG = FULFILLMENT_CENTER.replace(".", "-")


def make_channel(account_id: int, fulfillment: str = "DEFAULT", name: str = "Amazon US") -> Channel:
    """A channel of ``account_id`` on a new US connection."""
    connection = make_connection(account_id, name=f"{name} connection")
    channel = Channel(
        account_id=account_id,
        connection_id=connection.id,
        name=name,
        marketplace_id=US,
        fulfillment_channel=fulfillment,
    )
    db.session.add(channel)
    db.session.commit()
    return channel


@pytest.fixture
def channel(app, auth) -> Channel:
    """An FBM channel of the logged-in seller."""
    auth.register()
    return make_channel(user_by_email().account_id)


def sync_form(**changes: str | None) -> dict:
    """The FBM Sync default as the editor posts it, with ``changes`` (None drops an input)."""
    data = {
        f"{PRICE_SLUG}-mode": "price_rule",
        f"{PRICE_SLUG}-field": "cost",
        **{f"{PRICE_SLUG}-{k}": v for k, v in PRICE_PARAMS.items() if k != "respect_map"},
        f"{PRICE_SLUG}-respect_map": "y",
        f"{QUANTITY_SLUG}-mode": "quantity_rule",
        f"{QUANTITY_SLUG}-field": "source_quantity",
        **{f"{QUANTITY_SLUG}-{k}": v for k, v in QUANTITY_PARAMS.items()},
        f"{CHANNEL_SLUG}-mode": "constant",
        f"{CHANNEL_SLUG}-constant": "FBM",
        f"{CENTER_SLUG}-mode": "constant",
        f"{CENTER_SLUG}-constant": "DEFAULT",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def saved_rules(channel_id: int, purpose: str = "sync") -> dict:
    """The saved rows of a template by Amazon field."""
    db.session.rollback()
    template = db.session.scalar(
        sa.select(MappingTemplate).where(
            MappingTemplate.channel_id == channel_id, MappingTemplate.purpose == purpose
        )
    )
    return {rule.amazon_field: rule for rule in template.rules}


def row_html(html: str, slug: str) -> str:
    """The editor's table row of one Amazon field."""
    match = re.search(rf'<tr id="row-{slug}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {slug}"
    return match.group(1)


def test_editor_shows_the_channel_default_template(client, channel) -> None:
    response = client.get(f"/channels/{channel.id}/mappings/sync")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Mapping templates</h1>" in html
    price = row_html(html, PRICE_SLUG)
    assert '<option value="price_rule" selected>' in price
    assert 'name="amazon-inventory_product-price-markup" value="1.30"' in price
    assert '<option value=".99" selected>' in price
    assert '<option value="DEFAULT" selected>' in row_html(html, CENTER_SLUG)
    assert saved_rules(channel.id)[PRICE].params["markup"] == "1.30"


def test_channel_page_links_to_the_editor(client, channel) -> None:
    html = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert f'href="/channels/{channel.id}/mappings/sync"' in html


def test_fba_channel_defaults_to_quantity_do_not_map(app, client, auth) -> None:
    auth.register()
    channel = make_channel(user_by_email().account_id, fulfillment="AMAZON_NA")
    html = client.get(f"/channels/{channel.id}/mappings/sync").get_data(as_text=True)
    assert '<option value="do_not_map" selected>' in row_html(html, QUANTITY_SLUG)
    assert '<option value="AMAZON_NA" selected>' in row_html(html, CENTER_SLUG)


def test_htmx_request_gets_the_editor_partial(client, channel) -> None:
    response = client.get(f"/channels/{channel.id}/mappings/publish", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<form id="mapping-editor"' in html
    assert "<h1>" not in html and "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")
    assert row_html(html, "amazon-inventory_product-condition")


def test_switching_mode_swaps_the_row_inputs(client, channel) -> None:
    url = f"/channels/{channel.id}/mappings/sync/rows/{QUANTITY_SLUG}"
    rule = client.get(url, query_string={f"{QUANTITY_SLUG}-mode": "quantity_rule"}, headers=HX)
    html = rule.get_data(as_text=True)
    assert rule.status_code == 200 and html.lstrip().startswith(f'<tr id="row-{QUANTITY_SLUG}"')
    assert f'name="{QUANTITY_SLUG}-buffer" value="0"' in html
    assert '<option value="source_quantity" selected>' in html
    constant = client.get(url, query_string={f"{QUANTITY_SLUG}-mode": "constant"}, headers=HX).get_data(
        as_text=True
    )
    assert f'name="{QUANTITY_SLUG}-constant"' in constant and "-buffer" not in constant
    none = client.get(url, query_string={f"{QUANTITY_SLUG}-mode": "do_not_map"}, headers=HX).get_data(
        as_text=True
    )
    assert "Not sent to Amazon" in none and "<input" not in none
    assert client.get(url, query_string={f"{QUANTITY_SLUG}-mode": "price_rule"}).status_code == 400
    assert client.get(f"/channels/{channel.id}/mappings/sync/rows/amazon-product-title").status_code == 404


def test_save_stores_the_template(client, channel) -> None:
    form = sync_form(
        **{
            f"{PRICE_SLUG}-markup": "1.5",
            f"{PRICE_SLUG}-min_price": "9.99",
            f"{PRICE_SLUG}-respect_map": None,
            f"{QUANTITY_SLUG}-buffer": "2",
            f"{QUANTITY_SLUG}-maximum": "50",
        }
    )
    response = client.post(f"/channels/{channel.id}/mappings/sync", data=form, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/channels/{channel.id}/mappings/sync"
    rules = saved_rules(channel.id)
    assert rules[PRICE].params["markup"] == "1.5"
    assert rules[PRICE].params["min_price"] == "9.99"
    assert rules[PRICE].params["respect_map"] is False
    assert (rules[QUANTITY].params["buffer"], rules[QUANTITY].params["maximum"]) == ("2", "50")
    assert "Sync template saved." in client.get(f"/channels/{channel.id}/mappings/sync").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("changes", "slug", "message"),
    [
        (
            {f"{CENTER_SLUG}-mode": "do_not_map"},
            CENTER_SLUG,
            f"Missing required mapping for {FULFILLMENT_CENTER} in mapping template",
        ),
        (
            {f"{CHANNEL_SLUG}-constant": "FBA", f"{CENTER_SLUG}-constant": "AMAZON_NA"},
            QUANTITY_SLUG,
            "must be Do Not Map on an FBA template",
        ),
        (
            {f"{PRICE_SLUG}-min_price": "30", f"{PRICE_SLUG}-max_price": "20"},
            PRICE_SLUG,
            "minimum price 30.00 is above the maximum price 20.00",
        ),
        ({f"{PRICE_SLUG}-mode": "field", f"{PRICE_SLUG}-field": "title"}, PRICE_SLUG, "a text field"),
        ({f"{PRICE_SLUG}-markup": "-2"}, PRICE_SLUG, "markup must not be negative"),
    ],
)
def test_a_template_that_cannot_work_is_refused(
    client, channel, changes: dict, slug: str, message: str
) -> None:
    client.get(f"/channels/{channel.id}/mappings/sync")  # the default is saved
    before = {k: (r.mode, r.constant, dict(r.params)) for k, r in saved_rules(channel.id).items()}
    response = client.post(f"/channels/{channel.id}/mappings/sync", data=sync_form(**changes), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<form id="mapping-editor"' in html and "<h1>" not in html
    assert message in row_html(html, slug)  # the error sits on the field's row
    assert {k: (r.mode, r.constant, dict(r.params)) for k, r in saved_rules(channel.id).items()} == before


def test_publish_without_price_is_refused(client, channel) -> None:
    response = client.post(
        f"/channels/{channel.id}/mappings/publish",
        data={f"{PRICE_SLUG}-mode": "do_not_map", "amazon-inventory_product-condition-mode": "field"},
    )
    assert response.status_code == 422
    assert f"Missing required mapping for {PRICE} in mapping template" in response.get_data(as_text=True)


def test_preview_computes_the_saved_template_for_the_channels_variants(client, channel) -> None:
    source = Source(account_id=channel.account_id, name="Supplier")
    db.session.add(source)
    db.session.flush()
    item = SourceItem(
        account_id=channel.account_id,
        source_id=source.id,
        sku="KETTLE-1",
        cost=Decimal("10.00"),
        map_price=Decimal("16.00"),
        quantity=7,
    )
    listing = Listing(account_id=channel.account_id, channel_id=channel.id, sku="KETTLE-1")
    db.session.add_all([item, listing])
    db.session.flush()
    db.session.add(
        ListingVariant(
            account_id=channel.account_id,
            channel_id=channel.id,
            listing_id=listing.id,
            source_item_id=item.id,
            sku="KETTLE-1",
        )
    )
    db.session.commit()
    html = client.get(f"/channels/{channel.id}/mappings/sync/preview", headers=HX).get_data(as_text=True)
    row = re.search(r'<tr class="preview-row">(.*?)</tr>', html, re.S).group(1)
    assert "KETTLE-1" in row and "16.00" in row and ">7<" in row
    assert "cost 10.00 × 1.30 + 0.00 = 13.00, rounded up to .99 → 13.99; MAP 16.00 respected" in row


def test_preview_without_variants_says_so(client, channel) -> None:
    html = client.get(f"/channels/{channel.id}/mappings/sync/preview", headers=HX).get_data(as_text=True)
    assert "has no listing variants yet" in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/mappings/sync"),
        ("post", "/mappings/sync"),
        ("get", f"/mappings/sync/rows/{PRICE_SLUG}?{PRICE_SLUG}-mode=field"),
        ("get", "/mappings/sync/preview"),
    ],
)
def test_another_accounts_channel_is_not_found(app, client, auth, method: str, path: str) -> None:
    auth.register(email="other@example.com", account_name="Other")
    theirs = make_channel(user_by_email("other@example.com").account_id, name="Theirs")
    auth.logout()
    auth.register()
    response = getattr(client, method)(f"/channels/{theirs.id}{path}", data=sync_form())
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MappingTemplate)) == 0


def test_unknown_purpose_is_not_found(client, channel) -> None:
    assert client.get(f"/channels/{channel.id}/mappings/pricing").status_code == 404


def test_save_needs_a_csrf_token(app, client, channel) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/channels/{channel.id}/mappings/sync"
    assert client.post(url, data=sync_form(), headers=HX).status_code == 400
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data=sync_form(), headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 204
