"""Helpers for sandbox tests: python-amazon-sp-api clients pointed at a SandboxServer, and an independent
validator of response bodies against Amazon's models (not the sandbox's own validation code)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces

from sandbox.testing import SandboxServer

MODELS = Path(__file__).resolve().parents[2] / "sandbox" / "models"


def make_client(
    server: SandboxServer, api_cls: type, refresh_token: str, marketplace=Marketplaces.US, **kw: Any
):
    """A python-amazon-sp-api client whose LWA and SP-API requests go to `server`."""
    host = server.url.removeprefix("http://")
    lwa = type(
        "SandboxLWA", (AccessTokenClient,), {"scheme": "http://", "host": host, "path": "/auth/o2/token"}
    )
    settings = server.sandbox.settings
    credentials = {
        "refresh_token": refresh_token,
        "lwa_app_id": settings["SANDBOX_LWA_CLIENT_ID"],
        "lwa_client_secret": settings["SANDBOX_LWA_CLIENT_SECRET"],
    }
    client = api_cls(marketplace, credentials=credentials, auth_token_client_class=lwa, **kw)
    client.endpoint = server.url
    return client


@cache
def _model(name: str) -> dict[str, Any]:
    return json.loads((MODELS / f"{name}.json").read_text())


def _response_schema(model: str, operation_id: str, status: int) -> dict[str, Any]:
    doc = _model(model)
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op["responses"][str(status)]["schema"]
    raise KeyError(operation_id)


def validate(model: str, operation_id: str, body: Any, status: int = 200) -> None:
    """Assert `body` is valid for the model's response schema (independent of the sandbox's own check)."""
    schema = {**_response_schema(model, operation_id, status), "definitions": _model(model)["definitions"]}
    errors = sorted(Draft4Validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors[:5]]
