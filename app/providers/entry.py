"""What one provider package declares about itself: its registry entry.

Each ``providers/<name>/__init__.py`` builds one ``ProviderEntry``; ``registry.py``
collects them. The running app and the tests both take a provider's OAuth settings
from here, so what the tests check is what real connections send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .oauth import OAuthSettings, TokenSet


def _nothing(tokens: TokenSet) -> dict:
    return {}


@dataclass(frozen=True)
class ProviderEntry:
    """One provider: its key, OAuth settings factory and what a token answer tells us.

    ``oauth_settings(client_id, client_secret, redirect_uri, *, authorize_url,
    token_url, scope)`` returns the settings the provider documents (client
    authentication, extra consent parameters, scope separator); ``connected(tokens)``
    returns connection fields to set from the token answer (freee's chosen company).
    """

    key: str
    oauth_settings: Callable[..., OAuthSettings]
    connected: Callable[[TokenSet], dict] = field(default=_nothing)
