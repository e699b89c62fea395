"""Our links to records at providers, and the history of every sync run."""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app.models.crm import MONEY, TimestampMixin, utcnow

# Billing status of a document, in our words (each provider's statuses map onto these).
BILLING_STATUSES = (
    "awaiting_approval",
    "pending",
    "draft",
    "sent",
    "unpaid",
    "partially_paid",
    "paid",
    "overdue",
    "void",
    "deleted",
    "failed",
)
DOCUMENT_KINDS = ("invoice", "quote")
RUN_KINDS = (
    "create_invoice",
    "refresh_statuses",
    "scheduled_refresh",
    "retry",
    "customer_sync",
    "void_at_provider",  # stage automation: a lost deal's invoice voided there (issue 13)
)
# "unknown": the worker stopped answering (no heartbeat) mid-run; a create may have
# reached the provider, so its Retry looks the document up before creating.
RUN_STATUSES = ("queued", "running", "finished", "failed", "unknown")
ACTIVE_RUN_STATUSES = ("queued", "running")
# One create in flight per deal, kind and connection; one active run per document.
IN_FLIGHT = "billing_status = 'pending'"
ACTIVE = "status IN ('queued', 'running') AND document_id IS NOT NULL"


# How a link came to be: issued from Renkei, linked by a person to a document made at the
# provider, or imported from a provider invoice made from a deal before documents were one.
LINK_ORIGINS = ("issued", "linked", "imported")


