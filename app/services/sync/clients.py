"""Provider clients and adapters for a connection: tokens from the connection row, a
shared rate limit, timeouts from the config, and a count of the API calls a run makes."""

from __future__ import annotations

import requests
from flask import current_app

from app.extensions import db
from app.providers.contracts import Timeouts
from app.providers.oauth import OAuthClient
from app.providers.ratelimit import RateLimiter
from app.providers.registry import entry
from app.providers.retry import RetryPolicy
from app.providers.tokens import TokenManager
from app.services.errors import InvalidInput
from app.services.oauth_flow import oauth_settings
from app.services.provider_urls import check_provider_urls
from app.services.sync.adapters import SUPPORTED, ProviderAdapter, adapter_class
from app.services.sync.clock import business_today
from app.services.token_store import ConnectionTokenStore

_LIMITERS: dict[str | None, RateLimiter] = {}

__all__ = ["SUPPORTED", "adapter_for", "client_for", "limiter"]


class CountingSession(requests.Session):
    """A requests session that counts the API requests sent through it."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def send(self, request, **kwargs):
        """Send and count one request."""
        self.calls += 1
        return super().send(request, **kwargs)


def limiter() -> RateLimiter:
    """The rate limiter shared by every worker (Redis) or by this process (demo)."""
    url = current_app.config.get("REDIS_URL") or None
    if url not in _LIMITERS:
        _LIMITERS[url] = RateLimiter(url) if url else RateLimiter.in_memory()
    return _LIMITERS[url]


def _timeouts() -> Timeouts:
    """PROVIDER_TIMEOUTS = (connect, read) seconds, if configured; else the defaults."""
    configured = current_app.config.get("PROVIDER_TIMEOUTS")
    return Timeouts(*configured) if configured else Timeouts()


def client_for(connection, retry: RetryPolicy | None = None):
    """A client of ``connection``'s provider and the session counting its calls
    (``retry``: the client's retry policy, when not the default)."""
    if connection.provider not in SUPPORTED:
        raise InvalidInput(f"Invoices cannot be sent to {connection.provider} yet.")
    check_provider_urls(connection)  # again: a host's address may have changed
    tokens = TokenManager(
        OAuthClient(oauth_settings(connection, "")),
        ConnectionTokenStore(db.engine, connection.id),
    )
    session = CountingSession()
    common = dict(limiter=limiter(), session=session, timeouts=_timeouts(), retry=retry)
    client = entry(connection.provider).build_client(connection, tokens, **common)
    return client, session


def adapter_for(
    connection, retry: RetryPolicy | None = None
) -> tuple[ProviderAdapter, CountingSession]:
    """The adapter of ``connection`` (dated today in Tokyo) and its call counter."""
    client, session = client_for(connection, retry)
    return adapter_class(connection.provider)(client, business_today()), session
