"""Product Type Definitions 2020-09-01 and the attribute JSON Schemas the sandbox serves and enforces.

Only the generic `PRODUCT` type exists. Its attribute schema (a JSON Schema, as Amazon serves behind
`schema.link.resource`) is built here; `required` depends on the requirements set, and the listings
put validation uses the same required lists and schema.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from flask import Blueprint, Response, abort, request
from jsonschema import Draft7Validator

from sandbox.errors import ApiError
from sandbox.operations import OperationContext, operation
from sandbox.seed import MARKETPLACE_BY_ID

MODEL = "definitionsProductTypes_2020-09-01"
VERSION = "U1234567890ABCDEF"

bp = Blueprint("product_type_schemas", __name__, url_prefix="/_sandbox/product-types")

PRODUCT_TYPES = {"PRODUCT": "Product"}

REQUIRED: dict[str, list[str]] = {
    "LISTING": ["item_name", "brand", "externally_assigned_product_identifier", "condition_type"],
    "LISTING_PRODUCT_ONLY": ["item_name", "brand", "externally_assigned_product_identifier"],
    "LISTING_OFFER_ONLY": ["merchant_suggested_asin", "condition_type"],
}

CONDITIONS = [
    "new_new",
    "new_open_box",
    "new_oem",
    "refurbished_refurbished",
    "used_like_new",
    "used_very_good",
    "used_good",
    "used_acceptable",
    "collectible_like_new",
    "collectible_very_good",
    "collectible_good",
    "collectible_acceptable",
    "club_club",
]


def _values(
    value_schema: dict[str, Any], *, text: bool = False, required: tuple[str, ...] = ("value",)
) -> dict:
    props: dict[str, Any] = {"value": value_schema, "marketplace_id": {"type": "string"}}
    if text:
        props["language_tag"] = {"type": "string"}
    return {
        "type": "array",
        "minItems": 1,
        "items": {"type": "object", "required": list(required), "properties": props},
    }


_TEXT = {"type": "string", "minLength": 1}
_MONEY_SCHEDULE = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["schedule"],
        "properties": {
            "schedule": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["value_with_tax"],
                    "properties": {
                        "value_with_tax": {"type": "number", "minimum": 0},
                        "start_at": {"type": "object"},
                        "end_at": {"type": "object"},
                    },
                },
            }
        },
    },
}

ATTRIBUTES: dict[str, dict[str, Any]] = {
    "item_name": _values({**_TEXT, "maxLength": 200}, text=True),
    "brand": _values({**_TEXT, "maxLength": 100}, text=True),
    "manufacturer": _values(_TEXT, text=True),
    "model_number": _values(_TEXT),
    "part_number": _values(_TEXT),
    "color": _values(_TEXT, text=True),
    "size": _values(_TEXT, text=True),
    "product_description": _values({**_TEXT, "maxLength": 2000}, text=True),
    "bullet_point": {**_values({**_TEXT, "maxLength": 500}, text=True), "maxItems": 10},
    "generic_keyword": _values(_TEXT, text=True),
    "item_type_keyword": _values(_TEXT),
    "country_of_origin": _values(_TEXT),
    "number_of_items": _values({"type": "integer", "minimum": 1}),
    "item_package_quantity": _values({"type": "integer", "minimum": 1}),
    "condition_type": _values({"type": "string", "enum": CONDITIONS}),
    "condition_note": _values({**_TEXT, "maxLength": 1000}, text=True),
    "merchant_suggested_asin": _values({"type": "string", "pattern": "^[A-Z0-9]{10}$"}),
    "externally_assigned_product_identifier": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": ["upc", "ean", "gtin", "isbn", "jan"]},
                "value": {"type": "string", "pattern": "^[0-9]{8,14}$"},
                "marketplace_id": {"type": "string"},
            },
        },
    },
    "supplier_declared_has_product_identifier_exemption": _values({"type": "boolean"}),
    "list_price": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"type": "number", "minimum": 0},
                "currency": {"type": "string"},
                "marketplace_id": {"type": "string"},
            },
        },
    },
    "purchasable_offer": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["currency"],
            "properties": {
                "marketplace_id": {"type": "string"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "audience": {"type": "string", "enum": ["ALL", "B2B"]},
                "our_price": _MONEY_SCHEDULE,
                "discounted_price": _MONEY_SCHEDULE,
                "minimum_seller_allowed_price": _MONEY_SCHEDULE,
                "maximum_seller_allowed_price": _MONEY_SCHEDULE,
                "start_at": {"type": "object"},
                "end_at": {"type": "object"},
            },
        },
    },
    "fulfillment_availability": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["fulfillment_channel_code"],
            "properties": {
                "fulfillment_channel_code": {"type": "string", "pattern": "^(DEFAULT|AMAZON_[A-Z]{2})$"},
                "quantity": {"type": "integer", "minimum": 0},
                "lead_time_to_ship_max_days": {"type": "integer", "minimum": 0},
                "restock_date": {"type": "string"},
                "is_inventory_available": {"type": "boolean"},
            },
        },
    },
    "merchant_shipping_group": _values(_TEXT),
    "max_order_quantity": _values({"type": "integer", "minimum": 1}),
    "main_product_image_locator": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["media_location"],
            "properties": {
                "media_location": {"type": "string", "pattern": "^https?://"},
                "marketplace_id": {"type": "string"},
            },
        },
    },
    **{
        f"other_product_image_locator_{n}": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["media_location"],
                "properties": {
                    "media_location": {"type": "string", "pattern": "^https?://"},
                    "marketplace_id": {"type": "string"},
                },
            },
        }
        for n in range(1, 9)
    },
}

PROPERTY_GROUPS = {
    "offer": (
        "Offer",
        "Price, quantity and condition of your offer",
        [
            "condition_type",
            "condition_note",
            "purchasable_offer",
            "fulfillment_availability",
            "merchant_shipping_group",
            "max_order_quantity",
            "list_price",
        ],
    ),
    "product_identity": (
        "Product Identity",
        "Items that identify the product",
        [
            "item_name",
            "brand",
            "externally_assigned_product_identifier",
            "supplier_declared_has_product_identifier_exemption",
            "merchant_suggested_asin",
            "manufacturer",
            "model_number",
            "part_number",
        ],
    ),
    "product_details": (
        "Product Details",
        "Details that describe the product",
        [
            "product_description",
            "bullet_point",
            "generic_keyword",
            "item_type_keyword",
            "color",
            "size",
            "country_of_origin",
            "number_of_items",
            "item_package_quantity",
        ],
    ),
    "images": (
        "Images",
        "Product images",
        ["main_product_image_locator"] + [f"other_product_image_locator_{n}" for n in range(1, 9)],
    ),
}


@cache
def attribute_schema(requirements: str = "LISTING") -> dict[str, Any]:
    """The JSON Schema of `PRODUCT` attributes for a requirements set."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"https://schemas.sandbox.shelfsync.local/product-types/PRODUCT/{requirements}",
        "title": "Product",
        "type": "object",
        "required": REQUIRED[requirements],
        "properties": ATTRIBUTES,
    }


