"""Rate limiting across workers (Redis token buckets), back-off on 429, retries of transient failures."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from redis import Redis
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.amazon.conftest import settings_for
from webapp.amazon import AmazonSettings, AmazonUnavailable, NotFound, SellerApi, SellerCredentials
from webapp.config import ROOT

# Sellers getMarketplaceParticipations: rate 0.016/s, burst 15 (NOTES §4).
RATE, BURST = 0.016, 15


def calls(server: SandboxServer, operation: str) -> list[dict]:
    """What the sandbox saw for the demo seller and one operation, oldest first."""
    return server.admin("get", "/calls", params={"operation": operation, "seller_id": DEMO_SELLER_ID})[
        "calls"
    ]


@pytest.fixture
def fast_sandbox() -> Iterator[SandboxServer]:
    """A sandbox at 600x: the sellers bucket refills at 9.6 calls per real second."""
    with SandboxServer({"SANDBOX_TIME_SCALE": 600}) as server:
        yield server


def test_a_burst_beyond_the_limit_waits_instead_of_being_throttled(fast_sandbox: SandboxServer, redis: Redis):
    seller = SellerCredentials(DEMO_SELLER_ID, fast_sandbox.authorize()["refresh_token"], "ATVPDKIKX0DER")
    api = SellerApi(seller, settings=settings_for(fast_sandbox), redis=redis)
    started = time.monotonic()
    for _ in range(BURST + 6):
        api.marketplace_participations()
    elapsed = time.monotonic() - started
    statuses = [c["status"] for c in calls(fast_sandbox, "getMarketplaceParticipations")]
    assert statuses == [200] * (BURST + 6)
    # A token is kept in reserve (a second's refill, capped at one), so 7 calls waited at 9.6 per second.
    assert elapsed >= 7 / (RATE * 600) * 0.9


def test_a_full_burst_at_amazons_real_speed_goes_through_without_waiting_for_a_refill(redis: Redis):
    # At Amazon's own speed one token of this operation takes 62 s to refill: a call that had to wait
    # for one would exceed the 30 s max wait and fail. The reserve kept for in-flight requests is only
    # what Amazon refills in a second, so a whole burst (e.g. Get Orders' 20 pages) is never delayed.
    with SandboxServer({"SANDBOX_TIME_SCALE": 1}) as real_speed:
        seller = SellerCredentials(DEMO_SELLER_ID, real_speed.authorize()["refresh_token"], "ATVPDKIKX0DER")
        api = SellerApi(seller, settings=settings_for(real_speed), redis=redis)
        started = time.monotonic()
        for _ in range(BURST):
            api.marketplace_participations()
        elapsed = time.monotonic() - started
        statuses = [c["status"] for c in calls(real_speed, "getMarketplaceParticipations")]
    assert statuses == [200] * BURST
    assert elapsed < 5


def test_throttled_by_amazon_backs_off_and_recovers(sandbox: SandboxServer, api: SellerApi):
    # Our access token first, so nothing slow (a token request under load) lets Amazon's bucket refill
    # between the other app's last call and ours.
    assert api.marketplace_participations()
    # Another app of the seller's empties Amazon's bucket behind our back.
    token = httpx.post(f"{sandbox.url}/auth/o2/token", data={
        "grant_type": "refresh_token", "refresh_token": api.seller.refresh_token,
        "client_id": api.settings.lwa_client_id, "client_secret": api.settings.lwa_client_secret,
    }).json()["access_token"]  # fmt: skip
    with httpx.Client(base_url=sandbox.url, headers={"x-amz-access-token": token}) as other_app:
        while other_app.get("/sellers/v1/marketplaceParticipations").status_code != 429:
            pass
    sandbox.admin("delete", "/calls")
    for _ in range(2):
        assert api.marketplace_participations()
    statuses = [c["status"] for c in calls(sandbox, "getMarketplaceParticipations")]
    assert statuses[0] == 429 and statuses[-2:] == [200, 200]


def test_two_worker_processes_share_the_bucket(fast_sandbox: SandboxServer, redis_url: str, redis: Redis):
    seller = SellerCredentials(DEMO_SELLER_ID, fast_sandbox.authorize()["refresh_token"], "ATVPDKIKX0DER")
    args = {
        "settings": dataclasses.asdict(settings_for(fast_sandbox)),
        "seller": dataclasses.asdict(seller),
        "redis_url": redis_url,
        "calls": 15,
        "start_at": time.time() + 2.0,
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "amazon" / "throttle_worker.py"), json.dumps(args)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]  # fmt: skip
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    seen = calls(fast_sandbox, "getMarketplaceParticipations")
    assert [c["status"] for c in seen] == [200] * 30
    # Amazon's contract, checked on its own clock: never more than burst + rate x elapsed calls.
    stamps = [c["ts"] for c in seen]
    for i, first in enumerate(stamps):
        for j in range(i, len(stamps)):
            assert j - i + 1 <= BURST + RATE * (stamps[j] - first) + 1e-6


@pytest.mark.parametrize("fault", ["p429", "p500", "p503", "p_drop"])
def test_transient_faults_are_retried_until_the_call_completes(
    sandbox: SandboxServer, api: SellerApi, fault: str
):
    sku = next(api.search_listings(page_size=1)).sku
    sandbox.admin("put", "/faults/getListingsItem", json={fault: 0.5})
    for _ in range(12):
        assert api.get_listing(sku).sku == sku
    statuses = {c["status"] for c in calls(sandbox, "getListingsItem")}
    injected = {"p429": 429, "p500": 500, "p503": 503, "p_drop": 0}[fault]
    assert {200, injected} <= statuses


def test_a_lasting_outage_becomes_temporarily_unavailable(sandbox: SandboxServer, seller, redis: Redis):
    api = SellerApi(seller, settings=settings_for(sandbox, max_retries=2), redis=redis)
    sandbox.admin("put", "/faults/getMarketplaceParticipations", json={"p503": 1})
    with pytest.raises(AmazonUnavailable) as error:
        api.marketplace_participations()
    assert error.value.retryable and error.value.status == 503
    assert "next run" in error.value.help
    assert len(calls(sandbox, "getMarketplaceParticipations")) == 3


def test_endless_throttling_becomes_temporarily_unavailable(sandbox: SandboxServer, seller, redis: Redis):
    api = SellerApi(seller, settings=settings_for(sandbox, throttle_max_wait=3.0), redis=redis)
    sandbox.admin("put", "/faults/getMarketplaceParticipations", json={"p429": 1})
    started = time.monotonic()
    with pytest.raises(AmazonUnavailable) as error:
        api.marketplace_participations()
    assert error.value.code == "QuotaExceeded" and error.value.retryable
    assert time.monotonic() - started <= 3.5


@pytest.fixture
def empty_error_server() -> Iterator[str]:
    """An HTTP server answering every request with an empty 503, or an empty 404 under /listings."""

    def app(environ, start_response):
        status = 404 if "/listings/" in environ["PATH_INFO"] else 503
        return Response(b"", status=status)(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_error_statuses_with_empty_bodies_are_errors(
    sandbox: SandboxServer, seller, redis: Redis, empty_error_server: str
):
    settings = AmazonSettings(
        **{**settings_for(sandbox, max_retries=1).__dict__, "spapi_url": empty_error_server}
    )
    api = SellerApi(seller, settings=settings, redis=redis)
    with pytest.raises(AmazonUnavailable) as unavailable:
        api.marketplace_participations()
    assert (unavailable.value.code, unavailable.value.status) == ("HTTP503", 503)
    with pytest.raises(NotFound):
        api.get_listing("ANY")


def test_json_listings_feeds_from_concurrent_runs_keep_to_the_feed_type_limit(redis: Redis):
    # Three channels' runs submit three feeds each at once: Amazon allows 5 JSON_LISTINGS_FEEDs per
    # 5 minutes per seller (on top of createFeed's burst of 15), so the shared window makes the rest wait.
    # At 60x the window is 5 real seconds, and the 5-minute authorization code outlives a slow machine.
    with SandboxServer({"SANDBOX_TIME_SCALE": 60}) as server:
        seen = _submit_feeds_concurrently(server, redis)
    assert [c["status"] for c in seen] == [202] * 9, "never refused by Amazon"
    stamps = [c["ts"] for c in seen]
    assert all(later - first >= 300 for first, later in zip(stamps, stamps[5:], strict=False)), stamps


def _submit_feeds_concurrently(server: SandboxServer, redis: Redis) -> list[dict]:
    """Three threads submitting three empty JSON_LISTINGS_FEEDs each; the createFeed calls Amazon saw."""
    seller = SellerCredentials(DEMO_SELLER_ID, server.authorize()["refresh_token"], "ATVPDKIKX0DER")
    errors: list[BaseException] = []

    def run() -> None:
        api = SellerApi(seller, settings=settings_for(server), redis=redis)
        try:
            for _ in range(3):
                api.submit_listings_feed([])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    return calls(server, "createFeed")
