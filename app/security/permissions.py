"""Permissions as data: what each business resource allows, and the ready-made profiles.

Screens and REST API share one resource per business object (``class_permission_name``)
and map their methods onto a few verbs (as Superset does), so a profile that may read
deals may read them on the list, the show page, the CSV download and the API alike,
and a new screen method without a mapping fails the permission-matrix test.
"""

from __future__ import annotations

from app.models.document_kinds import DOCUMENT_RESOURCES, KINDS

# Screen (ModelView) methods → verb.
# A CSV export made by a job (its page, progress and file) is read like the list.
CSV_JOB_VERBS = {"csv_job": "read", "csv_job_progress": "read", "csv_job_download": "read"}
SCREEN_VERBS = {
    "list": "read",
    "show": "read",
    "csv": "read",
    **CSV_JOB_VERBS,
    "download": "read",
    "add": "write",
    "edit": "write",
    "action": "write",
    "action_post": "write",
    "delete": "delete",
    # Sync screens on the deal pages: whoever may read deals may watch a run's progress.
    # Refreshing billing statuses and creating an invoice are deal-page routes too, but
    # they are refused (403) without ("can_refresh_statuses", "ProviderDocument") and
    # ("can_create_at_provider", "ProviderDocument"): both call the providers.
    "refresh": "read",
    "refresh_all": "read",
    "refresh_billing": "read",  # the deal list's bulk action
    "progress": "read",
    "create_invoice": "read",
    "provider_document": "read",  # "Open at provider" of one of a deal's documents
    # The search-as-you-type answers of a list's company filter (JSON): reading companies.
    "lookup": "read",
}
# Sync history (resource "SyncHistory"): Admin and Accounting read, Admin retries.
SYNC_HISTORY_VERBS = {"list": "read", "show": "read", "retry": "retry"}
# Customer sync (resource "CustomerSync", issue 16): Admin changes the settings;
# Accounting reads them and the history, runs a sync, fetches a customer, retries.
CUSTOMER_SYNC_VERBS = {
    "index": "read",
    "settings": "read",
    "history": "read",
    "run_show": "read",
    "save": "write",
    "pause": "write",
    "resume": "write",
    "add_custom_field": "write",
    "run": "run",
    "fetch": "run",
    "take": "run",
    "retry": "run",
}
# Mismatch report (resource "Mismatch"): Admin and Accounting read it and act on its rows
# (pull, push, link, ignore); the actions check their own further rights (issuing at a
# provider, writing the document linked).
MISMATCH_VERBS = {"list": "read", "pull": "act", "push": "act", "link": "act", "ignore": "act"}
# Payment reminders (issue 13, resource "Reminder"): the preview and the follow-up list
# are read; "Send now" is send; pausing and resuming (a customer or an invoice) is
# pause; adding a note of a call, reply or promised date is note. The rules are their
# own resource ("ReminderRule": read, write); the reminder emails are templates
# (DocumentTemplate: write proposes, approve approves).
REMINDER_VERBS = {
    "preview": "read",
    "followups": "read",
    "followup": "read",
    "send": "send",
    "pause": "pause",
    "resume": "pause",
    "note": "note",
}
REMINDER_API_VERBS = {**REMINDER_VERBS, "preview": "read", "history": "read"}
# Billing (issue 17). Milestone contracts (resource "Milestone"): read; write makes a
# deal's contract; mark_done marks a delivery done; approve approves (or sends back)
# a delivery someone else marked done; invoice makes a part's invoice. Time entries
# (resource "TimeEntry"): read; write enters one's own time (a manager's "approve"
# also enters others'); approve approves or rejects others' entries; invoice bills a
# period. Screens and API share the verbs.
MILESTONE_VERBS = {
    **SCREEN_VERBS,
    "deal_milestones": "read",
    "new_contract": "write",
    "create_contract": "write",
    "mark_done": "mark_done",
    "approve_delivery": "approve",
    "reject_delivery": "approve",
    "invoice": "invoice",
}
TIME_ENTRY_VERBS = {
    **SCREEN_VERBS,
    "create": "write",
    "approve": "approve",
    "reject": "approve",
    "invoice_period": "invoice",
}
# Wholesale (issue 17, resource "SalesOrder"): the orders, an order's page and the
# closings page are read; a new order or line is write; posting a shipment is ship;
# invoicing a shipment and running a monthly closing make invoices: bill. How each
# customer is billed (締め日, 支払サイト) is its own resource ("BillingSetting": read, write).
ORDER_VERBS = {
    **SCREEN_VERBS,
    "page": "read",
    "add_line": "write",
    "ship": "ship",
    "invoice_shipment": "bill",
}
CLOSING_VERBS = {"index": "read", "close": "bill"}
ORDER_API_VERBS = {
    "list_orders": "read",
    "get_order": "read",
    "create_order": "write",
    "ship": "ship",
    "close": "bill",
}
# Subscriptions (issue 17, resource "Subscription"): lists, pages and the preview of the
# billing run are read; adding, changing a line (prorated), cancelling, renewing and
# importing usage are write; "Bill now" (the run the scheduler makes daily) is run.
SUBSCRIPTION_VERBS = {
    **SCREEN_VERBS,
    "delete": "write",
    "change_line": "write",
    "add_line": "write",
    "cancel": "write",
    "renew": "write",
    "usage_import": "write",
    "preview": "read",
    "bill_now": "run",
}
SUBSCRIPTION_API_VERBS = {
    "list_subscriptions": "read",
    "create_subscription": "write",
    "post_usage": "write",
    "preview": "read",
}
# REST API (ModelRestApi) methods → verb.
API_VERBS = {
    "get": "read",
    "get_list": "read",
    "info": "read",
    "post": "write",
    "put": "write",
    "delete": "delete",
}

