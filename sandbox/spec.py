"""Amazon's Swagger 2.0 models turned into compiled jsonschema validators, one set per operation.

Models live in `sandbox/models/` (copied from amzn/selling-partner-api-models, Apache-2.0). Each
operation is looked up by model file stem and operationId; its path, query and body parameters and
its response schemas become Draft 4 validators whose root carries the model's `definitions`, so
`#/definitions/...` references resolve. Everything is built once and cached.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match

MODELS_DIR = Path(__file__).parent / "models"

# Keys python-amazon-sp-api adds to every request (NOTES §6.4); ignored unless the model declares them.
LIBRARY_EXTRA_KEYS = frozenset(
    {"MarketplaceId", "MarketplaceIds", "marketplace_ids", "marketplaceIds", "path"}
)

_PARAM_META_KEYS = {"name", "in", "required", "description", "collectionFormat", "allowEmptyValue"}


class InvalidRequest(Exception):
    """A request that does not match the operation's model; the message names the problem."""


@cache
def load_model(model: str) -> dict[str, Any]:
    """Load a model file by stem, e.g. `listingsItems_2021-08-01`."""
    return json.loads((MODELS_DIR / f"{model}.json").read_text(encoding="utf-8"))


def _clean(schema: Any) -> Any:
    """Drop documentation-only keys (descriptions, examples, x-*) so validators stay small."""
    if isinstance(schema, dict):
        return {
            k: _clean(v)
            for k, v in schema.items()
            if not k.startswith("x-") and k not in {"description", "example", "examples"}
        }
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


@cache
def _definitions(model: str) -> dict[str, Any]:
    return _clean(load_model(model).get("definitions", {}))


def _validator(model: str, schema: dict[str, Any]) -> Draft4Validator:
    root = dict(_clean(schema))
    root["definitions"] = _definitions(model)
    return Draft4Validator(root)


def _resolve(model: str, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _definitions(model)[schema["$ref"].rsplit("/", 1)[1]]
    return schema


@dataclass
class Param:
    """One declared path or query parameter."""

    name: str
    location: str
    type: str
    schema: dict[str, Any]


@dataclass
class OperationSpec:
    """Everything the sandbox needs to know about one SP-API operation."""

    model: str
    operation_id: str
    method: str
    path: str
    params: list[Param]
    param_validator: Draft4Validator
    body_validator: Draft4Validator | None
    body_properties: frozenset[str] | None
    response_schemas: dict[int, dict[str, Any]]
    _response_validators: dict[int, Draft4Validator] = field(default_factory=dict)

    @property
    def flask_rule(self) -> str:
        """The Flask URL rule; `sku` takes the `path` converter because SKUs may contain `/`."""

        def convert(match: re.Match[str]) -> str:
            """`{name}` -> `<name>` (or `<path:sku>`)."""
            name = match.group(1)
            return f"<path:{name}>" if name == "sku" else f"<{name}>"

        return re.sub(r"\{(\w+)\}", convert, self.path)

    def parse_params(self, path_args: dict[str, str], query: Any) -> dict[str, Any]:
        """Turn path arguments and a werkzeug MultiDict of query args into typed values, then validate.

        Arrays accept csv and repeated keys (the library sends both). Undeclared query keys are ignored.
        Raises InvalidRequest naming the parameter and the problem.
        """
        values: dict[str, Any] = {}
        for param in self.params:
            if param.location == "path":
                if param.name in path_args:
                    values[param.name] = path_args[param.name]
                continue
            raw = query.getlist(param.name)
            if not raw:
                continue
            values[param.name] = _coerce(param, raw)
        error = best_match(self.param_validator.iter_errors(values))
        if error is not None:
            raise InvalidRequest(_describe(error, "parameter"))
        return values

    def parse_body(self, body: Any) -> Any:
        """Validate a JSON body against the model, after removing the library's undeclared extra keys."""
        if self.body_validator is None:
            return None
        if isinstance(body, dict) and self.body_properties is not None:
            body = {k: v for k, v in body.items() if k in self.body_properties or k not in LIBRARY_EXTRA_KEYS}
        error = best_match(self.body_validator.iter_errors(body))
        if error is not None:
            raise InvalidRequest(_describe(error, "request body"))
        return body

    def response_errors(self, status: int, body: Any) -> list[str]:
        """Problems with a response body against the model's schema for `status` (empty if fine)."""
        schema = self.response_schemas.get(status)
        if schema is None:
            return [] if body is None else [f"{self.operation_id}: status {status} not declared with a body"]
        validator = self._response_validators.get(status)
        if validator is None:
            validator = self._response_validators[status] = _validator(self.model, schema)
        return [
            f"{self.operation_id} {status}: {_describe(e, 'response')}" for e in validator.iter_errors(body)
        ]


def _coerce(param: Param, raw: list[str]) -> Any:
    """Convert query strings to the declared type; leave unconvertible values for the validator to reject."""
    if param.type == "array":
        items: list[Any] = [part for value in raw for part in value.split(",") if part != ""]
        item_type = param.schema.get("items", {}).get("type")
        return [_scalar(item_type, v) for v in items]
    return _scalar(param.type, raw[-1])


def _scalar(kind: str | None, value: str) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


def _describe(error: ValidationError, where: str) -> str:
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    if where == "parameter":
        if error.validator == "required":
            missing = next(name for name in error.validator_value if name not in error.instance)
            return f"Missing required parameter: {missing}"
        return f"Invalid parameter '{location}': {error.message}"
    return f"Invalid {where}{' at ' + location if location else ''}: {error.message}"


@cache
def get_operation(model: str, operation_id: str) -> OperationSpec:
    """Build (once) the spec of `operation_id` in `model`; KeyError if the model has no such operation."""
    doc = load_model(model)
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            # Skip shared parameters and vendor extensions (x-amzn-api-sandbox-only: true).
            if not isinstance(op, dict) or method == "parameters" or op.get("operationId") != operation_id:
                continue
            return _build(model, path, method, shared + op.get("parameters", []), op)
    raise KeyError(f"{operation_id} not in {model}")


def _build(model: str, path: str, method: str, parameters: list[dict], op: dict) -> OperationSpec:
    params: list[Param] = []
    properties: dict[str, Any] = {}
    required: list[str] = []
    body_validator = None
    body_properties: frozenset[str] | None = None
    for p in parameters:
        if p["in"] == "body":
            body_validator = _validator(model, p["schema"])
            resolved = _resolve(model, p["schema"])
            if "properties" in resolved:
                body_properties = frozenset(resolved["properties"])
            continue
        schema = {k: v for k, v in p.items() if k not in _PARAM_META_KEYS}
        params.append(Param(p["name"], p["in"], p.get("type", "string"), _clean(schema)))
        properties[p["name"]] = schema
        if p.get("required"):
            required.append(p["name"])
    param_schema = (
        {"type": "object", "properties": properties, "required": required}
        if required
        else {
            "type": "object",
            "properties": properties,
        }
    )
    responses = {int(code): r["schema"] for code, r in op["responses"].items() if "schema" in r}
    return OperationSpec(
        model=model,
        operation_id=op["operationId"],
        method=method.upper(),
        path=path,
        params=params,
        param_validator=_validator(model, param_schema),
        body_validator=body_validator,
        body_properties=body_properties,
        response_schemas=responses,
    )