class ExternalDocument(TimestampMixin, Model):
    """A Renkei document's link to one provider connection (one per document and
    connection): the provider's id and number, its status, last push, pull and error.

    The Renkei ``document`` is the invoice: numbered, approved and audited here; this row
    says what the provider holds of it. ``deal_id`` repeats the document's deal (kept by
    app.services.documents_links) so pulls can be narrowed to chosen deals.
    A link waiting for its document's approval is ``awaiting_approval``; it is issued
    (``pending``) when the approver approves.

    Created *before* the provider is called, in status ``pending`` with our
    ``reference``; the provider's id is filled in when it answers. A retry looks the
    document up at the provider by that reference first, so it is never created twice.
    ``customer_external_id`` (and department) is the provider customer the create was
    sent for, saved before the request leaves: a retry looks among *that* customer's
    documents even if the deal's company changed in between.
    """

    __tablename__ = "external_document"
    __table_args__ = (
        UniqueConstraint("connection_id", "reference", name="uq_external_document_reference"),
        UniqueConstraint(
            "connection_id", "kind", "external_id", name="uq_external_document_external_id"
        ),
        # One link per document and connection: issuing twice makes one provider invoice.
        UniqueConstraint("connection_id", "document_id", name="uq_external_document_document"),
        CheckConstraint("kind IN ('invoice', 'quote')", name="ck_external_document_kind"),
        Index(
            "uq_external_document_in_flight",
            "connection_id",
            "deal_id",
            "kind",
            unique=True,
            postgresql_where=text(IN_FLIGHT),
            sqlite_where=text(IN_FLIGHT),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(Integer, ForeignKey("connection.id"), nullable=False, index=True)
    connection = relationship("Connection")
    deal_id = Column(Integer, ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    deal = relationship("Deal", backref="external_documents")
    # The Renkei document this link carries to the provider (set on every link made
    # since 0011; older provider invoices were converted into documents by 0012).
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document", backref="links")
    origin = Column(String(10), nullable=False, default="issued", server_default="issued")
    kind = Column(String(10), nullable=False, default="invoice")
    reference = Column(String(64), nullable=False)  # ours, written into the provider's memo
    external_id = Column(String(64))  # the provider's id, once it answered
    customer_external_id = Column(String(64))  # partner/contact the create was sent for
    customer_department_id = Column(String(64))  # Money Forward: its department
    number = Column(String(64))
    issue_date = Column(Date)
    due_date = Column(Date)
    currency = Column(String(3), nullable=False, default="JPY")
    total = Column(MONEY)  # including tax, as the provider computed it
    billing_status = Column(String(20), nullable=False, default="pending", index=True)
    payment_status = Column(String(20))  # the provider's own word, shown as is
    provider_url = Column(String(500))
    deleted_at_provider = Column(Boolean, nullable=False, default=False)
    created_by_automation = Column(Boolean, nullable=False, default=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    last_pushed_at = Column(DateTime)
    last_pulled_at = Column(DateTime)
    last_error = Column(Text)


class PartnerLink(TimestampMixin, Model):
    """Which provider record (partner/contact, department) stands for one of our companies."""

    __tablename__ = "partner_link"
    __table_args__ = (
        UniqueConstraint("connection_id", "company_id", name="uq_partner_link"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(Integer, ForeignKey("connection.id"), nullable=False)
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False)
    company = relationship("Company")
    external_id = Column(String(64), nullable=False)
    department_id = Column(String(64))  # Money Forward: the billing goes to a department
    pushed_fingerprint = Column(String(64))  # hash of what we sent, to push only changes
    last_pushed_at = Column(DateTime, default=utcnow)
    # The provider's own updated-at of the record when we last read or wrote it: the
    # both-ways sync compares it with the provider's next answer (0014).
    provider_updated_at = Column(DateTime)


class SyncRun(Model):
    """One run of a sync job: who started it, progress, and what came of it."""

    __tablename__ = "sync_run"
    __table_args__ = (
        Index(
            "uq_sync_run_active_document",
            "document_id",
            unique=True,
            postgresql_where=text(ACTIVE),
            sqlite_where=text(ACTIVE),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(30), nullable=False)
    connection_id = Column(Integer, ForeignKey("connection.id"), index=True)
    connection = relationship("Connection")
    started_by_id = Column(Integer, ForeignKey("ab_user.id"))  # None: the scheduler
    started_by = relationship("User")
    document = relationship("ExternalDocument")
    job_id = Column(String(64))
    status = Column(String(20), nullable=False, default="queued", index=True)
    total = Column(Integer, nullable=False, default=0)
    done = Column(Integer, nullable=False, default=0)
    created = Column(Integer, nullable=False, default=0)
    updated = Column(Integer, nullable=False, default=0)
    failed = Column(Integer, nullable=False, default=0)
    skipped = Column(Integer, nullable=False, default=0)  # customer syncs (0014)
    api_calls = Column(Integer, nullable=False, default=0)
    deal_ids = Column(Text)  # JSON list for runs on chosen deals
    # The document a create/retry run works on (None for refreshes).
    document_id = Column(Integer, ForeignKey("external_document.id", ondelete="SET NULL"))
    queued_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    started_at = Column(DateTime)
    finished_at = Column(DateTime)
    # Written every few seconds by the worker while the run works (runs.heartbeat); a
    # running run silent longer than SYNC_HEARTBEAT_STALE_MINUTES is marked unknown.
    heartbeat_at = Column(DateTime)
    message = Column(Text)

    failures = relationship(
        "SyncFailure",
        back_populates="run",
        cascade="all, delete-orphan",
        foreign_keys="SyncFailure.run_id",
    )


class SyncFailure(Model):
    """One thing a run could not do, with the provider's message; can be retried."""

    __tablename__ = "sync_failure"
    id = Column(Integer, primary_key=True)
    run_id = Column(
        Integer, ForeignKey("sync_run.id", ondelete="CASCADE"), nullable=False, index=True
    )
    run = relationship("SyncRun", back_populates="failures", foreign_keys=[run_id])
    deal_id = Column(Integer, ForeignKey("deal.id", ondelete="SET NULL"))
    deal = relationship("Deal")
    document_id = Column(Integer, ForeignKey("external_document.id", ondelete="SET NULL"))
    message = Column(Text, nullable=False)
    retried_run_id = Column(Integer, ForeignKey("sync_run.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)


# What a mismatch report row is about (app/services/sync/mismatches.py).
MISMATCH_KINDS = ("total", "tax", "status", "customer", "deleted", "unknown")


class Mismatch(Model):
    """One difference between a Renkei document and what a provider holds, found by the
    report that runs after each scheduled pull; open until the difference is gone or a
    person ignores it with a reason.

    ``external_id`` is the provider's document (for "unknown": one carrying our reference
    that no Renkei document links to). ``renkei_value``/``provider_value`` hold the two
    sides as data (amounts, status codes), put into words when shown.
    """

    __tablename__ = "mismatch"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('total', 'tax', 'status', 'customer', 'deleted', 'unknown')",
            name="ck_mismatch_kind",
        ),
        UniqueConstraint("connection_id", "kind", "external_id", name="uq_mismatch"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(
        Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False, index=True
    )
    connection = relationship("Connection")
    kind = Column(String(10), nullable=False)
    external_id = Column(String(64), nullable=False)
    link_id = Column(Integer, ForeignKey("external_document.id", ondelete="SET NULL"))
    link = relationship("ExternalDocument")
    document_id = Column(Integer, ForeignKey("document.id", ondelete="SET NULL"))
    document = relationship("Document")
    reference = Column(String(64))
    number = Column(String(64))
    renkei_value = Column(Text)
    provider_value = Column(Text)
    found_at = Column(DateTime, nullable=False, default=utcnow)
    # Set when a later report no longer finds the difference (or an action fixed it).
    resolved_at = Column(DateTime, index=True)
    ignored_at = Column(DateTime)
    ignored_by_id = Column(Integer, ForeignKey("ab_user.id"))
    ignored_by = relationship("User", foreign_keys=[ignored_by_id])
    ignored_reason = Column(Text)
