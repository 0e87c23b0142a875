"""Check recorded exchanges with Amazon against the official SP-API models, independently of the sandbox.

The models are the Swagger 2.0 files in ``../shared/spapi-models/`` (the sandbox's copies in
``sandbox/models/`` when the shared folder is absent). Each exchange is matched to its operation by
method and path; the query parameters, the JSON body and the response body are validated with jsonschema.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft4Validator

from webapp.amazon.transport import Exchange

ROOT = Path(__file__).resolve().parents[2]
MODELS = next(p for p in (ROOT.parent / "shared" / "spapi-models", ROOT / "sandbox" / "models") if p.is_dir())

# Keys python-amazon-sp-api adds to request bodies (NOTES §6.4); ignored unless the model declares them.
# Keys of a Swagger 2.0 path item that are operations; the rest are shared parameters or extensions.
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}

LIBRARY_EXTRA_KEYS = {"MarketplaceId", "MarketplaceIds", "marketplace_ids", "marketplaceIds", "path"}


@cache
def _model(name: str) -> dict[str, Any]:
    return json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _operations() -> list[tuple[str, str, re.Pattern[str], dict[str, Any], list[dict[str, Any]]]]:
    found = []
    for file in sorted(MODELS.glob("*.json")):
        doc = _model(file.stem)
        for path, item in (doc.get("paths") or {}).items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    continue  # "parameters" and vendor extensions (x-amzn-api-sandbox-only: true)
                pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
                found.append((file.stem, method.upper(), pattern, op, shared + op.get("parameters", [])))
    return found


def _validator(model: str, schema: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator({**schema, "definitions": _model(model).get("definitions", {})})


def _resolve(model: str, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _model(model)["definitions"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _errors(validator: Draft4Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def check_exchange(exchange: Exchange) -> str | None:
    """Validate one exchange; returns its operationId, or None when it is not an SP-API call.

    Raises:
        AssertionError: naming every way the request or the response breaks the model.
    """
    url = urlsplit(exchange.url)
    matches = [o for o in _operations() if o[1] == exchange.method and o[2].match(url.path)]
    if not matches:
        return None
    # The most specific path wins (fewest placeholders), e.g. /documents vs /{reportId}.
    model, _, _, op, params = min(matches, key=lambda o: o[2].pattern.count("[^/]+"))
    problems: list[str] = []
    query = parse_qs(url.query, keep_blank_values=True)
    declared_query = {p["name"] for p in params if p["in"] == "query"}
    problems += [f"undeclared query parameter {name}" for name in sorted(set(query) - declared_query)]
    for param in params:
        if param["in"] == "query":
            values = [v for raw in query.get(param["name"], []) for v in raw.split(",")]
            if param.get("required") and not values:
                problems.append(f"missing query parameter {param['name']}")
            allowed = param.get("enum") or (param.get("items") or {}).get("enum")
            problems += [
                f"{param['name']}={v} not in {allowed}" for v in values if allowed and v not in allowed
            ]
        elif param["in"] == "body":
            body = json.loads(exchange.request_body or b"null")
            declared = set(_resolve(model, param["schema"]).get("properties", {}))
            if isinstance(body, dict):
                body = {k: v for k, v in body.items() if k in declared or k not in LIBRARY_EXTRA_KEYS}
            problems += [f"request {e}" for e in _errors(_validator(model, param["schema"]), body)]
    response = op["responses"].get(str(exchange.status))
    if response is None:
        problems.append(f"status {exchange.status} is not declared")
    elif "schema" in response:
        body = json.loads(exchange.response_body)
        problems += [f"response {e}" for e in _errors(_validator(model, response["schema"]), body)]
    assert not problems, f"{op['operationId']} ({model}): {problems}"
    return op["operationId"]


def check_all(exchanges: list[Exchange]) -> list[str]:
    """Validate every SP-API exchange; returns their operationIds in order."""
    return [op for op in map(check_exchange, exchanges) if op]
