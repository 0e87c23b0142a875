"""Read a GET_MERCHANT_LISTINGS_ALL_DATA (or ``..._DATA`` / ``..._INACTIVE_DATA``) flat file, streaming.

The document is tab-separated text with one header row (NOTES §5.4). Amazon has shipped it with 27, 28
or 29 columns, with B2B price columns in the middle and with extra columns at the end, so every value is
read by header name, never by position. Lines come already decoded (``SellerApi.iter_report_lines``
follows the download's charset), so this module only deals with the shape of the text.

Real downloads also carry damaged lines; each is handled the way that loses least:

- a value holding a line break splits its row in two: the two parts are joined again when together they
  have exactly the header's number of fields;
- a short row gets blanks for its missing trailing columns, a long row's extra fields are dropped;
- a price or quantity that is not a number reads as None.

Each such row still comes out, with ``problems`` saying what was wrong, so a caller can warn about it
(matching by SKU still works on a damaged row). Lines without a SKU are reported and left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SKU_COLUMN = "seller-sku"
# Column names as Amazon writes them (lower-cased, surrounding spaces removed, before lookup).
COLUMNS = {
    "sku": SKU_COLUMN,
    "title": "item-name",
    "description": "item-description",
    "listing_id": "listing-id",
    "price": "price",
    "quantity": "quantity",
    "open_date": "open-date",
    "image_url": "image-url",
    "product_id_type": "product-id-type",
    "product_id": "product-id",
    "condition_code": "item-condition",
    "note": "item-note",
    "asin": "asin1",
    "fulfillment_channel": "fulfillment-channel",
    "shipping_group": "merchant-shipping-group",
    "status": "status",
    "business_price": "business price",
}
PRODUCT_ID_TYPES = {"1": "ASIN", "2": "ISBN", "3": "UPC", "4": "EAN"}
# item-condition codes (NOTES §5.4) → Listings Items condition_type values.
CONDITIONS = {
    "11": "new_new",
    "1": "used_like_new",
    "2": "used_very_good",
    "3": "used_good",
    "4": "used_acceptable",
    "5": "collectible_like_new",
    "6": "collectible_very_good",
    "7": "collectible_good",
    "8": "collectible_acceptable",
    "10": "refurbished_refurbished",
}
_NUMBER = re.compile(r"^-?[\d.,]+$")


@dataclass(frozen=True)
class ReportRow:
    """One listing of the report, with the values Shelfsync uses parsed; ``values`` has every column."""

    line: int
    sku: str
    asin: str
    listing_id: str
    title: str
    description: str
    price: Decimal | None
    quantity: int | None
    fulfillment_channel: str
    status: str
    condition_type: str
    product_id: str
    product_id_type: str
    image_url: str
    open_date: str
    business_price: Decimal | None
    values: dict[str, str] = field(repr=False)
    problems: tuple[str, ...] = ()

    @property
    def is_fba(self) -> bool:
        """True for Amazon-fulfilled offers (AMAZON_NA/EU/FE): their quantity is blank, Amazon's."""
        return self.fulfillment_channel.upper().startswith("AMAZON")

    @property
    def active(self) -> bool:
        """True when Amazon lists the offer as Active (others are Inactive or Incomplete)."""
        return self.status.lower() == "active"


def parse_price(text: str) -> Decimal | None:
    """A price as the report writes it (``12.34``; ``1.234,56`` or ``12,34`` in some locales), or None."""
    text = text.strip().replace(" ", "")
    if not text or not _NUMBER.match(text):
        return None
    if "," in text and "." in text:
        # The last separator is the decimal one; the other groups thousands.
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def parse_quantity(text: str) -> int | None:
    """A whole quantity, or None when blank (FBA) or not a whole number."""
    text = text.strip()
    return int(text) if text.isdigit() else None


def _fields(line: str) -> list[str]:
    return line.split("\t")


def _joined_lines(lines: Iterable[str], width: int) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line number, fields, problems) per data row, rejoining rows a line break split in two."""
    pending: tuple[int, list[str]] | None = None
    number = 1
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        fields = _fields(line)
        if pending is not None:
            first_number, first = pending
            pending = None
            if len(first) + len(fields) - 1 == width:
                merged = [*first[:-1], f"{first[-1]} {fields[0]}", *fields[1:]]
                yield first_number, merged, ["a line break inside a value split this row"]
                continue
            yield first_number, first, []
        if len(fields) < width:
            pending = (number, fields)
            continue
        yield number, fields, []
    if pending is not None:
        yield pending[0], pending[1], []


def read_rows(
    lines: Iterable[str],
    on_problem: Callable[[int, str, str], None] | None = None,
    required: Iterable[str] = (),
) -> Iterator[ReportRow]:
    """Stream the report's rows (header by name; see the module docstring for damaged lines).

    Args:
        lines: the document's decoded lines, header first (an empty document yields nothing).
        on_problem: called as ``on_problem(line, sku, message)`` for each line left out (no SKU).
        required: header names (as Amazon writes them) the caller cannot do without.

    Raises:
        ValueError: the header has no ``seller-sku`` column (not a listings report) or lacks one of
            ``required`` (raised before any row is read).
    """
    iterator = iter(lines)
    header_line = next((line for line in iterator if line.strip()), None)
    if header_line is None:
        return
    header = [name.strip().lower().lstrip("\ufeff") for name in _fields(header_line)]
    if SKU_COLUMN not in header:
        raise ValueError("The report has no seller-sku column: it is not a listings report.")
    missing = [name for name in required if name.lower() not in header]
    if missing:
        raise ValueError(f"The report has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}.")
    width = len(header)
    index = {name: position for position, name in enumerate(header)}
    for number, fields, problems in _joined_lines(iterator, width):
        if len(fields) < width:
            problems.append(f"{width - len(fields)} columns missing at the end of the row")
            fields = fields + [""] * (width - len(fields))
        elif len(fields) > width:
            problems.append(f"{len(fields) - width} unexpected extra values at the end of the row")
            fields = fields[:width]
        values = dict(zip(header, fields, strict=True))
        row = _row(number, values, index, problems)
        if row is None:
            if on_problem is not None:
                on_problem(number, "", "The row has no seller-sku; it was left out.")
            continue
        yield row


def _row(number: int, values: dict[str, str], index: dict[str, int], problems: list[str]) -> ReportRow | None:
    def get(key: str) -> str:
        return values.get(COLUMNS[key], "").strip() if COLUMNS[key] in index else ""

    sku = get("sku")
    if not sku:
        return None
    price_text, quantity_text = get("price"), get("quantity")
    price, quantity = parse_price(price_text), parse_quantity(quantity_text)
    if price_text and price is None:
        problems.append(f"price {price_text!r} is not a number")
    if quantity_text and quantity is None:
        problems.append(f"quantity {quantity_text!r} is not a whole number")
    fulfillment = get("fulfillment_channel").upper() or "DEFAULT"
    return ReportRow(
        line=number,
        sku=sku,
        asin=get("asin").upper(),
        listing_id=get("listing_id"),
        title=get("title"),
        description=get("description"),
        price=price,
        quantity=None if fulfillment != "DEFAULT" else quantity,
        fulfillment_channel=fulfillment,
        status=get("status"),
        condition_type=CONDITIONS.get(get("condition_code"), ""),
        product_id=get("product_id"),
        product_id_type=PRODUCT_ID_TYPES.get(get("product_id_type"), ""),
        image_url=get("image_url"),
        open_date=get("open_date"),
        business_price=parse_price(get("business_price")),
        values=values,
        problems=tuple(problems),
    )
