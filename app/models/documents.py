"""Renkei's own documents: quotes, invoices, delivery notes, credit notes, and their lines.

A document's state moves only through ``app.services.documents.lifecycle``; its totals
are derived from its lines by ``app.services.documents.totals`` on every flush (kept in
columns so lists can filter and sort on them); its balance is derived from payments
and credit notes, never stored.
"""

from __future__ import annotations

from decimal import Decimal

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app.models.choices import CURRENCIES, TAX_RATES
from app.models.crm import MONEY, PAYMENT_TERMS, PERCENT, LineItemMixin, TimestampMixin, _in, utcnow
from app.models.document_kinds import DOCUMENT_KINDS

# An automatic document that still counts (partial unique index on deal and kind).
AUTOMATIC = "created_by_automation AND state <> 'void'"
# Stored states. "overdue" is not stored: it is derived from the due date (lifecycle.py).
DOCUMENT_STATES = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "partially_paid",
    "paid",
    "written_off",
    "disputed",
    "void",
)
TAX_ROUNDINGS = ("down", "half_up", "up")


class LegalEntity(TimestampMixin, Model):
    """An issuing legal entity (発行元): name, registration number, brand, tax rounding."""

    __tablename__ = "legal_entity"
    __table_args__ = (
        CheckConstraint(_in("tax_rounding", TAX_ROUNDINGS), name="ck_legal_entity_rounding"),
        CheckConstraint(PAYMENT_TERMS, name="ck_legal_entity_payment_terms"),
        # Each entity numbers on its own (0020_entities): the prefix tells them apart.
        UniqueConstraint("number_prefix", name="uq_legal_entity_number_prefix"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, unique=True)
    name_en = Column(String(200))
    # 適格請求書発行事業者登録番号, checked by app.services.registration.
    registration_number = Column(String(14))
    postal_code = Column(String(10))
    address = Column(String(300))
    phone = Column(String(30))
    email = Column(String(254))
    bank_account = Column(Text)
    base_currency = Column(String(3), nullable=False, default="JPY")
    tax_rounding = Column(String(10), nullable=False, default="down")
    brand_colour = Column(String(7), nullable=False, default="#1f4e79")
    logo = Column(LargeBinary)
    logo_mimetype = Column(String(50))
    # Days from issue to due date when the customer has no terms of its own (0019_editor).
    payment_terms_days = Column(Integer)
    # Put before its documents' numbers ("US-" → US-INV-000001), with a counter per kind
    # of its own (DocumentCounter). The first entity keeps "" so numbers issued before
    # there were several entities stay as they were (0020_entities).
    number_prefix = Column(String(10), nullable=False, default="", server_default="")

    def __repr__(self) -> str:
        return self.name


class DocumentCounter(Model):
    """The last number each legal entity gave to each kind of document (0020_entities:
    one row per entity and kind, made on the entity's first document of the kind)."""

    __tablename__ = "document_counter"
    legal_entity_id = Column(
        Integer, ForeignKey("legal_entity.id", ondelete="CASCADE"), primary_key=True
    )
    kind = Column(String(20), primary_key=True)
    last_number = Column(Integer, nullable=False, default=0)


class Document(TimestampMixin, Model):
    """A quote, invoice, delivery note or credit note issued by a legal entity."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="ck_document_kind"),
        CheckConstraint(_in("state", DOCUMENT_STATES), name="ck_document_state"),
        CheckConstraint(_in("currency", CURRENCIES), name="ck_document_currency"),
        CheckConstraint("total >= 0", name="ck_document_total"),
        UniqueConstraint("kind", "number", name="uq_document_kind_number"),
        # Once means once: one automatic document of a kind per deal that is not void
        # (stage automation, app/services/automation.py; migration 0013_automation).
        Index(
            "uq_document_automatic",
            "deal_id",
            "kind",
            unique=True,
            postgresql_where=text(AUTOMATIC),
            sqlite_where=text(AUTOMATIC),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False, index=True)
    # Given on first save from the kind's own counter (INV-000123): gapless per kind,
    # because the counter row is incremented inside the document's own transaction.
    number = Column(String(30), index=True)
    state = Column(String(20), nullable=False, default="draft", index=True)
    legal_entity_id = Column(Integer, ForeignKey("legal_entity.id"), nullable=False, index=True)
    legal_entity = relationship("LegalEntity")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company")
    contact_id = Column(Integer, ForeignKey("contact.id"))
    contact = relationship("Contact")
    # Who receives it: printed on the PDF, and where "send" mails it.
    recipient_name = Column(String(200), nullable=False)
    recipient_email = Column(String(254))
    deal_id = Column(Integer, ForeignKey("deal.id"), index=True)
    deal = relationship("Deal")
    # A converted quote's invoice points at the quote; a credit note at the invoice.
    source_id = Column(Integer, ForeignKey("document.id"), index=True)
    source = relationship("Document", remote_side=[id], foreign_keys=[source_id])
    currency = Column(String(3), nullable=False, default="JPY")
    language = Column(String(2), nullable=False, default="ja")
    issue_date = Column(Date, nullable=False, index=True)
    transaction_date = Column(Date)
    due_date = Column(Date, index=True)
    terms = Column(Text)
    notes = Column(Text)
    # Derived from the lines on every flush (app.services.documents.totals).
    subtotal = Column(MONEY, nullable=False, default=Decimal(0))
    tax = Column(MONEY, nullable=False, default=Decimal(0))
    total = Column(MONEY, nullable=False, default=Decimal(0), index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User, foreign_keys=[created_by_id])
    sent_at = Column(DateTime)
    # Made by a stage automation rule (marked on its page; never unlinked from its deal).
    created_by_automation = Column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    # The issuer as it was when the document left draft (name, T-number, address, bank
    # account, tax rounding): later changes of the legal entity alter new documents
    # only, never the figures or the PDF of one already issued (services/documents/issuer.py).
    tax_rounding = Column(String(10))
    issuer_snapshot = Column(Text)
    # In another currency than the issuer's base one: the rate frozen when it left draft
    # (the latest ExchangeRate on or before the issue date) and the total in the base
    # currency (app/services/exchange_rates.py; 0020_entities). NULL: same currency, or
    # no rate had been entered.
    base_currency = Column(String(3))
    exchange_rate = Column(Numeric(18, 8))
    exchange_rate_date = Column(Date)
    base_total = Column(MONEY)

    lines = relationship(
        "DocumentLine",
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentLine.position",
    )
    payments = relationship(
        "Payment", back_populates="document", cascade="all", order_by="Payment.paid_on"
    )
    approvals = relationship(
        "ApprovalRequest",
        back_populates="document",
        cascade="all",
        order_by="ApprovalRequest.requested_at",
    )

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"


class DocumentLine(LineItemMixin, Model):
    """One line of a document: a product or free name, price, quantity, discount, tax."""

    __tablename__ = "document_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_document_line_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_document_line_unit_price"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100",
            name="ck_document_line_discount",
        ),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_document_line_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False, index=True)
    document = relationship("Document", back_populates="lines")


class Payment(Model):
    """A payment received against an invoice; several partial ones are fine."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payment_amount"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False, index=True)
    document = relationship("Document", back_populates="payments")
    paid_on = Column(Date, nullable=False, index=True)
    amount = Column(MONEY, nullable=False)
    method = Column(String(30), nullable=False, default="bank_transfer")
    reference = Column(String(100))
    note = Column(Text)
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    recorded_by = relationship(User)
    created_at = Column(DateTime, default=utcnow, nullable=False)
    # Set when the payment was reported by a provider (app/services/sync/settlement.py):
    # the connection it came from; None for a payment recorded in Renkei.
    connection_id = Column(Integer, ForeignKey("connection.id"), index=True)
    connection = relationship("Connection")

    def __repr__(self) -> str:
        return f"{self.paid_on} {self.amount}"


