"""The audit trail: every create, change and transition with who, when, old and new; unalterable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.models.audit import AuditEntry, AuditImmutable
from app.services.actor import acting_as
from app.services.documents import actions, approvals, issuing, lifecycle, payments
from tests.documents.conftest import line


def _trail(db_session, document, **filters):
    query = db_session.query(AuditEntry).filter(AuditEntry.document_id == document.id)
    for key, value in filters.items():
        query = query.filter(getattr(AuditEntry, key) == value)
    return query.order_by(AuditEntry.id).all()


def test_creation_records_amount_terms_recipient_and_status(db_session, sample, entity, users):
    doc = issuing.new_document(
        "invoice",
        sample["sakura"],
        lines=[line()],
        user=users["accounting"],
        terms="月末締め翌月末払い",
    )
    created = {e.field: e for e in _trail(db_session, doc, action="create")}
    assert created["total"].new_value == "110000" and created["total"].old_value is None
    assert created["terms"].new_value == "月末締め翌月末払い"
    assert created["recipient_name"].new_value == "株式会社さくら商事"
    assert created["state"].new_value == "draft"
    company = sample["sakura"]
    assert created["company_id"].new_value == f"株式会社さくら商事 (#{company.id})"
    assert "notes" not in created  # nothing to say about an empty field
    assert created["name"].line_id == doc.lines[0].id  # the line's own creation
    assert {e.username for e in created.values()} == {"accounting"}
    assert all(e.document_number == doc.number for e in created.values())


def test_changes_record_old_and_new_values_and_who(db_session, sample, entity, users):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    with acting_as(users["sales"]):
        doc.recipient_name = "さくら商事 経理部"
        doc.due_date = dt.date(2027, 1, 31)
        doc.lines[0].quantity = Decimal(3)
        db_session.commit()
    updates = {e.field: e for e in _trail(db_session, doc, action="update")}
    assert updates["recipient_name"].old_value == "株式会社さくら商事"
    assert updates["recipient_name"].new_value == "さくら商事 経理部"
    assert updates["total"].old_value == "110000" and updates["total"].new_value == "330000"
    assert updates["quantity"].old_value == "1" and updates["quantity"].new_value == "3"
    assert updates["due_date"].new_value == "2027-01-31"
    assert {e.username for e in updates.values()} == {"sales"}


def test_transitions_payments_approvals_and_deletions_are_recorded(
    db_session, sample, entity, users, rules
):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(), line(discount="30")])
    with acting_as(users["accounting"]):
        doc.lines.remove(doc.lines[0])
        db_session.commit()
    approvals.submit(doc, users["accounting"])
    actions.perform(doc, "approve", users["approver"])
    with acting_as(users["accounting"]):
        lifecycle.move(doc, "sent")
        db_session.commit()
    payments.record_payment(doc, "1000", user=users["accounting"])
    states = [
        (e.old_value, e.new_value, e.username)
        for e in _trail(db_session, doc, action="transition", field="state")
    ]
    assert states == [
        ("draft", "pending_approval", "accounting"),
        ("pending_approval", "approved", "approver"),
        ("approved", "sent", "accounting"),
        ("sent", "partially_paid", "accounting"),
    ]
    assert any(
        e.field == "amount" and e.new_value == "1000"
        for e in _trail(db_session, doc, action="payment")
    )
    decision = [e for e in _trail(db_session, doc, action="approval") if e.field == "decision"]
    assert decision[-1].new_value == "approved" and decision[-1].username == "approver"
    assert _trail(db_session, doc, action="delete")


def test_the_trail_cannot_be_changed_or_deleted(db_session, sample, entity):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    entry = _trail(db_session, doc)[0]
    entry.new_value = "forged"
    with pytest.raises(AuditImmutable):
        db_session.commit()
    db_session.rollback()
    db_session.delete(entry)
    with pytest.raises(AuditImmutable):
        db_session.commit()
    db_session.rollback()
    # Below the ORM, the database itself refuses.
    for statement in (
        sa.text("UPDATE audit_entry SET new_value = 'forged' WHERE id = :id"),
        sa.text("DELETE FROM audit_entry WHERE id = :id"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db_session.execute(statement, {"id": entry.id})
        db_session.rollback()
    assert db_session.get(AuditEntry, entry.id).new_value != "forged"


def test_a_refused_change_leaves_no_trail(db_session, sample, entity):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    before = len(_trail(db_session, doc))
    doc.lines[0].tax_rate = "standard_12"
    with pytest.raises(Exception):  # noqa: B017 - InvalidInput at flush
        db_session.commit()
    db_session.rollback()
    assert len(_trail(db_session, doc)) == before
