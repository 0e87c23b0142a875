"""Turning one CSV record into source item values, or a plain-language reason to skip it.

Numbers. Comma-separated files (US/UK Excel) use ``.`` for decimals and may group thousands with
``,``: ``1,234.50`` = 1234.5; ``12,5`` is rejected there, because it is ambiguous. Semicolon-separated
files (European Excel) use ``,`` for decimals and may group thousands with ``.``: ``1.234,50`` =
1234.5 and ``12,5`` = 12.5; a lone dot is a decimal point (``12.5`` = 12.5, as many tools write it),
several dots are thousands (``1.234.567``), and one dot before exactly three digits (``1.000``) is
rejected as ambiguous (a thousand, or one?) rather than guessed. Currency symbols and spaces are
ignored; scientific notation (``1.2E+11``, Excel's way of showing long barcodes) and negative values
are rejected.
Prices keep 2 decimals and weights 3 (the database columns), rounded half up.

Identifiers. UPC (12 digits), EAN (13 or 8) and GTIN (8, 12, 13 or 14) must have a valid GS1 check
digit. Excel drops leading zeros from numbers, so an 11-digit UPC or a 12-digit EAN is padded with
one zero (a leading zero does not change the check digit).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from webapp.services.csv_import.columns import FIELDS_BY_NAME

# Column sizes of source_items: a longer value would fail the whole batch on PostgreSQL.
MAX_LENGTHS = {"sku": 120, "brand": 200, "mpn": 100}
MAX_PRICE = Decimal("9999999999.99")
MAX_WEIGHT = Decimal("9999999.999")
MAX_QUANTITY = 2**31 - 1
CENTS = Decimal("0.01")
GRAMS = Decimal("0.001")

# Amazon's condition_type values, and the words suppliers use for them (normalized like headers).
CONDITIONS = {
    "new": "new_new",
    "brandnew": "new_new",
    "newnew": "new_new",
    "newopenbox": "new_open_box",
    "openbox": "new_open_box",
    "newoem": "new_oem",
    "oem": "new_oem",
    "refurbished": "refurbished_refurbished",
    "refurbishedrefurbished": "refurbished_refurbished",
    "renewed": "refurbished_refurbished",
    "used": "used_good",
    "usedlikenew": "used_like_new",
    "likenew": "used_like_new",
    "usedverygood": "used_very_good",
    "verygood": "used_very_good",
    "usedgood": "used_good",
    "good": "used_good",
    "usedacceptable": "used_acceptable",
    "acceptable": "used_acceptable",
    "collectiblelikenew": "collectible_like_new",
    "collectibleverygood": "collectible_very_good",
    "collectiblegood": "collectible_good",
    "collectibleacceptable": "collectible_acceptable",
    "club": "club_club",
    "clubclub": "club_club",
}
DEFAULT_CONDITION = "new_new"

_CURRENCY_AND_SPACES = re.compile(r"[\s\u00a0\u202f$€£¥]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_AMBIGUOUS_DOT = re.compile(r"[+-]?\d{1,3}\.\d{3}")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_DIGITS = re.compile(r"[0-9]+")
_ASIN = re.compile(r"[A-Z0-9]{10}")
_IMAGE_SPLIT = re.compile(r"[|,\s]+")
_CONDITION_KEY = re.compile(r"[^0-9a-z]")

# Accepted lengths per identifier, and the length a short one is padded to.
_GTIN_LENGTHS = {"upc": ({12}, {11: 12}), "ean": ({8, 13}, {12: 13}), "gtin": ({8, 12, 13, 14}, {})}


class RowError(ValueError):
    """Why a row is skipped (the message names the column and the value)."""


def parse_number(text: str, label: str, decimal_comma: bool) -> Decimal:
    """A non-negative decimal written the way the file's locale writes it (see the module docstring)."""
    raw = text.strip()
    value = _CURRENCY_AND_SPACES.sub("", raw)
    if _SCIENTIFIC.fullmatch(value):
        raise RowError(
            f"{label} “{raw}” is in scientific notation; format the column as Number (or Text) in Excel "
            "and export again."
        )
    if decimal_comma:
        if _AMBIGUOUS_DOT.fullmatch(value):
            raise RowError(
                f"{label} “{raw}” is ambiguous in a file separated by “;”: write {value.replace('.', '')} "
                f"for thousands or {value.replace('.', ',')} for a decimal."
            )
        if _DOT_GROUPED.fullmatch(value) and ("," in value or value.count(".") > 1):
            value = value.replace(".", "").replace(",", ".")
        elif _DECIMAL_COMMA.fullmatch(value):
            value = value.replace(",", ".")
    elif _COMMA_GROUPED.fullmatch(value):
        value = value.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(value):
        hint = " (this file uses ; between columns, so write decimals as 12,5)" if decimal_comma else ""
        if not decimal_comma and _DECIMAL_COMMA.fullmatch(value):
            hint = " (this file uses , between columns, so write decimals with a dot: 12.5)"
        raise RowError(f"{label} “{raw}” is not a number{hint}.")
    number = Decimal(value)  # the pattern above lets only plain decimals through
    if number < 0:
        raise RowError(f"{label} “{raw}” is negative.")
    return number


def parse_price(text: str, label: str, decimal_comma: bool) -> Decimal | None:
    """A price with 2 decimals, or None for an empty cell."""
    if not text.strip():
        return None
    number = parse_number(text, label, decimal_comma).quantize(CENTS, rounding=ROUND_HALF_UP)
    if number > MAX_PRICE:
        raise RowError(f"{label} “{text.strip()}” is too large.")
    return number