class ApprovalRule(TimestampMixin, Model):
    """A threshold that sends a document to approval: an amount (per currency) or discount %.

    A rule with a currency applies to documents in that currency; an amount threshold
    triggers when the document's total is at or above it, a discount threshold when any
    line's discount is above it. A rule without a currency applies its discount
    threshold to every currency (an amount means nothing without one).
    """

    __tablename__ = "approval_rule"
    __table_args__ = (
        CheckConstraint("min_amount IS NULL OR min_amount >= 0", name="ck_rule_amount"),
        CheckConstraint(
            "max_discount_percent IS NULL OR "
            "(max_discount_percent >= 0 AND max_discount_percent <= 100)",
            name="ck_rule_discount",
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    currency = Column(String(3))
    min_amount = Column(MONEY)
    max_discount_percent = Column(PERCENT)
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class ApprovalRequest(Model):
    """One request for approval of a document and its decision: who, when, why."""

    __tablename__ = "approval_request"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision IN ('approved', 'rejected', 'withdrawn')",
            name="ck_approval_decision",
        ),
        # At most one open request per document (migration 0008_docs).
        Index(
            "uq_approval_open_request",
            "document_id",
            unique=True,
            postgresql_where=text("decision IS NULL"),
            sqlite_where=text("decision IS NULL"),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False, index=True)
    document = relationship("Document", back_populates="approvals")
    # Why approval is needed: the rules that triggered, as JSON data (approvals.triggered),
    # put into words in the reader's language when shown (approvals.describe).
    reasons = Column(Text, nullable=False)
    amount = Column(MONEY, nullable=False)
    # SHA-256 of the content submitted (approvals.fingerprint): a decision applies only
    # while the document still has exactly this content.
    fingerprint = Column(String(64))
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    requested_by = relationship(User, foreign_keys=[requested_by_id])
    requested_at = Column(DateTime, default=utcnow, nullable=False)
    decision = Column(String(10), index=True)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_by = relationship(User, foreign_keys=[decided_by_id])
    decided_at = Column(DateTime)
    comment = Column(Text)

    def __repr__(self) -> str:
        return f"{self.document} {self.decision or 'pending'}"
