"""A customer's follow-up: notes of calls and replies, promised payment dates, pauses.

A promise to pay by a date holds that customer's reminders (or one invoice's, when
it names one) until the day has passed in Tokyo. A pause holds them until resumed.
Every one of these is a follow-up note and a line of the audit trail, naming who.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import Company, utcnow
from app.models.documents import Document
from app.models.reminders import FollowUpNote, Reminder, ReminderPause
from app.security.rights import user_may
from app.services.actor import acting_as, current_actor
from app.services.errors import Forbidden, InvalidInput
from app.services.locking import lock

PAUSE_RIGHT = ("can_pause", "Reminder")
NOTE_RIGHT = ("can_note", "Reminder")
NOTE_MAX = 4000
# Writing the same note again within this many seconds gives back the first one (a
# double click, a retried request, N identical posts at once): see ``add_note``.
NOTE_WINDOW_SECONDS = 60
# What a person may write; "paused"/"resumed" are written by pause and resume.
WRITTEN_KINDS = ("call", "reply", "note", "promise")
NOTE_KIND_LABELS = {
    "call": _l("Call"),
    "reply": _l("Reply"),
    "note": _l("Note"),
    "promise": _l("Promise to pay"),
    "paused": _l("Reminders paused"),
    "resumed": _l("Reminders resumed"),
}


@dataclass
class Holds:
    """What holds reminders today: paused companies and invoices, promises in force."""

    companies: set[int] = field(default_factory=set)
    documents: set[int] = field(default_factory=set)
    # (company id, invoice id or None for the whole company) → the promised day
    promises: dict[tuple[int, int | None], dt.date] = field(default_factory=dict)

    def reason(self, document: Document) -> str | None:
        """Why ``document``'s reminder is held today, in words (None: it is not)."""
        if document.company_id in self.companies:
            return _("Reminders are paused for this customer.")
        if document.id in self.documents:
            return _("Reminders are paused for this invoice.")
        promised = self.promises.get((document.company_id, document.id)) or self.promises.get(
            (document.company_id, None)
        )
        if promised is not None:
            return _("Payment promised by %(day)s.", day=promised.isoformat())
        return None


def holds(today: dt.date, session=None) -> Holds:
    """Read the pauses and the promises still in force on ``today`` (three queries)."""
    session = session or db.session
    found = Holds()
    for company_id, document_id in session.query(
        ReminderPause.company_id, ReminderPause.document_id
    ):
        if company_id is not None:
            found.companies.add(company_id)
        else:
            found.documents.add(document_id)
    promised = (
        session.query(
            FollowUpNote.company_id, FollowUpNote.document_id, func.max(FollowUpNote.promised_on)
        )
        .filter(FollowUpNote.kind == "promise", FollowUpNote.promised_on >= today)
        .group_by(FollowUpNote.company_id, FollowUpNote.document_id)
    )
    for company_id, document_id, day in promised:
        found.promises[(company_id, document_id)] = day
    return found


def _require(user, right: tuple[str, str], words: str) -> None:
    if not user_may(user, *right):
        raise Forbidden(words)


def _audit(company: Company, document: Document | None, note: str) -> None:
    """A line of the audit trail; a company's own line names it in ``field``."""
    actor = current_actor()
    db.session.execute(
        AuditEntry.__table__.insert(),
        [
            {
                "at": utcnow(),
                "user_id": actor.id,
                "username": actor.username,
                "document_id": document.id if document is not None else None,
                "document_number": document.number if document is not None else None,
                "line_id": None,
                "action": "follow_up",
                "field": f"company:{company.code or company.id}",
                "old_value": None,
                "new_value": None,
                "note": note,
            }
        ],
    )


def _check_document(company: Company, document: Document | None) -> None:
    if document is not None and (document.company_id != company.id or document.kind != "invoice"):
        raise InvalidInput(_("Choose one of this customer's invoices."), field="document_id")


def add_note(
    company: Company,
    user,
    kind: str,
    note: str,
    document: Document | None = None,
    promised_on: dt.date | None = None,
    today: dt.date | None = None,
) -> FollowUpNote:
    """Write a note of a call, a reply, or a promise to pay by ``promised_on``."""
    _require(
        user, NOTE_RIGHT, _("You may not add follow-up notes (it needs can_note on Reminder).")
    )
    if kind not in WRITTEN_KINDS:
        raise InvalidInput(_("Unknown kind of note."), field="kind")
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Write what was said."), field="note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(_("The note is too long."), field="note")
    _check_document(company, document)
    if kind == "promise":
        if promised_on is None:
            raise InvalidInput(
                _("Give the date the customer promised to pay by."), field="promised_on"
            )
        from app.services.sync.clock import business_today

        if promised_on < (today or business_today()):
            raise InvalidInput(_("A promised date cannot be in the past."), field="promised_on")
    elif promised_on is not None:
        raise InvalidInput(_("Only a promise to pay has a date."), field="promised_on")
    return _write_note(company, user, kind, note, document, promised_on)


