"""Zoho Invoice v3."""

from .client import ZohoInvoiceClient

__all__ = ["ZohoInvoiceClient"]
