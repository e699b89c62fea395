"""The receivables summary against figures computed here from the raw rows: open balance
(total − payments − issued credit notes), overdue balance (due before today in Tokyo),
payments received this month; and the page with links to the filtered invoices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from app.models.documents import Document, Payment
from app.services.documents import issuing, payments
from app.services.documents.lifecycle import OPEN_STATES, today_tokyo
from app.services.documents.receivables import month_bounds, summary
from tests.documents.conftest import line


def _send(document, db_session):
    document.state = "approved"
    db_session.commit()
    document.state = "sent"
    db_session.commit()
    return document


def _invoice(company, db_session, price, days_ago=0, due_in=30, currency="JPY"):
    issued = today_tokyo() - dt.timedelta(days=days_ago)
    document = issuing.new_document(
        "invoice",
        company,
        lines=[line(price=price)],
        issue_date=issued,
        due_date=issued + dt.timedelta(days=due_in),
        currency=currency,
    )
    return _send(document, db_session)


def _expected(db_session, today):
    """The summary computed independently, straight from the rows."""
    start, end = month_bounds(today)
    figures = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    documents = db_session.query(Document).all()
    for invoice in (d for d in documents if d.kind == "invoice"):
        key = (invoice.company.name, invoice.currency)
        if invoice.state in OPEN_STATES:
            credited = sum(
                (
                    d.total
                    for d in documents
                    if d.source_id == invoice.id
                    and d.kind == "credit_note"
                    and d.state in ("sent", "partially_paid", "paid")
                ),
                Decimal(0),
            )
            owed = invoice.total - sum((p.amount for p in invoice.payments), 0) - credited
            if owed > 0:
                figures[key][0] += owed
                if invoice.due_date < today:
                    figures[key][1] += owed
    for payment in db_session.query(Payment).all():
        if start <= payment.paid_on < end:
            document = payment.document
            figures[(document.company.name, document.currency)][2] += payment.amount
    return {key: tuple(values) for key, values in figures.items()}


def test_summary_matches_an_independent_computation(sample, entity, db_session, admin_client):
    sakura, acme = sample["sakura"], sample["acme"]
    today = today_tokyo()
    fresh = _invoice(sakura, db_session, "100000")  # ¥110,000 open
    late = _invoice(sakura, db_session, "200000", days_ago=60)  # ¥220,000 overdue
    payments.record_payment(late, Decimal(20000), today, user=None)
    credited = _invoice(sakura, db_session, "50000", days_ago=40)  # overdue, credited 11,000
    credit = issuing.credit_note_for(credited)
    credit.lines[0].unit_price = Decimal(10000)
    db_session.commit()
    _send(credit, db_session)
    paid = _invoice(acme, db_session, "1000.50", days_ago=5, currency="USD")
    payments.record_payment(paid, paid.total, today, user=None)
    old_pay = _invoice(acme, db_session, "300", days_ago=90, currency="USD")
    last_month = month_bounds(today)[0] - dt.timedelta(days=1)
    payments.record_payment(old_pay, Decimal(100), last_month, user=None)
    issuing.new_document("invoice", sakura, lines=[line(price="999")])  # a draft: not owed

    result = summary(db_session, today)
    got = {
        (r.company, r.currency): (r.open_balance, r.overdue_balance, r.paid_this_month)
        for r in result.rows
    }
    assert got == _expected(db_session, today)
    assert got[(sakura.name, "JPY")] == (
        Decimal(110000 + 200000 + 44000),
        Decimal(200000 + 44000),
        Decimal(20000),
    )
    assert fresh.number and paid.state == "paid"
    totals = {t.currency: t for t in result.totals}
    assert totals["USD"].paid_this_month == Decimal("1100.55")
    assert totals["USD"].overdue_balance == Decimal("230")  # 330 − 100 paid last month

    html = admin_client.get("/receivables/").get_data(as_text=True)
    assert sakura.name in html and "354,000" in html and "244,000" in html
    assert f"_flt_0_company={sakura.id}" in html and "_flt_0_state=overdue" in html
    overdue = admin_client.get(
        f"/invoices/list/?_flt_0_state=overdue&_flt_0_company={sakura.id}&_flt_0_currency=JPY"
    ).get_data(as_text=True)
    assert late.number in overdue and credited.number in overdue and fresh.number not in overdue
