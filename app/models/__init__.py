"""Tables, one module per area. Importing this package registers them all."""

from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product

__all__ = ["Company", "Contact", "Deal", "DealLine", "DealType", "Product"]
