"""Tables, one module per area. Importing this package registers them all."""

from app.models.audit import AuditEntry
from app.models.automation import AutomationEvent, AutomationRule
from app.models.connection import Connection
from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product
from app.models.customer_sync import (
    ContactLink,
    CustomerSyncSetting,
    ProductLink,
    SyncOutcome,
)
from app.models.documents import (
    ApprovalRequest,
    ApprovalRule,
    Document,
    DocumentLine,
    LegalEntity,
    Payment,
)
from app.models.exchange_rates import ExchangeRate
from app.models.milestones import Milestone, MilestoneContract
from app.models.orders import (
    BillingSetting,
    ClosingRun,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.models.pdf_bundles import PdfBundle, PdfBundleItem
from app.models.publishing import DocumentPdf, DocumentTemplate, EmailDispatch
from app.models.reminders import FollowUpNote, Reminder, ReminderPause, ReminderRule
from app.models.subscriptions import (
    Subscription,
    SubscriptionChange,
    SubscriptionLine,
    SubscriptionPeriod,
    SubscriptionUsage,
)
from app.models.sync import ExternalDocument, Mismatch, PartnerLink, SyncFailure, SyncRun
from app.models.time_entries import TimeEntry

__all__ = [
    "BillingSetting",
    "ClosingRun",
    "SalesOrder",
    "SalesOrderLine",
    "Shipment",
    "ShipmentLine",
    "ApprovalRequest",
    "ApprovalRule",
    "AuditEntry",
    "AutomationEvent",
    "AutomationRule",
    "Document",
    "DocumentLine",
    "DocumentPdf",
    "DocumentTemplate",
    "EmailDispatch",
    "ExchangeRate",
    "LegalEntity",
    "Milestone",
    "MilestoneContract",
    "Mismatch",
    "FollowUpNote",
    "Reminder",
    "ReminderPause",
    "ReminderRule",
    "Payment",
    "PdfBundle",
    "PdfBundleItem",
    "Company",
    "ContactLink",
    "CustomerSyncSetting",
    "ProductLink",
    "SyncOutcome",
    "Connection",
    "Contact",
    "Deal",
    "DealLine",
    "DealType",
    "ExternalDocument",
    "PartnerLink",
    "Product",
    "Subscription",
    "SubscriptionChange",
    "SubscriptionLine",
    "SubscriptionPeriod",
    "SubscriptionUsage",
    "SyncFailure",
    "SyncRun",
    "TimeEntry",
]
