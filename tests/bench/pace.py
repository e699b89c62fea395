"""Benchmark: the shared rate limiter alone — two processes write to the Money Forward
sandbox through one connection's limiter (Redis), as two RQ workers do, with nothing
else to do between writes. What the provider sees: writes/s against its 3 and 429s.

``python -m tests.bench pace [--writes 300]``; the invoice bench (``create``) measures the
same through the whole create job, which a busy machine can make the slower part.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

WORKERS = 2


def _write(api: str, token: str, redis_url: str, key: str, count: int, barrier, out) -> None:
    """``count`` item creates through the shared limiter (a worker's writes)."""
    from app.providers.http import StaticToken
    from app.providers.moneyforward import MoneyForwardClient
    from app.providers.ratelimit import RateLimiter

    client = MoneyForwardClient.for_connection(
        key, StaticToken(token), base_url=api, limiter=RateLimiter(redis_url, max_wait=120)
    )
    barrier.wait(timeout=60)
    errors = []
    for n in range(count):
        try:
            client.create_item({"name": f"pace {key} {n}", "excise": "ten_percent"})
        except Exception as exc:  # reported in the table
            errors.append(repr(exc))
    out.put(errors)


def run(writes: int = 300) -> dict:
    """``writes`` item creates from two processes; the provider's view of them."""
    import redis
    import requests

    from app.sandbox import sandboxes_of
    from tests.bench.common import REDIS_URL, bench_app, write_result

    redis.Redis.from_url(REDIS_URL).flushdb()
    with bench_app() as (app, server):
        minted = requests.post(
            f"{server.url}/sandbox/moneyforward/_sandbox/tokens",
            json={"client_id": "renkei-demo"},
            timeout=10,
        ).json()
        api = f"{server.url}/sandbox/moneyforward/api/v3"
        ctx = multiprocessing.get_context("spawn")
        barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
        key = f"pace-{uuid.uuid4().hex[:6]}"
        per = writes // WORKERS
        procs = [
            ctx.Process(
                target=_write,
                args=(api, minted["access_token"], REDIS_URL, key, per, barrier, out),
            )
            for _ in range(WORKERS)
        ]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        errors = [e for _ in procs for e in out.get(timeout=writes * 2)]
        for proc in procs:
            proc.join(30)
        seconds = time.perf_counter() - started
        sandbox = sandboxes_of(app)["moneyforward"]
        sent = [
            e for e in sandbox.log.since() if e["method"] == "POST" and e["path"].endswith("/items")
        ]
        done = [e for e in sent if e["status"] != 429]
        span = done[-1]["time"] - done[0]["time"] if len(done) > 1 else 0.0
        rate = (len(done) - 1) / span if span else None
        rows = {
            "worker processes": WORKERS,
            "writes made": len(done),
            "answered 429": len(sent) - len(done),
            "errors": len(errors),
            "seconds (with start-up)": round(seconds, 1),
            "writes/s while working": round(rate, 3) if rate else None,
            "allowed writes/s": 3,
            "% of the limit": round(rate / 3 * 100, 1) if rate else None,
            "most writes in any 1 s": _most_in_a_second([e["time"] for e in done]),
            "first error": errors[0] if errors else None,
        }
        write_result("pace", rows)
    redis.Redis.from_url(REDIS_URL).flushdb()
    return rows


def _most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most
