"""Helpers for the connections tests: walk the sandbox's consent page over HTTP, count and load rows."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import sqlalchemy as sa

from sandbox.seed import DEMO_SELLER_ID
from webapp.extensions import db
from webapp.models import Connection

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def start_connect(client, marketplace_id: str = US) -> str:
    """Click Connect with Amazon; returns the consent URL Shelfsync redirected to."""
    response = client.post("/connections/connect", data={"marketplace_id": marketplace_id})
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def consent(consent_url: str, action: str = "authorize", seller_id: str = DEMO_SELLER_ID) -> str:
    """Open the sandbox's consent page, pick ``seller_id``, click Authorize (or Cancel).

    Returns:
        The path and query of Amazon's redirect back to Shelfsync (``/connections/amazon/callback?...``).
    """
    with httpx.Client() as browser:
        page = browser.get(consent_url)
        assert page.status_code == 200, page.text
        form = page.text[page.text.index("<form") :]
        target = re.search(r'<form[^>]*action="([^"]+)"', form).group(1)
        fields = {
            name: html.unescape(value)
            for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
        }
        fields.update(seller_id=seller_id, action=action)
        answer = browser.post(urljoin(str(page.url), target), data=fields)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    return f"{location.path}?{location.query}"


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def with_param(callback: str, **changes: str) -> str:
    """``callback`` with some query parameters replaced."""
    params = {**query_of(callback), **changes}
    return f"{urlsplit(callback).path}?{urlencode(params)}"


def connections() -> list[Connection]:
    """Every connection as committed now, oldest first."""
    db.session.rollback()
    return list(db.session.scalars(sa.select(Connection).order_by(Connection.id)))


def connect_through_sandbox(client, marketplace_id: str = US, seller_id: str = DEMO_SELLER_ID):
    """The whole one-click flow; returns the callback's response."""
    return client.get(consent(start_connect(client, marketplace_id), seller_id=seller_id))
