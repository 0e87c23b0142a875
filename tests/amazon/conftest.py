"""Fixtures for adapter tests: a time-scaled sandbox over HTTP, adapter settings pointed at it, a seller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from webapp.amazon import AmazonSettings, SellerApi, SellerCredentials, clear_token_cache
from webapp.amazon.transport import Exchange, recording

US = "ATVPDKIKX0DER"
# One real second is one Amazon minute: rate-limit refills, report processing and back-offs are 60x faster.
TIME_SCALE = 60.0


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    """Every test starts without cached LWA tokens (each sandbox issues its own)."""
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A seeded sandbox with Amazon's rate limits, at TIME_SCALE."""
    with SandboxServer({"SANDBOX_TIME_SCALE": TIME_SCALE}) as server:
        yield server


def settings_for(server: SandboxServer, **overrides) -> AmazonSettings:
    """Adapter settings pointing every endpoint at ``server``."""
    app = server.sandbox.settings
    values = {
        "app_id": app["SANDBOX_APP_ID"],
        "lwa_client_id": app["SANDBOX_LWA_CLIENT_ID"],
        "lwa_client_secret": app["SANDBOX_LWA_CLIENT_SECRET"],
        "spapi_url": server.url,
        "lwa_url": f"{server.url}/auth/o2/token",
        "seller_central_url": server.url,
        "time_scale": server.sandbox.clock.scale,
        "throttle_max_wait": 30.0,
        "max_retries": 12,
        "http_timeout": 10.0,
    }
    values.update(overrides)
    return AmazonSettings(**values)


@pytest.fixture
def amazon_settings(sandbox: SandboxServer) -> AmazonSettings:
    """Settings for the sandbox fixture."""
    return settings_for(sandbox)


@pytest.fixture
def seller(sandbox: SandboxServer) -> SellerCredentials:
    """The demo seller, authorized through the sandbox's consent + code exchange."""
    return SellerCredentials(DEMO_SELLER_ID, sandbox.authorize(DEMO_SELLER_ID)["refresh_token"], US)


@pytest.fixture
def api(seller: SellerCredentials, amazon_settings: AmazonSettings, redis: Redis) -> SellerApi:
    """The adapter for the demo seller in the US marketplace."""
    return SellerApi(seller, settings=amazon_settings, redis=redis)


@pytest.fixture
def exchanges() -> Iterator[list[Exchange]]:
    """Every exchange with Amazon (the sandbox) made during the test."""
    with recording() as recorded:
        yield recorded
