"""The dashboard: first steps for a new account, then latest runs and unread errors."""

from __future__ import annotations

import re

from tests.runs_support import user_by_email, work
from webapp.models import RunKind
from webapp.services.runs import start_run


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_new_account_sees_the_first_steps_and_can_run_a_diagnostic(client, auth):
    auth.register()

    page = client.get("/").get_data(as_text=True)

    assert "Get started" in page
    assert "Connect Amazon." in page and "Add a source." in page
    assert 'href="#"' not in page, "later pages are described, not linked to placeholders"
    assert 'action="/runs/diagnostic"' in page and "Run diagnostic" in page

    response = client.post("/runs/diagnostic", data={"steps": "1", "delay": "0"})
    assert re.fullmatch(r"/runs/\d+", response.headers["Location"])


def test_dashboard_shows_latest_runs_and_unread_error_count(app, client, auth, redis):
    auth.register()
    account_id = user_by_email().account_id
    failed = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0, "fail_at": 1}).run.id
    work(app, redis)
    partial = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 1, "delay": 0, "error": True}).run.id
    work(app, redis)

    page = client.get("/").get_data(as_text=True)

    assert "Get started" not in page
    assert f'href="/runs/{failed}"' in page and f'href="/runs/{partial}"' in page
    assert "status-failed" in page and "status-partial" in page
    assert re.search(r'<p class="big-number level-error">2</p>', page)
    assert re.search(r'<span id="error-badge" class="badge"[^>]*>2<', page)


def test_dashboard_shows_only_the_accounts_own_runs(app, client, auth, redis):
    auth.register()
    theirs = start_run(user_by_email().account_id, RunKind.DIAGNOSTIC).run.id
    auth.logout()
    auth.register(email="other@example.com", account_name="Other Co")

    page = client.get("/").get_data(as_text=True)

    assert f'href="/runs/{theirs}"' not in page and "Get started" in page
