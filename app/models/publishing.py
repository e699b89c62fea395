"""Versioned templates (PDF and email), the PDFs made from them, and the emails sent.

A template edit is a new version in "pending" until someone allowed approves it; only
the newest approved version of a (purpose, kind, language) is used. Each PDF keeps the
version that made it, and each email the PDF it carried.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.crm import _in, utcnow

# "reminder": the payment reminder email of an invoice (app/services/reminders).
TEMPLATE_PURPOSES = ("pdf", "email", "reminder")
TEMPLATE_STATES = ("pending", "approved", "rejected")
DISPATCH_STATES = ("queued", "sending", "sent", "failed")


class DocumentTemplate(Model):
    """One version of a template: a PDF layout (HTML) or an email subject and body."""

    __tablename__ = "document_template"
    __table_args__ = (
        CheckConstraint(_in("purpose", TEMPLATE_PURPOSES), name="ck_template_purpose"),
        CheckConstraint(_in("state", TEMPLATE_STATES), name="ck_template_state"),
        UniqueConstraint("purpose", "kind", "language", "version", name="uq_template_version"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    purpose = Column(String(10), nullable=False)
    kind = Column(String(20), nullable=False)  # a document kind
    language = Column(String(2), nullable=False)
    version = Column(Integer, nullable=False)
    subject = Column(String(300))  # email only
    body = Column(Text, nullable=False)
    state = Column(String(10), nullable=False, default="pending", index=True)
    change_note = Column(Text)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User, foreign_keys=[created_by_id])
    created_at = Column(DateTime, default=utcnow, nullable=False)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_by = relationship(User, foreign_keys=[decided_by_id])
    decided_at = Column(DateTime)
    decision_comment = Column(Text)
    # A template of one legal entity (0020_entities): its documents use it before the
    # global one (NULL: for every entity). Versions share one numbering per template.
    legal_entity_id = Column(Integer, ForeignKey("legal_entity.id", ondelete="CASCADE"), index=True)
    legal_entity = relationship("LegalEntity")

    def __repr__(self) -> str:
        return f"{self.purpose}/{self.kind}/{self.language} v{self.version}"


class DocumentPdf(Model):
    """A PDF made for a document, with the template version that made it."""

    __tablename__ = "document_pdf"
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False, index=True)
    document = relationship("Document")
    template_id = Column(Integer, ForeignKey("document_template.id"), nullable=False)
    template = relationship("DocumentTemplate")
    sha256 = Column(String(64), nullable=False)
    size = Column(Integer, nullable=False)
    content = Column(LargeBinary, nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)
    created_at = Column(DateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"{self.document} PDF {self.sha256[:8]}"


class EmailDispatch(Model):
    """One attempt to email a document: what was sent to whom, and how it went."""

    __tablename__ = "email_dispatch"
    __table_args__ = (
        CheckConstraint(_in("state", DISPATCH_STATES), name="ck_dispatch_state"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False, index=True)
    document = relationship("Document")
    recipient = Column(String(254), nullable=False)
    # As the sender edited them in the preview (0019_editor): comma-separated addresses,
    # and the PDF's file name (None: the document's own).
    cc = Column(String(1000))
    attachment_name = Column(String(200))
    subject = Column(String(300), nullable=False)
    body = Column(Text, nullable=False)
    template_id = Column(Integer, ForeignKey("document_template.id"))
    template = relationship("DocumentTemplate")
    pdf_id = Column(Integer, ForeignKey("document_pdf.id"))
    pdf = relationship("DocumentPdf")
    state = Column(String(10), nullable=False, default="queued", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(Text)
    message_id = Column(String(200))
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    requested_by = relationship(User)
    created_at = Column(DateTime, default=utcnow, nullable=False)
    # When the last attempt began talking to the mail server: a "sending" older than
    # EMAIL_SENDING_STALE_MINUTES means the worker died and the outcome is unknown.
    sending_started_at = Column(DateTime)
    sent_at = Column(DateTime)

    def __repr__(self) -> str:
        return f"{self.document} → {self.recipient} ({self.state})"
