"""Shipments from a CSV: one line per order item of a package; bad lines reported, good packages saved.

Columns (header names matched ignoring case, spaces and punctuation, with common aliases): order id,
carrier, carrier name, method, tracking, ship date, sku, quantity. Lines with the same order id and
tracking number are one package. The file is read like a supplier CSV (``csv_import.formats``): UTF-8
with or without BOM, Excel's Windows-1252, UTF-16; comma, semicolon or tab separated.

A package is saved whole or not at all: when one of its lines is bad, every line of it is reported (the
bad one with its reason, the others as "not saved"), and the other packages are saved. A package whose
tracking number the order already has is skipped, so uploading the same file twice adds nothing.
Validation is the form's (``webapp.services.shipments``): carrier from Amazon's list or Other + name,
no near miss of a known shipping method, quantities within what the order still has to ship, no FBA or
cancelled orders.

Ship dates: ISO ``2026-01-31`` always; ``31.01.2026`` (dotted, day first, as European Excel writes it);
with slashes, a date that reads only one way (a part above 12: ``11/29/2026``, ``29/11/2026``) is read
that way, and an ambiguous one (``11/02/2026``) follows the order's channel marketplace: month first on
Amazon.com (US Excel writes ``m/d/yyyy``), day first everywhere else. The rule is per order, so it is
applied when the line's order is known.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Channel, Order, Shipment
from webapp.services.carriers import OTHER, canonical_carrier, carrier_problem
from webapp.services.csv_import.columns import normalize_header
from webapp.services.csv_import.formats import UnreadableFile, detect_format, iter_records
from webapp.services.csv_import.values import RowError, parse_quantity
from webapp.services.shipments import NewShipment, ShipmentDetails, ShipmentError, add_shipment
from webapp.timeutil import utcnow

MAX_LINES = 5000
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("orderid", "amazonorderid", "order", "ordernumber"),
    "carrier": ("carrier", "carriercode"),
    "carrier_name": ("carriername",),
    "method": ("method", "shippingmethod", "shipmethod", "shippingservice", "service"),
    "tracking": ("tracking", "trackingnumber", "trackingid", "trackingno"),
    "ship_date": ("shipdate", "shippingdate", "dateshipped", "shippeddate", "date"),
    "sku": ("sku", "sellersku", "merchantsku"),
    "quantity": ("quantity", "qty", "quantityshipped"),
}
REQUIRED = ("order_id", "carrier", "tracking", "sku", "quantity")
LABELS = {
    "order_id": "order id",
    "carrier": "carrier",
    "tracking": "tracking",
    "sku": "sku",
    "quantity": "quantity",
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Marketplaces whose sellers' spreadsheets write an ambiguous slash date month first (Amazon.com).
MONTH_FIRST_MARKETPLACES = frozenset({"ATVPDKIKX0DER"})


@dataclass(frozen=True)
class Line:
    """One data line, parsed."""

    number: int
    order_id: str
    carrier_code: str
    carrier_name: str
    method: str
    tracking: str
    ship_date_text: str  # resolved with the order's marketplace (``ship_date``)
    sku: str
    quantity: int

    def ship_date(self, month_first: bool) -> date:
        """The ship date, ambiguous slash dates read month first or day first."""
        return parse_ship_date(self.ship_date_text, month_first)


@dataclass
class UploadResult:
    """What an upload did: packages saved, lines skipped as already entered, and bad lines with reasons."""

    saved: list[tuple[str, int]] = field(default_factory=list)  # (Amazon order id, package number)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    lines: int = 0


def column_positions(headers: list[str]) -> dict[str, int]:
    """Which column holds each field (the first column naming it wins).

    Raises:
        UnreadableFile: a required column is missing (named, with the accepted headers).
    """
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = _ALIASES.get(normalize_header(header))
        if name and name not in positions:
            positions[name] = index
    missing = [LABELS[name] for name in REQUIRED if name not in positions]
    if missing:
        raise UnreadableFile(
            f"The file has no {', '.join(missing)} column. The header row needs: order id, carrier, "
            "carrier name, method, tracking, ship date, sku, quantity."
        )
    return positions


def slash_month_first(marketplace_id: str) -> bool:
    """Whether an ambiguous slash date of this marketplace's sellers is month first (see the module)."""
    return marketplace_id in MONTH_FIRST_MARKETPLACES


