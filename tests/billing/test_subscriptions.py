"""Billing runs: in advance on Tokyo's billing day, once per period, prorated changes on the
next invoice or a credit note, cancellation, renewal by decision, usage in arrears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models.documents import Document
from app.models.subscriptions import SubscriptionPeriod
from app.services.billing import run as billing
from app.services.billing import subscriptions, usage
from app.services.errors import InvalidInput
from tests.billing.conftest import at_tokyo, plan_line

pytestmark = pytest.mark.usefixtures("english")

D = dt.date


def invoices(session, kind="invoice"):
    session.expire_all()
    return session.query(Document).filter_by(kind=kind).order_by(Document.id).all()


def names(document):
    return [
        (line.name, Decimal(line.unit_price), Decimal(line.quantity)) for line in document.lines
    ]


def test_month_end_start_bills_on_the_last_day_and_once(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 1, 31))
    assert billing.run(today=D(2027, 1, 30)) == {}
    assert billing.run(today=D(2027, 1, 31)) == {"billed": 1}
    assert billing.run(today=D(2027, 1, 31)) == {}  # the same day again: nothing
    assert billing.run(today=D(2027, 2, 27)) == {}
    assert billing.run(today=D(2027, 2, 28)) == {"billed": 1}
    assert billing.run(today=D(2027, 3, 31)) == {"billed": 1}
    made = invoices(db_session)
    assert [d.transaction_date for d in made] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31)]
    assert names(made[1]) == [("Renkei Cloud (2027-02-28–2027-03-30)", Decimal(10000), 1)]
    assert all(d.state == "approved" and d.total == Decimal(11000) for d in made)
    rows = db_session.query(SubscriptionPeriod).filter_by(subscription_id=subscription.id)
    assert sorted(r.document_id for r in rows) == [d.id for d in made]


def test_a_missed_run_catches_up_in_order(db_session, make_subscription):
    make_subscription(start=D(2028, 1, 31))
    assert billing.run(today=D(2028, 4, 1)) == {"billed": 3}
    assert [d.transaction_date for d in invoices(db_session)] == [
        D(2028, 1, 31),
        D(2028, 2, 29),
        D(2028, 3, 31),
    ]


def test_the_billing_day_is_tokyos(db_session, make_subscription):
    make_subscription(start=D(2027, 3, 1))
    # 2027-02-28 14:59 UTC is 23:59 in Tokyo: not yet; 15:00 UTC is Mar 1 there
    assert billing.run(now=dt.datetime(2027, 2, 28, 14, 59)) == {}
    assert billing.run(now=dt.datetime(2027, 2, 28, 15, 0)) == {"billed": 1}
    assert invoices(db_session)[0].issue_date == D(2027, 3, 1)


def test_price_increase_mid_period_is_an_adjustment_on_the_next_invoice(
    db_session, make_subscription
):
    subscription = make_subscription(start=D(2028, 2, 1), lines=[plan_line(price="29000")])
    billing.run(today=D(2028, 2, 1))
    line = subscription.lines[0]
    change = subscriptions.change_line(
        line, unit_price="58000", effective_on=D(2028, 2, 15), today=D(2028, 2, 10)
    )
    assert change.amount == Decimal(15000)  # 29,000 × 15 / 29 (Feb 15..29 of a leap February)
    billing.run(today=D(2028, 3, 1))
    second = invoices(db_session)[1]
    assert names(second) == [
        ("Renkei Cloud (2028-03-01–2028-03-31)", Decimal(58000), 1),
        ("Prorated changes (2028-02-01–2028-02-29)", Decimal(15000), 1),
    ]


def test_quantity_decrease_on_an_invoiced_period_is_a_credit_note_at_once(
    db_session, make_subscription
):
    subscription = make_subscription(start=D(2027, 4, 1), lines=[plan_line(price="1000", qty="30")])
    billing.run(today=D(2027, 4, 1))
    subscriptions.change_line(
        subscription.lines[0], quantity="20", effective_on=D(2027, 4, 21), today=D(2027, 4, 20)
    )
    (note,) = invoices(db_session, "credit_note")
    (invoice,) = invoices(db_session)
    assert note.source_id == invoice.id
    assert names(note) == [("Prorated credit (2027-04-01–2027-04-30)", Decimal(3333), 1)]
    assert note.total == Decimal(3333) + Decimal(333)  # tax rounded down by the issuer
    billing.run(today=D(2027, 5, 1))
    assert names(invoices(db_session)[1]) == [
        ("Renkei Cloud (2027-05-01–2027-05-31)", Decimal(1000), Decimal(20))
    ]


def test_a_change_on_the_first_day_of_an_unbilled_period_is_billed_in_full(
    db_session, make_subscription
):
    subscription = make_subscription(start=D(2027, 4, 1), lines=[plan_line(price="1000")])
    billing.run(today=D(2027, 4, 1))
    assert (
        subscriptions.change_line(
            subscription.lines[0],
            unit_price="1500",
            effective_on=D(2027, 5, 1),
            today=D(2027, 4, 2),
        )
        is None
    )
    billing.run(today=D(2027, 5, 1))
    assert names(invoices(db_session)[1])[0][1] == Decimal(1500)
    # the April invoice's line is unchanged, and a preview of April would still say 1,000
    assert subscriptions.values_at(subscription.lines[0], D(2027, 4, 1))[0] == Decimal(1000)


def test_changes_are_refused_in_the_past(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1))
    with pytest.raises(InvalidInput):
        subscriptions.change_line(
            subscription.lines[0], quantity="2", effective_on=D(2027, 4, 1), today=D(2027, 4, 2)
        )


def test_cancel_at_once_credits_the_unused_days(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1), lines=[plan_line(price="30000")])
    billing.run(today=D(2027, 4, 1))
    subscriptions.cancel(subscription, at_once=True, today=D(2027, 4, 21))
    (note,) = invoices(db_session, "credit_note")
    assert names(note)[0][1] == Decimal(10000)  # Apr 21..30: 10 of 30 days
    assert billing.run(today=D(2027, 6, 1)) == {}
    assert len(invoices(db_session)) == 1


def test_cancel_at_period_end_respects_the_notice(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1), notice_days=30)
    billing.run(today=D(2027, 4, 1))
    subscriptions.cancel(subscription, at_once=False, today=D(2027, 4, 10))
    assert subscription.ends_on == D(2027, 6, 1)  # May 1 is 21 days away: one more period
    assert billing.run(today=D(2027, 7, 1)) == {"billed": 1}
    assert [d.transaction_date for d in invoices(db_session)] == [D(2027, 4, 1), D(2027, 5, 1)]
    assert not invoices(db_session, "credit_note")


def test_renewal_by_decision(db_session, make_subscription):
    subscription = make_subscription(
        start=D(2027, 1, 1), renewal="decision", term_months=3, notice_days=14
    )
    assert subscriptions.decision_due(subscription) == D(2027, 3, 18)
    assert billing.run(today=D(2027, 5, 1)) == {"billed": 3}  # Jan, Feb, Mar: the term
    subscriptions.renew(subscription)
    assert subscription.renewed_until == D(2027, 7, 1)
    assert billing.run(today=D(2027, 5, 1)) == {"billed": 2}
    assert billing.run(today=D(2027, 8, 1)) == {"billed": 1}


def test_usage_is_billed_in_arrears_once(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1))
    billing.run(today=D(2027, 4, 1))
    sid = subscription.id
    assert (
        usage.import_rows(
            [
                {
                    "subscription": sid,
                    "metric": "API calls",
                    "date": "2027-04-03",
                    "quantity": "1000",
                    "unit_price": "0.5",
                },
                {
                    "subscription": sid,
                    "metric": "API calls",
                    "date": "2027-04-30",
                    "quantity": "500",
                    "unit_price": "0.5",
                },
            ],
            today=D(2027, 4, 30),
        )
        == 2
    )
    plan = billing.plan(D(2027, 5, 1))
    assert [c.period.start for c in plan] == [D(2027, 5, 1)]
    assert any("usage" in why for why in plan[0].why)
    billing.run(today=D(2027, 5, 1))
    assert names(invoices(db_session)[1])[1] == (
        "Usage: API calls (2027-04-03–2027-04-30)",
        Decimal("0.5"),
        Decimal(1500),
    )
    billing.run(today=D(2027, 6, 1))
    assert len(invoices(db_session)[2].lines) == 1


def test_usage_with_bad_rows_imports_nothing_and_names_each_row(db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1))
    text = (
        "\ufeffsubscription,metric,date,quantity,unit_price\n"
        f"{subscription.id},API calls,2027-04-03,10,1\n"
        f"{subscription.id},API calls,2027-04-31,10,1\n"
        f"{subscription.id},Storage,2027-04-04,-1,1\n"
        f"999999,Storage,2027-04-04,1,1\n"
        f"{subscription.id},API calls,2027-04-03,5,1\n"
    )
    rows = usage.read_csv(text.encode())
    with pytest.raises(usage.UsageRefused) as refused:
        usage.import_rows(rows, today=D(2027, 4, 30))
    problems = refused.value.problems
    assert [p.split(" ")[1] for p in problems] == ["2", "3", "4", "5"]
    assert "date" in problems[0] and "quantity" in problems[1] and "subscription" in problems[2]
    from app.models.subscriptions import SubscriptionUsage

    assert db_session.query(SubscriptionUsage).count() == 0
    good = usage.read_csv(text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n")
    assert usage.import_rows(good, today=D(2027, 4, 30)) == 1
    with pytest.raises(usage.UsageRefused, match="already imported"):
        usage.import_rows(good, today=D(2027, 4, 30))
    with pytest.raises(usage.UsageRefused, match="header"):
        usage.read_csv("sub,metric\n1,x\n")


def test_preview_writes_nothing(db_session, make_subscription):
    make_subscription(start=D(2027, 4, 1))
    first = billing.plan(D(2027, 6, 1))
    assert [c.period.start for c in first] == [D(2027, 4, 1), D(2027, 5, 1), D(2027, 6, 1)]
    assert not invoices(db_session)
    assert db_session.query(SubscriptionPeriod).count() == 0


def test_a_failure_rolls_the_period_back_and_the_next_run_bills_it(
    db_session, make_subscription, monkeypatch
):
    make_subscription(start=D(2027, 4, 1))
    real = billing._submit
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("SMTP down, disk full, anything")
        return real(*args, **kwargs)

    monkeypatch.setattr(billing, "_submit", failing)
    assert billing.run(today=D(2027, 4, 1)) == {"failed": 1}
    assert not invoices(db_session) and db_session.query(SubscriptionPeriod).count() == 0
    assert billing.run(today=D(2027, 4, 1)) == {"billed": 1}
    assert len(invoices(db_session)) == 1


def test_at_at_tokyo_helper():
    assert at_tokyo(D(2027, 1, 1), 0) == dt.datetime(2026, 12, 31, 15)


def test_a_cancelled_subscription_bills_its_last_usage_once_on_its_end_day(
    db_session, make_subscription
):
    subscription = make_subscription(start=D(2027, 4, 1), notice_days=0)
    billing.run(today=D(2027, 4, 1))
    subscriptions.cancel(subscription, at_once=False, today=D(2027, 4, 10))
    assert subscription.ends_on == D(2027, 5, 1)
    row = {"subscription": subscription.id, "metric": "API calls", "quantity": "10"}
    with pytest.raises(usage.UsageRefused, match="end"):
        usage.import_rows([{**row, "date": "2027-05-02", "unit_price": "3"}], today=D(2027, 5, 2))
    usage.import_rows([{**row, "date": "2027-04-20", "unit_price": "3"}], today=D(2027, 5, 2))
    assert billing.run(today=D(2027, 4, 30)) == {}  # not ended yet
    plan = billing.plan(D(2027, 5, 1))
    assert [(c.period.start, c.period.final) for c in plan] == [(D(2027, 5, 1), True)]
    assert billing.run(today=D(2027, 5, 1)) == {"billed": 1}
    closing = invoices(db_session)[-1]
    assert closing.transaction_date == D(2027, 5, 1) and closing.subtotal == 30
    assert len(closing.lines) == 1  # the usage, no plan line
    assert billing.run(today=D(2027, 6, 1)) == {}  # once
    assert len(invoices(db_session)) == 2
