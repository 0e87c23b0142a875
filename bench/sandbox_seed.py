"""Benchmark: seed the sandbox with 100,000 listings and 2,000 orders (target: <= 60 s on 2 cores).

Runs `python -m sandbox seed --listings 100000 --orders 2000` in a fresh process on a temporary
database, first into an empty file and then again over the existing data (a re-seed also deletes),
and prints the wall-clock seconds of each.

    .venv/bin/python bench/sandbox_seed.py [--listings N] [--orders N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox_process import run_sandbox  # noqa: E402


def run_seed(db: Path, listings: int, orders: int) -> tuple[float, dict]:
    """Run the seed CLI once; returns wall seconds and the CLI's JSON summary."""
    started = time.perf_counter()
    output = run_sandbox(
        os.environ, "seed", "--db", str(db), "--listings", str(listings), "--orders", str(orders)
    )
    return time.perf_counter() - started, json.loads(output)


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sandbox-seed-") as tmp:
        db = Path(tmp) / "sandbox.db"
        for label in ("fresh database", "re-seed over existing data"):
            seconds, summary = run_seed(db, args.listings, args.orders)
            counts = summary["counts"]
            print(
                f"seed --listings {args.listings} --orders {args.orders} ({label}): {seconds:.1f} s wall "
                f"({summary['seconds']:.1f} s in seed_world); listings={counts['listings']} "
                f"catalog={counts['catalog_items']} orders={counts.get('orders', 0)}; "
                f"db {db.stat().st_size / 1e6:.0f} MB"
            )


if __name__ == "__main__":
    main()
