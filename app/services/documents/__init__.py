"""The verbs of Renkei's own documents: create, convert, transition, pay, approve, audit."""

from app.services import billing_status
from app.services.documents import audit, rules


def install_document_rules() -> None:
    """Flush-time rules (totals, numbers, the edit lock), the audit trail and the deals'
    billing status, for every door."""
    rules.install()
    audit.install()
    billing_status.install()
