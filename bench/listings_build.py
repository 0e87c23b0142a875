"""Benchmark: Build listings from a source of 100,000 supplier items, through a real RQ worker.

Target: the whole run (every item, "all matching" the empty inventory filter) in at most 10 s on SQLite
and on PostgreSQL, peak memory at most 300 MB. One account with one channel and one source of ``--items``
items is bulk-inserted first (not timed): titles, descriptions, two image URLs, a UPC, EAN or GTIN (a
quarter of the items have none), an ASIN on every third. Then the run is started as the inventory page
starts it (``webapp.services.listings.start_build``) and executed by rq's SimpleWorker in this process
(so ``getrusage`` sees the job's memory); then the same run again (everything exists: nothing created);
then, as the baseline, a naive row-by-row ORM build of the same items into another channel (a SELECT,
then two ``session.add`` and flushes per item; items read and committed 2,000 at a time), with the ratio.

SQLite on a temporary file; again on PostgreSQL, in a schema of its own dropped afterwards, when
``BENCH_DATABASE_URL`` (or ``TEST_DATABASE_URL``) is set. Redis: ``REDIS_URL`` (a spare database: it is
flushed) or the embedded redis-server.

    .venv/bin/python bench/listings_build.py [--items 100000] [--no-naive]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_app import bench_app  # noqa: E402
from memory import current_rss_mb, peak_rss_mb, reset_peak  # noqa: E402
from sandbox_process import US, postgres_schema, postgres_url, redis_server  # noqa: E402

from jobs.worker import AppSimpleWorker  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Account,
    Channel,
    IntegrationRun,
    Listing,
    ListingVariant,
    Source,
    SourceItem,
    User,
    VariantStatus,
)
from webapp.services.listings import item_selection, start_build  # noqa: E402

CHUNK = 10_000
NAIVE_COMMIT_EVERY = 2000


def item_row(account_id: int, source_id: int, n: int) -> dict:
    """Supplier item ``n``: identifiers rotate UPC → EAN → GTIN → none, an ASIN on every third."""
    kind = ("upc", "ean", "gtin", "")[n % 4]
    row = {
        "account_id": account_id,
        "source_id": source_id,
        "sku": f"SUP-{n:07d}",
        "title": f"Product number {n} in a realistic length title, colour blue, size M",
        "description": f"Description of product {n}. Made of good materials; ships in 2 days.",
        "brand": f"Brand {n % 50}",
        "asin": f"B0{n:08d}" if n % 3 == 0 else "",
        "quantity": (n * 7) % 40,
        "image_urls": [f"https://img.example.com/{n}/1.jpg", f"https://img.example.com/{n}/2.jpg"],
        "condition": "new_new",
        "upc": "",
        "ean": "",
        "gtin": "",
    }
    if kind:
        row[kind] = f"{n:012d}" if kind == "upc" else f"{n:013d}" if kind == "ean" else f"{n:014d}"
    return row


def seed(items: int) -> tuple[int, int, Channel]:
    """An account with a user, a channel and a source of ``items`` items; (account id, user id, channel)."""
    account = Account(name="Bench")
    db.session.add(account)
    db.session.flush()
    user = User(account_id=account.id, email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
    source = Source(account_id=account.id, name="Bench supplier")
    channel = Channel(account_id=account.id, name="Amazon US", marketplace_id=US)
    db.session.add_all([user, source, channel])
    db.session.commit()
    for start in range(0, items, CHUNK):
        db.session.execute(
            sa.insert(SourceItem.__table__),
            [item_row(account.id, source.id, n) for n in range(start, min(items, start + CHUNK))],
        )
    db.session.commit()
    return account.id, user.id, channel


def timed_build(app, redis: Redis, account_id: int, user_id: int, channel: Channel, label: str) -> float:
    """Start Build listings for every item as the inventory page does, run it with a real RQ worker,
    print the figures; returns the seconds it took."""
    reset_peak()
    baseline = current_rss_mb()
    started = time.perf_counter()
    run_id = start_build(account_id, channel, item_selection(), user_id=user_id).run.id
    queue = Queue(app.config["RQ_QUEUE"], connection=redis)
    AppSimpleWorker([queue], connection=redis, app=app).work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    db.session.rollback()
    run = db.session.get(IntegrationRun, run_id)
    # The run's own start-to-finish; the wall time adds the start (Redis lock, enqueue) and the worker.
    print(
        f"  {label:<9} {elapsed:6.2f} s (run {run.duration_seconds:.2f} s)  status={run.status}  "
        f"counts={run.counts}  RSS before {baseline:.0f} MB, peak {peak:.0f} MB (+{peak - baseline:.0f} MB)"
    )
    return elapsed


def naive_item(channel: Channel, item: SourceItem) -> None:
    """Build one item the straightforward way: look its SKU up, then add a listing and a variant."""
    existing = db.session.scalar(
        sa.select(ListingVariant).where(
            ListingVariant.channel_id == channel.id, ListingVariant.sku == item.sku
        )
    )
    if existing is not None:
        return
    listing = Listing(
        account_id=channel.account_id,
        channel_id=channel.id,
        sku=item.sku,
        title=item.title,
        description=item.description,
        images=list(item.image_urls),
    )
    db.session.add(listing)
    db.session.flush()
    product_id, kind = next(
        ((value, name.upper()) for name in ("upc", "ean", "gtin") if (value := getattr(item, name))),
        ("", ""),
    )
    db.session.add(
        ListingVariant(
            account_id=channel.account_id,
            channel_id=channel.id,
            listing_id=listing.id,
            source_item_id=item.id,
            sku=item.sku,
            asin=item.asin,
            product_id=product_id,
            product_id_type=kind,
            title=item.title,
            images=list(item.image_urls),
            fulfillment_channel=channel.fulfillment_channel,
            condition=item.condition,
            status=VariantStatus.UNLINKED.value,
        )
    )
    db.session.flush()


def naive_build(account_id: int) -> float:
    """Row-by-row ORM build of every item into a new channel: the straightforward way, for comparison."""
    channel = Channel(account_id=account_id, name="Amazon US (naive)", marketplace_id=US)
    db.session.add(channel)
    db.session.commit()
    started = time.perf_counter()
    after = 0
    # A page of items per transaction, so that memory stays flat for the PostgreSQL run that follows.
    while items := db.session.scalars(
        sa.select(SourceItem)
        .where(SourceItem.account_id == account_id, SourceItem.id > after)
        .order_by(SourceItem.id)
        .limit(NAIVE_COMMIT_EVERY)
    ).all():
        for item in items:
            naive_item(channel, item)
        db.session.commit()
        after = items[-1].id
    return time.perf_counter() - started


def bench(database_url: str, redis_url: str, items: int, naive: bool, instance: Path) -> None:
    """Seed one database, build twice with the job, then the naive build; print the figures."""
    app = bench_app(database_url, instance, redis_url)
    redis = Redis.from_url(redis_url)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        account_id, user_id, channel = seed(items)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk insert.
            db.session.execute(sa.text("ANALYZE source_items"))
            db.session.commit()
        print(f"  {items:,} source items bulk-inserted in {time.perf_counter() - started:.1f} s (not timed)")
        elapsed = timed_build(app, redis, account_id, user_id, channel, "build")
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE listings, listing_variants"))
            db.session.commit()
        timed_build(app, redis, account_id, user_id, channel, "again")
        if naive:
            seconds = naive_build(account_id)
            print(
                f"  naive row-by-row ORM build: {seconds:.2f} s -> the job is {seconds / elapsed:.1f}x faster"
            )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--no-naive", action="store_true", help="skip the row-by-row baseline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        instance = Path(tmp)
        with redis_server(instance / "redis") as redis_url:
            Redis.from_url(redis_url).flushdb()
            print(f"SQLite ({os.cpu_count()} CPUs)")
            bench(f"sqlite:///{instance / 'bench.db'}", redis_url, args.items, not args.no_naive, instance)
            pg_url = postgres_url()
            if pg_url:
                Redis.from_url(redis_url).flushdb()
                print("PostgreSQL")
                with postgres_schema(pg_url) as scoped_url:
                    bench(scoped_url, redis_url, args.items, not args.no_naive, instance)


if __name__ == "__main__":
    main()