def parse_ship_date(text: str, month_first: bool) -> date:
    """A ship date as ISO (2026-01-31), 31.01.2026, or with slashes: read the only way it can be when a
    part is above 12, else month first if ``month_first`` (day first otherwise); empty means today."""
    value = text.strip()
    if not value:
        return utcnow().date()
    try:
        if match := _ISO_DATE.fullmatch(value):
            year, month, day = match.groups()
        elif match := _DOTTED_DATE.fullmatch(value):
            day, month, year = match.groups()
        elif match := _SLASHED_DATE.fullmatch(value):
            first, second, year = match.groups()
            if int(first) > 12 or (int(second) <= 12 and not month_first):
                day, month = first, second
            else:
                month, day = first, second
        else:
            raise ValueError(value)
        return date(int(year), int(month), int(day))
    except ValueError:
        raise RowError(f"Ship date “{value}” is not a date (write it as 2026-01-31).") from None


def _checked_date_text(text: str) -> str:
    """The ship date cell if it is a date in at least one reading (which one depends on the order).

    Raises:
        RowError: it is a date in no reading.
    """
    parse_ship_date(text, month_first=True)  # a part above 12 settles the order whatever the flag
    return text.strip()


def _carrier(code_text: str, name_text: str) -> tuple[str, str]:
    code = code_text.strip()
    name = " ".join(name_text.split())
    if not code and name:
        return OTHER, name
    canonical = canonical_carrier(code)
    if canonical is None:
        problem = carrier_problem(code)
        hint = f" Did you mean “{problem.suggestion}”?" if problem and problem.suggestion else ""
        raise RowError(
            f"Carrier “{code}” is not one of Amazon's carrier codes.{hint} Write Other and put the "
            "carrier in the carrier name column if it is not in Amazon's list."
        )
    return canonical, name


def parse_line(number: int, cells: list[str], positions: dict[str, int], decimal_comma: bool) -> Line:
    """One data line as values.

    Raises:
        RowError: a required value is missing or unreadable.
    """

    def cell(name: str) -> str:
        index = positions.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for name in REQUIRED:
        if not cell(name) and not (name == "carrier" and cell("carrier_name")):
            raise RowError(f"The {LABELS[name]} is missing.")
    code, name = _carrier(cell("carrier"), cell("carrier_name"))
    quantity = parse_quantity(cell("quantity"), decimal_comma=decimal_comma)
    if quantity < 1:
        raise RowError("The quantity must be at least 1.")
    return Line(
        number=number,
        order_id=cell("order_id"),
        carrier_code=code,
        carrier_name=name,
        method=cell("method"),
        tracking=cell("tracking"),
        ship_date_text=_checked_date_text(cell("ship_date")),
        sku=cell("sku"),
        quantity=quantity,
    )


def read_lines(content: bytes, result: UploadResult) -> list[Line]:
    """The file's good lines; unreadable ones go to ``result.errors``.

    Raises:
        UnreadableFile: not a CSV, no header, a required column missing, or too many lines.
    """
    fmt = detect_format(content)
    positions: dict[str, int] | None = None
    lines: list[Line] = []
    for record in iter_records(content, fmt):
        if record.cells is not None and not any(cell.strip() for cell in record.cells):
            continue
        if positions is None:
            if record.cells is None:
                raise UnreadableFile(f"The header row could not be read: {record.error}.")
            positions = column_positions(record.cells)
            continue
        result.lines += 1
        if result.lines > MAX_LINES:
            raise UnreadableFile(f"The file has more than {MAX_LINES} lines; split it into smaller files.")
        if record.cells is None:
            result.errors.append((record.number, record.error))
            continue
        try:
            lines.append(parse_line(record.number, record.cells, positions, fmt.decimal_comma))
        except RowError as error:
            result.errors.append((record.number, str(error)))
    if positions is None:
        raise UnreadableFile("The file is empty.")
    return lines


