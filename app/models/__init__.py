"""Tables, one module per area. Importing this package registers them all."""

from app.models.connection import Connection
from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product
from app.models.sync import ExternalDocument, PartnerLink, SyncFailure, SyncRun

__all__ = [
    "Company",
    "Connection",
    "Contact",
    "Deal",
    "DealLine",
    "DealType",
    "ExternalDocument",
    "PartnerLink",
    "Product",
    "SyncFailure",
    "SyncRun",
]
