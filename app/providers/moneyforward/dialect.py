"""How Money Forward Cloud Invoice v3 speaks: URLs, limits and its error bodies.

The v3 spec gives no schema for error bodies (400 is just "Bad Request"). What the API
and our sandbox send is ``{"errors": [{"message", "field"?}]}``, and OAuth-style
``{"error", "error_description"}`` on 401; older shapes (``{"errors": {"field": [...]}}``,
``{"message"}``) are read too so a person always sees Money Forward's own words.
"""

from __future__ import annotations

from typing import Any

from ..contracts import ErrorDetails
from ..oauth import OAuthSettings
from ..ratelimit import WRITE_METHODS, Bucket

PROVIDER = "moneyforward"
API_BASE = "https://invoice.moneyforward.com/api/v3"
AUTHORIZE_URL = "https://api.biz.moneyforward.com/authorize"
TOKEN_URL = "https://api.biz.moneyforward.com/token"
SCOPE = "mfc/invoice/data.write"  # write includes read (GET) per Money Forward's guide
MAX_PER_PAGE = 100
# Client authentication at the token endpoint. An app registered in Money Forward's
# アプリポータル chooses its クライアント認証方式 there, CLIENT_SECRET_BASIC or
# CLIENT_SECRET_POST (guide "連携用アプリを登録する",
# https://biz.moneyforward.com/support/app-portal/guide/g011.html); the token endpoint
# then accepts only that one. Renkei sends HTTP Basic (client_secret_basic), so the app
# is registered with CLIENT_SECRET_BASIC (README, "Connecting a real provider").
CLIENT_AUTH = "basic"

# 3 creates/updates a second (documented for v2, enforced in practice), counted by Money
# Forward as writes arrive, in a moving second. A write's place ends 50 ms after it
# leaves, or at its answer if sooner (ratelimit.py): the 4th write goes at least 1.05 s
# after the 1st left (≥ 95.2 % of the limit), or 1 s after its answer.
BUCKETS = (Bucket("write", "3/second", WRITE_METHODS, counted_within=0.05),)

# PUT /billings/{id}/payment_status takes codes; GET answers Japanese labels.
PAYMENT_STATUS_CODES = {"unset": "0", "unpaid": "1", "paid": "2"}
PAYMENT_STATUS_LABELS = {
    "未設定": "unset",
    "未入金": "unpaid",
    "入金済み": "paid",
    "未払い": "unpaid",
    "振込済み": "paid",
}


def oauth_settings(
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    authorize_url: str = AUTHORIZE_URL,
    token_url: str = TOKEN_URL,
    scope: str | None = SCOPE,
    client_auth: str = CLIENT_AUTH,
) -> OAuthSettings:
    """OAuth settings for a Money Forward connection (URLs overridable for the sandbox)."""
    return OAuthSettings(
        provider=PROVIDER,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=authorize_url,
        token_url=token_url,
        redirect_uri=redirect_uri,
        scope=scope or SCOPE,
        client_auth=client_auth,
    )


def read_error(status: int, body: Any, text: str) -> ErrorDetails:
    """ErrorDetails from any of Money Forward's error shapes."""
    if not isinstance(body, dict):
        return ErrorDetails(message=(text or "").strip()[:300] or None)
    errors = body.get("errors")
    fields: dict[str, list[str]] = {}
    messages: list[str] = []
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                message = str(error.get("message") or error.get("detail") or "")
                field = error.get("field") or error.get("attribute") or error.get("param")
                if field:
                    fields.setdefault(str(field), []).append(message)
                else:
                    messages.append(message)
            else:
                messages.append(str(error))
    elif isinstance(errors, dict):
        for field, value in errors.items():
            fields[str(field)] = [str(v) for v in (value if isinstance(value, list) else [value])]
    single = body.get("message") or body.get("error_description") or body.get("error")
    if single:
        messages.insert(0, str(single))
    if not messages and fields:
        messages.append("Money Forward rejected some fields.")
    return ErrorDetails(
        message="; ".join(m for m in messages if m) or None,
        code=body.get("error") or body.get("code"),
        field_errors=fields,
    )
