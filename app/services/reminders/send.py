"""Sending one reminder step: claim it, fill the email, hand it to SMTP, record how it went.

Once per invoice and step, whatever happens around it:
- **Claim.** The invoice's row is locked, its state, pauses and promises re-checked,
  and a ``Reminder`` row inserted as "claimed" and committed. The unique constraint on
  (document, step) refuses a second row: two schedulers, a retried job, a restart — the
  loser's insert fails and it sends nothing.
- **Send.** The reminder's row is locked and moved "claimed"/"failed" → "sending"
  (attempts + 1) and committed *before* SMTP is spoken to; then "sent" with the
  Message-ID, or "failed" with the reason. Only a "failed" one is sent again (the next
  run, or "Send now"): SMTP refused it, so nothing reached the customer. One left in
  "sending" (the worker died mid-send) is never resent on its own.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail import MailError, build_message, send_message
from app.models.crm import utcnow
from app.models.documents import Document
from app.models.publishing import DocumentPdf
from app.models.reminders import Reminder
from app.services.actor import acting_as
from app.services.documents import audit, payments, templates
from app.services.documents.pdf import pdf_filename, stored_pdf
from app.services.documents.sending import email_context
from app.services.locking import lock
from app.services.money import format_money
from app.services.reminders import followups
from app.services.reminders.rules import describe_step
from app.services.reminders.schedule import REMINDABLE, Planned


def claim(planned: Planned, today: dt.date, user=None) -> Reminder | None:
    """Make the step of ``planned`` ours (or take back a failed one); None if it is not."""
    document = lock(planned.document)
    if document.state not in REMINDABLE or followups.holds(today).reason(document):
        db.session.rollback()
        return None
    existing = (
        db.session.query(Reminder)
        .filter_by(document_id=document.id, step=planned.step)
        .populate_existing()
        .with_for_update()
        .first()
    )
    if existing is not None:
        db.session.rollback()
        return existing if existing.state == "failed" else None
    reminder = Reminder(
        document=document,
        company_id=document.company_id,
        step=planned.step,
        rule_id=planned.rule.id,
        rule_name=planned.rule.name,
        state="claimed",
        business_day=today,
        attempts=0,
        requested_by=user,
    )
    db.session.add(reminder)
    try:
        db.session.commit()
    except IntegrityError:  # another scheduler inserted the same step first
        db.session.rollback()
        return None
    return reminder


def _context(document: Document, step: int, today: dt.date) -> dict:
    english = document.language == "en"
    context = email_context(document)
    days = (today - document.due_date).days
    context.update(
        balance=format_money(
            payments.balance(document), document.currency, locale="en_US" if english else "ja_JP"
        ),
        days=days,
        days_overdue=max(days, 0),
        step=step,
    )
    return context


def _message(reminder: Reminder, document: Document):
    to = str(Address(display_name=document.recipient_name or "", addr_spec=reminder.recipient))
    pdf = db.session.get(DocumentPdf, reminder.pdf_id) if reminder.pdf_id else None
    attachments = [(pdf_filename(document), pdf.content, "application/pdf")] if pdf else []
    sender = current_app.config.get("MAIL_FROM") or (document.legal_entity.email or "")
    message = build_message(sender, to, reminder.subject, reminder.body, attachments)
    if document.legal_entity.email:
        message["Reply-To"] = document.legal_entity.email
    return message


def _fail(reminder: Reminder, error: str) -> str:
    reminder.state = "failed"
    reminder.error = error
    db.session.commit()
    return "failed"


def _locked(reminder_id: int) -> Reminder:
    return (
        db.session.query(Reminder)
        .filter_by(id=reminder_id)
        .populate_existing()
        .with_for_update()
        .one()
    )


def _needless(document: Document, today: dt.date) -> bool:
    return document.state not in REMINDABLE or followups.holds(today).reason(document) is not None


def deliver(reminder: Reminder, today: dt.date, user=None) -> str:
    """Send a claimed (or failed) reminder once; returns its state afterwards.

    The email and the PDF are made first (making a PDF commits); then the invoice and
    the reminder are locked in that order (as ``claim`` does, so two runs never wait on
    each other in a circle), re-checked, and moved to "sending" before SMTP is spoken to.
    """
    reminder_id, document = reminder.id, reminder.document
    db.session.rollback()
    with acting_as(user):
        prepared = None
        if not _needless(document, today) and (document.recipient_email or "").strip():
            try:
                template = templates.require_active(
                    "reminder", "invoice", document.language, document.legal_entity
                )
                subject, body = templates.render_email(
                    template, _context(document, reminder.step, today)
                )
                prepared = (template, subject, body, stored_pdf(document))
            except Exception as exc:  # a template or PDF that cannot be made: retried later
                db.session.rollback()
                prepared = _("Not sent: %(error)s", error=str(exc))
        lock(document)
        reminder = _locked(reminder_id)
        if reminder.state not in ("claimed", "failed"):  # another run has it, or sent it
            db.session.rollback()
            # never report another run's send as ours: it is counted once, by that run
            return "already sent" if reminder.state == "sent" else reminder.state
        if _needless(document, today):
            reminder.state = "cancelled"
            reminder.error = _("Not sent: the invoice no longer needs a reminder.")
            db.session.commit()
            return "cancelled"
        recipient = (document.recipient_email or "").strip()
        if not recipient:
            return _fail(reminder, _("The invoice has no recipient email."))
        if prepared is None or isinstance(prepared, str):
            return _fail(reminder, prepared or _("Not sent: try again."))
        template, subject, body, pdf = prepared
        reminder.recipient = recipient
        reminder.subject, reminder.body = subject, body
        reminder.template_id, reminder.pdf_id = template.id, pdf.id
        reminder.balance, reminder.currency = payments.balance(document), document.currency
        reminder.state = "sending"
        reminder.error = None
        reminder.attempts = (reminder.attempts or 0) + 1
        reminder.sending_started_at = utcnow()
        db.session.commit()
        try:
            message_id = send_message(current_app.config, _message(reminder, document))
        except MailError as exc:
            return _fail(reminder, str(exc))
        except Exception as exc:
            _fail(reminder, _("Not sent: %(error)s", error=f"{type(exc).__name__}: {exc}"))
            raise
        reminder.state = "sent"
        reminder.message_id = message_id
        reminder.sent_at = utcnow()
        audit.record_event(
            db.session,
            document,
            "reminder",
            _(
                "Payment reminder (%(step)s) sent to %(to)s; open balance %(balance)s.",
                step=describe_step(reminder.step),
                to=recipient,
                balance=format_money(reminder.balance, reminder.currency),
            ),
        )
        db.session.commit()
        return "sent"
