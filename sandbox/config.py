"""Sandbox settings: environment variables with defaults, overridable by a dict passed to create_app."""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SANDBOX_DB": "instance/sandbox.db",
    "SANDBOX_TIME_SCALE": 1.0,
    "SANDBOX_RATE_LIMITS": True,
    "SANDBOX_VALIDATE": True,
    "SANDBOX_APP_ID": "amzn1.sp.solution.shelfsync-demo",
    "SANDBOX_APP_NAME": "Shelfsync (demo)",
    "SANDBOX_LWA_CLIENT_ID": "amzn1.application-oa2-client.shelfsync-demo",
    "SANDBOX_LWA_CLIENT_SECRET": "shelfsync-demo-secret",
    "SANDBOX_REDIRECT_URIS": "http://127.0.0.1:5000/connections/amazon/callback",
    "SANDBOX_FAULTS": "",
    # Seeds the random draws of partial faults (p429: 0.5 ...); empty = a fresh seed per start.
    "SANDBOX_FAULT_SEED": "",
    "SANDBOX_PUBLIC_URL": "",
}

_FALSE = {"0", "off", "false", "no", ""}


def _as_bool(value: Any) -> bool:
    """Read on/off style settings ("on", "1", "true", True) as a bool."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in _FALSE


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the sandbox settings: defaults, then environment variables, then `overrides`.

    Values are normalised: the time scale is a float, the switches are bools, the redirect URIs
    a list, and SANDBOX_FAULTS a dict of operation -> fault settings.
    """
    settings: dict[str, Any] = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ:
            settings[key] = os.environ[key]
    settings.update(overrides or {})
    settings["SANDBOX_TIME_SCALE"] = float(settings["SANDBOX_TIME_SCALE"])
    if settings["SANDBOX_TIME_SCALE"] <= 0:
        raise ValueError("SANDBOX_TIME_SCALE must be positive")
    settings["SANDBOX_RATE_LIMITS"] = _as_bool(settings["SANDBOX_RATE_LIMITS"])
    settings["SANDBOX_VALIDATE"] = _as_bool(settings["SANDBOX_VALIDATE"])
    uris = settings["SANDBOX_REDIRECT_URIS"]
    if isinstance(uris, str):
        uris = [u.strip() for u in uris.split(",") if u.strip()]
    settings["SANDBOX_REDIRECT_URIS"] = list(uris)
    faults = settings["SANDBOX_FAULTS"]
    if isinstance(faults, str):
        faults = json.loads(faults) if faults.strip() else {}
    settings["SANDBOX_FAULTS"] = faults
    return settings
