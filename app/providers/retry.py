"""When to try a request again, and how long to wait first — nothing else.

Rules (kept here, apart from the HTTP code, so they can be read and unit-tested alone):
- 429 is always retried, after the provider's Retry-After: the request was not processed.
- 5xx and lost connections are retried only for idempotent methods. A create (POST)
  that may have reached the provider is never repeated blindly: the caller must first
  look the document up by our reference, or it may exist twice.
- A POST is retried after a connection failure only when the request provably never
  left (connection refused, connect timeout).
- Backoff is exponential with jitter; attempts and the total time slept are capped.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import Retrying, retry_if_exception

from .errors import ConnectionFailure, ProviderError, RateLimitError, TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``max_total_wait`` caps the sum of all sleeps of one call."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_total_wait: float = 30.0


NO_RETRY = RetryPolicy(max_attempts=1)


def is_retryable(error: BaseException, method: str) -> bool:
    """Whether ``error`` on a ``method`` request may be retried without a look-up first."""
    method = method.upper()
    if isinstance(error, RateLimitError):
        return not error.local  # our own limiter already waited as long as allowed
    if isinstance(error, ConnectionFailure):
        return not error.sent or method in IDEMPOTENT_METHODS
    if isinstance(error, TransientError):
        return method in IDEMPOTENT_METHODS and error.should_retry
    return False


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(error: BaseException, attempt: int, policy: RetryPolicy, rng=random) -> float:
    """Seconds before attempt ``attempt + 1``: the provider's Retry-After, else backoff."""
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        return error.retry_after
    exponential = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return exponential + rng.uniform(0, policy.jitter)


def call_with_retries(
    attempt: Callable[[], T],
    *,
    method: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    rng=random,
) -> T:
    """Run ``attempt()`` until it succeeds or the policy says stop; re-raise the last error."""

    def stop(state) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        # Give up rather than sleep past the cap: the job can be rescheduled instead.
        return state.idle_for + state.upcoming_sleep > policy.max_total_wait

    def wait(state) -> float:
        return backoff_delay(state.outcome.exception(), state.attempt_number, policy, rng)

    def before_sleep(state) -> None:
        error = state.outcome.exception()
        kind = type(error).__name__
        status = error.http_status if isinstance(error, ProviderError) else None
        log.info(
            "retrying %s after %s (status %s) in %.2fs, attempt %d of %d",
            method,
            kind,
            status,
            state.upcoming_sleep,
            state.attempt_number + 1,
            policy.max_attempts,
        )

    retrying = Retrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(lambda error: is_retryable(error, method)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(attempt)
