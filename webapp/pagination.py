"""Page numbers of the tables, parsed in one place: any ``?page=`` value gives a page that exists.

A number past the last page shows the last page (not an empty table claiming there are no rows);
anything that is not a positive whole number shows the first page. Huge numbers never reach the
database, whose OFFSET would overflow.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from webapp.extensions import db

# Larger page numbers are treated as this one: far past any real table, and page × per page still
# fits a 64-bit OFFSET.
MAX_PAGE = 1_000_000_000


def requested_page(arg: str = "page") -> int:
    """The page number in the query string: 1 unless a positive whole number, capped at ``MAX_PAGE``."""
    raw = request.args.get(arg, "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    # More digits than MAX_PAGE has is past it; checking length first avoids converting huge strings.
    if len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(raw), 1), MAX_PAGE)


def paginate(query: sa.Select, page: int | None = None) -> Pagination:
    """One page of ``query`` (``PER_PAGE`` rows), clamped to the last page.

    Args:
        query: the select to page through, already ordered.
        page: the page wanted; the request's ``?page=`` when omitted.

    Returns:
        The requested page, or the last page when the request asked past it.
    """
    page = requested_page() if page is None else min(max(page, 1), MAX_PAGE)
    per_page = current_app.config["PER_PAGE"]
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if not result.items and result.pages and page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result
