"""The listings pages: the table (search, filters, sort, pages, state in the URL, htmx partial vs page),
bulk actions (selection, confirmation, the run and its params), the listing page (issues, history), and
404s for another account's channels, listings and variants."""

from __future__ import annotations

import json
import re

import pytest

from tests.listings_support import account_id_of, add_variant, make_channel, other_account, runs_of
from tests.runs_support import user_by_email
from tests.sources_support import add_source
from webapp.extensions import db
from webapp.models import IntegrationRun, ListingVariant, RunKind, SourceItem, VariantStatus
from webapp.services.listing_history import record_change, set_status

HX = {"HX-Request": "true"}


@pytest.fixture
def app_config(app_config):
    """Small pages, so pagination shows with a handful of rows."""
    return {**app_config, "PER_PAGE": 3}


@pytest.fixture
def channel(auth, client):
    """A signed-in seller's channel with five variants of varied status, fulfilment and errors."""
    auth.register()
    channel = make_channel(account_id_of())
    add_variant(channel, "MUG-RED", title="Red mug", price=12.5, quantity=4, asin="B000MUGRED")
    add_variant(
        channel,
        "MUG-BLUE",
        title="Blue mug",
        price=9.99,
        quantity=0,
        status=VariantStatus.ERROR.value,
        last_error="The price is below the minimum.",
        last_error_help="Raise the minimum price.",
    )
    add_variant(
        channel, "PLATE-1", title="Dinner plate", price=20, quantity=7, fulfillment_channel="AMAZON_NA"
    )
    add_variant(channel, "BOWL-1", title="Soup bowl", price=7, quantity=1, status=VariantStatus.PAUSED.value)
    add_variant(
        channel, "CUP-9", title="Espresso cup", price=3, quantity=50, status=VariantStatus.UNLINKED.value
    )
    return channel


def skus(html: str) -> list[str]:
    """The SKUs of the table rows, in order."""
    return re.findall(r'#variant-\d+">([^<]+)</a></td>', html)


