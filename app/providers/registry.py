"""The registry of providers: one entry per package under app/providers/<name>/."""

from __future__ import annotations

from .entry import ProviderEntry
from .freee import ENTRY as FREEE
from .moneyforward import ENTRY as MONEYFORWARD
from .oauth import OAuthSettings
from .zoho import ENTRY as ZOHO

ENTRIES: dict[str, ProviderEntry] = {e.key: e for e in (MONEYFORWARD, ZOHO, FREEE)}


def entry(provider: str) -> ProviderEntry:
    """The registry entry of ``provider`` (KeyError for an unknown one)."""
    return ENTRIES[provider]


def oauth_settings(
    provider: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    authorize_url: str | None,
    token_url: str | None,
    scope: str | None,
) -> OAuthSettings:
    """The OAuth settings of ``provider`` as its documentation states them, with a
    connection's own URLs and scopes where it sets them."""
    urls = {"authorize_url": authorize_url, "token_url": token_url}
    return entry(provider).oauth_settings(
        client_id,
        client_secret,
        redirect_uri,
        scope=scope or None,
        **{k: v for k, v in urls.items() if v},
    )
