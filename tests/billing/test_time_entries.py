"""Time & materials: own time, a manager's decision (never one's own), the edit rule,
one invoice per project and period, each approved entry once, rejected never."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models.time_entries import TimeEntry
from app.services.billing import time_entries as tm
from app.services.documents import actions
from app.services.errors import Forbidden, InvalidInput

DAY = dt.date(2026, 11, 2)


def _entry(deal, user, day=DAY, hours="7.5", rate="10000", **kw):
    return tm.enter(
        user, deal=deal, work_date=day, hours=hours, rate=rate, description="設計", **kw
    )


def test_staff_enter_their_own_time_only(db_session, deal, users):
    entry = _entry(deal, users["sales"])
    assert (entry.user_id, entry.company_id, entry.state) == (
        users["sales"].id,
        deal.company_id,
        "pending",
    )
    with pytest.raises(Forbidden):
        _entry(deal, users["sales"], person=users["readonly"])
    # a manager (approve on TimeEntry) may enter someone else's time
    assert _entry(deal, users["accounting"], person=users["sales"]).user_id == users["sales"].id


@pytest.mark.parametrize(
    "hours, rate, description",
    [
        ("0", "1", "x"),
        ("25", "1", "x"),
        ("1.234", "1", "x"),
        ("1", "-1", "x"),
        ("1", "1.5", "x"),
        ("1", "1", " "),
    ],
)
def test_bad_values_are_refused(db_session, deal, users, hours, rate, description):
    with pytest.raises(InvalidInput):
        tm.enter(
            users["sales"],
            deal=deal,
            work_date=DAY,
            hours=hours,
            rate=rate,
            description=description,
        )


def test_approval_rules(db_session, deal, users):
    own = _entry(deal, users["accounting"])
    with pytest.raises(Forbidden):
        tm.approve(own, users["accounting"])  # one's own time
    entered_for = _entry(deal, users["accounting"], person=users["sales"])
    with pytest.raises(Forbidden):
        tm.approve(entered_for, users["accounting"])  # entered it
    entry = _entry(deal, users["sales"])
    with pytest.raises(InvalidInput):
        tm.reject(entry, users["accounting"], "")  # a rejection says why
    tm.approve(entry, users["accounting"])
    with pytest.raises(InvalidInput):
        tm.approve(entry, users["approver"])  # decided already


def test_an_approved_entry_is_not_edited_and_a_rejected_one_goes_back_to_pending(
    db_session, deal, users
):
    entry = _entry(deal, users["sales"])
    tm.approve(entry, users["accounting"])
    entry.hours = Decimal(8)
    with pytest.raises(InvalidInput):
        db_session.flush()
    db_session.rollback()
    other = _entry(deal, users["sales"])
    tm.reject(other, users["accounting"], "wrong project")
    other.hours = Decimal(3)
    db_session.commit()
    assert (other.state, other.decided_by_id) == ("pending", None)


def test_invoice_by_period_and_project_bills_approved_entries_once(db_session, deal, users):
    approved = [_entry(deal, users["sales"], DAY + dt.timedelta(days=i)) for i in range(3)]
    for entry in approved:
        tm.approve(entry, users["accounting"])
    rejected = _entry(deal, users["sales"])
    tm.reject(rejected, users["accounting"], "not billable")
    pending = _entry(deal, users["sales"])
    outside = _entry(deal, users["sales"], DAY + dt.timedelta(days=40))
    tm.approve(outside, users["accounting"])
    document = tm.invoice_period(deal, DAY, DAY + dt.timedelta(days=30), users["accounting"])
    assert len(document.lines) == 3 and document.state == "approved"
    assert sum(line.amount for line in document.lines) == Decimal(225000)  # 3 × 7.5 h × ¥10,000
    assert {e.document_id for e in approved} == {document.id}
    assert rejected.document_id is None and pending.document_id is None
    assert outside.document_id is None
    # again: nothing left
    assert tm.invoice_period(deal, DAY, DAY + dt.timedelta(days=30), users["accounting"]) is None
    # voided: billable again, on a new invoice
    actions.perform(document, "void", users["admin"], comment="wrong period")
    again = tm.invoice_all(DAY, DAY + dt.timedelta(days=30), users["accounting"])
    assert len(again) == 1 and len(again[0].lines) == 3
    assert {e.document_id for e in approved} == {again[0].id}


def test_the_schema_never_bills_a_rejected_entry(db_session, deal, users):
    import sqlalchemy as sa

    entry = _entry(deal, users["sales"])
    tm.reject(entry, users["accounting"], "no")
    other = _entry(deal, users["sales"])
    tm.approve(other, users["accounting"])
    document = tm.invoice_period(deal, DAY, DAY, users["accounting"])
    with pytest.raises(sa.exc.IntegrityError):
        db_session.execute(
            sa.update(TimeEntry).where(TimeEntry.id == entry.id).values(document_id=document.id)
        )
        db_session.flush()
    db_session.rollback()
