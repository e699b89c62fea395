"""Payment reminders: the rules (a default set and per-company overrides), each reminder
sent (one per invoice and step, by the schema), pauses, and the follow-up notes.

A step is a day relative to the invoice's due date (−3 = three days before, 0 = on the
day, 7 = a week overdue). ``uq_reminder_step`` on (document, step) is what makes "never
the same step twice" hold for two schedulers, a retry or a restart: the second insert
fails, whatever the code above it checked.
"""

from __future__ import annotations

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app.models.crm import MONEY, TimestampMixin, _in, utcnow

# Which invoices a rule applies to: any open one, only unpaid, only partially paid.
PAYMENT_STATES = ("any", "unpaid", "partially_paid")
# claimed: the step is ours (row inserted); sending: handed to SMTP; sent; failed (SMTP
# refused or unreachable: retried by the next run); cancelled (the invoice stopped
# needing it between the claim and the send).
REMINDER_STATES = ("claimed", "sending", "sent", "failed", "cancelled")
NOTE_KINDS = ("call", "reply", "note", "promise", "paused", "resumed")
STEP_LIMIT = 365  # a step is at most a year before or after the due date


class ReminderRule(TimestampMixin, Model):
    """Remind ``days`` after the due date (negative: before) while the invoice is in
    ``payment_state``; for one company when ``company`` is set (its own rules then
    replace the default set), else part of the default set."""

    __tablename__ = "reminder_rule"
    __table_args__ = (
        CheckConstraint(_in("payment_state", PAYMENT_STATES), name="ck_reminder_rule_state"),
        CheckConstraint(
            f"days >= -{STEP_LIMIT} AND days <= {STEP_LIMIT}", name="ck_reminder_rule_days"
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), index=True)
    company = relationship("Company")
    days = Column(Integer, nullable=False)
    payment_state = Column(String(20), nullable=False, default="any")
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class Reminder(Model):
    """One reminder step of one invoice: claimed, sent (or failed), with what it said."""

    __tablename__ = "reminder"
    __table_args__ = (
        CheckConstraint(_in("state", REMINDER_STATES), name="ck_reminder_state"),
        UniqueConstraint("document_id", "step", name="uq_reminder_step"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    document_id = Column(
        Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=False, index=True
    )
    document = relationship("Document")
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), index=True)
    company = relationship("Company")
    step = Column(Integer, nullable=False)  # days relative to the due date
    rule_id = Column(Integer, ForeignKey("reminder_rule.id", ondelete="SET NULL"))
    rule = relationship("ReminderRule")
    rule_name = Column(String(100), nullable=False)  # kept when the rule is deleted
    state = Column(String(10), nullable=False, default="claimed", index=True)
    business_day = Column(Date, nullable=False)  # the Tokyo day it was claimed for
    recipient = Column(String(254))
    subject = Column(String(300))
    body = Column(Text)
    balance = Column(MONEY)
    currency = Column(String(3))
    template_id = Column(Integer, ForeignKey("document_template.id"))
    pdf_id = Column(Integer, ForeignKey("document_pdf.id"))
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(Text)
    message_id = Column(String(200))
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))  # None: the scheduler
    requested_by = relationship(User)
    claimed_at = Column(DateTime, nullable=False, default=utcnow)
    sending_started_at = Column(DateTime)
    sent_at = Column(DateTime)

    def __repr__(self) -> str:
        return f"{self.document} step {self.step} ({self.state})"


class ReminderPause(Model):
    """Reminders held for a whole company or for one invoice until resumed."""

    __tablename__ = "reminder_pause"
    __table_args__ = (
        CheckConstraint(
            "(company_id IS NULL) <> (document_id IS NULL)", name="ck_reminder_pause_target"
        ),
        Index(
            "uq_reminder_pause_company",
            "company_id",
            unique=True,
            postgresql_where=text("company_id IS NOT NULL"),
            sqlite_where=text("company_id IS NOT NULL"),
        ),
        Index(
            "uq_reminder_pause_document",
            "document_id",
            unique=True,
            postgresql_where=text("document_id IS NOT NULL"),
            sqlite_where=text("document_id IS NOT NULL"),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"))
    company = relationship("Company")
    document_id = Column(Integer, ForeignKey("document.id", ondelete="CASCADE"))
    document = relationship("Document")
    reason = Column(Text)
    paused_by_id = Column(Integer, ForeignKey("ab_user.id"))
    paused_by = relationship(User)
    paused_at = Column(DateTime, nullable=False, default=utcnow)


class FollowUpNote(Model):
    """A line of a customer's follow-up: a call, a reply, a promise to pay by a date, a
    pause or resume. Append-only: the list is the customer's history.

    ``fingerprint`` (0024_left) makes writing a note idempotent: a hash of the company,
    author, kind, invoice, text, promised day and the minute-window it was written in,
    unique; ``followups.add_note`` also looks under the company's lock for the same note
    in the last window, so N identical posts at once make one note."""

    __tablename__ = "follow_up_note"
    __table_args__ = (
        UniqueConstraint("fingerprint", name="uq_follow_up_note_fingerprint"),
        CheckConstraint(_in("kind", NOTE_KINDS), name="ck_follow_up_note_kind"),
        CheckConstraint(
            "kind <> 'promise' OR promised_on IS NOT NULL", name="ck_follow_up_note_promise"
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    company_id = Column(
        Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, index=True
    )
    company = relationship("Company")
    document_id = Column(Integer, ForeignKey("document.id", ondelete="SET NULL"), index=True)
    document = relationship("Document")
    kind = Column(String(10), nullable=False, default="note")
    note = Column(Text, nullable=False)
    promised_on = Column(Date)  # holds the next reminder until this day has passed
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    fingerprint = Column(String(64))  # written notes only; None for pauses and older rows
