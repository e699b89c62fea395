"""What one provider package declares about itself: its registry entry.

Each ``providers/<name>/__init__.py`` builds one ``ProviderEntry``; ``registry.py``
collects them. The running app and the tests both take a provider's OAuth settings
from here, so what the tests check is what real connections send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .oauth import OAuthSettings, TokenSet


def _nothing(tokens: TokenSet) -> dict:
    return {}


def _no_hint(rounding_word: str) -> str | None:
    return None


def _no_status(word: str | None) -> str | None:
    return None


@dataclass(frozen=True)
class ProviderInfo:
    """What Renkei knows of a provider before a connection is made: its catalog entry."""

    key: str
    label: str
    api_base_url: str
    authorize_url: str
    token_url: str
    default_scopes: str
    sandbox_prefix: str  # where the built-in sandbox mounts it


@dataclass(frozen=True)
class DemoValues:
    """The connection the demo offers on the provider's built-in sandbox."""

    name: str
    organization_id: str | None = None  # what the sandbox serves: Zoho org, freee company
    data_centre: str | None = None  # Zoho only; its sandbox answers as zoho.com ("us")


@dataclass(frozen=True)
class ProviderEntry:
    """One provider: its key, OAuth settings factory and what a token answer tells us.

    ``oauth_settings(client_id, client_secret, redirect_uri, *, authorize_url,
    token_url, scope)`` returns the settings the provider documents (client
    authentication, extra consent parameters, scope separator); ``connected(tokens)``
    returns connection fields to set from the token answer (freee's chosen company).

    ``build_client(connection, tokens, **common)`` makes the provider's client for a
    connection (``common``: limiter, session, timeouts, retry). ``needs_organization_id``:
    documents cannot be sent without the connection's organization / company ID;
    ``setup_needs_organization_id``: the message refusing a connection saved without
    it (None: the ID may come later, from the token answer). ``agreement_hint(mode)``:
    words added when the provider's totals differ from Renkei's (``mode``: the issuer's
    rounding in words), or None. ``demo``: the demo's connection on the sandbox.
    ``name`` and ``info.label`` are the labels people read. ``status_of(word)``: the
    provider's payment-status word → Renkei's billing status code (None: unknown).
    """

    key: str
    oauth_settings: Callable[..., OAuthSettings]
    build_client: Callable[..., Any]
    demo: DemoValues
    name: str  # short, in messages: "Money Forward"
    info: ProviderInfo  # the catalog entry (label, real URLs, scopes, sandbox mount)
    sandbox_paths: tuple[str, str, str]  # API base, authorize, token under the mount
    # (API base, authorize, token) of the real provider in a data centre; None: the
    # catalog's URLs with "{dc}" filled in.
    default_urls: Callable[[str], tuple[str, str, str]] | None = None
    connected: Callable[[TokenSet], dict] = field(default=_nothing)
    needs_organization_id: bool = False
    setup_needs_organization_id: Any = None  # a lazy message, or None
    agreement_hint: Callable[[str], str | None] = field(default=_no_hint)
    # The provider's own payment-status word (as a link keeps it) → Renkei's billing
    # status code, so screens show our words and keep theirs for the hover.
    status_of: Callable[[str | None], str | None] = field(default=_no_status)
    # The connection's optional fields this provider uses ("organization_id",
    # "data_centre"): the connection screens show only these of the optional ones.
    connection_fields: tuple[str, ...] = ()