def table(client, channel, query: str = "", htmx: bool = True) -> str:
    response = client.get(f"/channels/{channel.id}/listings/?{query}", headers=HX if htmx else {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_empty_channel_says_how_to_get_listings(auth, client):
    auth.register()
    channel = make_channel(account_id_of())

    html = table(client, channel, htmx=False)

    assert f"No listings on {channel.name} yet." in html
    assert "Build listings" in html and 'href="/inventory/"' in html
    assert "Import Listings" in html and f'href="/channels/{channel.id}"' in html


def test_table_sorts_by_sku_and_pages(client, channel):
    first = table(client, channel)
    second = table(client, channel, "page=2")

    assert skus(first) == ["BOWL-1", "CUP-9", "MUG-BLUE"]
    assert skus(second) == ["MUG-RED", "PLATE-1"]
    assert "Page 1 of 2 · 5 variants" in first
    assert f'href="/channels/{channel.id}/listings/?page=2"' in first


def test_search_matches_sku_title_and_exact_asin(client, channel):
    assert skus(table(client, channel, "q=mug")) == ["MUG-BLUE", "MUG-RED"]
    assert skus(table(client, channel, "q=plate")) == ["PLATE-1"]
    assert skus(table(client, channel, "q=b000mugred")) == ["MUG-RED"]
    assert skus(table(client, channel, "q=B000MUG")) == [], "ASIN matches exactly, not as a substring"


def test_filters_by_status_fulfilment_and_error(client, channel):
    assert skus(table(client, channel, "status=paused")) == ["BOWL-1"]
    assert skus(table(client, channel, "fulfillment=fba")) == ["PLATE-1"]
    assert len(skus(table(client, channel, "fulfillment=fbm&page=2"))) == 1
    assert skus(table(client, channel, "has_error=1")) == ["MUG-BLUE"]
    html = table(client, channel, "status=delisted")
    assert "No variants match these filters." in html


def test_filter_by_source_keeps_variants_of_that_sources_items(client, channel):
    north = add_source(client, "North Supply")
    item = SourceItem(account_id=channel.account_id, source_id=north, sku="CUP-9")
    db.session.add(item)
    db.session.commit()
    variant = db.session.scalar(db.select(ListingVariant).filter_by(sku="CUP-9"))
    variant.source_item_id = item.id
    db.session.commit()

    assert skus(table(client, channel, f"source_id={north}")) == ["CUP-9"]
    assert "North Supply" in table(client, channel, htmx=False)


def test_sort_descending_by_price_is_in_the_url_and_the_page_renders_it(client, channel):
    html = table(client, channel, "sort=price&direction=desc&status=linked", htmx=False)

    assert "<html" in html, "a pushed URL renders as a full page"
    assert skus(html) == ["PLATE-1", "MUG-RED"]
    assert '<input type="hidden" name="direction" value="desc" form="listing-filters">' in html
    assert '<option selected value="linked">Linked</option>' in html
    assert 'aria-sort="descending"' in html
    # The next click on the same header sorts ascending, keeping the filter.
    assert f"/channels/{channel.id}/listings/?sort=price&amp;direction=asc&amp;status=linked" in html


def test_htmx_gets_the_table_partial_and_a_plain_request_the_page(client, channel):
    partial = client.get(f"/channels/{channel.id}/listings/?q=mug", headers=HX)
    page = client.get(f"/channels/{channel.id}/listings/?q=mug")

    assert partial.get_data(as_text=True).lstrip().startswith('<div id="listing-table">')
    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True) and 'id="listing-filters"' in page.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_rows_can_be_ticked_and_the_filter_travels_with_the_bulk_form(client, channel):
    html = table(client, channel, "status=linked&q=mug")

    assert re.search(r'<input type="checkbox" name="ids" value="\d+" aria-label="Select MUG-RED">', html)
    assert 'id="select-page"' in html
    assert "Select all 1 matching the filter" in html
    stored = re.search(r"name=\"filter\" value='([^']*)'", html).group(1)
    assert json.loads(stored) == {"q": "mug", "status": "linked", "sort": "sku", "direction": "asc"}
    for label in (
        "Link",
        "Sync",
        "Publish",
        "Overwrite",
        "Hide",
        "Unhide",
        "Delist",
        "Pause",
        "Unpause",
        "Unlink",
    ):
        assert f'value="{label.lower()}"' in html


def confirm(client, channel, action: str, **form):
    data = {"action": action, **form}
    response = client.post(f"/channels/{channel.id}/listings/confirm", data=data, headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def run_form(html: str) -> dict:
    """The hidden fields of the confirmation's Run form."""
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', html))
    return {
        name: value.replace("&#34;", '"') for name, value in fields.items() if name in {"action", "selection"}
    }


def test_a_dangerous_bulk_action_asks_twice_and_every_confirmation_can_be_cancelled(client, channel):
    delist = confirm(client, channel, "delist", all_matching="1", filter=json.dumps({"q": "mug"}))
    sync = confirm(client, channel, "sync", all_matching="1", filter=json.dumps({"q": "mug"}))

    assert 'hx-confirm="Delist 2 variants on Amazon? This cannot be undone' in delist
    assert "hx-confirm" not in sync.split('class="confirm-sentence"')[1]
    assert ">Cancel</button>" in delist and ">Cancel</button>" in sync


def test_select_all_matching_confirms_the_count_and_the_run_carries_the_filter(client, channel):
    html = confirm(client, channel, "sync", all_matching="1", filter=json.dumps({"q": "mug"}))

    assert "Sync 2 variants on Amazon US" in html
    assert "Dry run" in html
    response = client.post(f"/channels/{channel.id}/listings/run", data=run_form(html), headers=HX)

    [run] = runs_of(RunKind.SYNC_LISTINGS)
    assert response.headers["HX-Redirect"] == f"/runs/{run.id}"
    assert run.channel_id == channel.id
    assert run.params == {
        "selection": {"filter": {"q": "mug", "sort": "sku", "direction": "asc"}},
        "dry_run": False,
    }
    assert run.created_by_id == user_by_email().id
    assert client.get(f"/runs/{run.id}").status_code == 200


def test_dry_run_button_starts_a_sync_that_sends_nothing(client, channel):
    html = confirm(client, channel, "sync", ids=[str(v) for v in variant_ids(channel, "MUG-RED")])
    client.post(f"/channels/{channel.id}/listings/run", data={**run_form(html), "dry_run": "y"}, headers=HX)

    [run] = runs_of(RunKind.SYNC_LISTINGS)
    assert run.params == {"selection": {"ids": variant_ids(channel, "MUG-RED")}, "dry_run": True}


def variant_ids(channel, *wanted: str) -> list[int]:
    rows = db.session.scalars(db.select(ListingVariant).where(ListingVariant.channel_id == channel.id))
    return sorted(v.id for v in rows if v.sku in wanted)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("link", RunKind.LINK_LISTINGS),
        ("publish", RunKind.PUBLISH_LISTINGS),
        ("overwrite", RunKind.OVERWRITE_LISTINGS),
    ],
)
def test_ticked_rows_start_the_actions_own_run(client, channel, action, kind):
    ids = variant_ids(channel, "MUG-RED", "CUP-9")
    html = confirm(client, channel, action, ids=[str(i) for i in ids])
    assert "2 variants on Amazon US" in html

    client.post(f"/channels/{channel.id}/listings/run", data=run_form(html), headers=HX)

    [run] = runs_of(kind)
    assert run.params == {"selection": {"ids": ids}}