def parse_weight(text: str, decimal_comma: bool) -> Decimal | None:
    """A weight with 3 decimals (in the supplier's unit), or None for an empty cell."""
    if not text.strip():
        return None
    number = parse_number(text, "Weight", decimal_comma).quantize(GRAMS, rounding=ROUND_HALF_UP)
    if number > MAX_WEIGHT:
        raise RowError(f"Weight “{text.strip()}” is too large.")
    return number


def parse_quantity(text: str, decimal_comma: bool) -> int:
    """A whole, non-negative quantity; an empty cell means none in stock."""
    if not text.strip():
        return 0
    number = parse_number(text, "Quantity", decimal_comma)
    if number != number.to_integral_value():
        raise RowError(f"Quantity “{text.strip()}” is not a whole number.")
    if number > MAX_QUANTITY:
        raise RowError(f"Quantity “{text.strip()}” is too large.")
    return int(number)


def gs1_check_digit_ok(code: str) -> bool:
    """True when the last digit of ``code`` is its GS1 (mod 10) check digit."""
    digits = [int(c) for c in code]
    body = reversed(digits[:-1])
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return (10 - total % 10) % 10 == digits[-1]


def parse_identifier(text: str, kind: str) -> str:
    """A UPC, EAN or GTIN with a valid check digit (``kind``: ``upc``, ``ean``, ``gtin``), or ``""``."""
    raw = text.strip()
    code = re.sub(r"[\s-]", "", raw)
    if not code:
        return ""
    label = kind.upper()
    if _SCIENTIFIC.fullmatch(code):
        raise RowError(
            f"{label} “{raw}” is in scientific notation (Excel shortened it); format the column as Text in "
            "Excel and export again."
        )
    lengths, padding = _GTIN_LENGTHS[kind]
    if _DIGITS.fullmatch(code) and len(code) in padding:
        code = code.zfill(padding[len(code)])
    if not _DIGITS.fullmatch(code) or len(code) not in lengths:
        sizes = " or ".join(str(n) for n in sorted(lengths))
        raise RowError(f"{label} “{raw}” must be {sizes} digits.")
    if not gs1_check_digit_ok(code):
        raise RowError(f"{label} “{raw}” has an invalid check digit.")
    return code


def parse_asin(text: str) -> str:
    """An ASIN (10 letters and digits), or ``""``."""
    code = text.strip().upper()
    if code and not _ASIN.fullmatch(code):
        raise RowError(f"ASIN “{text.strip()}” must be 10 letters and digits.")
    return code


def parse_condition(text: str) -> str:
    """Amazon's condition value for the supplier's wording (empty = new)."""
    key = _CONDITION_KEY.sub("", text.lower())
    if not key:
        return DEFAULT_CONDITION
    if key in CONDITIONS:
        return CONDITIONS[key]
    raise RowError(
        f"Condition “{text.strip()}” is not one we know (use New, Used, Refurbished, Like new...)."
    )


def split_image_urls(text: str) -> list[str]:
    """The http(s) URLs in a cell, separated by ``|``, ``,`` or whitespace."""
    urls = [url for url in _IMAGE_SPLIT.split(text.strip()) if url]
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise RowError(f"Image URL “{url}” must start with http:// or https://.")
    return urls


def _text(value: str, name: str) -> str:
    value = value.strip()
    limit = MAX_LENGTHS.get(name)
    if limit and len(value) > limit:
        raise RowError(f"{FIELDS_BY_NAME[name].label} is longer than {limit} characters.")
    return value


@dataclass(frozen=True)
class ParsedRow:
    """A good row: its SKU, the values of the mapped fields, and their hash."""

    number: int
    sku: str
    values: dict
    content_hash: str


class RowParser:
    """Parses records for one upload: its column mapping and its number convention."""

    def __init__(self, mapping: list[str], decimal_comma: bool) -> None:
        self.columns = [(index, name) for index, name in enumerate(mapping) if name]
        self.fields = sorted({name for _, name in self.columns} - {"sku"})
        self.width = len(mapping)
        self.decimal_comma = decimal_comma

    def parse(self, number: int, cells: list[str]) -> ParsedRow:
        """The row's values.

        Raises:
            RowError: the row must be skipped; the message says why.
        """
        if len(cells) > self.width:
            sep = ";" if self.decimal_comma else ","
            raise RowError(
                f"it has {len(cells)} cells but the header has {self.width}; a value probably contains an "
                f"unquoted “{sep}”."
            )
        values: dict = {}
        images: list[str] = []
        for index, name in self.columns:
            cell = cells[index] if index < len(cells) else ""
            if name == "image_urls":
                images.extend(split_image_urls(cell))
            else:
                values[name] = self._value(name, cell)
        sku = values.pop("sku")
        if not sku:
            raise RowError("the SKU is missing.")
        if "image_urls" in self.fields:
            values["image_urls"] = images
        return ParsedRow(number, sku, values, content_hash(values))

    def _value(self, name: str, cell: str):
        if name in ("cost", "msrp", "map_price"):
            return parse_price(cell, FIELDS_BY_NAME[name].label, self.decimal_comma)
        if name == "quantity":
            return parse_quantity(cell, self.decimal_comma)
        if name == "weight":
            return parse_weight(cell, self.decimal_comma)
        if name in ("upc", "ean", "gtin"):
            return parse_identifier(cell, name)
        if name == "asin":
            return parse_asin(cell)
        if name == "condition":
            return parse_condition(cell)
        return _text(cell, name)


def content_hash(values: dict) -> str:
    """SHA-256 of the imported fields and their values (field names included, so a file with other
    columns never looks "unchanged")."""
    parts = []
    for name in sorted(values):
        value = values[name]
        if isinstance(value, list):
            value = " ".join(value)
        parts.append(f"{name}={'' if value is None else value}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
