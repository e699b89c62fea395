"""freee Invoice (iv)."""

from ..entry import ProviderEntry
from . import dialect
from .client import FreeeInvoiceClient

ENTRY = ProviderEntry(dialect.PROVIDER, dialect.oauth_settings, connected=dialect.connected)

__all__ = ["ENTRY", "FreeeInvoiceClient"]