def fingerprint(company_id, user_id, kind, document_id, note, promised_on, at: dt.datetime):
    """The note's idempotency key: who wrote what about whom, in which minute-window."""
    window = int(at.replace(tzinfo=dt.UTC).timestamp()) // NOTE_WINDOW_SECONDS
    parts = (company_id, user_id, kind, document_id, note, promised_on, window)
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _same_note(company, user, kind, note, document, promised_on, since) -> FollowUpNote | None:
    """The same note by the same person about the same customer written since ``since``."""
    same_document = (
        FollowUpNote.document_id == document.id
        if document is not None
        else FollowUpNote.document_id.is_(None)
    )
    same_day = (
        FollowUpNote.promised_on == promised_on
        if promised_on is not None
        else FollowUpNote.promised_on.is_(None)
    )
    return (
        db.session.query(FollowUpNote)
        .filter(
            FollowUpNote.company_id == company.id,
            FollowUpNote.created_by_id == getattr(user, "id", None),
            FollowUpNote.kind == kind,
            FollowUpNote.note == note,
            FollowUpNote.created_at >= since,
            same_document,
            same_day,
        )
        .order_by(FollowUpNote.id)
        .first()
    )


def _write_note(company, user, kind, note, document, promised_on) -> FollowUpNote:
    """Write the note once. Under the company's row lock, the same note by the same
    person in the last ``NOTE_WINDOW_SECONDS`` is given back instead of a second one; the
    unique ``fingerprint`` (same minute-window) stands behind the lock."""
    company_id, document_id = company.id, getattr(document, "id", None)
    lock(company)
    now = utcnow()
    since = now - dt.timedelta(seconds=NOTE_WINDOW_SECONDS)
    same = _same_note(company, user, kind, note, document, promised_on, since)
    if same is not None:
        db.session.commit()
        return same
    key = fingerprint(
        company_id, getattr(user, "id", None), kind, document_id, note, promised_on, now
    )
    entry = FollowUpNote(
        company=company,
        document=document,
        kind=kind,
        note=note,
        promised_on=promised_on,
        created_by=user,
        created_at=now,
        fingerprint=key,
    )
    with acting_as(user):
        db.session.add(entry)
        words = f"{kind}: {note}"
        if promised_on is not None:
            words = _(
                "Payment promised by %(day)s (reminders held until then): %(note)s",
                day=promised_on.isoformat(),
                note=note,
            )
        _audit(company, document, words)
        try:
            db.session.commit()
        except IntegrityError:  # the same note, written on a path that skipped the lock
            db.session.rollback()
            found = db.session.query(FollowUpNote).filter_by(fingerprint=key).one_or_none()
            if found is None:
                raise
            return found
    return entry


def _pause_of(company: Company, document: Document | None):
    query = db.session.query(ReminderPause)
    if document is not None:
        return query.filter_by(document_id=document.id).first()
    return query.filter_by(company_id=company.id).first()


def pause(company: Company, user, document: Document | None = None, reason: str | None = None):
    """Hold the reminders of a customer (or of one of its invoices) until resumed.

    The company's row is locked first and the pause re-checked: of N requests at once
    one pauses and the others are told it already is (the unique index stands behind).
    """
    _require(user, PAUSE_RIGHT, _("You may not pause reminders (it needs can_pause on Reminder)."))
    _check_document(company, document)
    lock(company)
    if _pause_of(company, document) is not None:
        db.session.rollback()
        raise InvalidInput(_("Reminders are already paused."), field="paused")
    reason = (reason or "").strip() or None
    held = ReminderPause(
        company=None if document is not None else company,
        document=document,
        reason=reason,
        paused_by=user,
    )
    with acting_as(user):
        db.session.add(held)
        note = _("Reminders paused") + (f": {reason}" if reason else "")
        db.session.add(
            FollowUpNote(
                company=company, document=document, kind="paused", note=note, created_by=user
            )
        )
        _audit(company, document, note)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise InvalidInput(_("Reminders are already paused."), field="paused") from None
    return held


def resume(company: Company, user, document: Document | None = None) -> None:
    """End a pause of a customer (or of one invoice): the next run may remind again."""
    _require(user, PAUSE_RIGHT, _("You may not pause reminders (it needs can_pause on Reminder)."))
    _check_document(company, document)
    lock(company)
    held = _pause_of(company, document)
    if held is None:
        db.session.rollback()
        raise InvalidInput(_("Reminders are not paused."), field="paused")
    with acting_as(user):
        db.session.delete(held)
        note = _("Reminders resumed")
        db.session.add(
            FollowUpNote(
                company=company, document=document, kind="resumed", note=note, created_by=user
            )
        )
        _audit(company, document, note)
        db.session.commit()


@dataclass
class Entry:
    """One line of a customer's follow-up list: a reminder or a note."""

    at: dt.datetime
    kind: str
    text: str
    document: Document | None
    by: str | None
    promised_on: dt.date | None = None
    state: str | None = None


def history(company: Company, limit: int = 200) -> list[Entry]:
    """A customer's reminders and notes, newest first."""
    reminders = (
        db.session.query(Reminder)
        .filter(Reminder.company_id == company.id)
        .order_by(Reminder.claimed_at.desc())
        .limit(limit)
        .all()
    )
    notes = (
        db.session.query(FollowUpNote)
        .filter(FollowUpNote.company_id == company.id)
        .order_by(FollowUpNote.created_at.desc())
        .limit(limit)
        .all()
    )
    from app.services.reminders.rules import describe_step

    entries = [
        Entry(
            at=r.sent_at or r.claimed_at,
            kind="reminder",
            text=f"{r.rule_name} ({describe_step(r.step)}) → {r.recipient or '—'}"
            + (f": {r.error}" if r.error else ""),
            document=r.document,
            by=r.requested_by.username if r.requested_by else None,
            state=r.state,
        )
        for r in reminders
    ] + [
        Entry(
            at=n.created_at,
            kind=n.kind,
            text=n.note,
            document=n.document,
            by=n.created_by.username if n.created_by else None,
            promised_on=n.promised_on,
        )
        for n in notes
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
