"""How Zoho Invoice v3 speaks: data-centre URLs, limits and ``{"code", "message"}`` bodies.

Every reply carries ``code`` (0 = success). A non-zero code is a failure even under
HTTP 200, so success bodies are checked too. Zoho names no fields in its errors; the
message ("Invalid value passed for tax_id") is what a person needs to read.
"""

from __future__ import annotations

from typing import Any

from ..contracts import ErrorDetails
from ..errors import NotFoundError, PermissionDeniedError, RateLimitError, ValidationError
from ..oauth import OAuthSettings
from ..ratelimit import Bucket

PROVIDER = "zoho"
AUTH_SCHEME = "Zoho-oauthtoken"
SCOPE = "ZohoInvoice.fullaccess.all"
MAX_PER_PAGE = 200

# Zoho Canada's accounts server is on zohocloud.ca; every other DC shares the suffix.
DATA_CENTRES = ("com", "jp", "eu", "in", "com.au", "ca", "com.cn", "sa", "uk")
ACCOUNTS_DOMAIN = {"ca": "zohocloud.ca"}

BUCKETS = (Bucket("all", "100/minute"),)  # per organisation, every method

# Codes whose meaning the HTTP status (often 400, sometimes 200) does not tell.
CODE_KINDS = {
    5: NotFoundError,  # Invalid URL passed
    1002: NotFoundError,  # <record> does not exist
    57: PermissionDeniedError,  # not authorized to perform this operation
    6041: PermissionDeniedError,  # user not associated with the organisation
    44: RateLimitError,  # too many requests
    45: RateLimitError,  # daily API limit exceeded
}


def api_base(dc: str = "com") -> str:
    """The API base URL of a Zoho data centre."""
    _check_dc(dc)
    return f"https://www.zohoapis.{dc}/invoice/v3"


def accounts_base(dc: str = "com") -> str:
    """The accounts (OAuth) server of a Zoho data centre."""
    _check_dc(dc)
    return f"https://accounts.{ACCOUNTS_DOMAIN.get(dc, 'zoho.' + dc)}"


def _check_dc(dc: str) -> None:
    if dc not in DATA_CENTRES:
        raise ValueError(f"unknown Zoho data centre {dc!r}; expected one of {DATA_CENTRES}")


def oauth_settings(
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    dc: str = "com",
    authorize_url: str | None = None,
    token_url: str | None = None,
    scope: str | None = SCOPE,
) -> OAuthSettings:
    """OAuth settings for Zoho; ``access_type=offline`` and ``prompt=consent`` make Zoho
    issue a refresh token every time the user connects. Zoho separates scopes with
    commas; scopes typed with spaces are joined with commas."""
    base = accounts_base(dc)
    scope = ",".join(s for s in (scope or SCOPE).replace(",", " ").split() if s)
    return OAuthSettings(
        provider=PROVIDER,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=authorize_url or f"{base}/oauth/v2/auth",
        token_url=token_url or f"{base}/oauth/v2/token",
        redirect_uri=redirect_uri,
        scope=scope,
        authorize_params=(("access_type", "offline"), ("prompt", "consent")),
        client_auth="post",
    )


def read_error(status: int, body: Any, text: str) -> ErrorDetails:
    """ErrorDetails from ``{"code": n, "message": "..."}``."""
    if not isinstance(body, dict):
        return ErrorDetails(message=(text or "").strip()[:300] or None)
    code = body.get("code")
    kind = None
    if status not in (401, 429) and status < 500:
        kind = CODE_KINDS.get(_int(code))
    return ErrorDetails(message=body.get("message") or None, code=code, kind=kind)


def check_success(body: Any) -> ErrorDetails | None:
    """A failure hidden in a 2xx: any non-zero ``code``."""
    if isinstance(body, dict) and _int(body.get("code", 0)) not in (0, None):
        details = read_error(200, body, "")
        details.kind = details.kind or ValidationError
        return details
    return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