# Provider-links REST API (app/api/links.py, resource ProviderDocument): invoicing a deal
# and issuing a document call the providers, so FAB's @protect asks create_at_provider
# (the service asks again). Reading is decided per record: a document and its links need
# ``can_read`` on the document's kind (DOCUMENT_TYPES), a deal's documents ``can_read`` on
# Deal, and only the kinds the reader may read are listed.
LINK_API_VERBS = {"invoice": "create_at_provider", "issue": "create_at_provider"}
LINK_API_RIGHTS = {
    "deal": ("can_read", "Deal"),
    "document": "can_read",  # on the document's kind's resource
}

# Documents (#5). Each kind is its own resource so a profile may, say, write quotes but
# only read invoices; approving and recording payments span the kinds ("Document").
DOCUMENT_TYPES = DOCUMENT_RESOURCES  # from the registry of kinds
# Document screens' own routes → verb (on top of SCREEN_VERBS). The state-changing
# routes check the action's own right in app.services.documents.actions.
DOCUMENT_VERBS = {
    "act": "read",
    "pdf": "read",
    "pdf_zip": "read",
    # A zip of many PDFs made by jobs (services/documents/pdf_bundles.py): asking, its
    # progress page and its download; only the person who asked sees the bundle.
    "pdf_bundle": "read",
    "pdf_bundle_show": "read",
    "pdf_bundle_download": "read",
    "send": "send_email",
    "retry_send": "send_email",
    "email_status": "read",  # the send preview's poller
    # The one-page editor and what it asks while it is filled in: writing documents.
    "editor": "write",
    "editor_products": "write",
    "editor_companies": "write",
    "editor_customer": "write",
    "editor_totals": "write",
    "editor_save": "write",
    "payment": "read",
    "new_from_deal": "read",
    "issue": "read",  # "Issue at …": refused without ProviderDocument create_at_provider
    # A deal and all its documents: the service checks the write right on the kind.
    "unlink_deal": "read",
    "link_candidates": "read",
    "link_provider": "read",
}
# Screens that only show (audit trail, receivables, outbox): every method is a read.
READ_ONLY_VERBS = {
    "list": "read",
    "show": "read",
    "csv": "read",
    **CSV_JOB_VERBS,
    "download": "read",
    "export": "read",
    "summary": "read",
    "eml": "read",
}
# Template versions: propose (write) and approve are separate rights.
TEMPLATE_VERBS = {**SCREEN_VERBS, "approve": "approve", "reject": "approve", "preview": "read"}
FUTURE_PERMISSIONS = [
    *[(verb, doc) for doc in DOCUMENT_TYPES for verb in ("read", "write", "send_email")],
    ("approve", "Document"),
    ("record_payment", "Document"),
    ("read", "ReceivablesSummary"),
    ("read", "ApprovalQueue"),
    ("read", "AuditTrail"),
    ("read", "Outbox"),
    ("read", "ApprovalRule"),
    ("read", "AutomationRule"),
    ("write", "AutomationRule"),
    ("read", "LegalEntity"),
    *[(verb, "DocumentTemplate") for verb in ("read", "write", "approve")],
    ("create_at_provider", "ProviderDocument"),
    ("refresh_statuses", "ProviderDocument"),
    ("read", "Mismatch"),
    ("act", "Mismatch"),
    *[(verb, "Milestone") for verb in ("read", "write", "mark_done", "approve", "invoice")],
    *[(verb, "TimeEntry") for verb in ("read", "write", "approve", "invoice")],
]

