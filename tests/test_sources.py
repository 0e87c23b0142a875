"""Sources: create, edit, delete with its items, the compliance toggle and its warnings, tenant isolation."""

from __future__ import annotations

import sqlalchemy as sa

from tests.listings_support import account_id_of, add_variant, make_channel
from tests.runs_support import work
from tests.shipments_support import make_order
from tests.sources_support import HX, add_source, csv_bytes, items_by_sku, upload
from webapp.extensions import db
from webapp.models import (
    ListingVariant,
    OrderItem,
    OrderStatus,
    Source,
    SourceItem,
    SourceUpload,
    VariantStatus,
)
from webapp.services.sources import COMPLIANCE_EXPLANATION

TOGGLE_LABEL = "Compliance with Amazon Services Business Solutions Agreement"


def test_the_compliance_toggle_is_off_by_default_and_explained(auth, client):
    auth.register()
    page = client.get("/sources/new").get_data(as_text=True)

    assert TOGGLE_LABEL in page
    assert 'name="bsa_compliant"' in page and "checked" not in page
    assert "seller of record on all packing slips, invoices and external packaging" in page
    assert "party to whom the customer may return the product" in page
    assert "cannot receive orders from Amazon channels" in COMPLIANCE_EXPLANATION

    source_id = add_source(client, "Plain Supplier")
    assert db.session.get(Source, source_id).bsa_compliant is False


def test_create_and_edit_a_source(auth, client):
    auth.register()
    source_id = add_source(client, "Acme Supply")

    response = client.post(
        f"/sources/{source_id}/edit",
        data={
            "name": "Acme Wholesale",
            "contact_email": "hello@acme.example",
            "notes": "Ships Mon-Fri",
            "bsa_compliant": "y",
        },  # fmt: skip
        headers=HX,
    )

    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/sources/{source_id}"
    source = db.session.get(Source, source_id)
    db.session.refresh(source)
    assert (source.name, source.contact_email, source.notes, source.bsa_compliant) == (
        "Acme Wholesale",
        "hello@acme.example",
        "Ships Mon-Fri",
        True,
    )
    edit_page = client.get(f"/sources/{source_id}/edit").get_data(as_text=True)
    assert "checked" in edit_page


def test_invalid_source_form_is_rerendered_with_errors(auth, client):
    auth.register()
    response = client.post("/sources/new", data={"name": "", "contact_email": "not-an-email"}, headers=HX)

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="source-form"')
    assert "This field is required." in body and "Invalid email address." in body
    assert db.session.scalar(sa.select(sa.func.count(Source.id))) == 0


def test_sources_list_and_dashboard_warn_about_each_non_compliant_source(auth, client):
    auth.register()
    risky = add_source(client, "Risky Supplies")
    other = add_source(client, "Other Risky")
    add_source(client, "Good Supplier", compliant=True)

    for url in ("/sources/", "/"):
        page = client.get(url).get_data(as_text=True)
        assert "Source <strong>Risky Supplies</strong> is not marked compliant" in page
        assert "Source <strong>Other Risky</strong> is not marked compliant" in page
        assert f'href="/sources/{risky}/edit">Review Risky Supplies</a>' in page
        assert f'href="/sources/{other}/edit">Review Other Risky</a>' in page
        assert "Source <strong>Good Supplier</strong>" not in page

    client.post(f"/sources/{risky}/edit", data={"name": "Risky Supplies", "bsa_compliant": "y"})
    client.post(f"/sources/{other}/edit", data={"name": "Other Risky", "bsa_compliant": "y"})
    assert "is not marked compliant" not in client.get("/").get_data(as_text=True)


