"""The operation machinery itself: model-based validation and the loud failure on contract breaks."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from sandbox.spec import InvalidRequest, get_operation
from sandbox.testing import SandboxContractError, SandboxServer


def test_response_validation_names_the_problem() -> None:
    spec = get_operation("listingsItems_2021-08-01", "getListingsItem")
    assert spec.response_errors(200, {"sku": "A"}) == []
    problems = spec.response_errors(200, {"sku": "A", "summaries": [{"marketplaceId": "X"}]})
    assert any("productType" in p for p in problems)


def test_library_extra_keys_are_ignored_but_real_errors_are_not() -> None:
    spec = get_operation("listingsItems_2021-08-01", "putListingsItem")
    body = {
        "productType": "PRODUCT",
        "attributes": {},
        "marketplaceIds": ["X"],
        "MarketplaceId": "X",
        "path": "/p",
    }
    assert spec.parse_body(body) == {"productType": "PRODUCT", "attributes": {}}
    with pytest.raises(InvalidRequest, match="requirements"):
        spec.parse_body({"productType": "PRODUCT", "attributes": {}, "requirements": "EVERYTHING"})


def test_query_arrays_accept_csv_and_repeated_keys() -> None:
    spec = get_operation("listingsItems_2021-08-01", "getListingsItem")
    query = MultiDict([("marketplaceIds", "A,B"), ("marketplaceIds", "C"), ("MarketplaceId", "ignored")])
    params = spec.parse_params({"sellerId": "S", "sku": "K"}, query)
    assert params == {"sellerId": "S", "sku": "K", "marketplaceIds": ["A", "B", "C"]}


def test_server_stop_raises_on_contract_errors() -> None:
    server = SandboxServer(seed=False).start()
    server.sandbox.contract_errors.append("getListingsItem 200: broken")
    with pytest.raises(SandboxContractError, match="broken"):
        server.stop()
