"""The model checker the adapter tests rely on refuses what Amazon's models do not declare."""

from __future__ import annotations

import json

import pytest

from tests.amazon.models import check_exchange
from webapp.amazon.transport import Exchange

REPORT = {
    "reportId": "1",
    "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "createdTime": "2026-01-01T00:00:00Z",
    "processingStatus": "IN_QUEUE",
}


def get_report(query: str) -> Exchange:
    url = "https://sellingpartnerapi-na.amazon.com/reports/2021-06-30/reports/1" + query
    return Exchange("GET", url, {}, b"", 200, {}, json.dumps(REPORT).encode())


def test_a_call_as_the_model_declares_it_passes():
    assert check_exchange(get_report("")) == "getReport"


def test_a_query_parameter_the_model_does_not_declare_is_refused():
    with pytest.raises(AssertionError, match="undeclared query parameter MarketplaceId"):
        check_exchange(get_report("?MarketplaceId=ATVPDKIKX0DER"))
