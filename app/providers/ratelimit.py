"""Client-side rate limiting shared by every worker: stay under the providers' limits.

- Fixed limits (Zoho 100 requests/minute, freee 30/minute) are moving windows from the
  ``limits`` library, in Redis so that all RQ workers share them, keyed per connection
  and bucket. ``MemoryStorage`` serves the demo without Redis.
- A bucket may give each request a place that ends *when it has surely been counted*
  (Money Forward's 3 writes a second): ``counted_within`` seconds after we let it go,
  or at its answer if that comes sooner — the provider counts a request when it
  arrives, between our send and its answer. A request may go while fewer than
  ``limit`` places ended less than a window ago, so two of the provider's counts
  ``limit`` apart are a full window apart whenever a request arrives within
  ``counted_within`` of leaving, and always when its answer came sooner. That is the
  margin; the rate is at least ``limit / (window + counted_within)`` (Money Forward:
  3 / 1.05 s = 95.2 % of its limit), and ``limit / (window + round trip)`` when answers
  come sooner. No polling: a worker sleeps exactly until the oldest place leaves the
  window. A client's first request (a new connection, first-use work: measured to
  arrive late) holds its place until its answer. Places live in a Redis sorted set
  read and written by Lua scripts on Redis's own clock, so workers on several machines
  agree (in a dict for the demo).
- freee reports its budget in ``X-RateLimit-*`` headers: when a ``Remaining`` reaches 0
  every worker waits until its ``Reset``. A 429's Retry-After pauses everyone likewise.
``acquire`` sleeps until a place is free; past ``max_wait`` it raises
RateLimitError(local=True).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from .errors import RateLimitError
from .retry import retry_after_seconds

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PREFIX = "renkei:ratelimit"


@dataclass(frozen=True)
class Bucket:
    """A limit on some requests of a connection, e.g. Bucket("write", "3/second", WRITES)."""

    name: str
    limit: str  # in the ``limits`` notation: "3/second", "100/minute"
    methods: frozenset[str] | None = None  # None: every method counts
    counted_within: float = 0.0  # > 0: places end this long after sending, or at the answer

    def applies_to(self, method: str) -> bool:
        """Whether requests with ``method`` count against this bucket."""
        return self.methods is None or method.upper() in self.methods


COLD_HOLD = 60.0  # a cold request's place: until its answer (at most this, if none comes)

# Take a place: drop places that ended a window ago or more; if fewer than the limit
# are left, add ours (ending ARGV[3] seconds from now, or sooner at its answer). Else
# the seconds until the oldest place leaves the window.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window, within = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], string.format('%.6f', now + within), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((within + window) * 1000) + 1000)
  return {1, '0'}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {0, string.format('%.6f', oldest + window - now)}
"""
# The answer came: the place ends now if that is sooner (Redis's clock, read after it).
_ANSWERED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', 'LT', string.format('%.6f', now), ARGV[1])
return 1
"""


class _MemoryPlaces:
    """Places in one process (demo mode)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._places: dict[str, dict[str, float]] = {}

    def take(self, key: str, member: str, limit: int, window: float, within: float):
        """None when ``member`` got a place; else seconds until one leaves the window."""
        with self._lock:
            now = time.time()
            places = self._places.setdefault(key, {})
            for name, ends in list(places.items()):
                if ends <= now - window:
                    del places[name]
            if len(places) < limit:
                places[member] = now + within
                return None
            return min(places.values()) + window - now

    def answered(self, key: str, member: str) -> None:
        """The answer to ``member``'s request came now."""
        with self._lock:
            places = self._places.get(key, {})
            if member in places:
                places[member] = min(places[member], time.time())