def test_delete_asks_first_naming_the_item_count_then_removes_the_items(app, redis, auth, client):
    auth.register()
    doomed = add_source(client, "Doomed")
    kept = add_source(client, "Kept")
    upload(client, doomed, csv_bytes([["D-1", "a", "", "1", "1"], ["D-2", "b", "", "1", "1"]]))
    work(app, redis)
    upload(client, kept, csv_bytes([["K-1", "c", "", "1", "1"]]))
    work(app, redis)

    confirm = client.get(f"/sources/{doomed}/delete").get_data(as_text=True)
    assert "Delete Doomed?" in confirm and "<strong>2 items</strong>" in confirm

    response = client.post(f"/sources/{doomed}/delete", headers=HX)

    assert response.headers["HX-Redirect"] == "/sources/"
    assert "Source Doomed deleted with its 2 items." in client.get("/sources/").get_data(as_text=True)
    assert db.session.get(Source, doomed) is None
    assert set(items_by_sku()) == {"K-1"}
    assert (
        db.session.scalar(sa.select(sa.func.count(SourceUpload.id)).where(SourceUpload.source_id == doomed))
        == 0
    )


def stock_item(source_id: int, sku: str) -> SourceItem:
    """An item of the source (as an import stores it)."""
    source = db.session.get(Source, source_id)
    item = SourceItem(account_id=source.account_id, source_id=source.id, sku=sku, quantity=3)
    db.session.add(item)
    db.session.commit()
    return item


def route_to(order, source_id: int) -> None:
    """Route every item of ``order`` to the source."""
    for item in order.items:
        item.routed_source_id = source_id
    db.session.commit()


def test_delete_confirmation_counts_the_listings_and_orders_that_lose_the_source(auth, client):
    auth.register()
    doomed, kept = add_source(client, "Doomed"), add_source(client, "Kept")
    channel = make_channel(account_id_of())
    statuses = {
        "LIVE-1": VariantStatus.LINKED,
        "LIVE-2": VariantStatus.PUBLISHED,
        "OFF-1": VariantStatus.PAUSED,
    }
    for sku, status in statuses.items():
        add_variant(channel, sku, status=status.value, source_item_id=stock_item(doomed, sku).id)
    add_variant(channel, "OTHER-1", source_item_id=stock_item(kept, "OTHER-1").id)
    stock_item(doomed, "UNLISTED-1")
    route_to(make_order(channel, [("LIVE-1", 1), ("LIVE-2", 1)], status=OrderStatus.UNSHIPPED), doomed)
    route_to(make_order(channel, [("LIVE-1", 1)], status=OrderStatus.SHIPPED), doomed)
    route_to(make_order(channel, [("OTHER-1", 1)], status=OrderStatus.UNSHIPPED), kept)

    confirm = client.get(f"/sources/{doomed}/delete").get_data(as_text=True)

    assert "<strong>4 items</strong>" in confirm
    assert "<strong>3 listing variants</strong> lose their source item" in confirm
    assert "<strong>2</strong> of them are live on Amazon" in confirm
    assert "stop getting price and quantity updates" in confirm
    assert "<strong>2 orders</strong> routed to this source lose their routing" in confirm
    assert "<strong>1</strong> of them is not shipped yet and must be routed again" in confirm

    # What the page says is what happens.
    client.post(f"/sources/{doomed}/delete", headers=HX)
    db.session.rollback()
    linked = dict(db.session.execute(sa.select(ListingVariant.sku, ListingVariant.source_item_id)).all())
    assert sorted(sku for sku, item in linked.items() if item is None) == sorted(statuses)
    routed = db.session.scalars(sa.select(OrderItem.routed_source_id)).all()
    assert sorted(routed, key=lambda r: r or 0) == [None, None, None, kept]


def test_delete_confirmation_says_when_no_listing_or_order_depends_on_the_source(auth, client):
    auth.register()
    source_id = add_source(client, "Unused")

    confirm = client.get(f"/sources/{source_id}/delete").get_data(as_text=True)

    assert "No listing takes its price or quantity from this source and no order is routed to it." in confirm
    assert "lose" not in confirm


def test_delete_is_refused_while_an_import_into_the_source_runs(auth, client):
    auth.register()
    source_id = add_source(client)
    upload(client, source_id, csv_bytes([["Q-1", "a", "", "1", "1"]]))  # queued, no worker yet

    response = client.post(f"/sources/{source_id}/delete", headers=HX)

    assert response.headers["HX-Redirect"] == f"/sources/{source_id}"
    assert db.session.get(Source, source_id) is not None
    assert "An import into this source is running" in client.get(f"/sources/{source_id}").get_data(
        as_text=True
    )