CRM = ("Deal", "Company", "Contact", "Product", "DealType")
# Menu entries a resource's readers should see (FAB's menu_access).
MENUS = {
    "Deal": ("CRM", "Deals"),
    "Company": ("CRM", "Companies"),
    "Contact": ("CRM", "Contacts"),
    "Product": ("CRM", "Products"),
    "DealType": ("CRM", "Deal types"),
    "Connection": ("Integrations", "Connections"),
    "Profile": ("Security", "Profiles"),
    "SyncHistory": ("Integrations", "Sync history"),
    "CustomerSync": ("Integrations", "Customer sync"),
    "Mismatch": ("Integrations", "Mismatches"),
    **{kind.resource: ("Documents", kind.menu) for kind in KINDS.values()},
    "ApprovalQueue": ("Documents", "Approvals"),
    "ReceivablesSummary": ("Documents", "Receivables"),
    "AuditTrail": ("Documents", "Audit trail"),
    "Outbox": ("Documents", "Sent emails"),
    "ApprovalRule": ("Settings", "Approval rules"),
    "AutomationRule": ("Settings", "Automation rules"),
    "LegalEntity": ("Settings", "Legal entities"),
    "ExchangeRate": ("Settings", "Exchange rates"),
    "DocumentTemplate": ("Settings", "Templates"),
    "Reminder": ("Documents", "Reminders", "Follow-ups"),
    "ReminderRule": ("Settings", "Reminder rules"),
    "Milestone": ("Billing", "Milestones"),
    "TimeEntry": ("Billing", "Time entries"),
    "SalesOrder": ("Billing", "Orders", "Closings"),
    "BillingSetting": ("Billing", "Billing settings"),
    "Subscription": ("Billing", "Subscriptions", "Billing run", "Usage"),
}
# What every signed-in person may do to their own account.
SELF_SERVICE = [
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
]


def _grant(resource: str, *verbs: str) -> list[tuple[str, str]]:
    return [(f"can_{verb}", resource) for verb in verbs]


def _read_crm() -> list[tuple[str, str]]:
    return [pair for resource in CRM for pair in _grant(resource, "read")]


def _docs(*verbs: str) -> list[tuple[str, str]]:
    return [pair for doc in DOCUMENT_TYPES for pair in _grant(doc, *verbs)]


# The ready-made profiles. Admin is FAB's admin role: it gets every permission.
PROFILES: dict[str, list[tuple[str, str]]] = {
    "Sales": [
        *_grant("Deal", "read", "write", "delete"),
        *_grant("Company", "read", "write"),
        *_grant("Contact", "read", "write"),
        *_grant("Product", "read"),
        *_grant("DealType", "read"),
        *_docs("read"),
        *_grant("Quote", "write"),  # sales people write their own quotes
        ("can_refresh_statuses", "ProviderDocument"),
        *_grant("Reminder", "read", "note"),  # sales people call their customers
        # sales set up the milestone contract and report deliveries done; their time
        *_grant("Milestone", "read", "write", "mark_done"),
        *_grant("TimeEntry", "read", "write"),
        *_grant("SalesOrder", "read", "write", "ship"),  # orders and shipments, not billing
        ("can_read", "Subscription"),
    ],
    "Accounting": [
        *_read_crm(),
        *_grant("Company", "write"),
        *_grant("Contact", "write"),
        *_grant("Product", "write"),
        *_docs("read", "write", "send_email"),
        ("can_record_payment", "Document"),
        ("can_read", "ReceivablesSummary"),
        ("can_read", "SyncHistory"),
        *_grant("CustomerSync", "read", "run"),
        ("can_refresh_statuses", "ProviderDocument"),
        *_grant("Mismatch", "read", "act"),
        ("can_read", "AuditTrail"),
        ("can_read", "Outbox"),
        ("can_read", "ApprovalRule"),
        ("can_read", "AutomationRule"),  # configuring automation is for administrators
        ("can_read", "LegalEntity"),
        # Finance enters the exchange rates documents in other currencies take (0020).
        *_grant("ExchangeRate", "read", "write"),
        *_grant("DocumentTemplate", "read", "write"),
        # Accounting runs the dunning: configures the rules, pauses, notes, sends now.
        *_grant("Reminder", "read", "send", "pause", "note"),
        *_grant("ReminderRule", "read", "write"),
        # finance invoices parts and periods, and manages (approves) time
        *_grant("Milestone", "read", "invoice"),
        *_grant("TimeEntry", "read", "write", "approve", "invoice"),
        # Wholesale: accounting invoices shipments, runs closings and sets 締め日/支払サイト.
        *_grant("SalesOrder", "read", "write", "ship", "bill"),
        *_grant("BillingSetting", "read", "write"),
        # Finance staff manage subscriptions and may start the billing run.
        *_grant("Subscription", "read", "write", "run"),
    ],
    "Approver": [
        *_read_crm(),
        *_docs("read"),
        ("can_approve", "Document"),
        ("can_read", "ApprovalQueue"),
        ("can_read", "AuditTrail"),
        ("can_read", "ApprovalRule"),
        *_grant("DocumentTemplate", "read", "approve"),
        *_grant("Milestone", "read", "approve"),  # accepts deliveries (four eyes)
        *_grant("TimeEntry", "read", "approve"),
        ("can_read", "SalesOrder"),
    ],
    "ReadOnly": [
        *_read_crm(),
        *_docs("read"),
        ("can_read", "ReceivablesSummary"),
        ("can_read", "Reminder"),
        ("can_read", "Milestone"),
        ("can_read", "TimeEntry"),
        ("can_read", "SalesOrder"),
        ("can_read", "BillingSetting"),
        ("can_read", "Subscription"),
    ],
}


def menu_permissions(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The menu_access entries that go with the resources ``pairs`` may read."""
    menus = []
    for permission, resource in pairs:
        if permission in ("can_read", "can_manage") and resource in MENUS:
            menus += [("menu_access", name) for name in MENUS[resource]]
    return sorted(set(menus))
