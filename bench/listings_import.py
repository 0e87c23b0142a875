"""Benchmark: Import listings from a 100,000-row All Listings report.

Target (issue 6 §9): parse + upsert of the downloaded document in at most 10 s, peak memory at most
300 MB, excluding Amazon's report-generation wait. The document is generated here in Amazon's shape
(29-column header, ~20% FBA with blank quantity, ~1% suspect rows, ~5% inactive) and fed, as a stream of
lines, to the job's own importer (``jobs.import_listings.Importer``, what the RQ job runs after the
download). Then the same import again (everything unchanged), and a naive row-by-row ORM import of the
same document into another channel (a SELECT, then two ``session.add`` and a flush per row; a commit
per 2,000 rows), with the ratio.

SQLite on a temporary file; again on PostgreSQL, in a schema of its own, when ``BENCH_DATABASE_URL`` is
set.

    .venv/bin/python bench/listings_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_app import bench_app  # noqa: E402
from memory import current_rss_mb, peak_rss_mb, reset_peak  # noqa: E402
from sandbox_process import postgres_schema  # noqa: E402

from jobs.import_listings import Importer, suspect_reason  # noqa: E402
from jobs.runner import RunContext  # noqa: E402
from sandbox.listings_report import HEADER_29  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Account,
    Channel,
    IntegrationRun,
    Listing,
    ListingVariant,
    RunKind,
    RunStatus,
    VariantStatus,
)
from webapp.services.listings_report import read_rows  # noqa: E402

US = "ATVPDKIKX0DER"


def write_report(path: Path, rows: int) -> None:
    """A GET_MERCHANT_LISTINGS_ALL_DATA document of ``rows`` offers, as Amazon writes it (UTF-8)."""
    rng = random.Random(6)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(HEADER_29) + "\n")
        for index in range(rows):
            fba = rng.random() < 0.2
            roll = rng.random()
            price = "" if roll < 0.005 else f"{rng.uniform(4, 250):.2f}"
            quantity = "999999999" if 0.005 <= roll < 0.01 else str(rng.randint(0, 500))
            status = "Inactive" if rng.random() < 0.05 else "Active"
            asin = f"B0{index:08d}"
            values = {
                "item-name": f"Bench product {index} – blue, size {index % 13}",
                "item-description": "A product of the benchmark. " * 3,
                "listing-id": f"0101{index:07X}",
                "seller-sku": f"BENCH-{index:06d}",
                "price": price,
                "quantity": "" if fba else quantity,
                "open-date": "2024-01-07 07:35:42 PST",
                "image-url": f"https://m.media-amazon.com/images/I/{asin}.jpg",
                "item-is-marketplace": "y",
                "product-id-type": "1",
                "item-condition": "11",
                "asin1": asin,
                "product-id": asin,
                "pending-quantity": "" if fba else "0",
                "fulfillment-channel": "AMAZON_NA" if fba else "DEFAULT",
                "merchant-shipping-group": "" if fba else "Migrated Template",
                "status": status,
            }
            out.write("\t".join(values.get(name, "") for name in HEADER_29) + "\n")


def lines(path: Path) -> Iterator[str]:
    """The document's lines, streamed from disk as the download streams them."""
    with path.open(encoding="utf-8", newline="") as document:
        for line in document:
            yield line.rstrip("\r\n")


def new_channel(account: Account, name: str) -> Channel:
    """A channel of ``account`` (no connection needed: the document is already downloaded)."""
    channel = Channel(account_id=account.id, name=name, marketplace_id=US)
    db.session.add(channel)
    db.session.commit()
    return channel


def new_context(channel: Channel) -> RunContext:
    """A running Import listings run on ``channel`` and its context, as the runner would make them."""
    run = IntegrationRun(
        account_id=channel.account_id,
        channel_id=channel.id,
        kind=RunKind.IMPORT_LISTINGS.value,
        status=RunStatus.RUNNING.value,
        params={},
        counts={},
    )
    db.session.add(run)
    db.session.commit()
    return RunContext(run)