@pytest.mark.parametrize("action", ["hide", "unhide", "delist", "pause", "unpause", "unlink"])
def test_listing_actions_run_with_their_action_name(client, channel, action):
    ids = variant_ids(channel, "BOWL-1")
    html = confirm(client, channel, action, ids=[str(i) for i in ids])
    assert "1 variant on Amazon US" in html

    client.post(f"/channels/{channel.id}/listings/run", data=run_form(html), headers=HX)

    [run] = runs_of(RunKind.LISTING_ACTION)
    assert run.params == {"action": action, "selection": {"ids": ids}}


def test_delist_confirmation_says_it_deletes_the_offers_on_amazon(client, channel):
    html = confirm(client, channel, "delist", all_matching="1", filter="{}")

    assert "Delist 5 variants on Amazon US" in html
    assert "DELETES their offers on Amazon" in html


def test_nothing_ticked_starts_nothing(client, channel):
    html = confirm(client, channel, "hide")

    assert "Nothing selected." in html
    assert "/listings/run" not in html


def test_another_accounts_variant_ids_select_nothing(client, channel):
    stranger = make_channel(other_account().id, name="Their channel")
    theirs = add_variant(stranger, "THEIR-SKU")

    html = confirm(client, channel, "delist", ids=[str(theirs.id)])
    assert "Nothing selected." in html
    forged = {"action": "delist", "selection": json.dumps({"ids": [theirs.id]})}
    response = client.post(f"/channels/{channel.id}/listings/run", data=forged, headers=HX)

    assert response.headers["HX-Redirect"] == f"/channels/{channel.id}/listings/"
    assert runs_of(RunKind.LISTING_ACTION) == []
    assert "None of the selected variants" in client.get(f"/channels/{channel.id}/listings/").get_data(
        as_text=True
    )


def test_a_second_click_while_the_run_is_active_points_to_it(client, channel):
    ids = [str(i) for i in variant_ids(channel, "MUG-RED")]
    data = run_form(confirm(client, channel, "pause", ids=ids))
    client.post(f"/channels/{channel.id}/listings/run", data=data, headers=HX)
    client.post(f"/channels/{channel.id}/listings/run", data=data, headers=HX)

    [run] = runs_of(RunKind.LISTING_ACTION)
    assert f"see run #{run.id}" in client.get(f"/runs/{run.id}").get_data(as_text=True)


def test_listing_page_shows_fields_issues_error_help_and_actions(client, channel):
    variant = add_variant(
        channel,
        "LAMP-1",
        title="Desk lamp",
        asin="B0LAMP0001",
        product_id="036000291452",
        product_id_type="UPC",
        status=VariantStatus.ERROR.value,
        last_error="Brand not approved.",
        last_error_help="Apply for approval of the brand in Seller Central.",
        issues=[{"code": "8541", "message": "Brand restricted", "severity": "ERROR", "help": "Ask Amazon."}],
    )

    html = client.get(f"/channels/{channel.id}/listings/{variant.listing_id}").get_data(as_text=True)

    assert "B0LAMP0001" in html and "036000291452" in html and "UPC" in html
    assert "Brand not approved." in html and "Apply for approval of the brand" in html
    assert "8541" in html and "Brand restricted" in html and "Ask Amazon." in html
    for action in ("pause", "unlink"):
        assert f'name="action" value="{action}"' in html
    assert 'value="unpause"' not in html, "Unpause is offered for paused variants only"
    assert f'name="ids" value="{variant.id}"' in html


def text_of(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def status_cell(html: str, sku: str) -> str:
    """The visible text of the Status cell of ``sku``'s row in the listings table."""
    row = re.search(rf'#variant-\d+">{re.escape(sku)}</a></td>(.*?)</tr>', html, re.S).group(1)
    return text_of(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-2])


def test_status_is_labelled_once_and_a_refused_change_is_flagged(client, channel):
    refused = add_variant(
        channel, "MUG-GREEN", status=VariantStatus.LINKED.value, last_error="Quantity update refused."
    )
    html = table(client, channel, "q=mug")

    assert status_cell(html, "MUG-BLUE") == "Error"
    assert status_cell(html, "MUG-RED") == "Linked"
    assert status_cell(html, refused.sku) == "Linked last change refused"

    page = client.get(f"/channels/{channel.id}/listings/{refused.listing_id}").get_data(as_text=True)
    heading = re.search(r"<h2>(.*?)</h2>", page, re.S).group(1)
    assert text_of(heading) == "MUG-GREEN Linked last change refused"


