"""The shared rate limiter: moving windows in Redis, spacing, and freee's headers."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.providers import errors
from app.providers.freee import FreeeInvoiceClient
from app.providers.http import StaticToken
from app.providers.ratelimit import Bucket, ConnectionThrottle, RateLimiter, header_reset_at
from app.providers.retry import NO_RETRY

from .scripted import Reply
from .workers import write_in_process


def key() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def test_in_memory_limiter_gives_up_after_max_wait():
    limiter = RateLimiter.in_memory(max_wait=0.05, step=0.01)
    bucket = Bucket("all", "2/minute")
    name = key()
    limiter.acquire(name, [bucket])
    limiter.acquire(name, [bucket])
    with pytest.raises(errors.RateLimitError) as caught:
        limiter.acquire(name, [bucket])
    assert caught.value.local and caught.value.retry_after > 0
    limiter.acquire(key(), [bucket])  # other connections have their own budget


def test_buckets_apply_only_to_their_methods(redis_url):
    limiter = RateLimiter(redis_url, max_wait=0.05, step=0.01)
    writes = Bucket("write", "1/minute", frozenset({"POST"}))
    name = key()
    limiter.acquire(name, [writes], "POST")
    for _ in range(5):
        limiter.acquire(name, [writes], "GET")  # reads are not counted
    with pytest.raises(errors.RateLimitError):
        limiter.acquire(name, [writes], "POST")


def test_redis_limiter_is_shared_between_instances(redis_url):
    bucket = Bucket("all", "3/minute")
    name = key()
    first, second = (RateLimiter(redis_url, max_wait=0.05, step=0.01) for _ in range(2))
    first.acquire(name, [bucket])
    second.acquire(name, [bucket])
    first.acquire(name, [bucket])
    with pytest.raises(errors.RateLimitError):
        second.acquire(name, [bucket])


def iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_freee_headers_pause_every_worker(redis_url):
    headers = {
        "X-RateLimit-Remaining": "1200",
        "X-RateLimit-Reset": iso_in(3000),
        "X-Ratelimit-Remaining-Minute": "0",
        "X-Ratelimit-Reset-Minute": iso_in(20),
    }
    assert header_reset_at(headers) == pytest.approx(time.time() + 20, abs=2)
    name = key()
    ConnectionThrottle(RateLimiter(redis_url), name, use_headers=True).observe(
        "GET", "/invoices", 200, headers
    )
    other_worker = RateLimiter(redis_url, max_wait=0)
    assert other_worker.paused_for(name) > 10
    with pytest.raises(errors.RateLimitError) as caught:
        other_worker.acquire(name, [])
    assert caught.value.local and caught.value.retry_after > 10


def test_a_429_pauses_the_connection(redis_url):
    name = key()
    throttle = ConnectionThrottle(RateLimiter(redis_url), name)
    throttle.observe("POST", "/x", 429, {"Retry-After": "30"})
    assert RateLimiter(redis_url).paused_for(name) > 20


def test_freee_client_obeys_exhausted_headers(scripted, redis_url):
    headers = {"X-Ratelimit-Remaining-Minute": "0", "X-Ratelimit-Reset-Minute": iso_in(30)}
    scripted.on("GET", "/invoices", Reply(200, {"invoices": []}, headers))
    company = 900_000 + uuid.uuid4().int % 100_000  # a budget no other test used
    client = FreeeInvoiceClient.for_connection(
        StaticToken("t" * 20),
        company,
        base_url=scripted.url,
        limiter=RateLimiter(redis_url, max_wait=0.05),
        retry=NO_RETRY,
    )
    assert list(client.iter_invoices()) == []
    with pytest.raises(errors.RateLimitError) as caught:
        list(client.iter_invoices())
    assert caught.value.local
    assert len(scripted.seen("GET", "/invoices")) == 1  # the second call never left


def windows_over(times: list[float], width: float = 1.0) -> int:
    """The most requests inside any window of ``width`` seconds."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + width) for i, start in enumerate(times))


def test_two_worker_processes_share_money_forwards_3_writes_a_second(fresh_sandbox, redis_url):
    sandbox = fresh_sandbox
    token = sandbox.mint("moneyforward", "renkei-demo")["access_token"]
    api = f"{sandbox.base('moneyforward')}/api/v3"
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    connection = key()
    procs = [
        ctx.Process(
            target=write_in_process, args=(api, token, redis_url, connection, 5, barrier, out)
        )
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    failures = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert failures == [[], []]
    writes = [r for r in sandbox.requests_log("moneyforward") if r["method"] == "POST"]
    assert len(writes) == 10
    assert all(r["status"] == 201 for r in writes)  # in particular, no 429
    assert windows_over([r["time"] for r in writes]) <= 3
