"""Sending a document: its PDF emailed to the recipient over SMTP, by a job, with a record.

``request_send`` checks the right and the state, writes an EmailDispatch ("queued") with
the subject and body from the approved email template and the PDF it will carry, and
queues ``send_document_email``. The job hands the message to the SMTP server; only once
the server has accepted it are the dispatch and the document marked sent. A failure
leaves the dispatch "failed" with the reason in words, and the document as it was.
Every step is written to the audit trail (EmailDispatch and Document changes are watched).

A dispatch left in "sending" past EMAIL_SENDING_STALE_MINUTES (the worker died after the
server may have accepted the message, before we saved) is shown as unknown. It is never
sent again on its own: ``resend_unknown`` re-queues it only for someone who may send and
who confirmed that the customer may get the email twice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.mail import MailError, build_message, send_message
from app.models.crm import utcnow
from app.models.document_kinds import KINDS, resource_of
from app.models.documents import Document
from app.models.publishing import EmailDispatch
from app.security.rights import user_may
from app.services import launchers
from app.services.actor import acting_as
from app.services.documents import actions, audit, issuing, lifecycle, payments, templates
from app.services.documents.pdf import pdf_filename, render_document
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput
from app.services.locking import lock
from app.services.money import format_money

# A document may be sent once approved, and sent again (a copy) while it is current.
SENDABLE = ("approved", *lifecycle.OPEN_STATES, "paid")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
# How a dispatch's state reads; "unknown" is never stored, it is a stale "sending".
UNKNOWN = "unknown"
DISPATCH_STATE_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    UNKNOWN: _l("Unknown — may have been sent"),
}
DEFAULT_STALE_MINUTES = 15
# The kind's name in the document's language (not the reader's): it is the customer's mail.
# From the registry of kinds.
TITLES = {lang: {code: kind.titles[lang] for code, kind in KINDS.items()} for lang in ("ja", "en")}
# The launcher (app.services.launchers) that queues jobs.documents.send_document_email.
SEND_JOB = "send_document_email"
MAX_CC = 10
_BAD_FILENAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def email_context(document: Document) -> dict:
    """The names an email template may use, filled from ``document``."""
    english = document.language == "en"
    entity = document.legal_entity
    due = document.due_date if KINDS[document.kind].due_date else None
    return {
        "title": TITLES["en" if english else "ja"][document.kind],
        "number": document.number or "",
        "recipient_name": document.recipient_name,
        "total": format_money(
            document.total, document.currency, locale="en_US" if english else "ja_JP"
        ),
        "due_date": (due.isoformat() if english else due.strftime("%Y年%m月%d日")) if due else "",
        "issue_date": document.issue_date.isoformat(),
        "issuer_name": entity.name_en if english and entity.name_en else entity.name,
    }


def _sender(document: Document) -> str:
    return current_app.config.get("MAIL_FROM") or (document.legal_entity.email or "")


def _check_sendable(document: Document) -> None:
    if document.state not in SENDABLE:
        raise InvalidInput(
            _(
                "Only an approved document can be sent; this one is “%(state)s”.",
                state=lifecycle.STATE_LABELS[document.state],
            ),
            field="state",
        )


def _check_may_send(document: Document, user) -> None:
    if not actions.may(user, document, "send"):
        permission, resource = actions.right_for(document, "send")
        raise Forbidden(
            _("You may not send this document (it needs %(p)s on %(r)s).", p=permission, r=resource)
        )


def _check_not_busy(document: Document, but: EmailDispatch | None = None) -> None:
    """Refuse while another email of ``document`` is queued or sending."""
    busy = (
        db.session.query(EmailDispatch)
        .filter(EmailDispatch.document_id == document.id)
        .filter(EmailDispatch.state.in_(("queued", "sending")))
        .filter(EmailDispatch.id != (but.id if but is not None else -1))
        .first()
    )
    if busy is not None and is_unknown(busy):
        raise InvalidInput(
            _(
                "Whether the last email of this document reached the server is unknown: "
                "check with the recipient, then use “Send again anyway” on that email."
            ),
            field="state",
        )
    if busy is not None:
        raise InvalidInput(_("An email of this document is already on its way."), field="state")


def _lock_dispatch(dispatch: EmailDispatch) -> EmailDispatch:
    return db.session.get(EmailDispatch, dispatch.id, with_for_update=True, populate_existing=True)


def preview(document: Document) -> dict:
    """What "Send" would send now, for the person to read and edit before sending: the
    recipient, cc, subject and body from the approved email template, the PDF's name."""
    template = templates.require_active(
        "email", document.kind, document.language, document.legal_entity
    )
    subject, body = templates.render_email(template, email_context(document))
    return {
        "recipient": document.recipient_email or "",
        "cc": "",
        "subject": subject,
        "body": body,
        "attachment_name": pdf_filename(document),
    }


