"""Zoho Invoice v3."""

from ..entry import ProviderEntry
from . import dialect
from .client import ZohoInvoiceClient

ENTRY = ProviderEntry(dialect.PROVIDER, dialect.oauth_settings)

__all__ = ["ENTRY", "ZohoInvoiceClient"]
