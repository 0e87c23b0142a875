"""CSRF protection on every state-changing request, htmx included."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from


@pytest.fixture
def app_config(app_config):
    """These tests run with CSRF protection on, as production does."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _register(client):
    token = csrf_token_from(client.get("/auth/register").get_data(as_text=True))
    return client.post(
        "/auth/register",
        data={
            "csrf_token": token,
            "account_name": "Acme",
            "email": "a@example.com",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )


def test_form_post_without_token_is_rejected(client):
    response = client.post(
        "/auth/register",
        data={
            "account_name": "Acme",
            "email": "a@example.com",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )
    assert response.status_code == 400
    assert b"Your form expired" in response.data


def test_form_post_with_token_is_accepted(client):
    assert _register(client).status_code == 302


def test_htmx_post_without_header_is_rejected_and_with_header_accepted(client):
    _register(client)
    page = client.get("/runs/").get_data(as_text=True)
    token = csrf_token_from(page)
    missing = client.post("/runs/diagnostic", headers={"HX-Request": "true"})
    assert missing.status_code == 400
    ok = client.post("/runs/diagnostic", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code in (200, 204)


def test_logout_without_token_is_rejected(client):
    _register(client)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200
