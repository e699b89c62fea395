"""Money Forward Cloud Invoice v3."""

from .client import MoneyForwardClient

__all__ = ["MoneyForwardClient"]
