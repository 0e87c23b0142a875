"""Amazon's rate limits, enforced across every worker: a token bucket per seller + operation in Redis.

Amazon throttles per selling partner, application and operation with a token bucket ("rate" tokens per
second, "burst" bucket size; NOTES §4). Each worker reserves a token with one atomic Lua script before
calling; when the bucket is empty the reservation says how long to sleep, so all workers together
stay within the limit without talking to each other. Reserving (letting the balance go negative)
instead of polling keeps waiters in arrival order and costs one round trip per call.

Our bucket holds a little less than Amazon's. A token is taken a little before the request reaches
Amazon; while Amazon's bucket is full, the refill of that delay is lost on Amazon's side but counted on
ours, so with equal buckets a later request that left "just in time" could find Amazon's bucket short
and be throttled. The reserve is what Amazon refills in ``ARRIVAL_MARGIN`` seconds, at most one
token: it absorbs up to a second of such delay while costing no sustained throughput. A whole token
would also do, but would cost a wait of 1/rate (three minutes for searchOrders) whenever a run needs
exactly its burst, e.g. Get Orders reading 20 pages of orders.

When Amazon answers 429 anyway (another app of the seller's, a lower personal limit), ``penalize``
empties the bucket for everyone and remembers the rate Amazon announced in ``x-amzn-RateLimit-Limit``.
"""

from __future__ import annotations

import time
import uuid

from redis import Redis

from webapp.amazon.errors import AmazonUnavailable
from webapp.amazon.settings import AmazonSettings

# operation -> (rate per second, burst), Amazon's default usage plans (NOTES §4, from the model files).
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getMarketplaceParticipations": (0.016, 15),
    "getListingsItem": (5.0, 10),
    "putListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "deleteListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "searchCatalogItems": (2.0, 2),
    "getCatalogItem": (2.0, 2),
    "getDefinitionsProductType": (5.0, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReportDocument": (0.0167, 15),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "confirmShipment": (2.0, 10),
}

# Feed types Amazon limits on top of createFeed's bucket, per seller and region: (feeds, per Amazon
# seconds). Kept as a sliding window, the strictest reading: no window of that length holds more.
FEED_TYPE_LIMITS: dict[str, tuple[int, float]] = {"JSON_LISTINGS_FEED": (5, 300.0)}


# How long Amazon's announced rate overrides the table (Amazon seconds): limits change rarely.
OBSERVED_RATE_TTL = 3600
# Real seconds between taking a token and the request reaching Amazon that the reserve absorbs
# (a sleep's overshoot, a busy process, the HTTP round trip): see the module docstring.
ARRIVAL_MARGIN = 1.0

_KEY_PREFIX = "shelfsync:amazon:rl"

# KEYS: sorted set of reserved call times. ARGV: calls allowed, window (real s), max wait (real s),
# arrival margin (real s), a unique member. The new call's slot is now while fewer than ``allowed``
# calls fall in the last window, else the moment the oldest of the last ``allowed`` leaves it (plus the
# margin, as a call reaches Amazon a little after its slot). Returns {granted (1/0), wait as a string}.
_RESERVE_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local allowed, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tostring(now - window - tonumber(ARGV[4])))
local n = redis.call('ZCARD', KEYS[1])
local slot = now
if n >= allowed then
  local edge = redis.call('ZRANGE', KEYS[1], n - allowed, n - allowed, 'WITHSCORES')
  slot = math.max(now, tonumber(edge[2]) + window + tonumber(ARGV[4]))
end
if slot - now > tonumber(ARGV[3]) then
  return {0, tostring(slot - now)}
end
redis.call('ZADD', KEYS[1], tostring(slot), ARGV[5])
redis.call('EXPIRE', KEYS[1], math.ceil(slot - now + window + 60))
return {1, tostring(slot - now)}
"""

# KEYS: bucket hash, observed-rate string. ARGV: table rate (tokens per real second), Amazon's burst,
# max wait (real s), time scale, bucket TTL (s), arrival margin (real s). Redis TIME keeps one clock
# for every worker machine. The bucket holds burst minus the margin's refill (at most one token).
# Returns {granted (1/0), wait seconds as a string} (Lua numbers would be truncated to integers).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local observed = redis.call('GET', KEYS[2])
if observed then rate = tonumber(observed) * tonumber(ARGV[4]) end
local capacity = math.max(1, tonumber(ARGV[2]) - math.min(1, rate * tonumber(ARGV[6])))
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate end
if wait > tonumber(ARGV[3]) then
  return {0, tostring(wait)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return {1, tostring(wait)}
"""

