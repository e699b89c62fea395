"""One adapter per provider: the engine's verbs in each provider's calls and words."""

from __future__ import annotations

from app.services.sync.adapters.base import (
    ChangeFeed,
    CustomerIds,
    DocumentFile,
    OpenDocument,
    OutgoingDocument,
    ProviderAdapter,
    RemoteCustomer,
    RemoteDocument,
    RemoteItem,
    RemotePerson,
)
from app.services.sync.adapters.freee import FreeeAdapter
from app.services.sync.adapters.moneyforward import MoneyForwardAdapter
from app.services.sync.adapters.zoho import ZohoAdapter

# One adapter per registry entry, under the entry's key (adapters speak the engine's
# words, so they live here, not in app/providers: providers do not import services).
ADAPTERS: dict[str, type[ProviderAdapter]] = {
    adapter.provider: adapter for adapter in (MoneyForwardAdapter, ZohoAdapter, FreeeAdapter)
}
SUPPORTED = tuple(ADAPTERS)


def adapter_class(provider: str) -> type[ProviderAdapter]:
    """The adapter of ``provider`` (KeyError for a provider we cannot sync)."""
    return ADAPTERS[provider]


__all__ = [
    "ADAPTERS",
    "SUPPORTED",
    "ChangeFeed",
    "CustomerIds",
    "DocumentFile",
    "OpenDocument",
    "OutgoingDocument",
    "ProviderAdapter",
    "RemoteCustomer",
    "RemoteDocument",
    "RemoteItem",
    "RemotePerson",
    "adapter_class",
]
