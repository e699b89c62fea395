"""One exception class per kind of provider failure, in the manner of stripe-python.

The sync layer decides what to do by class (and ``should_retry``), never by parsing
text. ``str()`` of every error is written for a back-office person and is scrubbed of
credentials, so it may be stored in the sync history or shown in a flash message.
"""

from __future__ import annotations

from .redact import scrub


def provider_name(provider: str | None, default: str | None = None) -> str | None:
    """The provider's name as a person knows it (its registry entry's), else ``default``."""
    from .registry import ENTRIES  # deferred: the providers' packages import this module

    found = ENTRIES.get(provider or "")
    return found.name if found else default


class ProviderError(Exception):
    """Base class: anything that went wrong talking to an invoicing provider."""

    should_retry = False
    default_message = "The provider refused the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str | None = None,
        http_status: int | None = None,
        provider_message: str | None = None,
        request_id: str | None = None,
        code: str | int | None = None,
        should_retry: bool | None = None,
    ):
        self.message = scrub(message or provider_message or self.default_message)
        self.provider = provider
        self.http_status = http_status
        self.provider_message = scrub(provider_message) if provider_message else None
        self.request_id = request_id
        self.code = code
        if should_retry is not None:
            self.should_retry = should_retry  # instance override of the class default
        super().__init__(self.message)

    @property
    def provider_name(self) -> str:
        """The provider's name as a person knows it."""
        return provider_name(self.provider, self.provider or "provider")

    def __str__(self) -> str:
        parts = [f"{self.provider_name}: " if self.provider else "", self.message]
        if self.http_status:
            parts.append(f" (HTTP {self.http_status})")
        if self.request_id:
            parts.append(f" [request id {self.request_id}]")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class AuthenticationError(ProviderError):
    """401, a rejected token, or a refresh refused with invalid_grant."""

    default_message = "The provider did not accept our credentials."

    def __init__(self, *args, reconnect_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.reconnect_required = reconnect_required


class AuthorizationDeniedError(AuthenticationError):
    """The user (or the provider) refused the OAuth authorization (access_denied)."""

    default_message = "Access was denied on the provider's consent page."


class PermissionDeniedError(ProviderError):
    """403: authenticated, but this account or scope may not do that."""

    default_message = "This connection is not allowed to do that (missing permission or scope)."


class NotFoundError(ProviderError):
    """404: the record does not exist (or no longer does) at the provider."""

    default_message = "The record was not found at the provider."


class ValidationError(ProviderError):
    """400/422: the provider rejected the data; ``field_errors`` says which fields."""

    default_message = "The provider rejected the data."

    def __init__(self, *args, field_errors: dict[str, list[str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_errors = {
            field: [scrub(m) for m in messages] for field, messages in (field_errors or {}).items()
        }

    def __str__(self) -> str:
        text = super().__str__()
        if not self.field_errors:
            return text
        details = "; ".join(
            f"{field}: {', '.join(messages)}" if field else ", ".join(messages)
            for field, messages in self.field_errors.items()
        )
        return f"{text} — {details}"


class RateLimitError(ProviderError):
    """429 from the provider, or our own limiter gave up waiting for a slot."""

    should_retry = True
    default_message = "Too many requests; try again later."

    def __init__(self, *args, retry_after: float | None = None, local: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
        self.local = local  # True when raised by our limiter: nothing reached the provider


class TransientError(ProviderError):
    """5xx or similar: probably temporary.

    ``outcome_unknown`` is True when a create may have been processed (a 5xx or timeout
    after a POST was sent): then ``should_retry`` is False and the caller must look the
    document up by our reference before creating it again.
    """

    should_retry = True
    default_message = "The provider had a temporary problem."

    def __init__(self, *args, outcome_unknown: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome_unknown = outcome_unknown
        if outcome_unknown and kwargs.get("should_retry") is None:
            self.should_retry = False


class ConnectionFailure(TransientError):
    """No usable HTTP answer: refused, timed out, reset.

    ``sent`` is False only when we know the request never left (connection refused or
    connect timeout) — the one case where even a create may be retried blindly.
    """

    default_message = "Could not reach the provider."

    def __init__(self, *args, sent: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = sent


class ProviderResponseError(ProviderError):
    """The provider answered something we cannot read (not JSON where JSON was due)."""

    default_message = "The provider sent an answer we could not read."


class ProviderDataError(ProviderResponseError):
    """The provider answered, but one value is in a form we do not know.

    Names the field and the value, so the sync history says exactly what to look at
    (``Money Forward: billing_date '2026.12.02' is not a date …``).
    """

    default_message = "The provider sent a value we could not read."

    def __init__(self, field: str, value, expected: str, **kwargs):
        self.field = field
        self.value = value
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "…"
        super().__init__(f"{field} {shown} is not {expected}", **kwargs)
