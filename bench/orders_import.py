"""Benchmark: Get Orders importing 2,000 orders with Amazon's rate limits on (target: at most 10% over the
minimum those limits allow, no run failing on a throttle).

Steps: seed a sandbox database (demo listings, no orders), bulk-place the orders on Amazon's side
(``python -m sandbox place-orders``: Unshipped merchant orders created over the last day) and serve it
in its own process with rate limits on and the clock ×``--scale``; build the app on a temporary SQLite
file (and, when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` is set, again on that PostgreSQL database
in a schema of its own); connect the demo seller, add the default shipping mappings, start one Get
Orders run and work it with the production worker (``python -m jobs.worker --burst``, a forked work
horse), as in production.

Each database gets ``--repeat`` pairs of runs, alternated (the machine is shared, so load hits both
alike), every run on fresh tables and a fresh sandbox:

- *unthrottled*: the sandbox's rate limits off and ours scaled up 10⁶×, so no call ever waits;
- *rate-limited*: Amazon's searchOrders limit (0.0056 calls/s, burst 20, NOTES §4) at ``--scale`` on
  both sides, as in the tests. The worker logs at DEBUG, so the adapter's lines give the seconds spent
  waiting for rate-limit tokens and pausing before retries.

The minimum the limits allow is computed per run, from that limit exactly as the sandbox enforces it (a
bucket of ``burst`` tokens, full at the first call, refilling at ``rate × scale`` per real second), the
pages the sandbox served (``ceil(orders / 100)``), and the run's own work per page ``w`` (its time minus
its waits and retry pauses, over its pages): ``t = 0; for page i: t = max(t, (i - burst) / (rate ×
scale)) + w``. A run's time is its ``started_at`` → ``finished_at`` (worker start-up is printed apart).
The default scale, ×10, is low enough that a needless wait for a token shows (at ×60 the refill during
20 pages of work hides it); ``--scale 1`` is Amazon's real speed.

    .venv/bin/python bench/orders_import.py [--orders 2000] [--scale 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_app import KEYS  # noqa: E402
from sandbox_process import (  # noqa: E402
    amazon_settings,
    connect_demo_seller,
    postgres_schema,
    postgres_url,
    redis_server,
    run_sandbox,
    serve_sandbox,
)

from sandbox.ratelimit import RATE_LIMITS as SANDBOX_LIMITS  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import IntegrationRun, Order, RunKind  # noqa: E402
from webapp.services.runs import start_run  # noqa: E402
from webapp.services.shipping_mappings import add_defaults  # noqa: E402

PAGE_SIZE = 100  # jobs.get_orders.PAGE_SIZE: searchOrders' maximum
RATE, BURST = SANDBOX_LIMITS[("orders_2026-01-01", "searchOrders")]
UNTHROTTLED_SCALE = 1_000_000
# The adapter's log lines (webapp.amazon._spapi.call) for a rate-limit wait and for a retry's pause.
WAITED = re.compile(r"searchOrders waited ([\d.]+) s for a rate-limit token")
RETRIED = re.compile(r"searchOrders (?:throttled|failed) .*? in ([\d.]+) s")
SECRET = "bench-secret"


@contextmanager
def fresh_sandbox(instance: Path, orders: int, scale: float, limits: bool) -> Iterator[str]:
    """A fresh sandbox with ``orders`` orders, served in its own process for the ``with`` block; yields its
    URL."""
    database = instance / f"sandbox-{uuid.uuid4().hex[:6]}.db"
    env = {
        **os.environ,
        "SANDBOX_DB": str(database),
        "SANDBOX_TIME_SCALE": str(scale),
        "SANDBOX_RATE_LIMITS": "on" if limits else "off",
    }
    run_sandbox(env, "seed", "--listings", "200", "--orders", "0")
    run_sandbox(env, "place-orders", "--count", str(orders), "--spread-hours", "24")
    with serve_sandbox(env) as url:
        # Amazon never answers its last two minutes: move its clock past the newest order.
        httpx.post(f"{url}/_sandbox/clock/advance", json={"minutes": 3}).raise_for_status()
        yield url


def environment(
    database_url: str, redis_url: str, sandbox_url: str, rate_scale: float, instance: Path
) -> dict:
    """The settings of the app and of the worker process (``webapp.config`` reads the environment)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SHELFSYNC_INSTANCE": str(instance),
        "SECRET_KEY": SECRET,
        "DATA_ENCRYPTION_KEYS": KEYS,
        "LOG_LEVEL": "WARNING",
        **amazon_settings(sandbox_url, rate_scale),
    }


def minimum_seconds(pages: int, work_per_page: float, rate: float) -> float:
    """The shortest run the bucket allows: page ``i`` (1-based) waits for token ``i`` when ``i > BURST``."""
    elapsed = 0.0
    for page in range(1, pages + 1):
        elapsed = max(elapsed, (page - BURST) / rate) + work_per_page
    return elapsed