@pytest.mark.parametrize(
    ("condition", "name"),
    [
        ("new_new", "New"),
        ("used_like_new", "Used – Like New"),
        ("collectible_good", "Collectible – Good"),
        ("refurbished_refurbished", "Refurbished"),
    ],
)
def test_listing_page_names_the_condition_as_amazon_does(client, channel, condition: str, name: str):
    variant = add_variant(channel, "LAMP-3", status=VariantStatus.ERROR.value, condition=condition)

    html = client.get(f"/channels/{channel.id}/listings/{variant.listing_id}").get_data(as_text=True)

    assert f"<dt>Condition</dt><dd>{name}</dd>" in html
    assert text_of(re.search(r"<h2>(.*?)</h2>", html, re.S).group(1)) == "LAMP-3 Error"


def test_history_shows_old_to_new_by_run_or_user_newest_first_in_pages(client, channel):
    variant = add_variant(channel, "LAMP-2", price=10, status=VariantStatus.LINKED.value)
    user = user_by_email()
    run = IntegrationRun(
        account_id=channel.account_id, channel_id=channel.id, kind=RunKind.SYNC_LISTINGS.value
    )
    db.session.add(run)
    db.session.commit()
    record_change(variant, "price", variant.price, "11.00", run_id=run.id, note="cost 10.00 × 1.10")
    db.session.commit()
    set_status(variant, VariantStatus.PAUSED.value, user_id=user.id)
    db.session.commit()
    for quantity in range(3):
        record_change(variant, "quantity", quantity, quantity + 1, run_id=run.id)
        db.session.commit()

    url = f"/channels/{channel.id}/listings/{variant.listing_id}"
    first = client.get(url).get_data(as_text=True)
    older = client.get(f"{url}/variants/{variant.id}/history?page=2", headers=HX).get_data(as_text=True)

    assert "2 → 3" in first and "Page 1 of 2 · 5 changes" in first
    assert "10.00 → 11.00" not in first
    assert older.lstrip().startswith(f'<div id="history-{variant.id}"')
    assert "Linked → Paused" in older and "seller@example.com" in older
    assert "10.00 → 11.00" in older and "cost 10.00 × 1.10" in older
    assert f'href="/runs/{run.id}">Run #{run.id}</a>' in older
    full = client.get(f"{url}/variants/{variant.id}/history?page=2").get_data(as_text=True)
    assert "<html" in full and "10.00 → 11.00" in full


def test_another_accounts_channel_listing_and_variant_answer_404(client, channel):
    mine = add_variant(channel, "MINE-1")
    stranger = make_channel(other_account().id, name="Their channel")
    theirs = add_variant(stranger, "THEIR-1")
    theirs_listing, theirs_id = theirs.listing_id, theirs.id
    selection = json.dumps({"ids": [theirs_id]})

    gets = [
        f"/channels/{stranger.id}/listings/",
        f"/channels/{stranger.id}/listings/{theirs_listing}",
        f"/channels/{channel.id}/listings/{theirs_listing}",
        f"/channels/{stranger.id}/listings/{theirs_listing}/variants/{theirs_id}/history",
        f"/channels/{channel.id}/listings/{mine.listing_id}/variants/{theirs_id}/history",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/channels/{stranger.id}/listings/confirm", data={"action": "hide", "ids": str(theirs_id)}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/channels/{stranger.id}/listings/run", data={"action": "hide", "selection": selection}
        ).status_code
        == 404
    )
    assert (
        client.post("/listings/build", data={"channel_id": str(stranger.id), "all_matching": "y"}).status_code
        == 404
    )
    assert runs_of(RunKind.LISTING_ACTION) == [] and runs_of(RunKind.BUILD_LISTINGS) == []


def test_nav_opens_the_only_channels_listings_or_offers_a_choice(client, channel):
    assert client.get("/listings/").headers["Location"] == f"/channels/{channel.id}/listings/"
    assert 'href="/listings/"' in client.get("/").get_data(as_text=True)
    assert f'href="/channels/{channel.id}/listings/"' in client.get(f"/channels/{channel.id}").get_data(
        as_text=True
    )

    second = make_channel(channel.account_id, name="Amazon CA")
    html = client.get("/listings/").get_data(as_text=True)
    assert (
        f'href="/channels/{channel.id}/listings/"' in html
        and f'href="/channels/{second.id}/listings/"' in html
    )