def _orders(account_id: int, order_ids: set[str]) -> dict[str, list[Order]]:
    found: dict[str, list[Order]] = defaultdict(list)
    ids = sorted(order_ids)
    for start in range(0, len(ids), 500):
        query = sa.select(Order).where(
            Order.account_id == account_id, Order.amazon_order_id.in_(ids[start : start + 500])
        )
        for order in db.session.scalars(query):
            found[order.amazon_order_id].append(order)
    return found


def _quantities(order: Order, lines: list[Line]) -> dict[int, int]:
    """The package's quantities by order item; an SKU the order has twice fills its lines in turn.

    Raises:
        RowError: an SKU that is not in the order.
    """
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[line.sku] += line.quantity
    quantities: dict[int, int] = {}
    for sku, count in wanted.items():
        items = [item for item in order.items if item.sku == sku]
        if not items:
            raise RowError(f"Order {order.amazon_order_id} has no item with SKU “{sku}”.")
        for item in items[:-1]:
            quantities[item.id] = min(count, item.quantity_ordered)
            count -= quantities[item.id]
        quantities[items[-1].id] = count  # any excess lands here and is refused with the order's numbers
    return quantities


def _package_problem(lines: list[Line], month_first: bool) -> str:
    first = lines[0]
    for line in lines[1:]:
        if (line.carrier_code, line.carrier_name, line.method, line.ship_date(month_first)) != (
            first.carrier_code,
            first.carrier_name,
            first.method,
            first.ship_date(month_first),
        ):
            return (
                f"Lines {first.number} and {line.number} have the same tracking number but a different "
                "carrier, method or ship date."
            )
    return ""


def _save_package(order: Order, lines: list[Line], month_first: bool, user_id: int | None) -> int:
    """Add one package; returns its package number.

    Raises:
        RowError / ShipmentError: the package does not fit the order (nothing saved).
    """
    first = lines[0]
    new = NewShipment(
        ShipmentDetails(
            first.carrier_code,
            first.carrier_name,
            first.method,
            first.tracking,
            first.ship_date(month_first),
        ),
        _quantities(order, lines),
    )
    savepoint = db.session.begin_nested()
    try:
        shipment = add_shipment(order, new, user_id)
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return shipment.package_reference_id


def import_shipments(account_id: int, content: bytes, user_id: int | None = None) -> UploadResult:
    """Read the file and save its good packages; the caller commits.

    Raises:
        UnreadableFile: the file as a whole cannot be read (nothing is saved).
    """
    result = UploadResult()
    lines = read_lines(content, result)
    packages: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for line in lines:
        packages[(line.order_id, line.tracking)].append(line)
    orders = _orders(account_id, {order_id for order_id, _ in packages})
    marketplaces: dict[int, str] = {}
    for (order_id, tracking), package in packages.items():
        reason = ""
        matches = orders.get(order_id, [])
        month_first = False
        if not matches:
            reason = f"There is no order {order_id} in Shelfsync (run Get Orders first, or check the id)."
        elif len(matches) > 1:
            reason = f"Order {order_id} is on more than one channel; enter this package on the order's page."
        else:
            channel_id = matches[0].channel_id
            if channel_id not in marketplaces:
                marketplaces[channel_id] = db.session.get(Channel, channel_id).marketplace_id
            month_first = slash_month_first(marketplaces[channel_id])
            reason = _package_problem(package, month_first)
        if reason:
            _report(result, package, reason)
            continue
        order = matches[0]
        existing = db.session.scalar(
            sa.select(Shipment.package_reference_id).where(
                Shipment.order_id == order.id, Shipment.tracking_number == tracking
            )
        )
        if existing is not None:
            for line in package:
                result.skipped.append(
                    (line.number, f"Order {order_id} already has tracking {tracking} (package {existing}).")
                )
            continue
        try:
            number = _save_package(order, package, month_first, user_id)
        except (RowError, ShipmentError) as error:
            _report(result, package, str(error))
            continue
        result.saved.append((order_id, number))
    result.errors.sort()
    result.skipped.sort()
    return result


def _report(result: UploadResult, package: list[Line], reason: str) -> None:
    """Every line of a refused package, the first with the reason and the others pointing at it."""
    first = package[0].number
    result.errors.append((first, reason))
    for line in package[1:]:
        result.errors.append((line.number, f"Not saved: same package as line {first}."))
