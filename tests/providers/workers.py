"""Code run in child processes by the multi-process tests (importable under spawn)."""

from __future__ import annotations

import os


def refresh_in_process(token_url: str, secret: str, redis_url: str, key: str, barrier, out):
    """Build a worker's TokenManager on a shared Redis store and ask for a token."""
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    import redis

    from app.providers.oauth import OAuthClient, OAuthSettings, RedisTokenStore, TokenManager

    settings = OAuthSettings(
        provider="moneyforward",
        client_id="cid",
        client_secret=secret,
        authorize_url=token_url.replace("/token", "/authorize"),
        token_url=token_url,
        redirect_uri="http://127.0.0.1/callback",
        client_auth="post",
    )
    store = RedisTokenStore(redis.Redis.from_url(redis_url), key)
    manager = TokenManager(OAuthClient(settings), store)
    barrier.wait(timeout=30)
    out.put(manager.access_token())


def write_in_process(api_base: str, token: str, redis_url: str, key: str, count: int, barrier, out):
    """Do ``count`` Money Forward writes through the shared Redis rate limiter."""
    from app.providers.http import StaticToken
    from app.providers.moneyforward import MoneyForwardClient
    from app.providers.ratelimit import RateLimiter

    limiter = RateLimiter(redis_url, max_wait=60)
    client = MoneyForwardClient.for_connection(
        key, StaticToken(token), base_url=api_base, limiter=limiter
    )
    barrier.wait(timeout=30)
    errors = []
    for n in range(count):
        try:
            client.create_item({"name": f"item {os.getpid()}-{n}", "excise": "ten_percent"})
        except Exception as exc:  # reported to the parent, which fails the test
            errors.append(repr(exc))
    out.put(errors)
