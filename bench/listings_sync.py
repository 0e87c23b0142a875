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
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import sqlalchemy as sa
from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from memory import current_rss_mb, peak_rss_mb, reset_peak  # noqa: E402

from jobs.worker import AppSimpleWorker  # noqa: E402
from sandbox.config import DEFAULTS as SANDBOX_DEFAULTS  # noqa: E402
from sandbox.seed import DEMO_SELLER_ID  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.amazon.transport import recording  # noqa: E402
from webapp.embedded_redis import start as start_embedded_redis  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Account,
    Channel,
    Connection,
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

US = "ATVPDKIKX0DER"
TIME_SCALE = 60
CHUNK = 10_000


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(instance: Path, listings: int) -> tuple[subprocess.Popen, str, Path]:
    """Seed and serve a sandbox in its own process; returns (process, URL, database path)."""
    database = instance / "sandbox.db"
    env = {**os.environ, "SANDBOX_DB": str(database), "SANDBOX_TIME_SCALE": str(TIME_SCALE)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sandbox", "seed", "--listings", str(listings), "--orders", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  sandbox seeded with {listings:,} offers in {time.perf_counter() - started:.1f} s")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/_sandbox/health").raise_for_status()
            return process, url, database
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def authorize(url: str) -> str:
    """The demo seller's refresh token, through the sandbox's consent page and LWA."""
    response = httpx.post(
        f"{url}/apps/authorize/consent",
        data={
            "application_id": SANDBOX_DEFAULTS["SANDBOX_APP_ID"],
            "state": "bench",
            "seller_id": DEMO_SELLER_ID,
            "action": "authorize",
        },
    )
    code = parse_qs(urlparse(response.headers["location"]).query)["spapi_oauth_code"][0]
    token = httpx.post(
        f"{url}/auth/o2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_ID"],
            "client_secret": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_SECRET"],
        },
    )
    token.raise_for_status()
    return token.json()["refresh_token"]


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
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench",
            "DATA_ENCRYPTION_KEYS": "ZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWQ=",
            "INSTANCE_DIR": str(instance),
            "LOG_LEVEL": "WARNING",
            "AMAZON_APP_ID": SANDBOX_DEFAULTS["SANDBOX_APP_ID"],
            "AMAZON_LWA_CLIENT_ID": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_ID"],
            "AMAZON_LWA_CLIENT_SECRET": SANDBOX_DEFAULTS["SANDBOX_LWA_CLIENT_SECRET"],
            "AMAZON_SPAPI_URL": sandbox_url,
            "AMAZON_LWA_URL": f"{sandbox_url}/auth/o2/token",
            "AMAZON_RATE_TIME_SCALE": TIME_SCALE,
        }
    )
    redis = Redis.from_url(redis_url)
    with app.app_context():
        db.create_all()
        account = Account(name="Bench")
        db.session.add(account)
        db.session.flush()
        connection = Connection(
            account_id=account.id,
            name="Demo seller",
            selling_partner_id=DEMO_SELLER_ID,
            marketplace_id=US,
            region="na",
            refresh_token=authorize(sandbox_url),
        )
        db.session.add(connection)
        db.session.flush()
        channel = Channel(
            account_id=account.id, connection_id=connection.id, name="Amazon US", marketplace_id=US
        )
        db.session.add(channel)
        db.session.commit()

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
            found = sum(len(c) for c, _, _ in iter_diff(db.session, account.id, channel.id, None, template))
            timings.append(f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU)")
            db.session.rollback()
        print(f"  diff of {len(offers):,} variants, {found:,} changed (target <= 2 s): " + ", ".join(timings))

        since = httpx.get(f"{sandbox_url}/_sandbox/clock").json()["amazonTimestamp"]
        reset_peak()
        baseline = current_rss_mb()
        started = time.perf_counter()
        run_id = start_run(account.id, RunKind.SYNC_LISTINGS, channel_id=channel.id, params={}).run.id
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


def bench_postgres(url: str, *args) -> None:
    """The benchmark in a throwaway schema of ``url``."""
    schema = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        bench(scoped.render_as_string(hide_password=False), *args)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of source costs changed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        redis_url = os.environ.get("REDIS_URL")
        redis_process = None
        if not redis_url:
            redis_process, redis_url = start_embedded_redis(instance / "redis")
        sandbox_process, sandbox_url, sandbox_db = start_sandbox(instance, args.variants)
        try:
            offers = sandbox_offers(sandbox_db)
            Redis.from_url(redis_url).flushdb()
            print(f"SQLite ({os.cpu_count()} CPUs)")
            bench(
                f"sqlite:///{instance / 'bench.db'}", redis_url, sandbox_url, offers, args.changed, instance
            )
            pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
            if pg_url:
                Redis.from_url(redis_url).flushdb()
                print("PostgreSQL")
                bench_postgres(pg_url, redis_url, sandbox_url, offers, args.changed, instance)
        finally:
            sandbox_process.terminate()
            sandbox_process.wait(10)
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(10)


if __name__ == "__main__":
    main()
