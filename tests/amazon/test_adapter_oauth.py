"""The website authorization workflow through the adapter: consent page -> redirect -> code exchange ->
refresh, and the ways Amazon refuses a code or a revoked token."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from redis import Redis

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.amazon.conftest import US
from tests.amazon.models import check_all
from webapp.amazon import (
    AmazonError,
    AmazonSettings,
    AuthorizationRevoked,
    SellerApi,
    SellerCredentials,
    consent_url,
    exchange_oauth_code,
)
from webapp.amazon.transport import Exchange


def consent(settings: AmazonSettings, state: str, seller_id: str = DEMO_SELLER_ID) -> dict[str, str]:
    """Open the consent page, pick the seller, click Authorize; return the redirect's query parameters."""
    with httpx.Client() as browser:
        page = browser.get(consent_url(US, state, settings=settings))
        assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
        form = page.text[page.text.index("<form") :]
        action = re.search(r'<form[^>]*action="([^"]+)"', form).group(1)
        fields = {
            n: html.unescape(v) for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
        }
        fields.update(seller_id=seller_id, action="authorize")
        answer = browser.post(urljoin(str(page.url), action), data=fields)
    assert answer.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def test_consent_redirect_code_exchange_and_refresh(
    sandbox: SandboxServer, amazon_settings: AmazonSettings, redis: Redis, exchanges: list[Exchange]
):
    redirect = consent(amazon_settings, "state-123")
    assert redirect["state"] == "state-123" and redirect["selling_partner_id"] == DEMO_SELLER_ID

    tokens = exchange_oauth_code(redirect["spapi_oauth_code"], settings=amazon_settings)
    assert tokens.refresh_token.startswith("Atzr|") and tokens.expires_in == 3600
    assert tokens.refresh_token not in repr(tokens)

    seller = SellerCredentials(redirect["selling_partner_id"], tokens.refresh_token, US)
    assert any(
        p.marketplace_id == US
        for p in SellerApi(seller, settings=amazon_settings, redis=redis).marketplace_participations()
    )

    grants = [
        parse_qs(e.request_body.decode())["grant_type"][0]
        for e in exchanges
        if e.url.endswith("/auth/o2/token")
    ]
    assert grants == ["authorization_code", "refresh_token"]
    assert check_all(exchanges) == ["getMarketplaceParticipations"]


def test_reused_code_is_rejected(amazon_settings: AmazonSettings):
    code = consent(amazon_settings, "s")["spapi_oauth_code"]
    exchange_oauth_code(code, settings=amazon_settings)
    with pytest.raises(AuthorizationRevoked) as error:
        exchange_oauth_code(code, settings=amazon_settings)
    assert error.value.code == "invalid_grant" and "Re-authorize" in error.value.help


def test_expired_code_is_rejected(sandbox: SandboxServer, amazon_settings: AmazonSettings):
    code = consent(amazon_settings, "s")["spapi_oauth_code"]
    sandbox.admin("post", "/clock/advance", json={"minutes": 6})
    with pytest.raises(AuthorizationRevoked) as error:
        exchange_oauth_code(code, settings=amazon_settings)
    assert error.value.code == "invalid_grant"


def test_wrong_client_secret_is_a_setup_error_not_a_revocation(
    sandbox: SandboxServer, amazon_settings: AmazonSettings
):
    code = consent(amazon_settings, "s")["spapi_oauth_code"]
    wrong = AmazonSettings(**{**amazon_settings.__dict__, "lwa_client_secret": "nope"})
    with pytest.raises(AmazonError) as error:
        exchange_oauth_code(code, settings=wrong)
    assert type(error.value) is AmazonError and error.value.code == "invalid_client"
    assert "administrator" in error.value.help


def test_revoked_token_raises_authorization_revoked(sandbox: SandboxServer, api: SellerApi):
    api.marketplace_participations()  # caches an access token
    sandbox.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")
    with pytest.raises(AuthorizationRevoked) as error:
        api.marketplace_participations()
    assert error.value.code == "invalid_grant" and not error.value.retryable


def test_expired_access_token_is_refreshed_transparently(sandbox: SandboxServer, api: SellerApi, exchanges):
    api.marketplace_participations()
    # Amazon time jumps past the token's hour; the process's cache still believes it is fresh.
    sandbox.admin("post", "/clock/advance", json={"minutes": 61})
    api.marketplace_participations()
    statuses = [(e.url.split("?")[0].rsplit("/", 1)[1], e.status) for e in exchanges]
    assert statuses == [
        ("token", 200), ("marketplaceParticipations", 200), ("marketplaceParticipations", 403),
        ("token", 200), ("marketplaceParticipations", 200),
    ]  # fmt: skip


def test_a_changed_lwa_url_does_not_reuse_a_token(sandbox: SandboxServer, seller, amazon_settings, redis):
    SellerApi(seller, settings=amazon_settings, redis=redis).marketplace_participations()
    with SandboxServer({"SANDBOX_TIME_SCALE": 60}) as other:
        moved = AmazonSettings(
            **{**amazon_settings.__dict__, "spapi_url": other.url, "lwa_url": f"{other.url}/auth/o2/token"}
        )
        # The other sandbox never issued this refresh token: a reused access token would hide that.
        with pytest.raises(AuthorizationRevoked):
            SellerApi(seller, settings=moved, redis=redis).marketplace_participations()
