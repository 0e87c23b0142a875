"""The fields a supplier CSV can fill, and how file headers map to them.

Matching ignores case, spaces, underscores and punctuation (``Item SKU`` = ``item_sku`` = ``ITEM-SKU``)
and knows common aliases (``Qty``, ``MAP``, ``RRP``). Images come in one column (URLs separated by
``|``, ``,`` or whitespace) or in several (``image_url_1``, ``Image 2``...): every column mapped to
``image_urls`` adds its URLs, in column order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """An importable field of a source item."""

    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field(
        "sku",
        "SKU",
        ("sku", "itemsku", "sellersku", "productsku", "merchantsku", "suppliersku", "vendorsku", "skucode"),
        required=True,
    ),
    Field("title", "Title", ("title", "name", "productname", "itemname", "producttitle", "itemtitle")),
    Field(
        "description",
        "Description",
        ("description", "productdescription", "itemdescription", "longdescription", "desc"),
    ),
    Field("brand", "Brand", ("brand", "brandname", "manufacturer", "make")),
    Field("upc", "UPC", ("upc", "upccode", "upca")),
    Field("ean", "EAN", ("ean", "ean13", "eancode")),
    Field("gtin", "GTIN", ("gtin", "gtin14", "gtin13", "gtin12")),
    Field("mpn", "MPN", ("mpn", "manufacturerpartnumber", "partnumber", "mfrpartnumber", "mfgpartnumber")),
    Field("asin", "ASIN", ("asin",)),
    Field(
        "cost", "Cost", ("cost", "unitcost", "costprice", "wholesale", "wholesaleprice", "price", "buyprice")
    ),
    Field("msrp", "MSRP", ("msrp", "rrp", "srp", "listprice", "retailprice")),
    Field("map_price", "MAP price", ("map", "mapprice", "minimumadvertisedprice")),
    Field(
        "quantity",
        "Quantity",
        ("quantity", "qty", "stock", "stockqty", "qtyavailable", "quantityavailable", "available", "onhand"),
    ),
    Field(
        "image_urls",
        "Image URLs",
        ("imageurls", "imageurl", "images", "image", "imagelinks", "imagelink", "pictureurls", "pictures"),
    ),
    Field("weight", "Weight", ("weight", "shippingweight", "itemweight", "productweight")),
    Field("condition", "Condition", ("condition", "itemcondition", "conditiontype")),
)
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
IGNORE = ""
# Fields more than one column may feed; every other field takes at most one column.
MULTI_COLUMN_FIELDS = frozenset({"image_urls"})

_ALIASES = {alias: field.name for field in FIELDS for alias in field.aliases}
# "image_url_1", "Image 2", "picture3": one image per column.
_NUMBERED_IMAGE = re.compile(r"(?:imageurl|image|picture|pictureurl|photo)\d+")


def normalize_header(header: str) -> str:
    """``"Item SKU"`` → ``"itemsku"``: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", header.lower())


def guess_field(header: str) -> str:
    """The field a header names, or ``IGNORE`` when it names none we know."""
    key = normalize_header(header)
    if key in _ALIASES:
        return _ALIASES[key]
    if _NUMBERED_IMAGE.fullmatch(key):
        return "image_urls"
    return IGNORE


def auto_mapping(headers: list[str]) -> list[str]:
    """The field of each column by position; a field already taken by an earlier column is not repeated."""
    mapping: list[str] = []
    taken: set[str] = set()
    for header in headers:
        field = guess_field(header)
        if field in taken and field not in MULTI_COLUMN_FIELDS:
            field = IGNORE
        if field:
            taken.add(field)
        mapping.append(field)
    return mapping


def mapping_problems(mapping: list[str]) -> list[str]:
    """What keeps ``mapping`` from being imported (empty when it is complete)."""
    problems = []
    for field in FIELDS:
        if field.required and field.name not in mapping:
            problems.append(f"Choose the column that holds the {field.label}.")
    for field in FIELDS:
        if field.name not in MULTI_COLUMN_FIELDS and mapping.count(field.name) > 1:
            problems.append(f"Only one column can be the {field.label}.")
    unknown = sorted({name for name in mapping if name and name not in FIELDS_BY_NAME})
    if unknown:
        problems.append(f"Unknown fields: {', '.join(unknown)}.")
    return problems


def needs_review(headers: list[str], mapping: list[str]) -> bool:
    """True when the seller must map columns before the import can start.

    That is when a required field is missing, or when two columns name the same field (``Qty`` and
    ``Stock``): silently keeping one of them could import the wrong numbers.
    """
    if mapping_problems(mapping):
        return True
    guessed = [guess_field(header) for header in headers]
    return any(guessed.count(name) > 1 for name in set(guessed) if name and name not in MULTI_COLUMN_FIELDS)
