"""Time & materials: enter, approve or reject (never one's own), invoice by period and
project, each approved entry once.

Rules (tests/billing/test_time_entries*.py):
- Staff enter their own time; entering time for another person needs the manager's
  right (approve on TimeEntry). The entry's company and currency are its deal's.
- A manager approves or rejects; never an entry of their own (the entry's person or
  whoever entered it). The schema's ck_time_entry_four_eyes holds the person part.
- Editing: an approved entry is never edited (refused at flush, for every door: screen,
  API, script). A rejected entry that is edited goes back to pending, to be decided
  again. A pending one is edited freely.
- Invoicing a period [start, end] of a project (deal): one invoice with one line per
  entry (date, person, description; hours × rate), approved entries only, those not
  billed yet or whose invoice was voided (voiding an invoice makes its entries billable
  again). Under the deal's row lock (one run per project at a time) the entries are
  locked and claimed by a compare-and-set UPDATE (document_id still what was read), so
  N runs at once make one invoice; the others find nothing left to bill.
- Rejected and pending entries are never billed (ck_time_entry_billed in the schema).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event, inspect, or_
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.crm import Deal, utcnow
from app.models.documents import Document
from app.models.time_entries import TimeEntry
from app.security.rights import user_may
from app.services.billing.common import make_invoice
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput
from app.services.money import check_decimal, check_money

CONTENT = ("user_id", "work_date", "hours", "rate", "description", "deal_id", "currency")
MANAGER = ("can_approve", "TimeEntry")


def _uid(user):
    return getattr(user, "id", user)


def check_values(hours, rate, currency: str, description: str) -> tuple[Decimal, Decimal, str]:
    hours = check_decimal(hours, "hours", _("Hours"), places=2)
    if not Decimal(0) < hours <= Decimal(24):
        raise InvalidInput(_("Hours are more than 0 and at most 24 a day."), field="hours")
    rate = check_money(rate, currency, "rate", _("Rate"))
    if rate < 0:
        raise InvalidInput(_("The rate cannot be negative."), field="rate")
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Say what the time was spent on."), field="description")
    if len(description) > 500:
        raise InvalidInput(_("The description is at most 500 characters."), field="description")
    return hours, rate, description


def enter(
    user, *, deal: Deal, work_date: dt.date, hours, rate, description, person=None
) -> TimeEntry:
    """A pending entry of ``person`` (default: ``user``) entered by ``user``."""
    person = person or user
    if _uid(person) != _uid(user) and not user_may(user, *MANAGER):
        raise Forbidden(_("You may enter only your own time."))
    if not isinstance(work_date, dt.date):
        raise InvalidInput(_("Give the day the work was done."), field="work_date")
    hours, rate, description = check_values(hours, rate, deal.currency, description)
    entry = TimeEntry(
        user_id=_uid(person),
        work_date=work_date,
        hours=hours,
        rate=rate,
        description=description,
        deal=deal,
        company_id=deal.company_id,
        currency=deal.currency,
        state="pending",
        created_by_id=_uid(user),
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def decide(entry: TimeEntry, user, approve: bool, reason: str | None = None) -> TimeEntry:
    """Approve or reject a pending entry; never one's own; a rejection says why."""
    with locked(entry):
        if entry.state != "pending":
            raise InvalidInput(_("This time entry is not waiting for a decision."), field="state")
        if _uid(user) in (entry.user_id, entry.created_by_id):
            raise Forbidden(_("This is your own time: another manager must decide on it."))
        reason = (reason or "").strip()
        if not approve and not reason:
            raise InvalidInput(_("Say why the time is rejected."), field="reason")
        entry.state = "approved" if approve else "rejected"
        entry.decided_by_id = _uid(user)
        entry.decided_at = utcnow()
        entry.reject_reason = None if approve else reason[:500]
        db.session.commit()
    return entry


def approve(entry: TimeEntry, user) -> TimeEntry:
    return decide(entry, user, True)


def reject(entry: TimeEntry, user, reason: str | None) -> TimeEntry:
    return decide(entry, user, False, reason)


