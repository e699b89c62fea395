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
    times = [(round(r["time"] - writes[0]["time"], 3), r["status"]) for r in writes]
    assert len(writes) == 10, times  # in particular, not one answered 429
    assert all(r["status"] == 201 for r in writes)  # in particular, no 429
    assert windows_over([r["time"] for r in writes]) <= 3


@pytest.mark.parametrize("shared", ["memory", "redis"])
def test_a_place_ends_at_the_answer_or_a_while_after_sending(shared, redis_url):
    """Two writes a second, a place ending at the answer or 0.5 s after sending: the
    third write goes a second after the first's answer, the fourth a second after the
    unanswered second write's 0.5 s."""
    bucket = Bucket("write", "2/second", frozenset({"POST"}), counted_within=0.5)
    memory = RateLimiter.in_memory(max_wait=5)
    limiter = memory if shared == "memory" else RateLimiter(redis_url, max_wait=5)
    name = key()
    started = time.monotonic()
    limiter.answered(limiter.acquire(name, [bucket], "POST"))  # answered at once
    limiter.acquire(name, [bucket], "POST")  # never answered
    assert limiter.acquire(name, [bucket], "GET").held == ()  # reads are not counted
    limiter.acquire(name, [bucket], "POST")
    third = time.monotonic() - started
    limiter.acquire(name, [bucket], "POST")
    fourth = time.monotonic() - started
    # Lower bounds exact; upper ones loose (a busy machine sleeps late), yet apart: the
    # answered place freed the third before the unanswered one's 0.5 s could.
    assert 0.995 <= third < 1.4, third
    assert 1.495 <= fourth < 2.0, fourth


def test_a_place_too_far_off_is_refused_and_not_taken(redis_url):
    bucket = Bucket("write", "1/second", frozenset({"POST"}), counted_within=0.05)
    name = key()
    limiter = RateLimiter(redis_url, max_wait=0.3)
    limiter.answered(limiter.acquire(name, [bucket], "POST"))
    with pytest.raises(errors.RateLimitError) as caught:
        limiter.acquire(name, [bucket], "POST")  # would wait ~1 s > 0.3 s
    assert caught.value.local and caught.value.retry_after == pytest.approx(1.0, abs=0.1)
    time.sleep(1.0)
    started = time.monotonic()
    limiter.acquire(name, [bucket], "POST")  # the refused one held no place
    assert time.monotonic() - started < 0.1


def test_writes_released_together_never_put_four_in_a_second_of_their_answers(redis_url):
    """Four threads, each write 'answered' after a varying delay (a busy machine): no
    write starts while three others' places (answer, or 50 ms after leaving, whichever
    is sooner) ended less than a second before."""
    import random
    import threading

    bucket = Bucket("write", "3/second", frozenset({"POST"}), counted_within=0.05)
    name = key()
    barrier, done, lock = threading.Barrier(4), [], threading.Lock()

    def work():
        limiter = RateLimiter(redis_url, max_wait=30)
        barrier.wait()
        for _ in range(4):
            ticket = limiter.acquire(name, [bucket], "POST")
            went = time.time()
            time.sleep(random.uniform(0.0, 0.15))  # on the way and answered
            answered = time.time()
            limiter.answered(ticket)
            with lock:
                done.append((went, answered))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(done) == 16
    for went, _answered in done:
        # Writes that started before this one and were answered less than a second
        # before it started (or not yet): at most 2, so this is at most the 3rd.
        close = [k for k in done if k[0] < went and min(k[1], k[0] + 0.05) > went - 0.995]
        assert len(close) <= 2, (went, close)
    span = max(w for w, _ in done) - min(w for w, _ in done)
    assert span >= 4.0  # 16 writes, 3 a second: the limiter did hold some back
