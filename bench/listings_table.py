"""Benchmark: the listings table partial on a 100,000-variant channel (target p95 ≤ 50 ms server time).

Bulk-inserts 100,000 linked variants with their source items (``listings_sync.populate``), registers
a user of the same account, then requests the table partial (``HX-Request``) through the app's test
client with a mix of search, filters, sorts and deep pages, and prints p50/p95/max per kind and
overall. The test client runs the whole Flask stack in this process, so the times are server time.
SQLite by default; ``BENCH_DATABASE_URL`` adds a PostgreSQL run (in a schema of its own, vacuumed and
analyzed as autovacuum would after the bulk insert).

    .venv/bin/python bench/listings_table.py [--variants 100000] [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from listings_sync import populate  # noqa: E402
from sandbox_process import postgres_schema, redis_server  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Account, Channel, User  # noqa: E402

QUERIES = {
    "first page": "",
    "search sku": "q=BENCH-0049",
    "search title": "q=item%20bench-0123",
    "search, no match": "q=no-such-sku",
    "filter status": "status=linked&fulfillment=fbm",
    "has error": "has_error=1",
    "sort price desc": "sort=price&direction=desc",
    "deep page": "page=2000",
    "filter + sort + page": "status=linked&fulfillment=fbm&sort=quantity&direction=desc&page=40",
}


def build(database_url: str, redis_url: str, variants: int) -> tuple:
    """An app with one account, channel and ``variants`` linked variants; returns (app, channel id)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        db.create_all()
        account = Account(name="Bench")
        user = User(account=account, email="bench@example.com")
        user.set_password("correct horse battery")
        db.session.add_all([account, user])
        db.session.flush()
        channel = Channel(account_id=account.id, name="Amazon US", marketplace_id="ATVPDKIKX0DER")
        db.session.add(channel)
        db.session.commit()
        offers = [(f"BENCH-{n:06d}", "DEFAULT" if n % 5 else "AMAZON_NA") for n in range(variants)]
        populate(channel, offers)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk insert (PostgreSQL 13+ vacuums on inserts too): besides
            # the statistics, it moves the GIN pending list into the trigram index proper.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        return app, channel.id


def measure(app, channel_id: int, requests: int) -> dict[str, list[float]]:
    """Milliseconds per request, by query kind."""
    client = app.test_client()
    client.post("/auth/login", data={"email": "bench@example.com", "password": "correct horse battery"})
    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    url = f"/channels/{channel_id}/listings/"
    for name, query in QUERIES.items():
        client.get(f"{url}?{query}", headers={"HX-Request": "true"})  # warm caches and plans
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(f"{url}?{query}", headers={"HX-Request": "true"})
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
    return timings


def report(label: str, timings: dict[str, list[float]]) -> None:
    """Print p50/p95/max per kind and overall."""

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[18]

    print(f"\n{label}")
    for name, values in timings.items():
        median, high = statistics.median(values), p95(values)
        print(f"  {name:<22} p50 {median:6.1f} ms  p95 {high:6.1f} ms  max {max(values):6.1f}")
    everything = [v for values in timings.values() for v in values]
    print(f"  {'all':<22} p50 {statistics.median(everything):6.1f} ms  p95 {p95(everything):6.1f} ms")


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when BENCH_DATABASE_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per query kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp) / "redis") as redis_url:
        started = time.perf_counter()
        app, channel_id = build(f"sqlite:///{tmp}/bench.db", redis_url, args.variants)
        print(f"SQLite: {args.variants} variants inserted in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            report("SQLite", measure(app, channel_id, args.requests))
        postgres = os.environ.get("BENCH_DATABASE_URL")
        if postgres:
            with postgres_schema(postgres) as scoped_url:
                app, channel_id = build(scoped_url, redis_url, args.variants)
                with app.app_context():
                    report("PostgreSQL", measure(app, channel_id, args.requests))
                    db.engine.dispose()


if __name__ == "__main__":
    main()
