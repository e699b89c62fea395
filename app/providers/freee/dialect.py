"""How the freee Invoice API (iv) speaks: URLs, limits and its error bodies.

Errors (per the spec's badRequest/forbiddenError/notfoundError/internalServerError):
``{"status_code": 400, "errors": [{"type": "bad_request", "messages": ["…"]}]}``;
401 answers ``{"message": …}`` and some 403s ``{"error", "message", "code"}``. freee's
messages are Japanese sentences naming the field, so they are shown as they come.
Limits: 30 a minute and 1,500 an hour for every plan, a daily cap by plan, all
reported in X-RateLimit-* headers; freee also answers 403 for about ten minutes
after detecting excessive access.
"""

from __future__ import annotations

from typing import Any

from ..contracts import ErrorDetails
from ..oauth import OAuthSettings
from ..ratelimit import Bucket

PROVIDER = "freee"
API_BASE = "https://api.freee.co.jp/iv"
ACCOUNTING_API_BASE = "https://api.freee.co.jp/api/1"  # partners live there
AUTHORIZE_URL = "https://accounts.secure.freee.co.jp/public_api/authorize"
TOKEN_URL = "https://accounts.secure.freee.co.jp/public_api/token"
SCOPE = "read write"
MAX_LIMIT = 100  # iv list endpoints: limit 1..100, offset from 0
PARTNERS_LIMIT = 100  # the accounting API allows up to 3000; pages stay small

BUCKETS = (Bucket("minute", "30/minute"), Bucket("hour", "1500/hour"))


def oauth_settings(
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    authorize_url: str = AUTHORIZE_URL,
    token_url: str = TOKEN_URL,
    scope: str | None = SCOPE,
    select_company: bool = True,
) -> OAuthSettings:
    """OAuth settings for freee; ``prompt=select_company`` lets the user pick the company
    and makes the token answer carry its ``company_id`` (kept in TokenSet.extras)."""
    return OAuthSettings(
        provider=PROVIDER,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=authorize_url,
        token_url=token_url,
        redirect_uri=redirect_uri,
        scope=scope or SCOPE,
        authorize_params=(("prompt", "select_company"),) if select_company else (),
        client_auth="post",
    )


def connected(tokens) -> dict:
    """The company the user chose on freee's consent page (``prompt=select_company``
    makes the token answer carry its ``company_id``): the connection works on it."""
    company = (tokens.extras or {}).get("company_id")
    return {"organization_id": str(company)} if company not in (None, "") else {}


def read_error(status: int, body: Any, text: str) -> ErrorDetails:
    """ErrorDetails from freee's error bodies."""
    if not isinstance(body, dict):
        return ErrorDetails(message=(text or "").strip()[:300] or None)
    messages: list[str] = []
    code = body.get("code")
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            found = error.get("messages") or []
            messages.extend([found] if isinstance(found, str) else [str(m) for m in found])
            code = code or error.get("type")
    for key in ("message", "messages", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value not in messages:
            messages.append(value)
        elif isinstance(value, list):
            messages.extend(str(v) for v in value)
    if not messages and body.get("error"):
        messages.append(str(body["error"]))
    return ErrorDetails(message="; ".join(messages) or None, code=code or body.get("error"))
