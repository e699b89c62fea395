"""Retry rules: Retry-After honoured, backoff capped, creates never repeated blindly.

Waits are measured with an injected sleep, never with the wall clock.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.providers import errors
from app.providers.http import ProviderHTTP, Timeouts
from app.providers.moneyforward import dialect as mf
from app.providers.retry import (
    RetryPolicy,
    backoff_delay,
    call_with_retries,
    is_retryable,
    retry_after_seconds,
)

from .scripted import Reply

POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8, jitter=0.25, max_total_wait=30)


def http(url, sleeps, policy=POLICY, **kwargs):
    return ProviderHTTP(
        "moneyforward", url, read_error=mf.read_error, retry=policy, sleep=sleeps, **kwargs
    )


# -- the rules alone --------------------------------------------------------------------------
def test_retry_after_in_seconds_and_http_date():
    now = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=12), usegmt=True), now) == 12
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    "error, method, expected",
    [
        (errors.RateLimitError(), "POST", True),
        (errors.RateLimitError(local=True), "GET", False),
        (errors.TransientError(), "GET", True),
        (errors.TransientError(outcome_unknown=True), "POST", False),
        (errors.TransientError(), "PUT", True),
        (errors.ConnectionFailure(sent=False), "POST", True),
        (errors.ConnectionFailure(sent=True, outcome_unknown=True), "POST", False),
        (errors.ConnectionFailure(sent=True), "DELETE", True),
        (errors.ValidationError(), "GET", False),
        (errors.AuthenticationError(), "GET", False),
        (errors.NotFoundError(), "GET", False),
    ],
)
def test_what_is_retryable(error, method, expected):
    assert is_retryable(error, method) is expected


def test_backoff_grows_exponentially_with_bounded_jitter():
    rng = random.Random(1)
    delays = [backoff_delay(errors.TransientError(), n, POLICY, rng) for n in range(1, 7)]
    for attempt, delay in enumerate(delays, start=1):
        base = min(8, 0.5 * 2 ** (attempt - 1))
        assert base <= delay <= base + 0.25
    assert backoff_delay(errors.RateLimitError(retry_after=4), 1, POLICY, rng) == 4


def test_attempts_are_capped(sleeps):
    calls = []

    def attempt():
        calls.append(1)
        raise errors.TransientError()

    with pytest.raises(errors.TransientError):
        call_with_retries(attempt, method="GET", policy=POLICY, sleep=sleeps)
    assert len(calls) == 4 and len(sleeps.calls) == 3


# -- over real HTTP -------------------------------------------------------------------------------
def test_429_retry_after_is_honoured(scripted, sleeps):
    scripted.on(
        "POST",
        "/partners",
        Reply(429, {"errors": [{"message": "slow down"}]}, {"Retry-After": "2"}),
        Reply(201, {"id": "p1"}),
    )
    assert http(scripted.url, sleeps).post("/partners", {"name": "A"}) == {"id": "p1"}
    assert sleeps.calls == [2]  # exactly the provider's wait, no jitter on top
    assert len(scripted.seen("POST", "/partners")) == 2  # a 429 was not processed: safe


def test_429_with_http_date(scripted, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    scripted.on("GET", "/items", Reply(429, {}, {"Retry-After": when}), Reply(200, {"data": []}))
    policy = RetryPolicy(max_total_wait=60)
    http(scripted.url, sleeps, policy).get("/items")
    assert len(sleeps.calls) == 1 and 25 < sleeps.calls[0] <= 30


def test_5xx_on_get_is_retried_with_backoff(scripted, sleeps):
    scripted.on(
        "GET", "/billings", Reply(503, {}), Reply(500, {}), Reply(200, {"data": [], "ok": 1})
    )
    assert http(scripted.url, sleeps).get("/billings")["ok"] == 1
    assert len(sleeps.calls) == 2
    assert 0.5 <= sleeps.calls[0] <= 0.75 and 1.0 <= sleeps.calls[1] <= 1.25


def test_post_is_not_retried_after_500(scripted, sleeps):
    scripted.on("POST", "/invoice_template_billings", Reply(500, {}), Reply(201, {"id": "b"}))
    with pytest.raises(errors.TransientError) as caught:
        http(scripted.url, sleeps).post("/invoice_template_billings", {"department_id": "d"})
    assert caught.value.outcome_unknown and not caught.value.should_retry
    assert len(scripted.seen("POST", "/invoice_template_billings")) == 1
    assert sleeps.calls == []


def test_post_is_not_retried_after_timeout(scripted, sleeps):
    scripted.on("POST", "/partners", Reply(201, {"id": "late"}, delay=0.4))
    client = http(scripted.url, sleeps, timeouts=Timeouts(connect=2, read=0.1))
    with pytest.raises(errors.ConnectionFailure) as caught:
        client.post("/partners", {"name": "A"})
    assert caught.value.outcome_unknown and not caught.value.should_retry
    assert len(scripted.seen("POST", "/partners")) == 1 and sleeps.calls == []


def test_post_is_not_retried_after_dropped_connection(scripted, sleeps):
    scripted.on("POST", "/partners", Reply(drop=True))
    with pytest.raises(errors.ConnectionFailure) as caught:
        http(scripted.url, sleeps).post("/partners", {"name": "A"})
    assert caught.value.outcome_unknown
    assert len(scripted.seen("POST", "/partners")) == 1


def test_get_is_retried_after_timeout(scripted, sleeps):
    scripted.on("GET", "/office", Reply(200, {"id": "slow"}, delay=0.4), Reply(200, {"id": "o"}))
    client = http(scripted.url, sleeps, timeouts=Timeouts(connect=2, read=0.1))
    assert client.get("/office") == {"id": "o"}
    assert len(sleeps.calls) == 1


def test_post_is_retried_when_nothing_was_sent(refused_url, sleeps):
    with pytest.raises(errors.ConnectionFailure) as caught:
        http(refused_url, sleeps).post("/partners", {"name": "A"})
    assert caught.value.sent is False
    assert len(sleeps.calls) == POLICY.max_attempts - 1  # refused: provably not processed


def test_total_wait_is_capped(scripted, sleeps):
    scripted.on("GET", "/items", Reply(429, {}, {"Retry-After": "120"}))
    with pytest.raises(errors.RateLimitError) as caught:
        http(scripted.url, sleeps).get("/items")
    assert sleeps.calls == []  # 120 s would break the 30 s cap: give up at once
    assert caught.value.retry_after == 120  # ... and tell the job when to come back
    assert len(scripted.seen("GET", "/items")) == 1


def test_validation_errors_are_not_retried(scripted, sleeps):
    scripted.on("PUT", "/items/1", Reply(400, {"errors": [{"message": "bad", "field": "name"}]}))
    with pytest.raises(errors.ValidationError):
        http(scripted.url, sleeps).put("/items/1", {"name": ""})
    assert sleeps.calls == [] and len(scripted.seen("PUT", "/items/1")) == 1