def run_once(
    database_url: str, redis_url: str, orders: int, scale: float, limited: bool, instance: Path
) -> dict:
    """One Get Orders run on a fresh sandbox and database; its figures."""
    with fresh_sandbox(instance, orders, scale, limits=limited) as url:
        settings = environment(
            database_url, redis_url, url, scale if limited else UNTHROTTLED_SCALE, instance
        )
        os.environ.update(settings)
        Redis.from_url(redis_url).flushdb()
        app = create_app()
        with app.app_context():
            db.create_all()
            channel = connect_demo_seller(url)
            add_defaults(channel)
            db.session.commit()

            httpx.delete(f"{url}/_sandbox/calls").raise_for_status()
            run_id = start_run(channel.account_id, RunKind.GET_ORDERS, channel_id=channel.id).run.id
            started = time.perf_counter()
            # DEBUG: the adapter then logs each rate-limit wait (and, at INFO, each retry's pause).
            worker = subprocess.run(
                [sys.executable, "-m", "jobs.worker", "--burst"],
                cwd=ROOT,
                env={**os.environ, **settings, "LOG_LEVEL": "DEBUG"},
                check=True,
                capture_output=True,
                text=True,
            )
            total = time.perf_counter() - started
            db.session.rollback()
            run = db.session.get(IntegrationRun, run_id)
            imported = db.session.scalar(sa.select(sa.func.count(Order.id)))
            calls = httpx.get(f"{url}/_sandbox/calls", params={"operation": "searchOrders"}).json()["calls"]
            figures = {
                "status": run.status,
                "imported": imported,
                "seconds": (run.finished_at - run.started_at).total_seconds(),
                "worker_seconds": total,
                "pages": sum(1 for call in calls if call["status"] == 200),
                "throttled": sum(1 for call in calls if call["status"] == 429),
                "waited": sum(float(x) for x in WAITED.findall(worker.stderr)),
                "retried": sum(float(x) for x in RETRIED.findall(worker.stderr)),
            }
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        return figures


def bench(database_url: str, redis_url: str, args: argparse.Namespace, instance: Path) -> None:
    """Alternate unthrottled and rate-limited runs; compare each rate-limited run with its minimum."""
    rate = RATE * args.scale
    pages = math.ceil(args.orders / PAGE_SIZE)
    free, limited = [], []
    for _ in range(args.repeat):
        free.append(run_once(database_url, redis_url, args.orders, args.scale, False, instance))
        limited.append(run_once(database_url, redis_url, args.orders, args.scale, True, instance))
    overs = []
    for label, runs in (("unthrottled", free), ("rate-limited", limited)):
        print(f"  {label}:")
        for figures in runs:
            work = figures["seconds"] - figures["waited"] - figures["retried"]
            minimum = minimum_seconds(pages, work / max(1, figures["pages"]), rate)
            over = 100 * (figures["seconds"] / minimum - 1)
            if runs is limited:
                overs.append(over)
            print(
                f"    {figures['seconds']:6.2f} s run ({figures['worker_seconds']:.2f} s with start-up), "
                f"{figures['status']}, {figures['imported']:,} imported, {figures['pages']} pages, "
                f"{figures['throttled']} × 429; waited {figures['waited']:.2f} s for tokens, "
                f"{figures['retried']:.2f} s in retries; minimum {minimum:.2f} s → {over:+.1f}%"
            )
    forced = max(0, pages - BURST) / rate
    best_free, best_limited = min(f["seconds"] for f in free), min(f["seconds"] for f in limited)
    worst, median = max(overs), sorted(overs)[len(overs) // 2]
    met = worst <= 10 and not any(f["throttled"] or f["status"] != "succeeded" for f in limited)
    print(
        f"  limits: {pages} pages, burst {BURST}, {rate:.3f} calls/s at ×{args.scale:g} "
        f"→ {forced:.2f} s of forced waits\n"
        f"  best run: unthrottled {best_free:.2f} s, rate-limited {best_limited:.2f} s "
        f"({100 * (best_limited / best_free - 1):+.1f}%)\n"
        f"  rate-limited runs vs their minimum: worst {worst:+.1f}%, median {median:+.1f}% "
        f"(target ≤ +10%, no 429, no failed run: {'met' if met else 'NOT met'})"
    )


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=10.0, help="Amazon seconds per real second")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (the median counts)")
    args = parser.parse_args()

    print(
        f"Get Orders, {args.orders:,} orders, searchOrders {RATE}/s burst {BURST}, clock ×{args.scale:g} "
        f"({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        with redis_server(instance / "redis") as redis_url:
            print("SQLite")
            bench(f"sqlite:///{instance / 'bench.db'}", redis_url, args, instance)
            pg_url = postgres_url()
            if pg_url:
                print("PostgreSQL")
                with postgres_schema(pg_url) as scoped_url:
                    bench(scoped_url, redis_url, args, instance)


if __name__ == "__main__":
    main()
