"""What Renkei knows of each provider before a connection is made: URLs, scopes, limits.

Real endpoints by default; a connection may override any URL (a sandbox, another host).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    key: str
    label: str
    api_base_url: str
    authorize_url: str
    token_url: str
    default_scopes: str
    sandbox_prefix: str  # where the built-in sandbox mounts it


ZOHO_DATA_CENTRES = {
    "com": "United States (zoho.com)",
    "jp": "Japan (zoho.jp)",
    "eu": "Europe (zoho.eu)",
    "in": "India (zoho.in)",
    "com.au": "Australia (zoho.com.au)",
    "ca": "Canada (zohocloud.ca)",
}

PROVIDERS: dict[str, ProviderInfo] = {
    "moneyforward": ProviderInfo(
        "moneyforward",
        "Money Forward クラウド請求書",
        "https://invoice.moneyforward.com/api/v3",
        "https://api.biz.moneyforward.com/authorize",
        "https://api.biz.moneyforward.com/token",
        "mfc/invoice/data.write",
        "/sandbox/moneyforward",
    ),
    "zoho": ProviderInfo(
        "zoho",
        "Zoho Invoice",
        "https://www.zohoapis.{dc}/invoice/v3",
        "https://accounts.zoho.{dc}/oauth/v2/auth",
        "https://accounts.zoho.{dc}/oauth/v2/token",
        "ZohoInvoice.fullaccess.all",
        "/sandbox/zoho",
    ),
    "freee": ProviderInfo(
        "freee",
        "freee請求書",
        "https://api.freee.co.jp/iv",
        "https://accounts.secure.freee.co.jp/public_api/authorize",
        "https://accounts.secure.freee.co.jp/public_api/token",
        "read write",
        "/sandbox/freee",
    ),
}

SANDBOX_PATHS = {
    "moneyforward": ("/api/v3", "/oauth/authorize", "/oauth/token"),
    "zoho": ("/invoice/v3", "/oauth/v2/auth", "/oauth/v2/token"),
    "freee": ("/iv", "/public_api/authorize", "/public_api/token"),
}


def default_urls(provider: str, data_centre: str = "com") -> tuple[str, str, str]:
    """(API base, authorize, token) URLs of the real provider."""
    if provider == "zoho":  # its dialect knows each data centre (Canada: zohocloud.ca)
        from .zoho import dialect as zoho

        accounts = zoho.accounts_base(data_centre or "com")
        api = zoho.api_base(data_centre or "com")
        return api, f"{accounts}/oauth/v2/auth", f"{accounts}/oauth/v2/token"
    info = PROVIDERS[provider]
    urls = (info.api_base_url, info.authorize_url, info.token_url)
    return tuple(u.replace("{dc}", data_centre or "com") for u in urls)


def sandbox_urls(provider: str, root: str) -> tuple[str, str, str]:
    """(API base, authorize, token) URLs of the built-in sandbox served at ``root``."""
    prefix = root.rstrip("/") + PROVIDERS[provider].sandbox_prefix
    return tuple(prefix + path for path in SANDBOX_PATHS[provider])