def _billable(query):
    void = sa.select(Document.id).where(Document.state == "void")
    return query.filter(
        TimeEntry.state == "approved",
        or_(TimeEntry.document_id.is_(None), TimeEntry.document_id.in_(void)),
    )


def _line(entry: TimeEntry) -> dict:
    person = getattr(entry.user, "username", "") if entry.user else ""
    if entry.user is not None and (entry.user.first_name or entry.user.last_name):
        person = f"{entry.user.last_name or ''} {entry.user.first_name or ''}".strip()
    return {
        "name": f"{entry.work_date:%Y-%m-%d} {person}: {entry.description}"[:200],
        "unit": "h",
        "unit_price": Decimal(entry.rate),
        "quantity": Decimal(entry.hours),
        "tax_rate": "standard_10",
    }


def _period(start: dt.date, end: dt.date) -> None:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise InvalidInput(_("Give the first and last day of the period."), field="start")
    if end < start:
        raise InvalidInput(_("The period ends before it starts."), field="end")


def invoice_period(deal: Deal, start: dt.date, end: dt.date, user) -> Document | None:
    """One invoice of the approved, unbilled entries of ``deal`` dated start..end
    (None when there is nothing to bill)."""
    _period(start, end)
    with locked(deal):
        query = _billable(db.session.query(TimeEntry)).filter(
            TimeEntry.deal_id == deal.id,
            TimeEntry.currency == deal.currency,
            TimeEntry.work_date.between(start, end),
        )
        entries = query.order_by(TimeEntry.work_date, TimeEntry.id).with_for_update().all()
        if not entries:
            db.session.rollback()
            return None
        seen = {e.id: e.document_id for e in entries}
        note = _(
            "Made from %(n)s approved time entries of %(deal)s, %(start)s to %(end)s.",
            n=len(entries),
            deal=deal.title,
            start=start.isoformat(),
            end=end.isoformat(),
        )
        document = make_invoice(deal, [_line(e) for e in entries], user, note, deal.currency)
        now = utcnow()
        for entry_id, was in seen.items():  # compare-and-set: still what was read
            table = TimeEntry.__table__
            condition = (
                table.c.document_id.is_(None) if was is None else (table.c.document_id == was)
            )
            done = db.session.execute(
                table.update()
                .where(table.c.id == entry_id, table.c.state == "approved", condition)
                .values(document_id=document.id, billed_at=now)
            )
            if done.rowcount != 1:
                raise InvalidInput(
                    _("A time entry was billed by another run meanwhile: try again."),
                    field="state",
                )
        db.session.commit()
        for entry in entries:
            db.session.expire(entry)
    return document


def invoice_all(start: dt.date, end: dt.date, user) -> list[Document]:
    """``invoice_period`` for every project with billable entries in the period."""
    _period(start, end)
    deal_ids = [
        row[0]
        for row in _billable(db.session.query(TimeEntry.deal_id))
        .filter(TimeEntry.work_date.between(start, end))
        .distinct()
        .order_by(TimeEntry.deal_id)
    ]
    made = []
    for deal_id in deal_ids:
        document = invoice_period(db.session.get(Deal, deal_id), start, end, user)
        if document is not None:
            made.append(document)
    return made


def _before_flush(session: Session, _context, _instances) -> None:
    """Every door: an approved entry's content is not changed; a rejected entry whose
    content changes goes back to pending."""
    for entry in session.dirty:
        if not isinstance(entry, TimeEntry):
            continue
        state = inspect(entry)
        changed = [n for n in CONTENT if state.attrs[n].history.has_changes()]
        if not changed:
            continue
        history = state.attrs.state.history
        before = (history.deleted or history.unchanged or [entry.state])[0]
        if before == "approved" or entry.document_id is not None:
            raise InvalidInput(_("An approved time entry cannot be changed."), field=changed[0])
        if before == "rejected" and entry.state == "rejected":
            entry.state = "pending"
            entry.decided_by_id = None
            entry.decided_at = None


_installed = False


def install_time_rules() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "before_flush", _before_flush)
        _installed = True


install_time_rules()
