"""What Renkei knows of each provider before a connection is made: URLs, scopes, limits.

Real endpoints by default; a connection may override any URL (a sandbox, another host).
"""

from __future__ import annotations

from .entry import ProviderInfo
from .registry import ENTRIES

ZOHO_DATA_CENTRES = {
    "com": "United States (zoho.com)",
    "jp": "Japan (zoho.jp)",
    "eu": "Europe (zoho.eu)",
    "in": "India (zoho.in)",
    "com.au": "Australia (zoho.com.au)",
    "ca": "Canada (zohocloud.ca)",
}

PROVIDERS: dict[str, ProviderInfo] = {key: e.info for key, e in ENTRIES.items()}
SANDBOX_PATHS = {key: e.sandbox_paths for key, e in ENTRIES.items()}


def default_urls(provider: str, data_centre: str = "com") -> tuple[str, str, str]:
    """(API base, authorize, token) URLs of the real provider."""
    entry = ENTRIES[provider]
    if entry.default_urls is not None:  # e.g. Zoho's dialect knows each data centre
        return entry.default_urls(data_centre or "com")
    info = entry.info
    urls = (info.api_base_url, info.authorize_url, info.token_url)
    return tuple(u.replace("{dc}", data_centre or "com") for u in urls)


def sandbox_urls(provider: str, root: str) -> tuple[str, str, str]:
    """(API base, authorize, token) URLs of the built-in sandbox served at ``root``."""
    prefix = root.rstrip("/") + PROVIDERS[provider].sandbox_prefix
    return tuple(prefix + path for path in SANDBOX_PATHS[provider])
