"""Amazon's default usage plans (rate per second, burst) and a token bucket per seller + operation.

Buckets refill in Amazon time, so SANDBOX_TIME_SCALE speeds refills up and advancing the clock
refills them. Buckets live in the server process memory: run one server process (threads are fine)
when rate-limit behaviour matters.
"""

from __future__ import annotations

import threading

# (model stem, operationId) -> (rate per second, burst), from NOTES.md §4 (model descriptions).
RATE_LIMITS: dict[tuple[str, str], tuple[float, int]] = {
    ("sellers", "getMarketplaceParticipations"): (0.016, 15),
    ("sellers", "getAccount"): (0.016, 15),
    ("listingsItems_2021-08-01", "getListingsItem"): (5.0, 10),
    ("listingsItems_2021-08-01", "putListingsItem"): (5.0, 10),
    ("listingsItems_2021-08-01", "patchListingsItem"): (5.0, 5),
    ("listingsItems_2021-08-01", "deleteListingsItem"): (5.0, 5),
    ("listingsItems_2021-08-01", "searchListingsItems"): (5.0, 5),
    ("reports_2021-06-30", "createReport"): (0.0167, 15),
    ("reports_2021-06-30", "getReport"): (2.0, 15),
    ("reports_2021-06-30", "getReports"): (0.0222, 10),
    ("reports_2021-06-30", "getReportDocument"): (0.0167, 15),
    ("reports_2021-06-30", "cancelReport"): (0.0222, 10),
    ("reports_2021-06-30", "getReportSchedules"): (0.0222, 10),
    ("reports_2021-06-30", "createReportSchedule"): (0.0222, 10),
    ("reports_2021-06-30", "getReportSchedule"): (0.0222, 10),
    ("reports_2021-06-30", "cancelReportSchedule"): (0.0222, 10),
    ("feeds_2021-06-30", "createFeedDocument"): (0.5, 15),
    ("feeds_2021-06-30", "createFeed"): (0.0083, 15),
    ("feeds_2021-06-30", "getFeed"): (2.0, 15),
    ("feeds_2021-06-30", "getFeeds"): (0.0222, 10),
    ("feeds_2021-06-30", "cancelFeed"): (2.0, 15),
    ("feeds_2021-06-30", "getFeedDocument"): (0.0222, 10),
    ("ordersV0", "getOrders"): (0.0167, 20),
    ("ordersV0", "getOrder"): (0.5, 30),
    ("ordersV0", "getOrderItems"): (0.5, 30),
    ("ordersV0", "getOrderAddress"): (0.5, 30),
    ("ordersV0", "getOrderBuyerInfo"): (0.5, 30),
    ("ordersV0", "getOrderItemsBuyerInfo"): (0.5, 30),
    ("ordersV0", "confirmShipment"): (2.0, 10),
    ("ordersV0", "updateShipmentStatus"): (5.0, 15),
    ("orders_2026-01-01", "searchOrders"): (0.0056, 20),
    ("orders_2026-01-01", "getOrder"): (0.5, 30),
    ("tokens_2021-03-01", "createRestrictedDataToken"): (1.0, 10),
    ("catalogItems_2022-04-01", "searchCatalogItems"): (2.0, 2),
    ("catalogItems_2022-04-01", "getCatalogItem"): (2.0, 2),
    ("definitionsProductTypes_2020-09-01", "searchDefinitionsProductTypes"): (5.0, 10),
    ("definitionsProductTypes_2020-09-01", "getDefinitionsProductType"): (5.0, 10),
}


class TokenBuckets:
    """Thread-safe token buckets keyed by (seller, operation), measured in Amazon seconds."""

    def __init__(self) -> None:
        """Start with no buckets; each fills to its burst on first use."""
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, key: tuple[str, str], rate: float, burst: int, now: float) -> bool:
        """Take one token if available at Amazon time `now`; False means throttle (429)."""
        with self._lock:
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + max(0.0, now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def reset(self) -> None:
        """Forget all buckets (they refill to burst), e.g. after a re-seed."""
        with self._lock:
            self._buckets.clear()
