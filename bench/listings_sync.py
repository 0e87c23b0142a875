"""Benchmark: Sync listings on a 100,000-variant channel where 1% of the source costs changed.

Targets (issue 5 §9): the diff is computed in at most 2 s, and the changes go to Amazon as one
JSON_LISTINGS_FEED instead of 1,000 patchListingsItem calls, with the job's memory bounded.

Steps: seed a sandbox database with the demo seller's 100,000 US offers and serve it in its own process
(rate limits on, clock ×60 so the feed's 2.5 Amazon minutes take 2.5 s); build the app on a temporary
SQLite file (and, when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` is set, again on that PostgreSQL
database in a schema of its own, analyzed after the bulk insert as autovacuum would); bulk-insert
100,000 linked variants with their source items, each in sync (pushed values = what the Sync template
computes); raise the cost of 1% of the items; time the diff (``webapp.services.listing_sync.iter_diff``,
what the job runs); then run the real job with rq's SimpleWorker in this process and print the Amazon
calls the sandbox logged and the peak RSS.

    .venv/bin/python bench/listings_sync.py [--variants 100000] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa
from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_app import bench_app  # noqa: E402
from memory import current_rss_mb, peak_rss_mb, reset_peak  # noqa: E402
from sandbox_process import (  # noqa: E402
    US,
    amazon_settings,
    connect_demo_seller,
    postgres_schema,
    postgres_url,
    redis_server,
    run_sandbox,
    serve_sandbox,
)

from jobs.worker import AppSimpleWorker  # noqa: E402
from sandbox.seed import DEMO_SELLER_ID  # noqa: E402
from webapp.amazon.transport import recording  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Channel,
    IntegrationRun,
    Listing,
    ListingVariant,
    RunKind,
    Source,
    SourceItem,
    TemplatePurpose,
)
from webapp.services.listing_sync import iter_diff  # noqa: E402
from webapp.services.mapping_engine import load_template, row_fields  # noqa: E402
from webapp.services.runs import start_run  # noqa: E402

TIME_SCALE = 60
CHUNK = 10_000


def seed_sandbox(instance: Path, listings: int) -> tuple[dict[str, str], Path]:
    """Seed a sandbox database with ``listings`` offers; returns (the sandbox's environment, its path)."""
    database = instance / "sandbox.db"
    env = {**os.environ, "SANDBOX_DB": str(database), "SANDBOX_TIME_SCALE": str(TIME_SCALE)}
    started = time.perf_counter()
    run_sandbox(env, "seed", "--listings", str(listings), "--orders", "0")
    print(f"  sandbox seeded with {listings:,} offers in {time.perf_counter() - started:.1f} s")
    return env, database


def sandbox_offers(database: Path) -> list[tuple[str, str]]:
    """(SKU, fulfillment channel) of the demo seller's US offers, read from the sandbox's database."""
    with sqlite3.connect(database) as conn:
        return conn.execute(
            "SELECT sku, fulfillment_channel FROM listings WHERE seller_id = ? AND marketplace_id = ? "
            "ORDER BY sku",
            (DEMO_SELLER_ID, US),
        ).fetchall()


def populate(channel: Channel, offers: list[tuple[str, str]]) -> None:
    """Bulk-insert a source item, a listing and a linked, in-sync variant per offer."""
    rng = random.Random(5)
    source = Source(account_id=channel.account_id, name="Bench supplier")
    db.session.add(source)
    db.session.commit()
    template = load_template(channel.id, TemplatePurpose.SYNC)
    items, listings, variants = SourceItem.__table__, Listing.__table__, ListingVariant.__table__
    for start in range(0, len(offers), CHUNK):
        chunk = offers[start : start + CHUNK]
        item_rows, listing_rows = [], []
        for sku, _ in chunk:
            cost = Decimal(rng.randint(400, 9000)) / 100
            quantity = rng.randint(0, 200)
            item_rows.append(
                {
                    "account_id": channel.account_id,
                    "source_id": source.id,
                    "sku": sku,
                    "cost": cost,
                    "quantity": quantity,
                    "title": f"Item {sku}",
                }
            )
            listing_rows.append({"account_id": channel.account_id, "channel_id": channel.id, "sku": sku})
        db.session.execute(sa.insert(items), item_rows)
        db.session.execute(sa.insert(listings), listing_rows)
        item_ids = dict(
            db.session.execute(
                sa.select(items.c.sku, items.c.id).where(items.c.sku.in_([s for s, _ in chunk]))
            ).all()
        )
        listing_ids = dict(
            db.session.execute(
                sa.select(listings.c.sku, listings.c.id).where(listings.c.sku.in_([s for s, _ in chunk]))
            ).all()
        )
        variant_rows = []
        for (sku, fulfillment), item in zip(chunk, item_rows, strict=True):
            offer = template.offer(row_fields({}, item), fulfillment)
            variant_rows.append(
                {
                    "account_id": channel.account_id,
                    "channel_id": channel.id,
                    "listing_id": listing_ids[sku],
                    "source_item_id": item_ids[sku],
                    "sku": sku,
                    "title": item["title"],
                    "status": "linked",
                    "fulfillment_channel": fulfillment,
                    "pushed_price": offer.price,
                    "pushed_quantity": None if fulfillment != "DEFAULT" else offer.quantity,
                }
            )
        db.session.execute(sa.insert(variants), variant_rows)
        db.session.commit()


def bench(
    database_url: str, redis_url: str, sandbox_url: str, offers: list, share: float, instance: Path
) -> None:
    """Populate one database, change 1% of the costs, time the diff, run the job."""
    app = bench_app(database_url, instance, redis_url, **amazon_settings(sandbox_url, TIME_SCALE))
    redis = Redis.from_url(redis_url)
    with app.app_context():
        db.create_all()
        channel = connect_demo_seller(sandbox_url)
        db.session.commit()
        account_id = channel.account_id

        started = time.perf_counter()
        populate(channel, offers)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk insert; without statistics the planner sorts each page.
            db.session.execute(sa.text("ANALYZE listing_variants, source_items"))
            db.session.commit()
        print(f"  {len(offers):,} variants bulk-inserted in {time.perf_counter() - started:.1f} s")
        items = SourceItem.__table__
        ids = db.session.scalars(sa.select(items.c.id).order_by(items.c.id)).all()
        changed = random.Random(7).sample(ids, int(len(ids) * share))
        db.session.execute(
            sa.update(items).where(items.c.id.in_(changed)).values(cost=items.c.cost + Decimal("1.37"))
        )
        db.session.commit()

        template = load_template(channel.id, TemplatePurpose.SYNC)
        timings = []
        for _ in range(3):  # the first pass also warms SQLite's page cache / PostgreSQL's buffers
            started, cpu = time.perf_counter(), time.process_time()
            found = sum(len(c) for c, _, _ in iter_diff(db.session, account_id, channel.id, None, template))
            timings.append(f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU)")
            db.session.rollback()
        print(f"  diff of {len(offers):,} variants, {found:,} changed (target <= 2 s): " + ", ".join(timings))

        since = httpx.get(f"{sandbox_url}/_sandbox/clock").json()["amazonTimestamp"]
        reset_peak()
        baseline = current_rss_mb()
        started = time.perf_counter()
        run_id = start_run(account_id, RunKind.SYNC_LISTINGS, channel_id=channel.id, params={}).run.id
        queue = Queue(app.config["RQ_QUEUE"], connection=redis)
        with recording() as exchanges:
            AppSimpleWorker([queue], connection=redis, app=app).work(burst=True, logging_level="WARNING")
        elapsed = time.perf_counter() - started
        peak = peak_rss_mb()
        uploads = sum(1 for e in exchanges if e.method == "PUT" and "/documents/" in e.url)
        downloads = sum(
            1 for e in exchanges if e.method == "GET" and "/documents/" in e.url and "X-Amz" in e.url
        )
        db.session.rollback()
        run = db.session.get(IntegrationRun, run_id)
        calls = httpx.get(f"{sandbox_url}/_sandbox/calls", params={"since": since, "limit": 1}).json()[
            "counts"
        ]
        print(
            f"  sync job: {elapsed:.1f} s, status={run.status}, counts={run.counts}\n"
            f"  Amazon calls: {calls}\n"
            f"  document transfers: {uploads} feed upload(s), {downloads} download(s); "
            f"{len(exchanges)} HTTP exchanges with Amazon in all\n"
            f"  RSS before {baseline:.0f} MB, peak {peak:.0f} MB (+{peak - baseline:.0f} MB)"
        )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of source costs changed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp) / "redis") as redis_url:
        instance = Path(tmp)
        sandbox_env, sandbox_db = seed_sandbox(instance, args.variants)
        with serve_sandbox(sandbox_env) as sandbox_url:
            offers = sandbox_offers(sandbox_db)
            Redis.from_url(redis_url).flushdb()
            print(f"SQLite ({os.cpu_count()} CPUs)")
            sqlite_url = f"sqlite:///{instance / 'bench.db'}"
            bench(sqlite_url, redis_url, sandbox_url, offers, args.changed, instance)
            pg_url = postgres_url()
            if pg_url:
                Redis.from_url(redis_url).flushdb()
                print("PostgreSQL")
                with postgres_schema(pg_url) as scoped_url:
                    bench(scoped_url, redis_url, sandbox_url, offers, args.changed, instance)


if __name__ == "__main__":
    main()
