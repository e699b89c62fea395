"""Client-side rate limiting shared by every worker: stay under the providers' limits.

- Fixed limits (Money Forward 3 writes/second, Zoho 100 requests/minute) are moving
  windows from the ``limits`` library, in Redis so that all RQ workers share them, keyed
  per connection and bucket. ``MemoryStorage`` serves the demo without Redis.
- A bucket may also ask for a minimum spacing between consecutive requests. A moving
  window lets the 4th write go exactly 1.000 s after the 1st; network jitter can then
  land four inside the provider's second. Spacing (SET NX PX in Redis) smooths bursts so
  jitter cannot break the limit.
- freee reports its budget in ``X-RateLimit-*`` headers: when a ``Remaining`` reaches 0
  every worker waits until its ``Reset``. A 429's Retry-After pauses everyone likewise.
``acquire`` sleeps in small steps; past ``max_wait`` it raises RateLimitError(local=True).
"""

from __future__ import annotations

import threading
import time
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
    min_interval: float = 0.0  # seconds between two requests of this bucket

    def applies_to(self, method: str) -> bool:
        """Whether requests with ``method`` count against this bucket."""
        return self.methods is None or method.upper() in self.methods


class _MemorySpacer:
    """In-process 'not before' marks, for spacing and header-driven pauses."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def take(self, key: str, interval: float) -> bool:
        """Claim the next slot if ``interval`` has passed since the last one."""
        with self._lock:
            now = time.time()
            if self._until.get(key, 0.0) > now:
                return False
            self._until[key] = now + interval
            return True

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

    def take(self, key: str, interval: float) -> bool:
        """Claim the next slot if ``interval`` has passed since the last one."""
        return bool(self._redis.set(key, "1", nx=True, px=max(1, int(interval * 1000))))

    def pause(self, key: str, until: float) -> None:
        """Hold everyone until ``until`` (epoch seconds)."""
        ms = int((until - time.time()) * 1000)
        if ms > 0 and ms > (self._redis.pttl(key) or 0):
            self._redis.set(key, "1", px=ms)

    def remaining(self, key: str) -> float:
        """Seconds left before ``key`` may be used again."""
        return max(0, self._redis.pttl(key)) / 1000


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

            self._storage = RedisStorage(redis_url, key_prefix=KEY_PREFIX)
            self._spacer = _RedisSpacer(redis.Redis.from_url(redis_url))
        else:
            self._storage = MemoryStorage()
            self._spacer = _MemorySpacer()
        self._windows = MovingWindowRateLimiter(self._storage)
        self.max_wait = max_wait
        self.step = step
        self.sleep = sleep

    @classmethod
    def in_memory(cls, **kwargs) -> RateLimiter:
        """A limiter for one process (demo mode without Redis)."""
        return cls(None, **kwargs)

    def acquire(self, key: str, buckets: Iterable[Bucket], method: str = "GET") -> float:
        """Wait for a slot in every bucket that applies to ``method``; return seconds waited."""
        started = time.monotonic()
        deadline = started + self.max_wait
        self._wait_pause(key, deadline)
        for bucket in buckets:
            if bucket.applies_to(method):
                self._acquire_bucket(key, bucket, deadline)
        return time.monotonic() - started

    def pause(self, key: str, seconds: float) -> None:
        """Hold every worker of this connection for ``seconds`` (provider said: slow down)."""
        self._spacer.pause(f"{KEY_PREFIX}:{key}:pause", time.time() + seconds)

    def paused_for(self, key: str) -> float:
        """Seconds every worker of this connection must still wait."""
        return self._spacer.remaining(f"{KEY_PREFIX}:{key}:pause")

    def _wait_pause(self, key: str, deadline: float) -> None:
        while (left := self.paused_for(key)) > 0:
            self._sleep_or_give_up(left, deadline, left)

    def _acquire_bucket(self, key: str, bucket: Bucket, deadline: float) -> None:
        item = parse(bucket.limit)
        spacing_key = f"{KEY_PREFIX}:{key}:{bucket.name}:spacing"
        while True:
            # Spacing first: a window slot taken while waiting for spacing would carry a
            # timestamp earlier than the request it stands for.
            if bucket.min_interval <= 0 or self._spacer.take(spacing_key, bucket.min_interval):
                if self._windows.hit(item, key, bucket.name):
                    return
            stats = self._windows.get_window_stats(item, key, bucket.name)
            until_free = max(0.0, stats.reset_time - time.time()) if stats.remaining <= 0 else 0
            self._sleep_or_give_up(max(self.step, until_free), deadline, until_free)

    def _sleep_or_give_up(self, wanted: float, deadline: float, retry_after: float) -> None:
        now = time.monotonic()
        if now >= deadline:
            raise RateLimitError(
                "Waited too long for our own rate limit; the sync will try again later.",
                retry_after=max(retry_after, self.step),
                local=True,
            )
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

    def acquire(self, method: str, path: str) -> None:
        """Wait until the connection's buckets allow this request."""
        self.limiter.acquire(self.key, self.buckets, method)

    def observe(self, method: str, path: str, status: int, headers) -> None:
        """Pause the connection after a 429 or exhausted rate-limit headers."""
        if status == 429:
            wait = retry_after_seconds(headers.get("Retry-After"))
            if wait:
                self.limiter.pause(self.key, wait)
        if self.use_headers and (reset := header_reset_at(headers)) is not None:
            self.limiter.pause(self.key, reset - time.time())