# KEYS: bucket hash. ARGV: bucket TTL. Empties the bucket (keeps reservations already made).
_PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens')) or 0
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tokens, 0)), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


class RateLimiter:
    """Token buckets of one seller (in one region), shared through Redis by all processes."""

    def __init__(self, redis: Redis, settings: AmazonSettings, region: str, seller_id: str) -> None:
        """Bind to a Redis, the time scale of ``settings`` and a seller."""
        self.redis = redis
        self.settings = settings
        self.prefix = f"{_KEY_PREFIX}:{region}:{seller_id}"
        self._reserve = redis.register_script(_RESERVE)
        self._penalize = redis.register_script(_PENALIZE)
        self._reserve_window = redis.register_script(_RESERVE_WINDOW)

    def limits(self, operation: str) -> tuple[float, int]:
        """(rate per real second, burst) of an operation at the configured time scale."""
        rate, burst = RATE_LIMITS[operation]
        return rate * self.settings.time_scale, burst

    def _ttl(self, operation: str) -> int:
        rate, burst = self.limits(operation)
        # Long enough to refill completely; an expired bucket is simply full again.
        return int(burst / rate) + 60

    def acquire(self, operation: str, max_wait: float) -> float:
        """Take a token for one call, sleeping until it is available.

        Args:
            operation: the SP-API operationId (a key of ``RATE_LIMITS``).
            max_wait: the longest acceptable sleep in real seconds.

        Returns:
            The seconds slept.

        Raises:
            AmazonUnavailable: the token would only be available after ``max_wait``.
        """
        rate, burst = self.limits(operation)
        granted, wait = self._reserve(
            keys=[f"{self.prefix}:{operation}", f"{self.prefix}:{operation}:rate"],
            args=[
                rate,
                burst,
                max(0.0, max_wait),
                self.settings.time_scale,
                self._ttl(operation),
                ARRIVAL_MARGIN,
            ],
        )
        wait = float(wait)
        if not int(granted):
            raise AmazonUnavailable(
                "QuotaExceeded",
                f"Amazon's rate limit for {operation} would need a wait of {wait:.0f} s; "
                "the next run will continue.",
                status=429,
            )
        if wait > 0:
            time.sleep(wait)
        return wait

    def acquire_feed_type(self, feed_type: str, max_wait: float) -> float:
        """Take a slot in a feed type's window (``FEED_TYPE_LIMITS``), sleeping until it opens.

        Returns:
            The seconds slept (0 for a feed type Amazon does not limit).

        Raises:
            AmazonUnavailable: the slot would only open after ``max_wait``.
        """
        if feed_type not in FEED_TYPE_LIMITS:
            return 0.0
        allowed, window = FEED_TYPE_LIMITS[feed_type]
        granted, wait = self._reserve_window(
            keys=[f"{self.prefix}:feed-type:{feed_type}"],
            args=[
                allowed,
                self.settings.real_seconds(window),
                max(0.0, max_wait),
                ARRIVAL_MARGIN,
                uuid.uuid4().hex,
            ],
        )
        wait = float(wait)
        if not int(granted):
            raise AmazonUnavailable(
                "QuotaExceeded",
                f"Amazon allows {allowed} {feed_type} feeds per {window / 60:.0f} minutes; the next would "
                f"need a wait of {wait:.0f} s, so the next run will continue.",
                status=429,
            )
        if wait > 0:
            time.sleep(wait)
        return wait

    def penalize(self, operation: str) -> None:
        """Amazon throttled us: empty the bucket so every worker waits for a refill."""
        self._penalize(keys=[f"{self.prefix}:{operation}"], args=[self._ttl(operation)])

    def note_rate(self, operation: str, announced: float) -> None:
        """Remember the rate Amazon announced (``x-amzn-RateLimit-Limit``) when it differs from the table."""
        if announced <= 0 or abs(announced - RATE_LIMITS[operation][0]) < 1e-9:
            return
        self.redis.set(
            f"{self.prefix}:{operation}:rate",
            repr(announced),
            ex=max(1, int(self.settings.real_seconds(OBSERVED_RATE_TTL))),
        )
