"""What the billing shapes share: the issuer's rounding, making the invoice (an ordinary
Renkei document: new_document + approvals.submit in the caller's transaction, with a
line in its audit trail saying what made it), and whether a link to an invoice still
bills (a void invoice does not: what it billed is billable again)."""

from __future__ import annotations

from app.extensions import db
from app.models.documents import Document
from app.services.actor import acting_as
from app.services.documents import approvals, issuing
from app.services.documents.audit import record_event


def issuer_rounding() -> str:
    """The issuing legal entity's rounding mode (down, half_up, up)."""
    return issuing.default_legal_entity().tax_rounding or "down"


def still_billed(document: Document | None) -> bool:
    """Whether a link to ``document`` still bills: it exists and is not void."""
    return document is not None and document.state != "void"


def make_invoice(deal, lines: list[dict], user, note: str, currency: str) -> Document:
    """A submitted invoice for ``deal`` with ``lines``, flushed into the caller's
    transaction (which commits), with ``note`` in its audit trail."""
    with acting_as(user):
        document = issuing.new_document(
            "invoice",
            deal.company,
            user=user,
            lines=lines,
            commit=False,
            deal=deal,
            currency=currency,
            contact=deal.contact,
            recipient_email=(deal.contact.email if deal.contact else None) or deal.company.email,
        )
        approvals.submit(document, user, commit=False)
        record_event(db.session, document, "billing", note)
    return document
