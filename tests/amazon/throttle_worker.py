"""A worker process for the shared-bucket test: makes N calls through the adapter, prints how long it took.

Usage: python tests/amazon/throttle_worker.py '<json: settings, seller, redis_url, calls, start_at>'
"""

from __future__ import annotations

import json
import sys
import time

from redis import Redis

from webapp.amazon import AmazonSettings, SellerApi, SellerCredentials


def main(raw: str) -> None:
    """Wait for the common start time, then call getMarketplaceParticipations ``calls`` times."""
    args = json.loads(raw)
    api = SellerApi(
        SellerCredentials(**args["seller"]),
        settings=AmazonSettings(**args["settings"]),
        redis=Redis.from_url(args["redis_url"]),
    )
    time.sleep(max(0.0, args["start_at"] - time.time()))
    for _ in range(args["calls"]):
        api.marketplace_participations()
    print(json.dumps({"finished_at": time.time()}))


if __name__ == "__main__":
    main(sys.argv[1])
