"""The adapter's pieces that need no Amazon: lazy import, settings from config, consent URLs, help text."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from webapp.amazon import AmazonSettings, consent_url, help_for
from webapp.amazon.errors import AuthorizationRevoked
from webapp.amazon.help import DEFAULT_HELP
from webapp.config import ROOT


def test_importing_the_adapter_does_not_import_sp_api():
    code = "import sys, webapp.amazon; assert not [m for m in sys.modules if m.startswith('sp_api')]"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_default_marketplace_in_the_environment_is_ignored():
    code = (
        "from webapp.amazon import AmazonSettings, SellerCredentials\n"
        "from webapp.amazon._spapi import client_for\n"
        "import os\n"
        "assert 'SP_API_DEFAULT_MARKETPLACE' not in os.environ\n"
        "settings = AmazonSettings(app_id='a', lwa_client_id='c', lwa_client_secret='s')\n"
        "client = client_for('listings', SellerCredentials('A1', 'Atzr|x', 'ATVPDKIKX0DER'), settings)\n"
        "assert client.marketplace_id == 'ATVPDKIKX0DER', client.marketplace_id\n"
        "assert client.endpoint == 'https://sellingpartnerapi-na.amazon.com', client.endpoint\n"
    )
    env = {**os.environ, "SP_API_DEFAULT_MARKETPLACE": "DE", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "SP_API_DEFAULT_MARKETPLACE was set" in result.stderr


def test_settings_default_to_the_demo_app_and_real_amazon(app):
    settings = AmazonSettings.from_config(app.config)
    assert settings.app_id == "amzn1.sp.solution.shelfsync-demo"
    assert settings.lwa_client_id == "amzn1.application-oa2-client.shelfsync-demo"
    assert settings.lwa_client_secret == "shelfsync-demo-secret"
    assert settings.lwa_url == "https://api.amazon.com/auth/o2/token"
    assert settings.spapi_endpoint("ATVPDKIKX0DER") == "https://sellingpartnerapi-na.amazon.com"
    assert settings.spapi_endpoint("A1PA6795UKMFR9") == "https://sellingpartnerapi-eu.amazon.com"
    assert settings.spapi_endpoint("A1VC38T7YXB528") == "https://sellingpartnerapi-fe.amazon.com"
    assert "shelfsync-demo-secret" not in repr(settings)


def test_spapi_url_overrides_every_region(app):
    app.config["AMAZON_SPAPI_URL"] = "http://127.0.0.1:5055/"
    settings = AmazonSettings.from_config(app.config)
    assert settings.spapi_endpoint("ATVPDKIKX0DER") == "http://127.0.0.1:5055"
    assert settings.spapi_endpoint("A1F83G8C2ARO7P") == "http://127.0.0.1:5055"


@pytest.mark.parametrize(
    ("marketplace", "draft", "expected_base", "beta"),
    [
        ("ATVPDKIKX0DER", False, "https://sellercentral.amazon.com", False),
        ("A1PA6795UKMFR9", True, "https://sellercentral-europe.amazon.com", True),
        ("A1VC38T7YXB528", False, "https://sellercentral.amazon.co.jp", False),
    ],
)
def test_consent_url_uses_the_marketplace_seller_central(app, marketplace, draft, expected_base, beta):
    app.config["AMAZON_APP_DRAFT"] = draft
    url = consent_url(marketplace, "st/ate+1")
    assert url.startswith(
        f"{expected_base}/apps/authorize/consent?application_id=amzn1.sp.solution.shelfsync-demo"
    )
    assert "state=st%2Fate%2B1" in url
    assert ("version=beta" in url) is beta


def test_seller_central_override_replaces_the_base(app):
    app.config["AMAZON_SELLER_CENTRAL_URL"] = "http://127.0.0.1:5055"
    url = consent_url("ATVPDKIKX0DER", "s", redirect_uri="https://shop.example/cb")
    assert url.startswith("http://127.0.0.1:5055/apps/authorize/consent?")
    assert "redirect_uri=https%3A%2F%2Fshop.example%2Fcb" in url


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("5461", "You need approval to list products of the brand 'Acme'.", "Apply to sell the brand"),
        ("InvalidInput", "Brand 'Acme' is restricted: approval required", "Apply to sell the brand"),
        ("MissingFulfillmentCenterId", "", "amazon.inventory_product.fulfillment_center_id"),
        ("8572", "A product ID type (UPC) was provided without a product ID value.", "no Product ID"),
        (
            "99040",
            "A condition note is not allowed for new items; it was ignored.",
            "ignores condition notes",
        ),
        ("invalid_grant", "The request has an invalid grant parameter : refresh_token", "Re-authorize"),
        ("QuotaExceeded", "You exceeded your quota for the requested resource.", "slows down"),
        ("InvalidInput", "Missing required parameter: marketplaceIds", "rejected the data"),
        ("NOT_FOUND", "SKU 'X' not found in marketplace ATVPDKIKX0DER", "Unlink the listing"),
        ("InvalidInput", "Invalid carrierCode 'Pigeon'", "carrier codes"),
        ("8541", "The SKU data provided conflicts with the Amazon catalog.", "conflicts with what Amazon"),
        (
            "8572",
            "You are using UPCs, EANs, ISBNs, ASINs, or JAN codes that do not match the products",
            "GS1",
        ),
        ("90220", "'item_name' is required but not supplied.", "required attribute"),
        ("99022", "The attribute 'color' is not applicable to product type PRODUCT.", "Do Not Map"),
        ("5665", "", "Apply to sell the brand"),
    ],
)
def test_known_codes_and_messages_get_specific_help(code, message, expected):
    assert expected in help_for(code, message)


def test_unknown_codes_get_the_default_help():
    assert help_for("12345", "Something odd happened.") == DEFAULT_HELP


def test_errors_carry_help_and_never_a_token_in_their_text():
    error = AuthorizationRevoked(
        "invalid_grant", "The request has an invalid grant parameter : refresh_token"
    )
    assert "Re-authorize" in error.help
    assert str(error) == "invalid_grant: The request has an invalid grant parameter : refresh_token"
    assert error.retryable is False
