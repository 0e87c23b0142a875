"""Consent page, LWA code exchange and refresh, and the SP-API access token check."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import sp_api.auth.access_token_client as lwa_module
from sp_api.api import Sellers
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import SellingApiForbiddenException

from sandbox.seed import DEMO_SELLER_ID
from sandbox.testing import SandboxServer
from tests.sandbox.support import make_client, validate

APP_ID = "amzn1.sp.solution.shelfsync-demo"
CALLBACK = "http://127.0.0.1:5000/connections/amazon/callback"


def _consent(server: SandboxServer, action: str = "authorize", **extra: str) -> httpx.Response:
    data = {
        "application_id": APP_ID,
        "state": "s-123",
        "seller_id": DEMO_SELLER_ID,
        "action": action,
        **extra,
    }
    return httpx.post(f"{server.url}/apps/authorize/consent", data=data)


def _token(server: SandboxServer, **data: str) -> httpx.Response:
    settings = server.sandbox.settings
    form = {
        "client_id": settings["SANDBOX_LWA_CLIENT_ID"],
        "client_secret": settings["SANDBOX_LWA_CLIENT_SECRET"],
    }
    return httpx.post(f"{server.url}/auth/o2/token", data={**form, **data})


def test_consent_page_shows_app_and_sellers(sandbox_server: SandboxServer) -> None:
    page = httpx.get(
        f"{sandbox_server.url}/apps/authorize/consent",
        params={"application_id": APP_ID, "state": "x", "version": "beta"},
    )
    assert page.status_code == 200
    assert "Shelfsync (demo)" in page.text
    assert "Demo Seller (US)" in page.text and "Demo Seller (EU)" in page.text
    assert 'id="beta-note"' in page.text


def test_consent_unknown_application_is_an_error_page(sandbox_server: SandboxServer) -> None:
    page = httpx.get(
        f"{sandbox_server.url}/apps/authorize/consent", params={"application_id": "nope", "state": "x"}
    )
    assert page.status_code == 404
    assert "location" not in page.headers


def test_authorize_redirects_with_code_state_and_seller(sandbox_server: SandboxServer) -> None:
    response = _consent(sandbox_server)
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["s-123"]
    assert query["selling_partner_id"] == [DEMO_SELLER_ID]
    assert len(query["spapi_oauth_code"][0]) == 20


def test_unregistered_redirect_uri_falls_back_to_first_registered() -> None:
    other = "http://127.0.0.1:5000/other/callback"
    with SandboxServer({"SANDBOX_REDIRECT_URIS": f"{CALLBACK},{other}"}) as server:
        assert _consent(server, redirect_uri=other).headers["location"].startswith(other + "?")
        assert (
            _consent(server, redirect_uri="http://evil.example/cb")
            .headers["location"]
            .startswith(CALLBACK + "?")
        )


def test_cancel_redirects_with_access_denied(sandbox_server: SandboxServer) -> None:
    response = _consent(sandbox_server, action="cancel")
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s-123"]}


def _code(server: SandboxServer) -> str:
    return parse_qs(urlparse(_consent(server).headers["location"]).query)["spapi_oauth_code"][0]


def test_code_exchange_then_refresh(sandbox_server: SandboxServer) -> None:
    tokens = _token(sandbox_server, grant_type="authorization_code", code=_code(sandbox_server)).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"].startswith("Atza|") and tokens["refresh_token"].startswith("Atzr|")
    refreshed = _token(sandbox_server, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_reused_code_is_rejected(sandbox_server: SandboxServer) -> None:
    code = _code(sandbox_server)
    assert _token(sandbox_server, grant_type="authorization_code", code=code).status_code == 200
    again = _token(sandbox_server, grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_expired_code_is_rejected(sandbox_server: SandboxServer) -> None:
    code = _code(sandbox_server)
    sandbox_server.admin("post", "/clock/advance", json={"minutes": 5, "seconds": 1})
    response = _token(sandbox_server, grant_type="authorization_code", code=code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_within_five_minutes_is_accepted(sandbox_server: SandboxServer) -> None:
    code = _code(sandbox_server)
    sandbox_server.admin("post", "/clock/advance", json={"minutes": 4})
    assert _token(sandbox_server, grant_type="authorization_code", code=code).status_code == 200


def test_wrong_client_secret_is_invalid_client(sandbox_server: SandboxServer) -> None:
    response = _token(
        sandbox_server, grant_type="authorization_code", code=_code(sandbox_server), client_secret="x"
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_revoked_refresh_token_is_invalid_grant_through_the_library(
    sandbox_server: SandboxServer, refresh_token: str
) -> None:
    client = make_client(sandbox_server, Sellers, refresh_token)
    assert client.get_marketplace_participation().payload
    sandbox_server.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")
    lwa_module.cache.clear()
    with pytest.raises(AuthorizationError) as excinfo:
        make_client(sandbox_server, Sellers, refresh_token).get_marketplace_participation()
    assert excinfo.value.status_code == 400
    assert excinfo.value.error_code == "invalid_grant"


def test_marketplace_participations_validate(sandbox_server: SandboxServer, refresh_token: str) -> None:
    response = make_client(sandbox_server, Sellers, refresh_token).get_marketplace_participation()
    ids = {p["marketplace"]["id"] for p in response.payload}
    assert {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8"} <= ids
    assert response.headers["x-amzn-RequestId"]
    assert response.rate_limit == "0.016"
    validate("sellers", "getMarketplaceParticipations", {"payload": response.payload})


def test_get_account_validates(sandbox_server: SandboxServer, refresh_token: str) -> None:
    response = make_client(sandbox_server, Sellers, refresh_token).get_account()
    assert response.payload["sellingPlan"] == "PROFESSIONAL"
    assert response.payload["business"]["name"] == "Demo Seller (US)"
    validate("sellers", "getAccount", {"payload": response.payload})


def test_redirect_uri_must_match_the_code(sandbox_server: SandboxServer) -> None:
    response = _token(
        sandbox_server,
        grant_type="authorization_code",
        code=_code(sandbox_server),
        redirect_uri="http://x/cb",
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_revoking_invalidates_live_access_tokens(sandbox_server: SandboxServer) -> None:
    access = sandbox_server.authorize()["access_token"]
    url = f"{sandbox_server.url}/sellers/v1/marketplaceParticipations"
    assert httpx.get(url, headers={"x-amz-access-token": access}).status_code == 200
    sandbox_server.admin("post", f"/sellers/{DEMO_SELLER_ID}/revoke")
    assert httpx.get(url, headers={"x-amz-access-token": access}).status_code == 403


def test_missing_or_invalid_access_token_is_403(sandbox_server: SandboxServer) -> None:
    url = f"{sandbox_server.url}/sellers/v1/marketplaceParticipations"
    for headers in ({}, {"x-amz-access-token": "Atza|forged"}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "Unauthorized"
        validate("sellers", "getMarketplaceParticipations", response.json(), 403)


def test_expired_access_token_is_403_through_the_library(
    sandbox_server: SandboxServer, refresh_token: str
) -> None:
    client = make_client(sandbox_server, Sellers, refresh_token)
    client.get_marketplace_participation()
    sandbox_server.admin("post", "/clock/advance", json={"seconds": 3601})
    with pytest.raises(SellingApiForbiddenException):
        client.get_marketplace_participation()
