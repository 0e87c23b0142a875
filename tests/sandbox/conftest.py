"""Fixtures for sandbox tests: a real sandbox server and python-amazon-sp-api clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sp_api.auth.access_token_client as lwa_module
from sp_api.base import Marketplaces

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client


@pytest.fixture(autouse=True)
def _clear_lwa_cache() -> Iterator[None]:
    """python-amazon-sp-api caches access tokens per refresh token process-wide."""
    lwa_module.cache.clear()
    yield
    lwa_module.cache.clear()


@pytest.fixture
def sandbox_server() -> Iterator[SandboxServer]:
    """A seeded sandbox on a random port, rate limits off (tests that need them start their own)."""
    with SandboxServer({"SANDBOX_RATE_LIMITS": "off"}) as server:
        yield server


@pytest.fixture
def refresh_token(sandbox_server: SandboxServer) -> str:
    """A refresh token of the demo seller, obtained through consent + code exchange."""
    return sandbox_server.authorize(DEMO_SELLER_ID)["refresh_token"]


@pytest.fixture
def spapi(sandbox_server: SandboxServer, refresh_token: str) -> Callable[..., Any]:
    """Factory: `spapi(ListingsItems)` -> a client for the demo seller against the sandbox."""

    def factory(api_cls: type, marketplace=Marketplaces.US, token: str | None = None, **kw: Any) -> Any:
        """A client of `api_cls` for the demo seller (or `token`'s seller) in `marketplace`."""
        return make_client(sandbox_server, api_cls, token or refresh_token, marketplace, **kw)

    return factory
