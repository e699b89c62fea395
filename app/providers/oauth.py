"""OAuth2 authorization-code flow and token refresh, shared by the three providers.

``OAuthClient`` builds the consent URL, reads the callback, exchanges the code and
refreshes (requests-oauthlib does the protocol). ``TokenManager`` is what the HTTP layer
asks for a token: it refreshes ahead of expiry and once after a 401, under the store's
lock, re-reading first so that two workers never both spend a rotating refresh token.

Plain-http endpoints (the sandbox) need OAUTHLIB_INSECURE_TRANSPORT=1, which the demo
and the tests set; production URLs are https.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests
from oauthlib.oauth2 import InsecureTransportError, MissingTokenError, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from .contracts import Timeouts
from .errors import (
    AuthenticationError,
    AuthorizationDeniedError,
    ConnectionFailure,
    ProviderError,
    ProviderResponseError,
    RateLimitError,
    TransientError,
)
from .errors import provider_name as known_name
from .redact import scrub, scrub_library_logs
from .retry import retry_after_seconds
from .tokens import MemoryTokenStore, RedisTokenStore, TokenManager, TokenSet, TokenStore, utcnow

__all__ = [
    "MemoryTokenStore",
    "OAuthClient",
    "OAuthSettings",
    "RedisTokenStore",
    "TokenManager",
    "TokenSet",
    "TokenStore",
]

scrub_library_logs()  # requests-oauthlib logs token request bodies at DEBUG level

RECONNECT_ERRORS = {"invalid_grant", "invalid_code", "invalid_token"}  # Zoho: invalid_code
CLIENT_ERRORS = {"invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class OAuthSettings:
    """One OAuth app at one provider. URLs are per connection, so a sandbox can stand in."""

    provider: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    redirect_uri: str
    scope: str = ""  # as the provider wants it: space- (MF, freee) or comma-separated (Zoho)
    authorize_params: tuple[tuple[str, str], ...] = ()  # e.g. Zoho access_type=offline
    client_auth: str = "post"  # "post": credentials in the form; "basic": HTTP Basic
    timeouts: Timeouts = Timeouts(connect=5.0, read=20.0)


class OAuthClient:
    """Consent URL, callback, code exchange and refresh for one OAuthSettings."""

    def __init__(
        self, settings: OAuthSettings, *, session: requests.Session | None = None, clock=utcnow
    ):
        self.settings = settings
        self._session = session
        self.clock = clock

    @property
    def provider_name(self) -> str:
        """The provider's name as a person knows it."""
        return known_name(self.settings.provider, self.settings.provider)

    def _oauth_session(self, *, redirect: bool = True, scope: bool = False) -> OAuth2Session:
        # Scope only on the consent URL: on token calls oauthlib would raise when the
        # provider grants a different scope than asked, which providers may do.
        s = self.settings
        session = OAuth2Session(
            s.client_id,
            redirect_uri=s.redirect_uri if redirect else None,
            scope=(s.scope or None) if scope else None,
        )
        if self._session is not None:
            session.mount("http://", self._session.get_adapter("http://"))
            session.mount("https://", self._session.get_adapter("https://"))
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, self._check_status)
        return session

    def authorization_url(self, state: str | None = None) -> tuple[str, str]:
        """(URL to send the user to, state to remember in their session)."""
        session = self._oauth_session(scope=True)
        return session.authorization_url(
            self.settings.authorize_url, state=state, **dict(self.settings.authorize_params)
        )

    def code_from_callback(self, query: Mapping[str, str], expected_state: str) -> str:
        """The code from the redirect's query, after checking state and a refusal."""
        if error := query.get("error"):
            description = query.get("error_description") or ""
            if error == "access_denied":
                raise AuthorizationDeniedError(
                    f"Access was denied on {self.provider_name}'s consent page; "
                    "the connection was not made.",
                    provider=self.settings.provider,
                    code=error,
                    provider_message=description or None,
                )
            raise AuthenticationError(
                f"{self.provider_name} refused the authorization ({error}). {description}".strip(),
                provider=self.settings.provider,
                code=error,
            )
        if not expected_state or query.get("state") != expected_state:
            raise AuthenticationError(
                "The authorization answer does not match this session (state mismatch); "
                "start the connection again.",
                provider=self.settings.provider,
            )
        if not query.get("code"):
            raise AuthenticationError("The authorization answer carried no code.")
        return query["code"]

    def exchange_code(self, code: str) -> TokenSet:
        """Trade an authorization code for tokens."""
        session = self._oauth_session()
        s = self.settings
        if s.client_auth == "basic":
            auth = {"auth": HTTPBasicAuth(s.client_id, s.client_secret)}
        else:
            auth = {"include_client_id": True, "client_secret": s.client_secret}
        body = self._token_call(
            lambda: session.fetch_token(s.token_url, code=code, timeout=self._timeout(), **auth),
            secrets=[code],
        )
        return TokenSet.from_response(body, now=self.clock())

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens from a refresh token (which rotating providers then invalidate)."""
        session = self._oauth_session(redirect=False)
        s = self.settings
        if s.client_auth == "basic":
            auth = {"auth": HTTPBasicAuth(s.client_id, s.client_secret)}
        else:  # refresh_token() puts extra keyword arguments in the form body
            auth = {"client_id": s.client_id, "client_secret": s.client_secret}
        body = self._token_call(
            lambda: session.refresh_token(
                s.token_url, refresh_token=refresh_token, timeout=self._timeout(), **auth
            ),
            secrets=[refresh_token],
        )
        return TokenSet.from_response(body, now=self.clock(), previous_refresh=refresh_token)

    # -- internals ------------------------------------------------------------------------
    def _timeout(self) -> tuple[float, float]:
        return (self.settings.timeouts.connect, self.settings.timeouts.read)

    def _token_call(self, call: Callable[[], dict], secrets: list[str]) -> dict:
        s = self.settings
        hidden = [s.client_secret, *secrets]
        try:
            return dict(call())
        except OAuth2Error as exc:
            raise self._oauth_error(exc, hidden) from None
        except InsecureTransportError:
            raise ProviderError(
                "OAuth over plain http was refused; only the sandbox may use http "
                "(OAUTHLIB_INSECURE_TRANSPORT=1).",
                provider=s.provider,
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise ConnectionFailure(provider=s.provider, sent=False) from None
        except requests.RequestException:
            raise ConnectionFailure(
                f"Lost the connection to {self.provider_name}'s token endpoint.",
                provider=s.provider,
                outcome_unknown=True,
            ) from None
        except ValueError:
            raise ProviderResponseError(provider=s.provider) from None

    def _oauth_error(self, exc: OAuth2Error, hidden: list[str]) -> ProviderError:
        error = getattr(exc, "error", None) or "error"
        description = scrub(getattr(exc, "description", "") or "", hidden)
        provider = self.settings.provider
        if isinstance(exc, MissingTokenError) or error == "missing_token":
            return ProviderResponseError(
                f"{self.provider_name}'s token endpoint answered without a token.",
                provider=provider,
            )
        if error in RECONNECT_ERRORS:
            return AuthenticationError(
                f"{self.provider_name} no longer accepts this connection's authorization "
                "(invalid_grant); reconnect it from the connection page.",
                provider=provider,
                code=error,
                provider_message=description or None,
                reconnect_required=True,
            )
        if error in CLIENT_ERRORS:
            return AuthenticationError(
                f"{self.provider_name} rejected the app's client ID or secret ({error}); "
                "check the connection's OAuth app settings.",
                provider=provider,
                code=error,
            )
        if error == "access_denied":
            return AuthorizationDeniedError(provider=provider, code=error)
        return AuthenticationError(
            f"{self.provider_name} refused the token request ({error}).",
            provider=provider,
            code=error,
            provider_message=description or None,
        )

    def _check_status(self, response: requests.Response) -> requests.Response:
        """Compliance hook: 429 and 5xx are not OAuth errors, so oauthlib cannot read them."""
        if response.status_code == 429:
            raise RateLimitError(
                provider=self.settings.provider,
                http_status=429,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if response.status_code >= 500:
            raise TransientError(
                provider=self.settings.provider,
                http_status=response.status_code,
                outcome_unknown=True,  # a refresh may have rotated the token server-side
            )
        return response
