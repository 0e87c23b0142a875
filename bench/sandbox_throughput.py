"""Benchmark: getListingsItem requests per second against a real sandbox server (target: >= 500 req/s).

Seeds a temporary database (10,000 listings), starts the sandbox under gunicorn (2 worker processes
x 8 threads, gthread; rate limits off) and drives getListingsItem over keep-alive connections for a
bounded number of requests, rotating over 1,000 SKUs. Driver: `wrk` with a Lua script (if installed:
`apt-get install wrk`; runs for requests/1000 seconds, as wrk bounds runs by time), else Python
threads with httpx clients making exactly --requests requests (slower: the Python client competes
with the server for the same 2 CPUs).
Runs twice: with response validation on (the default) and off (SANDBOX_VALIDATE=off).

    .venv/bin/python bench/sandbox_throughput.py [--requests 20000] [--connections 16] [--driver wrk|httpx]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox_process import wait_for_health  # noqa: E402

from sandbox import create_app  # noqa: E402
from sandbox.seed import DEMO_SELLER_ID, seed_world  # noqa: E402
from sandbox.tokens_util import issue_access_token  # noqa: E402

US = "ATVPDKIKX0DER"
SKUS = 1000
WRK_SCRIPT = """
local i = 0
request = function()
  i = i + 1
  local sku = string.format("DEMO-%06d", (i % {skus}) + 1)
  return wrk.format("GET", "/listings/2021-08-01/items/{seller}/" .. sku ..
    "?marketplaceIds={mp}&includedData=summaries,offers,fulfillmentAvailability")
end
"""


def prepare(db: Path) -> str:
    """Seed the database and return a long-lived access token of the demo seller."""
    app = create_app({"SANDBOX_DB": str(db)})
    state = app.extensions["sandbox"]
    seed_world(state.store, state.clock.now(), listings=10_000, orders=100, sellers=2)
    return issue_access_token(state.store, DEMO_SELLER_ID, "bench", state.clock.now(), ttl=10 * 86400)


def start_server(db: Path, port: int, validate: bool, workers: int, threads: int) -> subprocess.Popen:
    """Start gunicorn serving the sandbox; returns once it answers."""
    env = {
        **os.environ,
        "SANDBOX_DB": str(db),
        "SANDBOX_RATE_LIMITS": "off",
        "SANDBOX_VALIDATE": "on" if validate else "off",
        "PYTHONPATH": str(ROOT),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "sandbox:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    wait_for_health(process, f"http://127.0.0.1:{port}")
    return process


def drive_wrk(url: str, token: str, requests: int, connections: int) -> tuple[float, int]:
    """Run wrk for about as long as `requests` take at 1,000 req/s (wrk bounds runs by time, not count).

    Returns (req/s, requests made); any non-2xx answer or socket error fails the benchmark.
    """
    seconds = max(2, round(requests / 1000))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT.replace("{skus}", str(SKUS)).replace("{seller}", DEMO_SELLER_ID).replace("{mp}", US)
        )
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "-s",
                script.name,
                "-H",
                f"x-amz-access-token: {token}",
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    problems = [line for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    if problems:
        raise RuntimeError(f"unexpected answers: {problems}")
    made = next(int(line.split()[0]) for line in output.splitlines() if "requests in" in line)
    rate = float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec")))
    return rate, made


def drive_httpx(url: str, token: str, requests: int, connections: int) -> tuple[float, int]:
    """Threads with keep-alive httpx clients; returns (req/s, requests made)."""
    per_thread = requests // connections
    errors: list[str] = []

    def worker(offset: int) -> None:
        """One keep-alive client making its share of the requests."""
        with httpx.Client(headers={"x-amz-access-token": token}) as client:
            for n in range(per_thread):
                sku = f"DEMO-{(offset * per_thread + n) % SKUS + 1:06d}"
                response = client.get(
                    f"{url}/listings/2021-08-01/items/{DEMO_SELLER_ID}/{sku}",
                    params={"marketplaceIds": US, "includedData": "summaries,offers,fulfillmentAvailability"},
                )
                if response.status_code != 200:
                    errors.append(response.text)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return per_thread * connections / elapsed, per_thread * connections


def main() -> None:
    """Measure and print req/s with validation on and off."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--driver", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx"
    )
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    drive = drive_wrk if args.driver == "wrk" else drive_httpx
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        db = Path(tmp) / "sandbox.db"
        token = prepare(db)
        for validate in (True, False):
            server = start_server(db, args.port, validate, args.workers, args.threads)
            try:
                url = f"http://127.0.0.1:{args.port}"
                drive(url, token, 500, 4)  # warm-up: validators compiled, connections opened
                rate, made = drive(url, token, args.requests, args.connections)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            print(
                f"getListingsItem: {rate:.0f} req/s ({made} requests, {args.connections} connections, "
                f"driver {args.driver}, gunicorn {args.workers}x{args.threads} gthread, rate limits off, "
                f"response validation {'on' if validate else 'off'})"
            )


if __name__ == "__main__":
    main()
