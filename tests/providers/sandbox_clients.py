"""Building real clients wired to the sandbox, with refreshing token managers.

The sandbox's API and token URLs come from the app's one table (catalog.sandbox_urls),
the same the demo connections use."""

from __future__ import annotations

from app.providers.catalog import sandbox_urls
from app.providers.freee import FreeeInvoiceClient
from app.providers.freee import dialect as freee
from app.providers.moneyforward import MoneyForwardClient
from app.providers.moneyforward import dialect as mf
from app.providers.oauth import MemoryTokenStore, OAuthClient, TokenManager, TokenSet
from app.providers.ratelimit import RateLimiter
from app.providers.zoho import ZohoInvoiceClient
from app.providers.zoho import dialect as zoho

DEMO_ID, DEMO_SECRET = "renkei-demo", "renkei-demo-secret"  # the sandbox's built-in client
REDIRECT = "http://127.0.0.1:8080/callback"


def manager(sandbox, provider: str, settings) -> TokenManager:
    tokens = TokenSet.from_response(sandbox.mint(provider, DEMO_ID))
    return TokenManager(OAuthClient(settings), MemoryTokenStore(tokens), provider=provider)


def mf_client(sandbox, *, throttled: bool = True, **kwargs) -> MoneyForwardClient:
    """A client; throttled (in-memory limiter) unless a test wants the raw 429s."""
    api, _authorize, token_url = sandbox_urls("moneyforward", sandbox.root)
    settings = mf.oauth_settings(DEMO_ID, DEMO_SECRET, REDIRECT, token_url=token_url)
    tokens = manager(sandbox, "moneyforward", settings)
    if not throttled:
        return MoneyForwardClient(tokens, base_url=api, **kwargs)
    return MoneyForwardClient.for_connection(
        "sandbox", tokens, limiter=RateLimiter.in_memory(), base_url=api, **kwargs
    )


def zoho_client(sandbox, **kwargs) -> ZohoInvoiceClient:
    api, _authorize, token_url = sandbox_urls("zoho", sandbox.root)
    settings = zoho.oauth_settings(DEMO_ID, DEMO_SECRET, REDIRECT, token_url=token_url)
    tokens = manager(sandbox, "zoho", settings)
    probe = ZohoInvoiceClient(tokens, "", base_url=api)
    organization = probe.list_organizations()[0]["organization_id"]
    return ZohoInvoiceClient(tokens, organization, base_url=api, **kwargs)


def freee_client(sandbox, **kwargs) -> FreeeInvoiceClient:
    api, _authorize, token_url = sandbox_urls("freee", sandbox.root)
    settings = freee.oauth_settings(DEMO_ID, DEMO_SECRET, REDIRECT, token_url=token_url)
    tokens = manager(sandbox, "freee", settings)
    company = tokens.store.load().extras["company_id"]
    return FreeeInvoiceClient(
        tokens,
        company,
        base_url=api,
        accounting_base_url=f"{sandbox.base('freee')}/api/1",
        **kwargs,
    )
