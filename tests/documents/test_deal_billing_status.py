"""A deal's billing status is its invoices', by one rule: the cached column follows every
change of a document or a payment in the same transaction, and nothing that rolled back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models.crm import Deal
from app.services import billing_status
from app.services.billing_status import Invoice, summarise
from app.services.documents import actions, approvals, issuing, lifecycle, payments
from app.services.errors import InvalidInput

TODAY = dt.date(2026, 12, 2)


def _status(db_session, deal) -> tuple[str, str]:
    """(cached, derived now) for the deal."""
    db_session.expire_all()
    cached = db_session.get(Deal, deal.id).billing_status
    return cached, billing_status.compute(db_session, [deal.id])[deal.id]


def test_the_rule_on_its_own():
    assert summarise([], TODAY) == "none"
    assert summarise([Invoice("void")], TODAY) == "void"
    assert summarise([Invoice("paid"), Invoice("draft")], TODAY) == "draft"
    assert summarise([Invoice("sent", TODAY)], TODAY) == "unpaid"
    assert summarise([Invoice("sent", TODAY - dt.timedelta(days=1))], TODAY) == "overdue"
    assert summarise([Invoice("partially_paid", TODAY)], TODAY) == "partially_paid"
    assert summarise([Invoice("paid", links=[("paid", True)])], TODAY) == "deleted"
    assert summarise([Invoice("approved", links=[("failed", False)])], TODAY) == "failed"
    assert summarise([Invoice("approved", links=[("pending", False)])], TODAY) == "pending"
    assert summarise([Invoice("void", links=[("failed", False)])], TODAY) == "void"


def test_the_cached_status_follows_every_step(db_session, sample, entity, users):
    deal = sample["with_lines"]
    assert _status(db_session, deal) == ("none", "none")
    invoice = issuing.from_deal(deal, user=users["accounting"])
    assert _status(db_session, deal) == ("draft", "draft")
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    db_session.commit()
    assert _status(db_session, deal) == ("unpaid", "unpaid")
    payments.record_payment(invoice, Decimal(1000), user=users["accounting"])
    assert _status(db_session, deal) == ("partially_paid", "partially_paid")
    payments.record_payment(invoice, payments.balance(invoice), user=users["accounting"])
    assert _status(db_session, deal) == ("paid", "paid")
    second = issuing.from_deal(deal, user=users["accounting"])
    assert _status(db_session, deal) == ("draft", "draft")
    actions.perform(second, "void", users["accounting"], "作り直し")
    assert _status(db_session, deal) == ("paid", "paid")


def test_a_change_that_rolled_back_leaves_the_status(db_session, sample, entity, users):
    deal = sample["with_lines"]
    invoice = issuing.from_deal(deal, user=users["accounting"])
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    db_session.commit()
    with pytest.raises(InvalidInput):  # more than the balance: refused, rolled back
        payments.record_payment(invoice, Decimal(10**9), user=users["accounting"])
    assert _status(db_session, deal) == ("unpaid", "unpaid")


def test_an_invoice_past_due_turns_the_deal_overdue_on_the_daily_pass(
    db_session, sample, entity, users
):
    import sqlalchemy as sa

    deal = sample["with_lines"]
    invoice = issuing.from_deal(deal, user=users["accounting"])
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    db_session.commit()
    # days pass: nothing is written, so nothing recomputes until the daily pass
    db_session.execute(
        sa.text("UPDATE document SET due_date = :day WHERE id = :id"),
        {"day": dt.date(2020, 1, 1), "id": invoice.id},
    )
    db_session.commit()
    assert _status(db_session, deal) == ("unpaid", "overdue")
    assert billing_status.recompute_overdue(db_session) == 1
    db_session.commit()
    assert _status(db_session, deal) == ("overdue", "overdue")
