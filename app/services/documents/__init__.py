"""The verbs of Renkei's own documents: create, convert, transition, pay, approve, audit."""

from app.services.documents import audit, rules


def install_document_rules() -> None:
    """Flush-time rules (totals, numbers, the edit lock) and the audit trail, for every door."""
    rules.install()
    audit.install()
