"""The listings table's search: substrings of SKU and title in any case, the exact ASIN, kept current
through edits, on the trigram index of each database (FTS5 on SQLite, pg_trgm on PostgreSQL) and the
same answers without it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.listings_support import account_id_of, add_variant, make_channel
from webapp.extensions import db
from webapp.models import ListingVariant
from webapp.models.listing_search import (
    SEARCH_TABLE,
    TRIGGERS,
    TRIGRAM_INDEX,
    search_ddl,
    search_index_ready,
)
from webapp.services.listing_selection import VariantFilters, filtered_variants, selected_variant_ids

HX = {"HX-Request": "true"}


@pytest.fixture
def channel(auth, client):
    """A signed-in seller's channel with a few variants."""
    auth.register()
    channel = make_channel(account_id_of())
    add_variant(channel, "MUG-RED-01", title="Red Ceramic Mug, 12 oz", asin="B000MUGRED")
    add_variant(channel, "PLATE-DIN-7", title="Dinner plate (stoneware)", asin="B00PLATE07")
    add_variant(channel, "BOWL_50%", title='Soup bowl "large"', asin="B00BOWL050")
    return channel


def found(client, channel, term: str) -> list[str]:
    """SKUs the table shows for ``q=term``, in order."""
    response = client.get(f"/channels/{channel.id}/listings/", query_string={"q": term}, headers=HX)
    assert response.status_code == 200
    return re.findall(r'#variant-\d+">([^<]+)</a></td>', response.get_data(as_text=True))


def test_search_finds_substrings_of_sku_and_title_in_any_case(client, channel):
    assert found(client, channel, "red-0") == ["MUG-RED-01"]
    assert found(client, channel, "-din-") == ["PLATE-DIN-7"]
    assert found(client, channel, "CERAMIC") == ["MUG-RED-01"]
    assert found(client, channel, "plate (stone") == ["PLATE-DIN-7"]
    assert found(client, channel, "  12 oz ") == ["MUG-RED-01"]
    assert found(client, channel, "teapot") == []


def test_search_finds_the_exact_asin(client, channel):
    assert found(client, channel, "b00plate07") == ["PLATE-DIN-7"]
    assert found(client, channel, "B00PLATE") == []


def test_short_terms_still_match_substrings(client, channel):
    assert found(client, channel, "n-") == ["PLATE-DIN-7"]
    assert found(client, channel, "O") == ["BOWL_50%", "MUG-RED-01", "PLATE-DIN-7"]


def test_wildcards_and_quotes_in_a_term_are_literal(client, channel):
    assert found(client, channel, "_50%") == ["BOWL_50%"]
    assert found(client, channel, "L_5") == ["BOWL_50%"]
    assert found(client, channel, "b_w") == []
    assert found(client, channel, '"large"') == ["BOWL_50%"]
    assert found(client, channel, '"') == ["BOWL_50%"]


def test_edits_are_reflected_in_the_search(client, channel):
    mug = db.session.scalar(sa.select(ListingVariant).where(ListingVariant.sku == "MUG-RED-01"))
    mug.title = "Blue enamel mug"
    db.session.commit()
    assert found(client, channel, "ceramic") == []
    assert found(client, channel, "enamel") == ["MUG-RED-01"]

    mug.sku = "MUG-BLUE-01"
    db.session.commit()
    assert found(client, channel, "red-01") == []
    assert found(client, channel, "blue-01") == ["MUG-BLUE-01"]

    add_variant(channel, "TEAPOT-3", title="Cast iron teapot")
    assert found(client, channel, "iron tea") == ["TEAPOT-3"]

    db.session.execute(sa.delete(ListingVariant).where(ListingVariant.sku == "PLATE-DIN-7"))
    db.session.commit()
    assert found(client, channel, "plate") == []

    # A set-based update (what bulk jobs do) is indexed the same way.
    db.session.execute(
        sa.update(ListingVariant).where(ListingVariant.sku == "TEAPOT-3").values(title="Glass teapot")
    )
    db.session.commit()
    assert found(client, channel, "iron") == []
    assert found(client, channel, "glass") == ["TEAPOT-3"]


def test_price_status_and_unchanged_title_updates_leave_the_search_alone(client, channel):
    db.session.execute(sa.update(ListingVariant).values(status="paused", price=5))
    db.session.execute(sa.update(ListingVariant).values(title=ListingVariant.title, sku=ListingVariant.sku))
    db.session.commit()
    assert found(client, channel, "ceramic") == ["MUG-RED-01"]
    assert found(client, channel, "plate") == ["PLATE-DIN-7"]


def test_search_stays_inside_the_channel(client, channel):
    other = make_channel(channel.account_id, name="Amazon CA")
    add_variant(other, "MUG-RED-CA", title="Red Ceramic Mug, CA", asin="B000MUGRED")

    assert found(client, channel, "ceramic") == ["MUG-RED-01"]
    assert found(client, channel, "B000MUGRED") == ["MUG-RED-01"]
    assert found(client, other, "ceramic") == ["MUG-RED-CA"]


def test_a_bulk_selection_by_search_resolves_to_the_same_variants(channel):
    selection = {"filter": {"q": "plate"}}
    ids = db.session.scalars(selected_variant_ids(channel.account_id, channel.id, selection)).all()
    sku = db.session.scalar(sa.select(ListingVariant.sku).where(ListingVariant.id.in_(ids)))

    assert len(ids) == 1 and sku == "PLATE-DIN-7"


def test_the_search_uses_the_databases_trigram_index(app, channel):
    listing_id = db.session.scalar(sa.select(ListingVariant.listing_id).limit(1))
    filler = [
        {
            "account_id": channel.account_id,
            "channel_id": channel.id,
            "listing_id": listing_id,
            "sku": f"FILLER-{n:05d}",
            "title": f"Filler item {n}",
        }
        for n in range(3000)
    ]
    db.session.execute(sa.insert(ListingVariant), filler)
    db.session.commit()
    query = filtered_variants(channel.account_id, channel.id, VariantFilters(q="ceramic"))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        assert search_index_ready(connection)
        plan = " ".join(r[-1] for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        assert f"SCAN {SEARCH_TABLE} VIRTUAL TABLE" in plan
    else:
        # GIN keeps new entries in a pending list until autovacuum merges them; merge now so the
        # planner sees the index as it will be in steady state.
        connection.execute(
            sa.text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": TRIGRAM_INDEX}
        )
        connection.exec_driver_sql("ANALYZE listing_variants")
        plan = " ".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
        assert TRIGRAM_INDEX in plan
    assert [v.sku for v in db.session.scalars(query)] == ["MUG-RED-01"]


def test_without_the_index_the_search_gives_the_same_answers(client, channel):
    terms = ("red-0", "ceramic", "b00plate07", "_50%")
    with_index = [found(client, channel, t) for t in terms]
    sqlite = db.session.connection().dialect.name == "sqlite"
    db.session.execute(sa.text(f"DROP TRIGGER {TRIGGERS[0]}" if sqlite else f"DROP INDEX {TRIGRAM_INDEX}"))
    db.session.commit()
    try:
        if sqlite:
            assert not search_index_ready(db.session.connection())

        assert [found(client, channel, t) for t in terms] == with_index
    finally:
        if not sqlite:
            # PostgreSQL test tables outlive the test: put the index back for the next ones.
            search_ddl(db.session.connection())
            db.session.commit()
