"""Paging of the getFeeds / getReports lists: the request's filters survive in an opaque nextToken."""

from __future__ import annotations

import json
from typing import Any

from sandbox.errors import ApiError


def list_request(params: dict[str, Any], types_key: str) -> tuple[dict[str, Any], int, int]:
    """(filters, offset, page size) of a list request; a nextToken replaces the filters it was made from.

    Raises:
        ApiError: 400 InvalidInput for a bad token, a missing ``types_key`` or a page size out of range.
    """
    params = dict(params)
    offset = 0
    if params.get("nextToken"):
        try:
            token = json.loads(bytes.fromhex(params["nextToken"]).decode())
            params, offset = token["params"], int(token["offset"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiError(400, "InvalidInput", "Invalid nextToken.") from exc
    elif not params.get(types_key):
        raise ApiError(400, "InvalidInput", f"Either {types_key} or nextToken is required.")
    page_size = int(params.get("pageSize", 10))
    if not 1 <= page_size <= 100:
        raise ApiError(400, "InvalidInput", "pageSize must be between 1 and 100.")
    return params, offset, page_size


def list_page(
    matches: list[dict], items_key: str, params: dict[str, Any], offset: int, page_size: int
) -> dict[str, Any]:
    """The response body: one page of ``matches`` and, when more follow, the token for the next page."""
    body: dict[str, Any] = {items_key: matches[offset : offset + page_size]}
    if offset + page_size < len(matches):
        filters = {k: v for k, v in params.items() if k != "nextToken"}
        token = {"params": filters, "offset": offset + page_size}
        body["nextToken"] = json.dumps(token).encode().hex()
    return body
