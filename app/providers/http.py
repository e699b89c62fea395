"""The one place that talks HTTP to providers: timeouts, auth, retries, typed errors, logs.

Each provider formats its errors differently, so a client passes an ``ErrorReader``
(its dialect) that turns an error body into an ``ErrorDetails``; this module then picks
the exception class from the HTTP status. What to retry lives in ``retry.py``, how fast
to go in ``ratelimit.py``, and where tokens come from in ``oauth.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import jsonwire
from .contracts import (
    AccessTokenSource,
    ErrorDetails,
    ErrorReader,
    StaticToken,
    Throttle,
    Timeouts,
    generic_error_reader,
)
from .errors import (
    AuthenticationError,
    ConnectionFailure,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderResponseError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from .redact import safe_params, scrub
from .retry import IDEMPOTENT_METHODS, RetryPolicy, call_with_retries, retry_after_seconds

log = logging.getLogger(__name__)

__all__ = [
    "AccessTokenSource",
    "ErrorDetails",
    "ErrorReader",
    "ProviderHTTP",
    "StaticToken",
    "Throttle",
    "Timeouts",
    "generic_error_reader",
]

REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId", "X-Correlation-Id")


def _never_sent(exc: BaseException) -> bool:
    """True when the request provably never reached the server (refused, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen, stack = set(), [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return False


class ProviderHTTP:
    """A requests session bound to one provider connection (base URL, token, limits)."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        token_source: AccessTokenSource | None = None,
        auth_scheme: str = "Bearer",
        read_error: ErrorReader = generic_error_reader,
        check_success: Callable[[Any], ErrorDetails | None] | None = None,
        throttle: Throttle | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        default_params: dict | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "Renkei/0.1 (+back-office sync)",
    ):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.token_source = token_source
        self.auth_scheme = auth_scheme
        self.read_error = read_error
        self.check_success = check_success
        self.throttle = throttle
        self._answered_once = False  # a first request may wait on a new connection
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.default_params = dict(default_params or {})
        self.session = session or requests.Session()
        self.sleep = sleep
        self.user_agent = user_agent

    # -- public verbs ---------------------------------------------------------------
    def get(self, path: str, params: dict | None = None) -> Any:
        """GET ``path``; the parsed JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, params: dict | None = None) -> Any:
        """POST a JSON body (never retried blindly)."""
        return self.request("POST", path, params=params, body=body)

    def put(self, path: str, body: Any = None, params: dict | None = None) -> Any:
        """PUT a JSON body."""
        return self.request("PUT", path, params=params, body=body)

    def delete(self, path: str, params: dict | None = None) -> Any:
        """DELETE ``path``."""
        return self.request("DELETE", path, params=params)

    def download(self, path: str, params: dict | None = None, accept: str = "*/*") -> bytes:
        """GET a file (a document's PDF): its bytes. Same token, retries and typed errors
        as the JSON calls; an error answer is read in the provider's JSON dialect, and a
        JSON answer where a file was due is a ProviderResponseError."""
        return self.request("GET", path, params=params, accept=accept)

    def request(self, method: str, path: str, *, params=None, body=None, accept=None) -> Any:
        """Send with retries; return the parsed JSON (None for an empty body) or raise.
        With ``accept`` (a file type), a successful answer's raw bytes are returned."""
        method = method.upper()
        query = {**self.default_params, **(params or {})}
        query = {k: v for k, v in query.items() if v is not None}
        state = {"refreshed": False, "accept": accept}
        return call_with_retries(
            lambda: self._attempt(method, path, query, body, state),
            method=method,
            policy=self.retry,
            sleep=self.sleep,
        )

    # -- one attempt -------------------------------------------------------------------
    def _attempt(self, method: str, path: str, query: dict, body: Any, state: dict) -> Any:
        token = self.token_source.access_token() if self.token_source else None
        accept = state.get("accept")
        response = self._send(method, path, query, body, token, accept)
        if response.status_code == 401 and self.token_source and not state["refreshed"]:
            # The token looked valid to us but not to them: refresh once, retry once.
            state["refreshed"] = True
            fresh = self.token_source.refresh_after_rejection(token)
            if fresh:
                token = fresh
                response = self._send(method, path, query, body, token, accept)
        if accept and 200 <= response.status_code < 300 and not _is_json(response):
            return response.content
        return self._result(method, response, token, expect_file=bool(accept))

    def _send(self, method, path, query, body, token, accept=None) -> requests.Response:
        headers = {"Accept": accept or "application/json", "User-Agent": self.user_agent}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = jsonwire.dumps(body).encode("utf-8")
        if token:
            headers["Authorization"] = f"{self.auth_scheme} {token}"
        url = f"{self.base_url}/{path.lstrip('/')}"
        request = requests.Request(method, url, params=query, data=data, headers=headers)
        prepared = self.session.prepare_request(request)
        settings = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        # The slot is taken with the request ready to go: what happens between our rate
        # limiter's "now" and the provider's count is the send itself.
        cold = not self._answered_once
        ticket = self.throttle.acquire(method, path, cold=cold) if self.throttle else None
        started = time.monotonic()
        try:
            response = self.session.send(
                prepared,
                timeout=(self.timeouts.connect, self.timeouts.read),
                allow_redirects=False,
                **settings,
            )
        except requests.RequestException as exc:
            self._log(method, path, query, "no answer", started, None, exc)
            raise self._connection_failure(method, exc) from None
        finally:
            if self.throttle:  # answered or failed: the provider has counted it by now
                self.throttle.answered(ticket)
        self._answered_once = True
        self._log(method, path, query, response.status_code, started, response)
        if self.throttle:
            self.throttle.observe(method, path, response.status_code, response.headers)
        return response

    def _connection_failure(self, method: str, exc: Exception) -> ConnectionFailure:
        sent = not _never_sent(exc)
        if not sent:
            message = "Could not connect to the provider (nothing was sent)."
        elif isinstance(exc, requests.exceptions.ReadTimeout):
            message = "The provider did not answer in time."
        else:
            message = "The connection to the provider was lost before an answer came."
        return ConnectionFailure(
            message,
            provider=self.provider,
            sent=sent,
            outcome_unknown=sent and method not in IDEMPOTENT_METHODS,
        )

    def _result(
        self, method: str, response: requests.Response, token: str | None, expect_file=False
    ) -> Any:
        status = response.status_code
        # JSON is UTF-8 unless a charset says otherwise; requests would guess the
        # encoding of e.g. application/problem+json and can garble Japanese.
        declared = "charset=" in response.headers.get("Content-Type", "").lower()
        text = response.content.decode(response.encoding if declared else "utf-8", "replace")
        try:
            body = jsonwire.loads(text) if text.strip() else None
        except ValueError:
            body = None
            if 200 <= status < 300:
                raise ProviderResponseError(
                    provider=self.provider, http_status=status, request_id=_request_id(response)
                ) from None
        if 200 <= status < 300:
            problem = self.check_success(body) if self.check_success else None
            if problem is None and expect_file:  # JSON where a file was due
                raise ProviderResponseError(
                    provider=self.provider, http_status=status, request_id=_request_id(response)
                )
            if problem is None:
                return body
        else:
            problem = self.read_error(status, body, text)
        raise self._error(method, status, problem, response, token)

    def _error(self, method, status, details: ErrorDetails, response, token) -> ProviderError:
        message = scrub(details.message or "", [token]) or None
        common = dict(
            provider=self.provider,
            http_status=status,
            provider_message=message,
            request_id=_request_id(response),
            code=details.code,
        )
        kind = details.kind or _kind_for(status)
        extra: dict[str, Any] = {}
        if issubclass(kind, RateLimitError):
            extra["retry_after"] = retry_after_seconds(response.headers.get("Retry-After"))
        elif issubclass(kind, ValidationError):
            extra["field_errors"] = details.field_errors
        elif issubclass(kind, TransientError):
            extra["outcome_unknown"] = method not in IDEMPOTENT_METHODS
        return kind(message, **common, **extra)

    def _log(self, method, path, query, status, started, response, exc=None) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        log.log(
            logging.WARNING
            if exc is not None or (isinstance(status, int) and status >= 400)
            else logging.INFO,
            "%s %s %s%s -> %s in %.0f ms request_id=%s%s",
            self.provider,
            method,
            path,
            f" {safe_params(query)}" if query else "",
            status,
            elapsed_ms,
            _request_id(response) if response is not None else "-",
            f" error={type(exc).__name__}" if exc is not None else "",
        )


def _is_json(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _kind_for(status: int) -> type[ProviderError]:
    if status in (400, 409, 422):
        return ValidationError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return TransientError
    return ProviderError


def _request_id(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    for name in REQUEST_ID_HEADERS:
        if value := response.headers.get(name):
            return value[:100]
    return None
