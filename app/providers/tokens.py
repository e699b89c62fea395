"""OAuth token pairs and where they are kept between requests and workers.

``TokenStore`` is the seam with the app: it will keep tokens in the connection's DB row
and lock that row in ``locked()``. Here are an in-memory store (one process) and a
Redis store (several processes; used by tests and usable by workers).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .errors import AuthenticationError, TransientError

STANDARD_FIELDS = {"access_token", "refresh_token", "expires_in", "expires_at", "scope"}
STANDARD_FIELDS |= {"token_type", "id_token"}
SECRET_LIKE = re.compile(r"token|secret|code", re.IGNORECASE)


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenSet:
    """An access token, its refresh token and when it expires (UTC). repr hides secrets."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scope: str | None = None
    token_type: str = "Bearer"
    # Non-secret extras of the token answer, e.g. Zoho's api_domain (its data centre).
    extras: dict = field(default_factory=dict, compare=False)

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """True if the token is expired or will be within ``seconds``."""
        if self.expires_at is None:
            return False  # no expiry given: trust it until the provider says 401
        return self.expires_at <= (now or utcnow()) + timedelta(seconds=seconds)

    @classmethod
    def from_response(
        cls, body: dict, now: datetime | None = None, previous_refresh: str | None = None
    ) -> TokenSet:
        """From a token endpoint's JSON; keeps the old refresh token if none came back
        (Zoho does not rotate refresh tokens)."""
        now = now or utcnow()
        expires_in = body.get("expires_in")
        expires_at = now + timedelta(seconds=int(expires_in)) if expires_in is not None else None
        scope = body.get("scope")
        if isinstance(scope, list | tuple):
            scope = " ".join(scope)
        return cls(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or previous_refresh,
            expires_at=expires_at,
            scope=scope,
            token_type=body.get("token_type") or "Bearer",
            extras={
                k: v
                for k, v in body.items()
                if k not in STANDARD_FIELDS and not SECRET_LIKE.search(k)
            },
        )

    def to_json(self) -> str:
        """Serialise for a store (contains secrets: encrypt at rest)."""
        data = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "scope": self.scope,
            "token_type": self.token_type,
            "extras": self.extras,
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> TokenSet:
        """Read back what ``to_json`` wrote."""
        data = json.loads(text)
        expires = data.get("expires_at")
        data["expires_at"] = datetime.fromisoformat(expires) if expires else None
        return cls(**data)


class TokenStore(Protocol):
    """Persistence of one connection's tokens. ``locked()`` must exclude every other
    worker that could refresh the same connection (the app: SELECT … FOR UPDATE)."""

    def load(self) -> TokenSet | None:
        """The stored tokens, or None."""

    def save(self, tokens: TokenSet) -> None:
        """Store new tokens (replacing the old)."""

    def locked(self):
        """Exclude other refreshers while held."""


class MemoryTokenStore:
    """Tokens in this process only; the lock is a threading lock."""

    def __init__(self, tokens: TokenSet | None = None):
        self._tokens = tokens
        self._lock = threading.Lock()

    def load(self) -> TokenSet | None:
        """The stored tokens, or None."""
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        """Store new tokens (replacing the old)."""
        self._tokens = tokens

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclude other refreshers while held."""
        with self._lock:
            yield


class RedisTokenStore:
    """Tokens in a Redis key, locked with a Redis lock shared by all processes."""

    def __init__(self, client, key: str, *, lock_timeout: float = 30.0, wait: float = 30.0):
        self.redis = client
        self.key = key
        self.lock_timeout = lock_timeout  # the lock frees itself if its holder dies
        self.wait = wait

    def load(self) -> TokenSet | None:
        """The stored tokens, or None."""
        raw = self.redis.get(self.key)
        return TokenSet.from_json(raw) if raw else None

    def save(self, tokens: TokenSet) -> None:
        """Store new tokens (replacing the old)."""
        self.redis.set(self.key, tokens.to_json())

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclude other refreshers while held."""
        lock = self.redis.lock(
            f"{self.key}:lock", timeout=self.lock_timeout, blocking_timeout=self.wait
        )
        if not lock.acquire():
            raise TransientError("Another worker is still refreshing this connection's token.")
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # expired under us: the next holder owns it now
                pass


class Refresher(Protocol):
    """Anything that turns a refresh token into new tokens."""

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for ``refresh_token``."""


class TokenManager:
    """The AccessTokenSource of one connection (see http.py).

    Refreshes ``skew`` seconds ahead of expiry, and once when the provider rejects a
    token that looked valid. Every refresh happens under ``store.locked()`` after a
    fresh ``load()``: if another worker already rotated the token we use theirs, so a
    rotating refresh token is spent exactly once.
    """

    def __init__(
        self,
        refresher: Refresher,
        store: TokenStore,
        *,
        provider: str | None = None,
        skew: float = 60.0,
        clock=utcnow,
    ):
        self.refresher = refresher
        self.store = store
        self.provider = provider
        self.skew = skew
        self.clock = clock

    def access_token(self) -> str:
        """A token valid for at least ``skew`` seconds, refreshing if need be."""
        tokens = self._load()
        if tokens.expires_within(self.skew, self.clock()):
            tokens = self._refresh(stale=tokens.access_token, forced=False)
        return tokens.access_token

    def refresh_after_rejection(self, rejected_token: str) -> str:
        """A new token after the provider refused ``rejected_token`` (401)."""
        return self._refresh(stale=rejected_token, forced=True).access_token

    def _load(self) -> TokenSet:
        tokens = self.store.load()
        if tokens is None:
            raise AuthenticationError(
                "This connection has no tokens; connect it first.",
                provider=self.provider,
                reconnect_required=True,
            )
        return tokens

    def _refresh(self, stale: str, forced: bool) -> TokenSet:
        with self.store.locked():
            tokens = self._load()  # re-read: another worker may have refreshed meanwhile
            expiring = tokens.expires_within(self.skew, self.clock())
            replaced = tokens.access_token != stale
            if not expiring and (replaced or not forced):
                return tokens
            if not tokens.refresh_token:
                raise AuthenticationError(
                    "The access token expired and there is no refresh token; "
                    "reconnect the connection.",
                    provider=self.provider,
                    reconnect_required=True,
                )
            fresh = self.refresher.refresh(tokens.refresh_token)
            self.store.save(fresh)
            return fresh
