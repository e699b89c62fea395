"""Provider clients for a connection: tokens from the connection row, shared rate limit,
and a count of the API calls each run makes."""

from __future__ import annotations

import requests
from flask import current_app

from app.extensions import db
from app.providers.moneyforward.client import MoneyForwardClient
from app.providers.oauth import OAuthClient
from app.providers.ratelimit import RateLimiter
from app.providers.tokens import TokenManager
from app.services.errors import InvalidInput
from app.services.oauth_flow import oauth_settings
from app.services.token_store import ConnectionTokenStore

SUPPORTED = ("moneyforward",)
_LIMITERS: dict[str | None, RateLimiter] = {}


class CountingSession(requests.Session):
    """A requests session that counts the API requests sent through it."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def request(self, *args, **kwargs):
        """Send and count one request."""
        self.calls += 1
        return super().request(*args, **kwargs)


def limiter() -> RateLimiter:
    """The rate limiter shared by every worker (Redis) or by this process (demo)."""
    url = current_app.config.get("REDIS_URL") or None
    if url not in _LIMITERS:
        _LIMITERS[url] = RateLimiter(url) if url else RateLimiter.in_memory()
    return _LIMITERS[url]


def client_for(connection) -> tuple[MoneyForwardClient, CountingSession]:
    """A client of ``connection``'s provider and the session counting its calls."""
    if connection.provider not in SUPPORTED:
        raise InvalidInput(f"Invoices cannot be sent to {connection.provider} yet.")
    tokens = TokenManager(
        OAuthClient(oauth_settings(connection, "")),
        ConnectionTokenStore(db.engine, connection.id),
    )
    session = CountingSession()
    client = MoneyForwardClient.for_connection(
        connection.id,
        tokens,
        limiter=limiter(),
        base_url=connection.api_base_url,
        session=session,
    )
    return client, session