@cache
def _schema_bytes(requirements: str) -> bytes:
    return json.dumps(attribute_schema(requirements), sort_keys=True, separators=(",", ":")).encode()


@cache
def attribute_validator() -> Draft7Validator:
    """Validator of attribute values (types and shapes; `required` is checked by the listing rules)."""
    return Draft7Validator({"type": "object", "properties": ATTRIBUTES})


@bp.get("/<product_type>/schema.json")
def schema_document(product_type: str) -> Response:
    """The attribute schema document that `schema.link.resource` points at."""
    requirements = request.args.get("requirements", "LISTING")
    if product_type not in PRODUCT_TYPES or requirements not in REQUIRED:
        abort(404)
    return Response(_schema_bytes(requirements), mimetype="application/schema+json")


@operation(MODEL, "getDefinitionsProductType")
def get_definitions_product_type(ctx: OperationContext) -> tuple[int, dict]:
    """The definition of `PRODUCT` for one marketplace and requirements set."""
    product_type = ctx.params["productType"]
    if product_type not in PRODUCT_TYPES:
        raise ApiError(
            404, "NotFound", f"Product type {product_type} is not supported in the requested marketplace."
        )
    marketplace_ids = ctx.marketplace_ids()
    if len(marketplace_ids) != 1 or marketplace_ids[0] not in MARKETPLACE_BY_ID:
        raise ApiError(400, "InvalidInput", "Exactly one valid marketplaceIds value is required.")
    requirements = ctx.params.get("requirements", "LISTING")
    locale = ctx.params.get("locale") or MARKETPLACE_BY_ID[marketplace_ids[0]][5]
    checksum = base64.b64encode(hashlib.md5(_schema_bytes(requirements)).digest()).decode()
    return 200, {
        "productType": product_type,
        "displayName": PRODUCT_TYPES[product_type],
        "marketplaceIds": marketplace_ids,
        "locale": locale,
        "requirements": requirements,
        "requirementsEnforced": ctx.params.get("requirementsEnforced", "ENFORCED"),
        "productTypeVersion": {"version": VERSION, "latest": True, "releaseCandidate": False},
        "propertyGroups": {
            name: {"title": title, "description": description, "propertyNames": names}
            for name, (title, description, names) in PROPERTY_GROUPS.items()
        },
        "schema": {
            "link": {
                "resource": f"{ctx.base_url}/_sandbox/product-types/{product_type}/schema.json"
                f"?requirements={requirements}",
                "verb": "GET",
            },
            "checksum": checksum,
        },
        "metaSchema": {
            "link": {"resource": "http://json-schema.org/draft-07/schema#", "verb": "GET"},
            "checksum": base64.b64encode(hashlib.md5(b"draft-07").digest()).decode(),
        },
    }


@operation(MODEL, "searchDefinitionsProductTypes")
def search_definitions_product_types(ctx: OperationContext) -> tuple[int, dict]:
    """Product types matching keywords or an item name (the sandbox only knows PRODUCT)."""
    return 200, {
        "productTypes": [
            {"name": name, "displayName": display, "marketplaceIds": ctx.marketplace_ids()}
            for name, display in PRODUCT_TYPES.items()
        ],
        "productTypeVersion": VERSION,
    }
