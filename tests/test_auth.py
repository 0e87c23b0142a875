"""Accounts: register, log in, log out, throttling, safe redirects and cookie settings."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Account, User


def test_register_creates_account_and_user_and_signs_in(client, auth):
    response = auth.register()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = db.session.scalar(sa.select(User))
    assert user.email == "seller@example.com"
    assert user.password_hash != "correct horse battery"
    assert db.session.get(Account, user.account_id).name == "Acme Goods"
    assert client.get("/").status_code == 200


def test_register_refuses_duplicate_email_and_bad_passwords(client, auth):
    auth.register()
    auth.logout()
    response = auth.register(email="SELLER@example.com")
    assert response.status_code == 422
    assert b"already exists" in response.data
    short = client.post(
        "/auth/register",
        data={"account_name": "B", "email": "b@example.com", "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    assert b"between 10 and 200 characters" in short.data
    mismatch = client.post(
        "/auth/register",
        data={
            "account_name": "B",
            "email": "b@example.com",
            "password": "long enough pw",
            "confirm": "other pw 123",
        },
    )
    assert mismatch.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_login_with_wrong_password_is_refused(client, auth):
    auth.register()
    auth.logout()
    response = auth.login(password="wrong password")
    assert response.status_code == 422
    assert b"Email or password is incorrect" in response.data
    assert client.get("/").status_code == 302


def test_login_then_logout(client, auth):
    auth.register()
    auth.logout()
    assert auth.login().headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/").headers["Location"].startswith("/auth/login")


def test_a_session_cookie_copied_before_log_out_no_longer_signs_in(app, client, auth):
    auth.register()
    stolen = client.get_cookie("session").value
    other_device = app.test_client()
    other_device.set_cookie("session", stolen)
    assert other_device.get("/sources/").status_code == 200, "the copy works while signed in"

    auth.logout()

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/sources/").headers["Location"].startswith("/auth/login")
    assert other_device.get("/sources/").headers["Location"].startswith("/auth/login")
    auth.login()
    assert client.get("/sources/").status_code == 200, "signing in again works"


def test_logout_is_not_possible_with_get(client, auth):
    auth.register()
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_failed_logins_are_throttled_per_email_and_ip(app, client, auth):
    app.config["LOGIN_THROTTLE_ATTEMPTS"] = 3
    auth.register()
    auth.logout()
    for _ in range(3):
        assert auth.login(password="wrong password").status_code == 422
    blocked = auth.login()  # even the right password waits out the window
    assert blocked.status_code == 429
    assert b"Too many failed log-ins" in blocked.data
    other_ip = client.post(
        "/auth/login",
        data={"email": "seller@example.com", "password": "correct horse battery"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other_ip.status_code == 302


def test_successful_login_resets_the_failure_count(app, auth):
    app.config["LOGIN_THROTTLE_ATTEMPTS"] = 3
    auth.register()
    auth.logout()
    auth.login(password="wrong password")
    auth.login(password="wrong password")
    assert auth.login().status_code == 302
    auth.logout()
    auth.login(password="wrong password")
    auth.login(password="wrong password")
    assert auth.login().status_code == 302


def test_next_parameter_never_redirects_off_site(client, auth):
    auth.register()
    auth.logout()
    response = client.post(
        "/auth/login?next=//evil.example/x",
        data={"email": "seller@example.com", "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/"
    auth.logout()
    response = client.post(
        "/auth/login?next=/runs/", data={"email": "seller@example.com", "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/runs/"


def test_session_cookie_is_httponly_and_samesite_lax(client, auth):
    response = auth.register()
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logged_out_htmx_request_gets_401_with_hx_redirect(client):
    response = client.get("/runs/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")
    assert response.data == b""