def _addresses(text: str | None, field: str) -> list[str]:
    """Comma- or semicolon-separated addresses, each checked; an empty list for blank."""
    found = [part.strip() for part in re.split(r"[,;、\n]", text or "") if part.strip()]
    for address in found:
        if not _EMAIL.match(address):
            raise InvalidInput(
                _("“%(address)s” is not an email address.", address=address), field=field
            )
    if len(found) > MAX_CC:
        raise InvalidInput(_("At most %(n)d addresses.", n=MAX_CC), field=field)
    return found


def _edited(preview_values: dict, subject, body, attachment_name) -> tuple[str, str, str]:
    """The subject, body and file name as edited (blank: the template's), checked."""
    subject = preview_values["subject"] if subject is None else subject.strip()
    if not subject or any(c in subject for c in "\r\n\x00") or len(subject) > 300:
        raise InvalidInput(_("The subject is one line of 1 to 300 characters."), field="subject")
    body = preview_values["body"] if body is None else body.replace("\r\n", "\n")
    if not body.strip() or len(body) > 100_000 or "\x00" in body:
        raise InvalidInput(_("The message cannot be empty."), field="body")
    name = preview_values["attachment_name"] if attachment_name is None else attachment_name.strip()
    if name and not name.lower().endswith(".pdf"):
        name += ".pdf"
    if len(name) < 5 or len(name) > 200 or _BAD_FILENAME.search(name) or name.startswith("."):
        raise InvalidInput(
            _("The file name cannot be empty nor contain / \\ or control characters."),
            field="attachment_name",
        )
    return subject, body, name


def request_send(
    document: Document,
    user,
    recipient: str | None = None,
    *,
    cc: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    attachment_name: str | None = None,
) -> EmailDispatch:
    """Queue the email of ``document`` (to ``recipient`` or its recipient email), with the
    subject, body, cc and attachment name as the sender edited them in the preview (None:
    the template's). What is stored on the dispatch is what is sent and audited."""
    _check_may_send(document, user)
    _check_sendable(document)
    address = (recipient or document.recipient_email or "").strip()
    if not address:
        raise InvalidInput(
            _("The document has no recipient email: add one to the document first."),
            field="recipient_email",
        )
    if not _EMAIL.match(address):
        raise InvalidInput(
            _("“%(address)s” is not an email address.", address=address), field="recipient_email"
        )
    copies = _addresses(cc, "cc")
    if not _sender(document):
        raise InvalidInput(
            _("No sender address: set MAIL_FROM or the legal entity's email."), field="sender"
        )
    _check_not_busy(document)
    template = templates.require_active(
        "email", document.kind, document.language, document.legal_entity
    )
    subject, body, name = _edited(preview(document), subject, body, attachment_name)
    pdf = render_document(document, user)  # stored (and committed) on its own
    with locked(document):
        # Re-checked under the document's lock: of N sends at once, one queues an email.
        _check_sendable(document)
        _check_not_busy(document)
        if document.kind == "credit_note":
            issuing.check_creditable(document)
        dispatch = EmailDispatch(
            document=document,
            recipient=address,
            cc=", ".join(copies) or None,
            subject=subject,
            body=body,
            attachment_name=name,
            template=template,
            pdf=pdf,
            state="queued",
            attempts=0,
            requested_by=user,
        )
        with acting_as(user):
            db.session.add(dispatch)
            db.session.commit()
            _enqueue(dispatch, user)
    return dispatch


