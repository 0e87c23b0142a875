"""Benchmark: import a 100,000-row supplier CSV through a real RQ worker (target: <= 20 s), then a
re-upload with 1% of the rows changed.

Builds the app on a temporary SQLite file (and, when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL``
is set, again on that PostgreSQL database in a schema of its own, dropped afterwards), stores the
generated CSV as an upload exactly as the web view does, starts the import run and executes it with
rq's SimpleWorker in this process (so ``getrusage`` sees the job's memory). Redis: ``REDIS_URL`` (use
a spare db number) or the embedded redis-server. Prints, per database and pass: elapsed seconds,
rows/s, the run's counts, and peak RSS of this process.

    .venv/bin/python bench/csv_import.py [--rows 100000] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_app import bench_app  # noqa: E402
from memory import current_rss_mb, peak_rss_mb, reset_peak  # noqa: E402
from sandbox_process import postgres_schema, postgres_url, redis_server  # noqa: E402

from jobs.worker import AppSimpleWorker  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Account, IntegrationRun, Source, SourceUpload, User  # noqa: E402
from webapp.services.source_uploads import start_import, store_upload  # noqa: E402

HEADERS = ["sku", "title", "description", "brand", "upc", "cost", "msrp", "quantity", "image_urls", "weight"]
UPCS = ["036000291452", "012345678905", "042100005264", "070177154059"]


def make_csv(rows: int, changed: set[int] = frozenset()) -> bytes:
    """A supplier file of ``rows`` items; rows in ``changed`` get a different quantity and cost."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(rows):
        bump = n in changed
        writer.writerow(
            [
                f"SKU-{n:07d}",
                f"Product number {n} in a realistic length title, colour blue, size M",
                f"Description of product {n}. Made of good materials; ships in 2 days.",
                f"Brand {n % 50}",
                UPCS[n % len(UPCS)],
                f"{(n % 500) + 1 + (0.5 if bump else 0):.2f}",
                f"{(n % 500) * 2 + 9.99:.2f}",
                str((n * 7) % 40 + (1 if bump else 0)),
                f"https://img.example.com/{n}/1.jpg|https://img.example.com/{n}/2.jpg",
                f"{(n % 30) / 10 + 0.1:.3f}",
            ]
        )
    text.flush()
    return buffer.getvalue()


def timed_import(app, redis: Redis, account_id: int, source: Source, content: bytes, label: str) -> None:
    """Store ``content`` as an upload, run its import with a real RQ worker, print the figures."""
    stored = store_upload(account_id, source, f"{label}.csv", content)
    upload_id = stored.id
    db.session.expunge(stored)  # the web request that stored it has ended: the worker loads the file
    del stored, content
    reset_peak()
    baseline = current_rss_mb()
    started = time.perf_counter()
    run = start_import(db.session.get(SourceUpload, upload_id), None).run
    queue = Queue(app.config["RQ_QUEUE"], connection=redis)
    AppSimpleWorker([queue], connection=redis, app=app).work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    db.session.rollback()
    run = db.session.get(IntegrationRun, run.id)
    rows = run.progress_done
    print(
        f"  {label:<10} {elapsed:6.2f} s  {rows / elapsed:9,.0f} rows/s  status={run.status}  "
        f"counts={run.counts}  RSS before {baseline:.0f} MB, peak {peak_rss_mb():.0f} MB "
        f"(+{peak_rss_mb() - baseline:.0f} MB)"
    )


def bench(database_url: str, redis_url: str, rows: int, changed_share: float, instance: Path) -> None:
    """Both passes (first import, re-upload with changes) on one database."""
    app = bench_app(database_url, instance, redis_url)
    redis = Redis.from_url(redis_url)
    with app.app_context():
        db.create_all()
        account = Account(name="Bench")
        db.session.add(account)
        db.session.flush()
        db.session.add(
            User(account_id=account.id, email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        )
        source = Source(account_id=account.id, name="Bench supplier")
        db.session.add(source)
        db.session.commit()

        first = make_csv(rows)
        print(f"  file: {rows:,} rows, {len(first) / 1e6:.1f} MB")
        timed_import(app, redis, account.id, source, first, "import")
        del first
        changed = set(random.Random(7).sample(range(rows), int(rows * changed_share)))
        timed_import(app, redis, account.id, source, make_csv(rows, changed), "re-upload")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of rows changed in the re-upload")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        with redis_server(instance / "redis") as redis_url:
            Redis.from_url(redis_url).flushdb()
            print(f"SQLite ({os.cpu_count()} CPUs)")
            bench(f"sqlite:///{instance / 'bench.db'}", redis_url, args.rows, args.changed, instance)
            pg_url = postgres_url()
            if pg_url:
                Redis.from_url(redis_url).flushdb()
                print("PostgreSQL")
                with postgres_schema(pg_url) as scoped_url:
                    bench(scoped_url, redis_url, args.rows, args.changed, instance)


if __name__ == "__main__":
    main()
