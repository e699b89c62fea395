"""Names of document fields, shared by the document screens, the audit trail and CSVs."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.choices import ROUNDING_LABELS, TAX_RATE_LABELS
from app.services.documents.lifecycle import KIND_LABELS, STATE_LABELS
from app.services.documents.sending import DISPATCH_STATE_LABELS
from app.views.labels import LABELS
from app.views.money import Money

DOCUMENT_LABELS = {
    **LABELS,
    "number": _l("Number"),
    "kind": _l("Kind"),
    "state": _l("State"),
    "display_state": _l("State"),
    "legal_entity": _l("Issuer"),
    "recipient_name": _l("Recipient"),
    "recipient_email": _l("Recipient email"),
    "language": _l("Language"),
    "issue_date": _l("Issue date"),
    "transaction_date": _l("Transaction date"),
    "due_date": _l("Due date"),
    "terms": _l("Terms"),
    "subtotal": _l("Subtotal"),
    "tax": _l("Tax"),
    "total": _l("Total"),
    "balance": _l("Balance"),
    "source": _l("Source document"),
    "document": _l("Document"),
    "created_by": _l("Created by"),
    "sent_at": _l("Sent at"),
    "created_by_automation": _l("Made by stage automation"),
    # what the trail records about approvals and payments
    "reasons": _l("Why approval is needed"),
    "decision": _l("Decision"),
    "requested_at": _l("Requested"),
    "decided_at": _l("Decided at"),
    "comment": _l("Comment"),
    "paid_on": _l("Paid on"),
    "method": _l("Method"),
    "reference": _l("Reference"),
    # what a document keeps when it leaves draft, and what an approval request approves
    "tax_rounding": _l("Tax rounding"),
    "issuer_snapshot": _l("Issuer as issued"),
    # the exchange rate frozen with it (another currency than the issuer's; 0020_entities)
    "base_currency": _l("Base currency"),
    "exchange_rate": _l("Exchange rate"),
    "exchange_rate_date": _l("Exchange rate date"),
    "base_total": _l("Total in base currency"),
    "fingerprint": _l("Approved content (fingerprint)"),
    # what the trail records about emails and PDFs
    "template": _l("Template"),
    "subject": _l("Subject"),
    "body": _l("Message"),
    "pdf": _l("PDF"),
    "error": _l("Error"),
    "attempts": _l("Attempts"),
    "message_id": _l("Message ID"),
    "sha256": _l("Checksum (SHA-256)"),
    "size": _l("Size (bytes)"),
    "recipient": _l("Recipient"),
    "cc": _l("Cc"),
}
LANGUAGE_LABELS = {"ja": _l("Japanese"), "en": _l("English")}


PAYMENT_METHOD_LABELS = {
    "bank_transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "cash": _l("Cash"),
    "offset": _l("Offset"),
    "other": _l("Other"),
}
DECISION_LABELS = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    None: _l("Waiting"),
}
AUDIT_ACTION_LABELS = {
    "create": _l("Create"),
    "update": _l("Change"),
    "delete": _l("Deleted"),
    "transition": _l("State changed"),
    "payment": _l("Payment"),
    "approval": _l("Approval"),
    "send": _l("Email"),
    "pdf": _l("PDF"),
    "issue_requested": _l("Issue requested"),
    "issued_at_provider": _l("Issued at provider"),
    "provider_payment": _l("Payment from provider"),
    "payment_pushed": _l("Paid status sent"),
    "imported": _l("Imported"),
    "customer_sync": _l("Customer sync"),
    "linked": _l("Linked"),
    "unlinked": _l("Unlinked"),
    "automation": _l("Stage automation"),
    "voided_at_provider": _l("Voided at provider"),
    "reminder": _l("Payment reminder"),
    "follow_up": _l("Follow-up"),
    "order_billing": _l("Order billing"),
}


def field_label(name: str | None):
    """A field of the trail in words (``legal_entity_id`` → Issuer); unknown ones as they are."""
    if not name:
        return ""
    # The relation's name first: FAB adds "Legal Entity Id"-style labels to views' dicts.
    base = name.removesuffix("_id")
    return DOCUMENT_LABELS.get(base) or DOCUMENT_LABELS.get(name) or name


MONEY_FIELDS = frozenset({"subtotal", "tax", "total", "amount", "unit_price", "balance"})
_NAMED = re.compile(r"^(?P<name>.*) \(#\d+\)$")
_TEMPLATE = re.compile(r"^(?P<purpose>\w+)/(?P<kind>\w+)/(?P<language>\w+) v(?P<version>\d+)$")
PURPOSE_LABELS = {"pdf": _l("PDF"), "email": _l("Email"), "reminder": _l("Payment reminder email")}


def _template_words(name: str) -> str:
    """``pdf/invoice/ja v2`` → PDF · Invoice · Japanese, version 2."""
    match = _TEMPLATE.match(name)
    if not match:
        return name
    return _(
        "%(purpose)s · %(kind)s · %(language)s, version %(version)s",
        purpose=PURPOSE_LABELS.get(match["purpose"], match["purpose"]),
        kind=KIND_LABELS.get(match["kind"], match["kind"]),
        language=LANGUAGE_LABELS.get(match["language"], match["language"]),
        version=match["version"],
    )


def value_label(field: str | None, value: str | None, currency: str | None = None, action=None):
    """A stored trail value in words: codes as labels, money with its currency, flags as
    Yes/No, a related record by its name (without our row id)."""
    if value is None or value == "":
        return ""
    value = str(value)
    coded = {
        "state": DISPATCH_STATE_LABELS if action == "send" else STATE_LABELS,
        "kind": KIND_LABELS,
        "tax_rate": TAX_RATE_LABELS,
        "tax_rounding": ROUNDING_LABELS,
        "method": PAYMENT_METHOD_LABELS,
        "decision": DECISION_LABELS,
        "language": LANGUAGE_LABELS,
    }.get(field or "")
    if coded is not None:
        return coded.get(value, value)
    if value in ("True", "False"):
        return _("Yes") if value == "True" else _("No")
    if field in MONEY_FIELDS and currency:
        try:
            return str(Money(Decimal(value), currency))
        except (InvalidOperation, ValueError):
            return value
    if field and field.endswith("_id"):
        match = _NAMED.match(value)
        name = match["name"] if match else value
        return _template_words(name) if field == "template_id" else name
    if field == "issuer_snapshot":  # stored as JSON: its values, in the order kept
        try:
            return " / ".join(str(v) for v in json.loads(value).values() if v)
        except (ValueError, AttributeError):
            return value
    return value
