"""Token refresh: ahead of expiry, once after a 401, rotation saved, races won once."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest

from app.providers import errors
from app.providers.http import ProviderHTTP
from app.providers.oauth import (
    MemoryTokenStore,
    OAuthClient,
    OAuthSettings,
    RedisTokenStore,
    TokenManager,
    TokenSet,
)
from app.providers.retry import NO_RETRY

from .scripted import Reply
from .workers import refresh_in_process


def settings_for(fake) -> OAuthSettings:
    return OAuthSettings(
        provider="moneyforward",
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        authorize_url=f"{fake.url}/oauth/authorize",
        token_url=f"{fake.url}/oauth/token",
        redirect_uri="http://127.0.0.1/callback",
        client_auth="post",
    )


def tokens_from(body: dict, expires_in: int | None = None) -> TokenSet:
    if expires_in is not None:
        body = {**body, "expires_in": expires_in}
    return TokenSet.from_response(body)


def test_fresh_token_is_used_as_is(fake_oauth):
    store = MemoryTokenStore(tokens_from(fake_oauth.mint()))
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store)
    assert manager.access_token() == store.load().access_token
    assert fake_oauth.token_calls == []


def test_refresh_ahead_of_expiry_and_rotation_saved(fake_oauth):
    old = tokens_from(fake_oauth.mint(), expires_in=30)  # inside the 60 s skew
    store = MemoryTokenStore(old)
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store, skew=60)
    token = manager.access_token()
    saved = store.load()
    assert token == saved.access_token != old.access_token
    assert saved.refresh_token != old.refresh_token  # the rotated one was kept
    assert saved.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    assert len(fake_oauth.token_calls) == 1
    assert fake_oauth.token_calls[0]["refresh_token"] == old.refresh_token
    # The old refresh token is spent; the saved one works.
    assert OAuthClient(settings_for(fake_oauth)).refresh(saved.refresh_token).access_token


def test_401_refreshes_once_and_retries_once(fake_oauth):
    store = MemoryTokenStore(tokens_from(fake_oauth.mint()))
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store)
    fake_oauth.revoke_access()  # looks valid to us, not to the provider
    http = ProviderHTTP("moneyforward", f"{fake_oauth.url}/api", token_source=manager)
    assert http.get("/things") == {"things": [1, 2, 3]}
    assert len(fake_oauth.token_calls) == 1 and len(fake_oauth.api_calls) == 2
    assert fake_oauth.api_calls[1] == store.load().access_token


def test_a_second_401_is_an_authentication_error(fake_oauth, scripted):
    scripted.on("GET", "/things", Reply(401, {"error": "invalid_token"}))
    store = MemoryTokenStore(tokens_from(fake_oauth.mint()))
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store)
    http = ProviderHTTP("moneyforward", scripted.url, token_source=manager, retry=NO_RETRY)
    with pytest.raises(errors.AuthenticationError):
        http.get("/things")
    assert len(fake_oauth.token_calls) == 1 and len(scripted.seen("GET", "/things")) == 2


def test_invalid_grant_asks_for_reconnection(fake_oauth):
    body = {**fake_oauth.mint(), "refresh_token": "spent-refresh-token-xyz"}
    store = MemoryTokenStore(tokens_from(body, expires_in=0))
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store)
    with pytest.raises(errors.AuthenticationError) as caught:
        manager.access_token()
    assert caught.value.reconnect_required
    assert "reconnect" in str(caught.value)
    assert "spent-refresh-token-xyz" not in str(caught.value)


def test_no_tokens_means_not_connected(fake_oauth):
    manager = TokenManager(OAuthClient(settings_for(fake_oauth)), MemoryTokenStore())
    with pytest.raises(errors.AuthenticationError) as caught:
        manager.access_token()
    assert caught.value.reconnect_required


def test_a_missing_refresh_token_in_the_answer_keeps_the_old_one():
    tokens = TokenSet.from_response(
        {"access_token": "a" * 20, "expires_in": 3600, "api_domain": "https://x"},
        previous_refresh="r" * 20,
    )
    assert tokens.refresh_token == "r" * 20
    assert tokens.extras == {"api_domain": "https://x"}
    assert "a" * 20 not in repr(tokens) and "r" * 20 not in repr(tokens)
    assert TokenSet.from_json(tokens.to_json()) == tokens


def test_two_threads_refresh_once(fake_oauth):
    fake_oauth.token_delay = 0.3  # both threads are inside the refresh window together
    store = MemoryTokenStore(tokens_from(fake_oauth.mint(), expires_in=10))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker():
        manager = TokenManager(OAuthClient(settings_for(fake_oauth)), store)  # one per worker
        barrier.wait()
        results.append(manager.access_token())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(fake_oauth.token_calls) == 1
    assert results == [store.load().access_token] * 2


def test_two_processes_refresh_once(fake_oauth, redis_client, redis_url):
    fake_oauth.token_delay = 0.3
    key = "renkei:test:tokens:two-processes"
    RedisTokenStore(redis_client, key).save(tokens_from(fake_oauth.mint(), expires_in=10))
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    args = (f"{fake_oauth.url}/oauth/token", fake_oauth.client_secret, redis_url, key, barrier, out)
    procs = [ctx.Process(target=refresh_in_process, args=args) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert len(fake_oauth.token_calls) == 1
    assert results == [RedisTokenStore(redis_client, key).load().access_token] * 2
