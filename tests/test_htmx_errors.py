"""Failed htmx requests: every page carries the alert region and its script; errors answer with the
error partial whose text the script shows (the browser side is tests/browser/test_htmx_errors.py)."""

from __future__ import annotations

import pytest

from tests.channels_support import HX

ERROR_SCRIPT = "/static/js/htmx-errors.js"


@pytest.fixture
def app_config(app_config):
    """CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.mark.parametrize("url", ["/auth/login", "/auth/register"])
def test_every_page_has_an_alert_region_and_the_script_that_fills_it(client, url):
    page = client.get(url).get_data(as_text=True)

    assert '<div id="htmx-alert" class="htmx-alert" role="alert"></div>' in page
    assert f'<script src="{ERROR_SCRIPT}" defer></script>' in page


def test_the_script_reports_error_responses_and_requests_that_never_arrived(client):
    script = client.get(ERROR_SCRIPT).get_data(as_text=True)

    for event in ("htmx:responseError", "htmx:sendError", "htmx:timeout"):
        assert f'"{event}"' in script
    assert 'getElementById("htmx-alert")' in script and ".error-box" in script


def test_back_and_forward_reload_the_table_from_the_server(client):
    """No history snapshots: a snapshot keeps the rows but not the values chosen in the filter controls."""
    page = client.get("/auth/login").get_data(as_text=True)

    assert '"historyCacheSize": 0' in page and '"historyRestoreAsHxRequest": false' in page


def test_an_expired_form_answers_htmx_with_the_error_partial_saying_to_reload(client):
    response = client.post("/auth/logout", headers={**HX, "X-CSRFToken": "expired"})

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body.startswith('<article class="error-box">') and "<h2>Please try again</h2>" in body
    assert "Reload the page and submit it again." in body


def test_a_missing_page_answers_htmx_with_the_error_partial(client):
    response = client.get("/no-such-page", headers=HX)

    assert response.status_code == 404
    assert '<article class="error-box">' in response.get_data(as_text=True)
