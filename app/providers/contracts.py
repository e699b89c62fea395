"""The seams of the HTTP layer: where tokens come from, how fast to go, how errors read.

Kept apart from http.py so that OAuth, rate limiting and the provider dialects can
depend on these small types without importing the transport itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ProviderError


class AccessTokenSource(Protocol):
    """Supplies the current access token; replaces it once when the provider rejects it."""

    def access_token(self) -> str:
        """The token to send now (refreshed ahead of expiry if need be)."""

    def refresh_after_rejection(self, rejected_token: str) -> str | None:
        """A new token after the provider answered 401, or None if none can be had."""


class Throttle(Protocol):
    """Called before every request (may block) and after every response."""

    def acquire(self, method: str, path: str, cold: bool = False) -> Any:
        """Block until a request to ``path`` may be sent; a ticket for ``answered``.
        ``cold``: the client's first request (a new connection, first-use work)."""

    def answered(self, ticket: Any) -> None:
        """The request ``acquire`` let go has its answer (or failed)."""

    def observe(self, method: str, path: str, status: int, headers) -> None:
        """Learn from a response (429, rate-limit headers)."""


@dataclass
class ErrorDetails:
    """What a provider said was wrong, read from its own error format."""

    message: str | None = None
    code: str | int | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    kind: type[ProviderError] | None = None  # a dialect may override the status mapping


ErrorReader = Callable[[int, Any, str], ErrorDetails]


def generic_error_reader(status: int, body: Any, text: str) -> ErrorDetails:
    """Fallback: {"message"}, {"error", "error_description"} or the raw text."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        return ErrorDetails(message=str(message) if message else None, code=body.get("code"))
    return ErrorDetails(message=text[:300] or None)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for the TCP connection, and then for each read of the answer."""

    connect: float = 5.0
    read: float = 30.0


class StaticToken:
    """An AccessTokenSource for a fixed token (tests, or providers' personal tokens)."""

    def __init__(self, token: str):
        self._token = token

    def access_token(self) -> str:
        """The token to send now (refreshed ahead of expiry if need be)."""
        return self._token

    def refresh_after_rejection(self, rejected_token: str) -> str | None:
        return None  # nothing to refresh: the provider's 401 stands
