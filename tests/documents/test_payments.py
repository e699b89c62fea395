"""Payments: several and partial, the balance derived, credit notes counted, bad input refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.services.documents import actions, approvals, issuing, lifecycle, payments
from app.services.errors import Forbidden, InvalidInput
from tests.documents.conftest import line


@pytest.fixture()
def sent_invoice(db_session, sample, entity, users):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(price="100000")])
    approvals.submit(doc, users["accounting"])
    lifecycle.move(doc, "sent")  # what a successful send does
    db_session.commit()
    return doc


def test_partial_payments_then_paid(db_session, sent_invoice, users):
    assert payments.balance(sent_invoice) == Decimal(110000)
    payments.record_payment(sent_invoice, "30000", dt.date(2026, 11, 10), user=users["accounting"])
    assert sent_invoice.state == "partially_paid"
    assert payments.balance(sent_invoice) == Decimal(80000)
    payments.record_payment(sent_invoice, Decimal(80000), user=users["accounting"])
    assert sent_invoice.state == "paid"
    assert payments.balance(sent_invoice) == 0
    assert len(sent_invoice.payments) == 2


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0", "amount"), ("-1", "amount"), ("abc", "amount"), ("110001", "amount")],
)
def test_bad_payments_are_refused_and_nothing_is_recorded(
    db_session, sent_invoice, users, amount, field
):
    with pytest.raises(InvalidInput) as refused:
        payments.record_payment(sent_invoice, amount, user=users["accounting"])
    assert refused.value.field == field
    db_session.rollback()
    assert sent_invoice.payments == [] and sent_invoice.state == "sent"


def test_no_payment_on_a_draft_or_a_quote(db_session, sample, entity, users):
    draft = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    with pytest.raises(InvalidInput):
        payments.record_payment(draft, "100", user=users["accounting"])
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    with pytest.raises(InvalidInput):
        payments.record_payment(quote, "100", user=users["accounting"])


def test_an_issued_credit_note_reduces_the_balance(db_session, sent_invoice, users):
    credit = actions.perform(sent_invoice, "credit", users["accounting"])
    assert credit.kind == "credit_note" and credit.source == sent_invoice
    credit.lines[0].unit_price = Decimal(20000)
    db_session.commit()
    assert payments.balance(sent_invoice) == Decimal(110000)  # not issued yet
    approvals.submit(credit, users["accounting"])
    lifecycle.move(credit, "sent")
    db_session.commit()
    assert payments.balance(sent_invoice) == Decimal(88000)
    payments.record_payment(sent_invoice, "88000", user=users["accounting"])
    assert sent_invoice.state == "paid"


def test_dispute_then_resolve_returns_to_the_payment_state(db_session, sent_invoice, users):
    payments.record_payment(sent_invoice, "10000", user=users["accounting"])
    actions.perform(sent_invoice, "dispute", users["accounting"])
    assert sent_invoice.state == "disputed"
    actions.perform(sent_invoice, "resolve", users["accounting"])
    assert sent_invoice.state == "partially_paid"


def test_write_off_is_final(db_session, sent_invoice, users):
    actions.perform(sent_invoice, "write_off", users["accounting"], "回収不能")
    assert sent_invoice.state == "written_off"
    with pytest.raises(InvalidInput):
        payments.record_payment(sent_invoice, "1", user=users["accounting"])
    assert lifecycle.allowed_next(sent_invoice) == ()


def test_sales_may_not_record_disputes(db_session, sent_invoice, users):
    with pytest.raises(Forbidden):
        actions.perform(sent_invoice, "dispute", users["sales"])


def test_an_invoice_with_payments_is_not_voided(db_session, sent_invoice, users):
    payments.record_payment(sent_invoice, "1000", user=users["accounting"])
    actions.perform(sent_invoice, "dispute", users["accounting"])
    with pytest.raises(InvalidInput) as refused:
        actions.perform(sent_invoice, "void", users["accounting"], "誤発行")
    assert refused.value.field == "state"
    db_session.rollback()
    assert sent_invoice.state == "disputed"