def timed_import(channel: Channel, document: Path) -> tuple[float, float, dict]:
    """(seconds, peak RSS MB, counts) of the job's importer on ``document``."""
    ctx = new_context(channel)
    reset_peak()
    started = time.perf_counter()
    Importer(ctx, channel).import_lines(lines(document))
    elapsed = time.perf_counter() - started
    return elapsed, peak_rss_mb(), dict(ctx.counts)


def naive_import(channel: Channel, document: Path) -> float:
    """Row-by-row ORM import of the same sound rows: the straightforward way, for comparison."""
    started = time.perf_counter()
    for number, row in enumerate(read_rows(lines(document)), start=1):
        if suspect_reason(row):
            continue
        existing = db.session.scalar(
            sa.select(ListingVariant).where(
                ListingVariant.channel_id == channel.id, ListingVariant.sku == row.sku
            )
        )
        if existing is None:
            listing = Listing(
                account_id=channel.account_id,
                channel_id=channel.id,
                sku=row.sku,
                title=row.title,
                description=row.description,
                images=[row.image_url],
                external_listing_id=row.listing_id,
            )
            db.session.add(listing)
            db.session.flush()
            db.session.add(
                ListingVariant(
                    account_id=channel.account_id,
                    channel_id=channel.id,
                    listing_id=listing.id,
                    sku=row.sku,
                    asin=row.asin,
                    title=row.title,
                    images=[row.image_url],
                    price=row.price,
                    quantity=row.quantity,
                    fulfillment_channel=row.fulfillment_channel,
                    status=VariantStatus.LINKED.value,
                    external_listing_id=row.listing_id,
                    pushed_price=row.price,
                    pushed_quantity=row.quantity,
                )
            )
            db.session.flush()
        if number % 2000 == 0:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - started


def bench(database_url: str, document: Path, rows: int, instance: Path) -> None:
    """Import into a fresh channel, import again, then the naive import into another; print figures."""
    app = bench_app(database_url, instance)
    with app.app_context():
        db.create_all()
        account = Account(name="Bench")
        db.session.add(account)
        db.session.commit()
        channel = new_channel(account, "Amazon US")
        baseline = current_rss_mb()
        elapsed, peak, counts = timed_import(channel, document)
        print(
            f"  import of {rows:,} rows (target <= 10 s, <= 300 MB): {elapsed:.2f} s, "
            f"peak RSS {peak:.0f} MB (+{peak - baseline:.0f} MB over {baseline:.0f} MB before)\n"
            f"    {counts['variants_created']:,} created, {counts['skipped_suspect']:,} suspect rows skipped"
        )
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk insert.
            db.session.execute(sa.text("ANALYZE listings, listing_variants"))
            db.session.commit()
        again, peak_again, counts = timed_import(channel, document)
        print(
            f"  same import again: {again:.2f} s, {counts['unchanged']:,} unchanged, peak {peak_again:.0f} MB"
        )
        naive = naive_import(new_channel(account, "Amazon US (naive)"), document)
        print(
            f"  naive row-by-row ORM import: {naive:.2f} s -> "
            f"the job's import is {naive / elapsed:.1f}x faster"
        )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Generate the document, then benchmark SQLite (and PostgreSQL when configured)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        instance = Path(tmp)
        document = instance / "report.tsv"
        started = time.perf_counter()
        write_report(document, args.rows)
        size = document.stat().st_size / 1e6
        print(
            f"report: {args.rows:,} rows, {size:.0f} MB, generated in {time.perf_counter() - started:.1f} s"
        )
        print("SQLite:")
        bench(f"sqlite:///{instance / 'bench.db'}", document, args.rows, instance)
        url = os.environ.get("BENCH_DATABASE_URL")
        if url:
            print("PostgreSQL:")
            with postgres_schema(url) as scoped_url:
                bench(scoped_url, document, args.rows, instance)


if __name__ == "__main__":
    main()