def retry_send(dispatch: EmailDispatch, user, recipient: str | None = None) -> EmailDispatch:
    """Queue a failed dispatch again (optionally to a corrected ``recipient``).

    The document, then the email, are locked and re-checked: of N retries at once, one
    queues the email again.
    """
    document = dispatch.document
    _check_may_send(document, user)
    with locked(document):
        dispatch = _lock_dispatch(dispatch)
        if dispatch.state != "failed":
            raise InvalidInput(_("Only a failed email can be retried."), field="state")
        _check_sendable(document)
        _check_not_busy(document, but=dispatch)
        with acting_as(user):
            if recipient and recipient.strip() != dispatch.recipient:
                if not _EMAIL.match(recipient.strip()):
                    raise InvalidInput(
                        _("“%(address)s” is not an email address.", address=recipient),
                        field="recipient_email",
                    )
                dispatch.recipient = recipient.strip()
            dispatch.state = "queued"
            dispatch.error = None
            db.session.commit()
            _enqueue(dispatch, user)
    return dispatch


def stale_after() -> timedelta:
    """How long a dispatch may stay "sending" before its outcome counts as unknown."""
    minutes = current_app.config.get("EMAIL_SENDING_STALE_MINUTES", DEFAULT_STALE_MINUTES)
    return timedelta(minutes=float(minutes))


def sending_since(dispatch: EmailDispatch) -> datetime:
    """When ``dispatch``'s last attempt began (when it was made, if none began)."""
    return dispatch.sending_started_at or dispatch.created_at


def is_unknown(dispatch: EmailDispatch, now: datetime | None = None) -> bool:
    """A dispatch "sending" for longer than the limit: it may or may not have gone out."""
    if dispatch.state != "sending":
        return False
    return sending_since(dispatch) <= (now or utcnow()) - stale_after()


def shown_state(dispatch: EmailDispatch) -> str:
    """The state a person sees: the stored one, or "unknown" for a stale "sending"."""
    return UNKNOWN if is_unknown(dispatch) else dispatch.state


def readable_kinds(user) -> list[str]:
    """The document kinds whose emails ``user`` may see (can_read on the kind)."""
    return [code for code, kind in KINDS.items() if user_may(user, "can_read", kind.resource)]


def may_see(user, dispatch: EmailDispatch) -> bool:
    """Whether ``user`` may read ``dispatch`` (it belongs to a kind they may read)."""
    return user_may(user, "can_read", resource_of(dispatch.document.kind))


def resend_unknown(dispatch: EmailDispatch, user, confirmed: bool) -> EmailDispatch:
    """Queue again an email whose outcome is unknown, once the user confirmed it.

    The customer may get it twice, so this is never done on its own: it needs the send
    right, a dispatch "sending" for longer than the limit, and ``confirmed``. The trail
    records who did it (sending → queued, and a note); the job then counts the attempt.
    """
    document = dispatch.document
    _check_may_send(document, user)
    with locked(document):
        return _resend_unknown(_lock_dispatch(dispatch), document, user, confirmed)


