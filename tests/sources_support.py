"""Helpers for the sources, CSV import and inventory tests: CSV files built in the test, uploads, items."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Source, SourceItem

HX = {"HX-Request": "true"}
HEADERS = ["sku", "title", "upc", "cost", "quantity"]


def csv_bytes(
    rows: list[list[object]],
    headers: list[str] | None = HEADERS,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """A CSV file as a spreadsheet would export it (CRLF line ends, minimal quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if headers is not None:
        writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def add_source(client, name: str = "Acme Supply", compliant: bool = False) -> int:
    """Create a source through the view; returns its id."""
    data = {"name": name, "contact_email": "orders@acme.example", "notes": ""}
    if compliant:
        data["bsa_compliant"] = "y"
    response = client.post("/sources/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/sources/(\d+)", response.headers["Location"]).group(1))


def upload(client, source_id: int, content: bytes, filename: str = "inventory.csv", htmx: bool = True):
    """POST a file to the source's upload view."""
    return client.post(
        f"/sources/{source_id}/uploads",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        headers=HX if htmx else {},
    )


def run_id_from(response) -> int:
    """The run id an upload (or mapping) response redirects to."""
    location = response.headers.get("HX-Redirect") or response.headers.get("Location", "")
    match = re.search(r"/runs/(\d+)", location)
    assert match, f"expected a redirect to a run, got {response.status_code} {location!r}"
    return int(match.group(1))


def items_by_sku(source_id: int | None = None) -> dict[str, SourceItem]:
    """Every stored item (of one source), by SKU, as committed now."""
    db.session.rollback()
    query = sa.select(SourceItem)
    if source_id is not None:
        query = query.where(SourceItem.source_id == source_id)
    return {item.sku: item for item in db.session.scalars(query)}


def source_by_name(name: str) -> Source:
    """A source by its name."""
    return db.session.scalar(sa.select(Source).where(Source.name == name))
