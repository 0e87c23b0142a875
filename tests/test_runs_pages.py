"""The runs pages: history, detail with live progress and Recent Notifications, start, cancel, isolation."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token_from
from tests.runs_support import fresh, notes, user_by_email, work
from webapp.models import RunKind, RunStatus
from webapp.services.runs import start_run

HX = {"HX-Request": "true"}


@pytest.fixture
def account_id(app, auth) -> int:
    """A registered, logged-in account."""
    auth.register()
    return user_by_email().account_id


def finished_run(app, redis, account_id: int, **params) -> int:
    """Run a diagnostic to the end; returns its id."""
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 2, "delay": 0, **params}).run.id
    work(app, redis)
    return run_id


def progress_value(html: str) -> tuple[int, int]:
    match = re.search(r'<progress value="(\d+)" max="(\d+)"', html)
    assert match, html
    return int(match.group(1)), int(match.group(2))


def test_runs_page_empty_state_says_what_to_do(client, account_id):
    page = client.get("/runs/").get_data(as_text=True)
    assert "No runs yet." in page
    assert "Run diagnostic" in page
    assert 'action="/runs/diagnostic"' in page


def test_runs_page_lists_runs_and_filters_by_kind_and_status(app, client, redis, account_id):
    failed = finished_run(app, redis, account_id, fail_at=1)
    succeeded = finished_run(app, redis, account_id)

    everything = client.get("/runs/").get_data(as_text=True)
    assert f'href="/runs/{failed}"' in everything and f'href="/runs/{succeeded}"' in everything
    assert "status-failed" in everything and "status-succeeded" in everything
    assert "steps: 2" in everything

    only_failed = client.get("/runs/?status=failed&kind=diagnostic").get_data(as_text=True)
    assert f'href="/runs/{failed}"' in only_failed and f'href="/runs/{succeeded}"' not in only_failed
    none = client.get("/runs/?status=cancelled").get_data(as_text=True)
    assert "No runs match these filters." in none
    assert client.get("/runs/?status=bogus").status_code == 200


def test_runs_table_is_a_partial_for_htmx_and_a_full_page_otherwise(app, client, redis, account_id):
    app.config["PER_PAGE"] = 1
    finished_run(app, redis, account_id)
    finished_run(app, redis, account_id)

    partial = client.get("/runs/?status=succeeded&page=2", headers=HX)
    full = client.get("/runs/?status=succeeded&page=2")

    assert partial.get_data(as_text=True).lstrip().startswith('<div id="run-table"')
    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in full.get_data(as_text=True) and 'id="run-table"' in full.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"] and "HX-Request" in full.headers["Vary"]
    assert "Page 2 of 2" in partial.get_data(as_text=True)
    assert 'hx-push-url="true"' in partial.get_data(as_text=True)


def test_run_diagnostic_button_starts_a_run_and_opens_it(client, account_id):
    response = client.post("/runs/diagnostic", data={"steps": "3", "delay": "0"})
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    run = fresh(run_id)
    assert run.kind == RunKind.DIAGNOSTIC and run.status == RunStatus.QUEUED
    assert run.params == {"steps": 3, "delay": 0.0}
    assert run.created_by_id == user_by_email().id

    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Diagnostic run #" in page and "Cancel run" in page and "hx-confirm=" in page


def test_run_diagnostic_while_one_is_active_says_so_and_links_to_it(client, account_id):
    first = client.post("/runs/diagnostic", data={})
    run_id = int(first.headers["Location"].rsplit("/", 1)[1])

    again = client.post("/runs/diagnostic", data={}, headers=HX)

    assert again.status_code == 204 and again.headers["HX-Redirect"] == "/runs/"
    page = client.get("/runs/").get_data(as_text=True)
    assert "A diagnostic run is already in progress" in page
    assert f'<a href="/runs/{run_id}">see run #{run_id}</a>' in page


def test_progress_partial_polls_while_active_and_stops_once_finished(app, client, redis, account_id):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC, params={"steps": 3, "delay": 0}).run.id

    queued = client.get(f"/runs/{run_id}/progress", headers=HX)
    body = queued.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in body and f'hx-get="/runs/{run_id}/progress"' in body
    assert "HX-Trigger" not in queued.headers
    assert '<progress aria-label="Not started yet"></progress>' in body

    work(app, redis)

    done = client.get(f"/runs/{run_id}/progress", headers=HX)
    body = done.get_data(as_text=True)
    assert "hx-trigger" not in body and "hx-get" not in body
    assert done.headers["HX-Trigger"] == "run-finished"
    assert progress_value(body) == (3, 3)
    assert "status-succeeded" in body and "Cancel run" not in body
    assert "<html" in client.get(f"/runs/{run_id}/progress").get_data(as_text=True)


def test_run_page_shows_errors_with_help_and_viewing_marks_them_read(app, client, redis, account_id):
    run_id = finished_run(app, redis, account_id, fail_at=2)
    badge = re.compile(r'<span id="error-badge"[^>]*>(.*?)</span>\s*</a>', re.S)

    assert "1<span" in badge.search(client.get("/").get_data(as_text=True)).group(1)

    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Simulated failure at step 2 of 2." in page
    assert '<small class="help">Changes made before the error are saved.' in page
    assert all(n.read_at is not None for n in notes(run_id, "error"))
    assert badge.search(client.get("/").get_data(as_text=True)).group(1).strip() == ""


def test_notifications_log_is_newest_first_filtered_and_paginated(app, client, redis, account_id):
    run_id = finished_run(app, redis, account_id, steps=3, warn=True)
    app.config["PER_PAGE"] = 2

    first = client.get(f"/runs/{run_id}/notifications", headers=HX).get_data(as_text=True)
    assert first.index("test warning") < first.index("Step 3 of 3")
    assert "Step 1 of 3" not in first and "Page 1 of 2" in first
    assert f'hx-push-url="/runs/{run_id}?page=2"' in first

    second = client.get(f"/runs/{run_id}/notifications?page=2", headers=HX).get_data(as_text=True)
    assert "Step 2 of 3" in second and "Step 1 of 3" in second

    warnings = client.get(f"/runs/{run_id}/notifications?level=warning", headers=HX).get_data(as_text=True)
    assert "test warning" in warnings and "Step" not in warnings
    assert "hx-trigger" not in warnings.split("</section>")[0], "a finished run's log does not poll"
    assert 'id="error-badge" hx-swap-oob="true"' in warnings

    full = client.get(f"/runs/{run_id}?level=warning").get_data(as_text=True)
    assert "<html" in full and "test warning" in full and "Step 1 of 3" not in full


def test_log_of_an_active_run_refreshes_itself(client, account_id):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC).run.id
    log = client.get(f"/runs/{run_id}/notifications", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 2s, run-finished from:body"' in log
    assert "Nothing reported yet." in log


def test_cancel_button_cancels_a_queued_run(client, account_id):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC).run.id

    response = client.post(f"/runs/{run_id}/cancel", headers=HX)

    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/runs/{run_id}"
    assert fresh(run_id).status == RunStatus.CANCELLED
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Run cancelled." in page and "Cancelled by seller@example.com." in page
    assert "Cancel run" not in page


def test_cancelling_a_finished_run_is_refused(app, client, redis, account_id):
    run_id = finished_run(app, redis, account_id)

    client.post(f"/runs/{run_id}/cancel")

    assert fresh(run_id).status == RunStatus.SUCCEEDED
    assert "already finished" in client.get(f"/runs/{run_id}").get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", "/progress", "/notifications"])
def test_another_accounts_run_is_not_found(app, client, auth, redis, account_id, suffix):
    run_id = start_run(account_id, RunKind.DIAGNOSTIC).run.id
    auth.logout()
    auth.register(email="other@example.com", account_name="Other Co")

    assert client.get(f"/runs/{run_id}{suffix}").status_code == 404
    assert client.get(f"/runs/{run_id}{suffix}", headers=HX).status_code == 404
    assert client.post(f"/runs/{run_id}/cancel").status_code == 404
    assert f"/runs/{run_id}" not in client.get("/runs/").get_data(as_text=True)
    assert fresh(run_id).status == RunStatus.QUEUED


def test_logged_out_htmx_request_gets_401_with_hx_redirect(client):
    response = client.get("/runs/?status=failed", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login?next=")
    assert client.get("/runs/").status_code == 302


def test_start_and_cancel_need_the_csrf_token(app, client, account_id):
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token_from(client.get("/runs/").get_data(as_text=True))

    assert client.post("/runs/diagnostic", data={}).status_code == 400
    started = client.post("/runs/diagnostic", data={"csrf_token": token})
    run_id = int(started.headers["Location"].rsplit("/", 1)[1])

    assert client.post(f"/runs/{run_id}/cancel", headers=HX).status_code == 400
    assert fresh(run_id).status == RunStatus.QUEUED
    cancelled = client.post(f"/runs/{run_id}/cancel", headers={**HX, "X-CSRFToken": token})
    assert cancelled.status_code == 204
    assert fresh(run_id).status == RunStatus.CANCELLED
