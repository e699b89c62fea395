"""The audit trail: one append-only row per changed field or event of a document.

Rows are written by ``app.services.documents.audit`` on every flush and never changed:
the ORM refuses updates and deletes (below) and the database refuses them too (a
trigger, migration 0004), so neither the console, the API nor a stray script can alter it.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from sqlalchemy import Column, DateTime, Integer, String, Text, event

from app.models.crm import utcnow

AUDIT_ACTIONS = (
    "create",
    "update",
    "delete",
    "transition",
    "payment",
    "approval",
    "send",
    "pdf",
    # one governed invoice: issued at providers, payments reported by them
    "issue_requested",
    "issued_at_provider",
    "provider_payment",
    "payment_pushed",
    "imported",
    "linked",
    "unlinked",
    # stage automation: a rule's own line, and a void at the provider
    "automation",
    "voided_at_provider",
    # customers and products kept in step with a provider (no document: ``field`` names
    # the record, e.g. "company:C-1")
    "customer_sync",
    # payment reminders sent, and the follow-up of a customer (notes, promises, pauses)
    "reminder",
    "follow_up",
    # wholesale: an invoice made from shipments or a closing, and released by its void
    "order_billing",
)


class AuditEntry(Model):
    """Who did what to which document, when, with the old and new value."""

    __tablename__ = "audit_entry"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, default=utcnow, nullable=False, index=True)
    # Copied, not only referenced: the trail outlives a renamed or deleted user.
    user_id = Column(Integer, index=True)
    username = Column(String(100))
    document_id = Column(Integer, index=True)
    document_number = Column(String(30), index=True)
    line_id = Column(Integer)
    action = Column(String(20), nullable=False, index=True)
    field = Column(String(50))
    old_value = Column(Text)
    new_value = Column(Text)
    note = Column(Text)

    def __repr__(self) -> str:
        return f"{self.at} {self.document_number} {self.action} {self.field or ''}".strip()


class AuditImmutable(Exception):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditImmutable("The audit trail cannot be changed.")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditImmutable("The audit trail cannot be deleted.")
