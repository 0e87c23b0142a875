"""The adapter's settings, read once from the Flask config (``AMAZON_*`` keys in ``webapp/config.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from webapp.amazon.marketplaces import get_marketplace


@dataclass(frozen=True)
class AmazonSettings:
    """Who Shelfsync is to Amazon, where Amazon lives, and how patiently to call it."""

    app_id: str
    lwa_client_id: str
    lwa_client_secret: str = field(repr=False)
    app_draft: bool = False
    spapi_url: str = ""
    lwa_url: str = "https://api.amazon.com/auth/o2/token"
    seller_central_url: str = ""
    time_scale: float = 1.0
    throttle_max_wait: float = 300.0
    max_retries: int = 5
    http_timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AmazonSettings:
        """Build the settings from a Flask config mapping."""
        scale = float(config.get("AMAZON_RATE_TIME_SCALE", 1.0))
        if scale <= 0:
            raise ValueError("AMAZON_RATE_TIME_SCALE must be positive")
        return cls(
            app_id=config["AMAZON_APP_ID"],
            lwa_client_id=config["AMAZON_LWA_CLIENT_ID"],
            lwa_client_secret=config["AMAZON_LWA_CLIENT_SECRET"],
            app_draft=bool(config.get("AMAZON_APP_DRAFT", False)),
            spapi_url=(config.get("AMAZON_SPAPI_URL") or "").rstrip("/"),
            lwa_url=config.get("AMAZON_LWA_URL") or cls.lwa_url,
            seller_central_url=(config.get("AMAZON_SELLER_CENTRAL_URL") or "").rstrip("/"),
            time_scale=scale,
            throttle_max_wait=float(config.get("AMAZON_THROTTLE_MAX_WAIT", cls.throttle_max_wait)),
            max_retries=int(config.get("AMAZON_MAX_RETRIES", cls.max_retries)),
            http_timeout=float(config.get("AMAZON_HTTP_TIMEOUT", cls.http_timeout)),
        )

    @classmethod
    def current(cls) -> AmazonSettings:
        """The settings of the current Flask app."""
        return cls.from_config(current_app.config)

    def spapi_endpoint(self, marketplace_id: str) -> str:
        """SP-API base URL for a marketplace: the override if set, else Amazon's for its region."""
        return self.spapi_url or get_marketplace(marketplace_id).spapi_endpoint

    def seller_central(self, marketplace_id: str) -> str:
        """Seller Central base URL (consent page) for a marketplace: the override if set."""
        return self.seller_central_url or get_marketplace(marketplace_id).seller_central

    def real_seconds(self, amazon_seconds: float) -> float:
        """Convert an Amazon duration (rate-limit refill, back-off, token life) to real seconds."""
        return amazon_seconds / self.time_scale
