"""Shelfsync's local, stateful stand-in for Amazon: Seller Central consent, LWA and SP-API.

`create_app(config)` builds the sandbox's own Flask app. Settings come from the environment with
defaults (see sandbox/config.py) and can be overridden by `config`. See sandbox/EXTENDING.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import random
from types import ModuleType
from typing import Any

from flask import Flask

from sandbox.clock import Clock
from sandbox.config import load_settings
from sandbox.db import Store
from sandbox.faults import set_fault
from sandbox.state import Sandbox

# Modules that register routes, tables and seed steps on import; optional ones load when present.
OPERATION_MODULES = (
    "sandbox.lwa",
    "sandbox.consent",
    "sandbox.sellers",
    "sandbox.listings",
    "sandbox.catalog",
    "sandbox.product_types",
)
OPTIONAL_MODULES = ("sandbox.tokens", "sandbox.reports", "sandbox.feeds", "sandbox.orders")


_loaded: list[ModuleType] = []


def load_operation_modules() -> list[ModuleType]:
    """Import every operation module once per process so routes, schema and seed steps are registered.

    The set of optional modules is fixed at the first call: blueprints cannot gain routes after an app
    registered them.
    """
    if not _loaded:
        names = [
            *OPERATION_MODULES,
            *(n for n in OPTIONAL_MODULES if importlib.util.find_spec(n) is not None),
        ]
        _loaded.extend(importlib.import_module(name) for name in names)
    return list(_loaded)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the sandbox Flask app; the database schema is created if missing."""
    modules = load_operation_modules()
    from sandbox import admin, operations

    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update({k: v for k, v in (config or {}).items() if not k.startswith("SANDBOX_")})
    app.config.update(settings)
    store = Store(settings["SANDBOX_DB"])
    store.init_schema()
    store.execute(
        "INSERT OR REPLACE INTO application (app_id, name, client_id, client_secret, redirect_uris) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            settings["SANDBOX_APP_ID"],
            settings["SANDBOX_APP_NAME"],
            settings["SANDBOX_LWA_CLIENT_ID"],
            settings["SANDBOX_LWA_CLIENT_SECRET"],
            json.dumps(settings["SANDBOX_REDIRECT_URIS"]),
        ),
    )
    for operation, fault in settings["SANDBOX_FAULTS"].items():
        set_fault(store, operation, fault)
    fault_seed = str(settings["SANDBOX_FAULT_SEED"])
    app.extensions["sandbox"] = Sandbox(
        settings=settings,
        store=store,
        clock=Clock(store, settings["SANDBOX_TIME_SCALE"]),
        rng=random.Random(fault_seed) if fault_seed else random.Random(),
    )
    app.register_blueprint(operations.bp)
    app.register_blueprint(admin.bp)
    for module in modules:
        blueprint = getattr(module, "bp", None)
        if blueprint is not None and blueprint not in (operations.bp, admin.bp):
            app.register_blueprint(blueprint)
    return app
