"""Names of document fields, shared by the document screens, the audit trail and CSVs."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

from app.models.choices import ROUNDING_LABELS, TAX_RATE_LABELS
from app.services.documents.lifecycle import STATE_LABELS
from app.views.labels import LABELS

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
    "fingerprint": _l("Approved content (fingerprint)"),
}


def field_label(name: str | None):
    """A field of the trail in words (``legal_entity_id`` → Issuer); unknown ones as they are."""
    if not name:
        return ""
    # The relation's name first: FAB adds "Legal Entity Id"-style labels to views' dicts.
    base = name.removesuffix("_id")
    return DOCUMENT_LABELS.get(base) or DOCUMENT_LABELS.get(name) or name


def value_label(field: str | None, value: str | None):
    """A stored value in words where it is a code (states, tax rates)."""
    if value is None:
        return ""
    if field == "state":
        return STATE_LABELS.get(value, value)
    if field == "tax_rate":
        return TAX_RATE_LABELS.get(value, value)
    if field == "tax_rounding":
        return ROUNDING_LABELS.get(value, value)
    if field == "issuer_snapshot":  # stored as JSON: its values, in the order kept
        try:
            return " / ".join(str(v) for v in json.loads(value).values() if v)
        except (ValueError, AttributeError):
            return value
    return value
