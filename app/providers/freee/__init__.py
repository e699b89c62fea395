"""freee Invoice (iv)."""

from .client import FreeeInvoiceClient

__all__ = ["FreeeInvoiceClient"]
