"""Token-bucket rate limits and fault injection, seen through python-amazon-sp-api."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sp_api.api import ListingsItems, Sellers
from sp_api.base import (
    SellingApiRequestThrottledException,
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
)

from sandbox.cli import cli
from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client, validate

US = "ATVPDKIKX0DER"


def test_burst_then_429_then_recovery_with_time_scale() -> None:
    # At 2x one token of getMarketplaceParticipations (0.016/s) takes ~31 real seconds to refill: the
    # burst cannot refill while it is spent, however slow the machine.
    with SandboxServer({"SANDBOX_TIME_SCALE": 2}) as server:
        client = make_client(server, Sellers, server.authorize()["refresh_token"])
        for _ in range(15):  # burst of getMarketplaceParticipations
            client.get_marketplace_participation()
        with pytest.raises(SellingApiRequestThrottledException) as excinfo:
            client.get_marketplace_participation()
        assert excinfo.value.amzn_code == "QuotaExceeded"
        validate("sellers", "getMarketplaceParticipations", {"errors": excinfo.value.error}, 429)
        # ~63 Amazon seconds refill one token: at 2x, 32 real seconds, or a jump of the clock.
        server.admin("post", "/clock/advance", json={"seconds": 64})
        client.get_marketplace_participation()
        with pytest.raises(SellingApiRequestThrottledException):
            client.get_marketplace_participation()
        counts = server.admin("get", "/calls", params={"operation": "getMarketplaceParticipations"})["counts"]
        assert counts["getMarketplaceParticipations"] == {"200": 16, "429": 2}


def test_advancing_the_clock_refills_buckets() -> None:
    with SandboxServer() as server:
        client = make_client(server, Sellers, server.authorize()["refresh_token"])
        for _ in range(15):
            client.get_marketplace_participation()
        with pytest.raises(SellingApiRequestThrottledException):
            client.get_marketplace_participation()
        server.admin("post", "/clock/advance", json={"minutes": 2})
        # The 2-minute jump also touches token expiry: a fresh client refreshes its access token.
        client.get_marketplace_participation()


def test_buckets_are_per_seller() -> None:
    with SandboxServer() as server:
        demo = make_client(server, Sellers, server.authorize()["refresh_token"])
        other = make_client(server, Sellers, server.authorize("A2SHELFSYNCEUDEMO")["refresh_token"])
        for _ in range(15):
            demo.get_marketplace_participation()
        with pytest.raises(SellingApiRequestThrottledException):
            demo.get_marketplace_participation()
        other.get_marketplace_participation()


def test_rate_limit_header_is_amazons_rate(spapi: Callable[..., Any]) -> None:
    response = spapi(ListingsItems).get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    assert response.rate_limit == "5.0"
    assert response.headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    ("field", "exception", "status"),
    [
        ("p429", SellingApiRequestThrottledException, 429),
        ("p500", SellingApiServerException, 500),
        ("p503", SellingApiTemporarilyUnavailableException, 503),
    ],
)
def test_error_faults(
    sandbox_server: SandboxServer, spapi: Callable[..., Any], field: str, exception: type, status: int
) -> None:
    listings = spapi(ListingsItems)
    sandbox_server.admin("put", "/faults/getListingsItem", json={field: 1})
    with pytest.raises(exception) as excinfo:
        listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    validate("listingsItems_2021-08-01", "getListingsItem", {"errors": excinfo.value.error}, status)
    # Other operations are unaffected; clearing the fault restores normal answers.
    listings.search_listings_items(DEMO_SELLER_ID, marketplaceIds=US)
    sandbox_server.admin("delete", "/faults/getListingsItem")
    listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)


def test_partial_fault_share(sandbox_server: SandboxServer, spapi: Callable[..., Any]) -> None:
    listings = spapi(ListingsItems)
    sandbox_server.admin("put", "/faults/getListingsItem", json={"p503": 0.5})
    failures = 0
    for _ in range(60):
        try:
            listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
        except SellingApiTemporarilyUnavailableException:
            failures += 1
    assert 10 <= failures <= 50


def _fault_pattern(server: SandboxServer) -> list[bool]:
    """Which of 30 getListingsItem calls failed, with a 50% 503 fault."""
    listings = make_client(server, ListingsItems, server.authorize(DEMO_SELLER_ID)["refresh_token"])
    server.admin("put", "/faults/getListingsItem", json={"p503": 0.5})
    failed = []
    for _ in range(30):
        try:
            listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
            failed.append(False)
        except SellingApiTemporarilyUnavailableException:
            failed.append(True)
    return failed


def test_a_fault_seed_repeats_the_same_failures_and_another_seed_does_not() -> None:
    patterns = []
    for seed in ("one", "one", "two"):
        with SandboxServer({"SANDBOX_RATE_LIMITS": "off", "SANDBOX_FAULT_SEED": seed}) as server:
            patterns.append(_fault_pattern(server))
    assert patterns[0] == patterns[1]
    assert patterns[0] != patterns[2]
    assert any(patterns[0]) and not all(patterns[0])


def test_latency_fault(sandbox_server: SandboxServer, spapi: Callable[..., Any]) -> None:
    listings = spapi(ListingsItems)
    listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    sandbox_server.admin("put", "/faults/*", json={"latency_ms": 300})
    started = time.perf_counter()
    listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    assert time.perf_counter() - started >= 0.3


def test_dropped_connection_is_a_transport_error(
    sandbox_server: SandboxServer, spapi: Callable[..., Any]
) -> None:
    listings = spapi(ListingsItems)
    sandbox_server.admin("put", "/faults/getListingsItem", json={"p_drop": 1})
    with pytest.raises(httpx.TransportError):
        listings.get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    counts = sandbox_server.admin("get", "/calls", params={"operation": "getListingsItem"})["counts"]
    assert counts["getListingsItem"] == {"0": 1}


def test_faults_from_environment_setting(tmp_path: Any) -> None:
    faults = json.dumps({"getMarketplaceParticipations": {"p500": 1}})
    config = {"SANDBOX_FAULTS": faults, "SANDBOX_DB": str(tmp_path / "s.db")}
    with SandboxServer(config) as server, pytest.raises(SellingApiServerException):
        make_client(server, Sellers, server.authorize()["refresh_token"]).get_marketplace_participation()


def test_faults_from_the_cli(sandbox_server: SandboxServer, spapi: Callable[..., Any]) -> None:
    db = sandbox_server.sandbox.store.path
    result = CliRunner().invoke(cli, ["fault", "getListingsItem", "--p429", "1", "--db", db])
    assert result.exit_code == 0, result.output
    with pytest.raises(SellingApiRequestThrottledException):
        spapi(ListingsItems).get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)
    assert CliRunner().invoke(cli, ["fault", "--clear", "--db", db]).exit_code == 0
    spapi(ListingsItems).get_listings_item(DEMO_SELLER_ID, "DEMO-000001", marketplaceIds=US)


def test_invalid_fault_settings_are_rejected(sandbox_server: SandboxServer) -> None:
    response = httpx.put(f"{sandbox_server.url}/_sandbox/faults/getListingsItem", json={"p429": 2})
    assert response.status_code == 400
    response = httpx.put(f"{sandbox_server.url}/_sandbox/faults/getListingsItem", json={"explode": 1})
    assert response.status_code == 400