class _RedisPlaces:
    """Places in Redis, shared by every worker process and machine."""

    def __init__(self, client):
        self._take = client.register_script(_TAKE)
        self._answered = client.register_script(_ANSWERED)

    def take(self, key: str, member: str, limit: int, window: float, within: float):
        """None when ``member`` got a place; else seconds until one leaves the window."""
        granted, wait = self._take(
            keys=[key], args=[limit, f"{window:.6f}", f"{within:.6f}", member]
        )
        return None if int(granted) else float(wait)

    def answered(self, key: str, member: str) -> None:
        """The answer to ``member``'s request came now."""
        self._answered(keys=[key], args=[member])


class _MemorySpacer:
    """In-process 'not before' marks (demo mode, one process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def pause(self, key: str, until: float) -> None:
        """Hold everyone until ``until`` (epoch seconds)."""
        with self._lock:
            self._until[key] = max(self._until.get(key, 0.0), until)

    def remaining(self, key: str) -> float:
        """Seconds left before ``key`` may be used again."""
        with self._lock:
            return max(0.0, self._until.get(key, 0.0) - time.time())


class _RedisSpacer:
    """The same marks in Redis, so every worker process sees them."""

    def __init__(self, client):
        self._redis = client

    def pause(self, key: str, until: float) -> None:
        """Hold everyone until ``until`` (epoch seconds)."""
        ms = int((until - time.time()) * 1000)
        if ms > 0 and ms > (self._redis.pttl(key) or 0):
            self._redis.set(key, "1", px=ms)

    def remaining(self, key: str) -> float:
        """Seconds left before ``key`` may be used again."""
        return max(0, self._redis.pttl(key)) / 1000


@dataclass(frozen=True)
class Ticket:
    """What ``acquire`` gave: seconds waited, and the places held until the answer."""

    waited: float
    held: tuple[tuple[str, str], ...] = ()


class RateLimiter:
    """Blocks until a request may go, for one or more workers sharing a storage."""

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        max_wait: float = 30.0,
        step: float = 0.02,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url)
            self._storage = RedisStorage(redis_url, key_prefix=KEY_PREFIX)
            self._spacer = _RedisSpacer(client)
            self._places = _RedisPlaces(client)
        else:
            self._storage = MemoryStorage()
            self._spacer = _MemorySpacer()
            self._places = _MemoryPlaces()
        self._windows = MovingWindowRateLimiter(self._storage)
        self.max_wait = max_wait
        self.step = step
        self.sleep = sleep

    @classmethod
    def in_memory(cls, **kwargs) -> RateLimiter:
        """A limiter for one process (demo mode without Redis)."""
        return cls(None, **kwargs)

    def acquire(
        self, key: str, buckets: Iterable[Bucket], method: str = "GET", cold: bool = False
    ) -> Ticket:
        """Wait for a place in every bucket that applies to ``method``; the ticket says
        how long it waited and holds the places to free with ``answered``. ``cold``: a
        client's first request, whose way to the provider may be slow (a new connection,
        first-use work): its place ends at its answer only."""
        started = time.monotonic()
        deadline = started + self.max_wait
        self._wait_pause(key, deadline)
        held = []
        for bucket in buckets:
            if bucket.applies_to(method):
                held.extend(self._acquire_bucket(key, bucket, deadline, cold))
        return Ticket(time.monotonic() - started, tuple(held))

    def answered(self, ticket: Ticket | None) -> None:
        """The request of ``ticket`` was answered (or failed): its places end now."""
        for place, member in ticket.held if ticket else ():
            self._places.answered(place, member)

    def pause(self, key: str, seconds: float) -> None:
        """Hold every worker of this connection for ``seconds`` (provider said: slow down)."""
        self._spacer.pause(f"{KEY_PREFIX}:{key}:pause", time.time() + seconds)

    def paused_for(self, key: str) -> float:
        """Seconds every worker of this connection must still wait."""
        return self._spacer.remaining(f"{KEY_PREFIX}:{key}:pause")

    def _wait_pause(self, key: str, deadline: float) -> None:
        while (left := self.paused_for(key)) > 0:
            self._sleep_or_give_up(left, deadline, left)

    def _acquire_bucket(self, key: str, bucket: Bucket, deadline: float, cold=False) -> list:
        if bucket.counted_within > 0:
            within = COLD_HOLD if cold else bucket.counted_within
            return [self._take_place(key, bucket, deadline, within)]
        item = parse(bucket.limit)
        while not self._windows.hit(item, key, bucket.name):
            stats = self._windows.get_window_stats(item, key, bucket.name)
            until_free = max(0.0, stats.reset_time - time.time()) if stats.remaining <= 0 else 0
            self._sleep_or_give_up(max(self.step, until_free), deadline, until_free)
        return []

    def _take_place(self, key, bucket: Bucket, deadline: float, within: float) -> tuple[str, str]:
        item = parse(bucket.limit)
        place = f"{KEY_PREFIX}:{key}:{bucket.name}:places"
        member = uuid.uuid4().hex
        window = float(item.get_expiry())
        while (wait := self._places.take(place, member, item.amount, window, within)) is not None:
            if time.monotonic() + wait > deadline:
                raise self._too_long(wait)
            self.sleep(max(wait, 0.001))
        return place, member

    def _too_long(self, retry_after: float) -> RateLimitError:
        return RateLimitError(
            "Waited too long for our own rate limit; the sync will try again later.",
            retry_after=max(retry_after, self.step),
            local=True,
        )

    def _sleep_or_give_up(self, wanted: float, deadline: float, retry_after: float) -> None:
        now = time.monotonic()
        if now >= deadline:
            raise self._too_long(retry_after)
        self.sleep(min(max(wanted, 0.001), self.step * 10, deadline - now))


def header_reset_at(headers, now: float | None = None) -> float | None:
    """The epoch time until which a provider's ``X-RateLimit-*`` headers say to wait.

    freee sends Remaining/Reset per hour, minute (``-Minute``) and day (``-Day``), the
    Reset as an ISO time; whichever exhausted budget resets last wins. None if none is.
    """
    now = time.time() if now is None else now
    # freee writes both X-RateLimit-… and X-Ratelimit-…: compare names case-blind.
    headers = {str(k).lower(): v for k, v in dict(headers).items()}
    latest = None
    for suffix in ("", "-minute", "-day"):
        remaining = headers.get(f"x-ratelimit-remaining{suffix}")
        if remaining is None or str(remaining).strip() != "0":
            continue
        reset = _parse_reset(headers.get(f"x-ratelimit-reset{suffix}"), now)
        if reset is not None and reset > now:
            latest = reset if latest is None else max(latest, reset)
    return latest


def _parse_reset(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    # Epoch seconds if it looks like one, else seconds from now.
    return number if number > 1_000_000_000 else now + number


class ConnectionThrottle:
    """The http.Throttle of one provider connection: its buckets plus header feedback."""

    def __init__(
        self,
        limiter: RateLimiter,
        connection_key: str,
        buckets: Iterable[Bucket] = (),
        *,
        use_headers: bool = False,
    ):
        self.limiter = limiter
        self.key = connection_key
        self.buckets = tuple(buckets)
        self.use_headers = use_headers

    def acquire(self, method: str, path: str, cold: bool = False) -> Ticket:
        """Wait until the connection's buckets allow this request."""
        return self.limiter.acquire(self.key, self.buckets, method, cold=cold)

    def answered(self, ticket: Ticket | None) -> None:
        """The request ``ticket`` let go was answered, or failed: free its places."""
        self.limiter.answered(ticket)

    def observe(self, method: str, path: str, status: int, headers) -> None:
        """Pause the connection after a 429 or exhausted rate-limit headers."""
        if status == 429:
            wait = retry_after_seconds(headers.get("Retry-After"))
            if wait:
                self.limiter.pause(self.key, wait)
        if self.use_headers and (reset := header_reset_at(headers)) is not None:
            self.limiter.pause(self.key, reset - time.time())