def test_another_accounts_sources_uploads_and_items_are_404(app, redis, auth, client):
    auth.register(email="victim@example.com", account_name="Victim")
    source_id = add_source(client, "Victim Supply")
    upload(
        client,
        source_id,
        csv_bytes([["V-1", "x", "", "1", "1"]], headers=["sku", "title", "upc", "cost", "qty"]),
    )
    work(app, redis)
    mapping_upload = upload(client, source_id, csv_bytes([["V-2"]], headers=["Artikel"]))
    assert "/mapping" in mapping_upload.headers["HX-Redirect"]
    upload_ids = list(db.session.scalars(sa.select(SourceUpload.id).order_by(SourceUpload.id)))
    item_id = db.session.scalar(sa.select(SourceItem.id))
    auth.logout()
    auth.register(email="intruder@example.com", account_name="Intruder")
    own_source = add_source(client, "Intruder Supply")

    gets = [
        f"/sources/{source_id}",
        f"/sources/{source_id}/edit",
        f"/sources/{source_id}/delete",
        f"/sources/{source_id}/uploads/{upload_ids[1]}/mapping",
        f"/sources/{own_source}/uploads/{upload_ids[1]}/mapping",  # own source, their upload
        f"/inventory/{item_id}",
    ]
    posts = [
        (f"/sources/{source_id}/edit", {"name": "Hijacked"}),
        (f"/sources/{source_id}/delete", {}),
        (f"/sources/{source_id}/uploads/{upload_ids[1]}/mapping", {"col_0": "sku"}),
        (f"/sources/{source_id}/uploads/{upload_ids[0]}/start", {}),
        (f"/sources/{own_source}/uploads/{upload_ids[0]}/start", {}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    response = upload(client, source_id, csv_bytes([["X-1", "x", "", "1", "1"]]))
    assert response.status_code == 404

    db.session.rollback()
    assert db.session.get(Source, source_id).name == "Victim Supply"
    assert "Victim Supply" not in client.get("/sources/").get_data(as_text=True)
    assert "V-1" not in client.get("/inventory/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SourceUpload.id))) == 2


def test_imports_into_different_sources_run_side_by_side(app, redis, auth, client):
    auth.register()
    first = add_source(client, "First")
    second = add_source(client, "Second")
    upload(client, first, csv_bytes([["F-1", "a", "", "1", "1"]]))

    response = upload(client, second, csv_bytes([["S-1", "b", "", "1", "1"]]))

    assert "/runs/" in response.headers["HX-Redirect"]
    work(app, redis)
    assert set(items_by_sku()) == {"F-1", "S-1"}


def test_a_second_upload_into_a_source_being_imported_is_kept_to_start_later(app, redis, auth, client):
    auth.register()
    source_id = add_source(client, "First")
    upload(client, source_id, csv_bytes([["F-1", "a", "", "1", "1"]]))

    response = upload(client, source_id, csv_bytes([["F-2", "b", "", "1", "1"]]))

    assert response.headers["HX-Redirect"] == f"/sources/{source_id}"
    page = client.get(f"/sources/{source_id}").get_data(as_text=True)
    assert "Another import into this source is running" in page and "Start import" in page
    work(app, redis)
    waiting = db.session.scalar(
        sa.select(SourceUpload).where(SourceUpload.source_id == source_id, SourceUpload.run_id.is_(None))
    )
    started = client.post(f"/sources/{source_id}/uploads/{waiting.id}/start", headers=HX)
    assert "/runs/" in started.headers["HX-Redirect"]
    work(app, redis)
    assert set(items_by_sku()) == {"F-1", "F-2"}


def test_source_page_lists_its_imports_with_their_runs(app, redis, auth, client):
    auth.register()
    source_id = add_source(client)
    upload(client, source_id, csv_bytes([["S-1", "x", "", "1", "3"]]), filename="april.csv")
    work(app, redis)

    page = client.get(f"/sources/{source_id}").get_data(as_text=True)

    assert "april.csv" in page and "status-succeeded" in page and "File deleted" in page
    assert "created: 1" in page
    assert f'href="/inventory/?source={source_id}">1 item</a>' in page