def _resend_unknown(dispatch: EmailDispatch, document: Document, user, confirmed: bool):
    if not is_unknown(dispatch):
        raise InvalidInput(
            _(
                "Only an email that has been “sending” for more than %(minutes)d minutes "
                "can be sent again this way.",
                minutes=int(stale_after().total_seconds() // 60),
            ),
            field="state",
        )
    if not confirmed:
        raise InvalidInput(
            _("Confirm that the recipient may receive this email twice before sending it again."),
            field="confirm",
        )
    _check_sendable(document)
    with acting_as(user):
        dispatch.state = "queued"
        dispatch.error = None
        audit.record_event(
            db.session,
            document,
            "send",
            _(
                "Email #%(id)d to %(to)s sent again by hand: whether attempt %(n)d reached "
                "the server is unknown.",
                id=dispatch.id,
                to=dispatch.recipient,
                n=dispatch.attempts or 0,
            ),
        )
        db.session.commit()
        _enqueue(dispatch, user)
    return dispatch


def _enqueue(dispatch: EmailDispatch, user) -> None:
    try:  # the job is handed over at app wiring: this service does not import it
        launchers.launch(SEND_JOB, dispatch.id, as_user=getattr(user, "id", None))
    except Exception as exc:  # a queue that is down must not leave a dispatch "queued" forever
        db.session.rollback()
        dispatch.state = "failed"
        dispatch.error = _("The email could not be queued (%(error)s).", error=str(exc))
        db.session.commit()
        raise InvalidInput(dispatch.error, field="state") from exc


def message_for(dispatch: EmailDispatch) -> EmailMessage:
    """The email of ``dispatch``: its subject and body, the PDF attached, replies to the issuer."""
    document = dispatch.document
    to = str(Address(display_name=document.recipient_name or "", addr_spec=dispatch.recipient))
    attachments = []
    if dispatch.pdf is not None:
        name = dispatch.attachment_name or pdf_filename(document)
        attachments.append((name, dispatch.pdf.content, "application/pdf"))
    message = build_message(_sender(document), to, dispatch.subject, dispatch.body, attachments)
    if dispatch.cc:
        message["Cc"] = dispatch.cc
    if document.legal_entity.email:
        message["Reply-To"] = document.legal_entity.email
    return message


def eml_bytes(dispatch: EmailDispatch) -> bytes:
    """The message as sent (same Message-ID and date), for the outbox's .eml download."""
    message = message_for(dispatch)
    if dispatch.message_id:
        message.replace_header("Message-ID", dispatch.message_id)
    if dispatch.sent_at:
        message.replace_header("Date", format_datetime(dispatch.sent_at.replace(tzinfo=UTC)))
    return message.as_bytes()


def _fail(dispatch: EmailDispatch, error: str) -> str:
    dispatch.state = "failed"
    dispatch.error = error
    db.session.commit()
    return "failed"


def deliver(dispatch_id: int, user_id: int | None) -> str:
    """Send one queued dispatch (the job's work); returns its state afterwards."""
    dispatch = db.session.get(EmailDispatch, dispatch_id, with_for_update=True)
    if dispatch is None:
        return "missing"
    user = current_app.appbuilder.sm.get_user_by_id(user_id) if user_id else None
    with acting_as(user):
        if dispatch.state != "queued":  # a second run of the same job: already handled
            db.session.rollback()
            return dispatch.state
        document = dispatch.document
        if not actions.may(user, document, "send"):
            return _fail(
                dispatch,
                _("The user who asked may no longer send this document; nothing was sent."),
            )
        if document.state not in SENDABLE:
            return _fail(
                dispatch,
                _(
                    "The document is no longer approved (it is “%(state)s”); nothing was sent.",
                    state=lifecycle.STATE_LABELS[document.state],
                ),
            )
        if document.kind == "credit_note" and document.state == "approved":
            try:  # issuing it must not credit more than its invoice has left
                issuing.check_creditable(document)
            except InvalidInput as exc:
                return _fail(dispatch, str(exc))
        dispatch.state = "sending"
        dispatch.sending_started_at = utcnow()
        dispatch.attempts = (dispatch.attempts or 0) + 1
        db.session.commit()
        try:
            message_id = send_message(current_app.config, message_for(dispatch))
        except MailError as exc:
            hint = (
                _("Retry later.")
                if exc.should_retry
                else _("Retrying will not help until the address or the mail settings change.")
            )
            return _fail(dispatch, f"{exc} {hint}")
        except Exception as exc:
            _fail(dispatch, _("Not sent: %(error)s", error=f"{type(exc).__name__}: {exc}"))
            raise
        lock(document)  # the move to sent is made on the row as stored now
        now = utcnow()
        dispatch.state = "sent"
        dispatch.message_id = message_id
        dispatch.sent_at = now
        if document.state == "approved":
            lifecycle.move(document, "sent")
            document.sent_at = now
            if document.kind == "credit_note" and document.source is not None:
                payments.settle(document.source)  # an issued credit note lowers the balance
        db.session.commit()
        return "sent"
