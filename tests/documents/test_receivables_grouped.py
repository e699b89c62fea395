"""Receivables grouped by the database, on PostgreSQL and SQLite: the sums and ageing
buckets against figures computed here from the raw rows, a fixed number of statements
whatever the number of invoices, and pages and sorts that add up to the whole."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from app.models.crm import Company
from app.models.documents import Document, Payment
from app.services.documents.lifecycle import OPEN_STATES, OVERDUE_STATES, today_tokyo
from app.services.documents.receivables import month_bounds, summary
from app.services.money import round_money
from tests.bench.receivables_data import seed
from tests.test_statement_counts import counting

TODAY = dt.date(2026, 12, 2)


def _bucket(days: int | None) -> str:
    if days is None or days <= 0:
        return "current"
    if days <= 30:
        return "days_1_30"
    if days <= 60:
        return "days_31_60"
    return "days_61_90" if days <= 90 else "days_over_90"


def _expected(session, today):
    """Per (company name, currency): open, overdue, paid this month, buckets — in Python."""
    start, end = month_bounds(today)
    names = {c.id: c.name for c in session.query(Company).all()}
    documents = session.query(Document).all()
    paid = defaultdict(Decimal)
    for payment in session.query(Payment).all():
        paid[payment.document_id] += payment.amount
    credited = defaultdict(Decimal)
    for d in documents:
        if d.kind == "credit_note" and d.state in ("sent", "partially_paid", "paid"):
            credited[d.source_id] += d.total
    figures = defaultdict(lambda: {"open": Decimal(0), "overdue": Decimal(0), "paid": Decimal(0)})
    for d in documents:
        if d.kind != "invoice" or d.state not in OPEN_STATES:
            continue
        owed = d.total - paid[d.id] - credited[d.id]
        if owed <= 0:
            continue
        key = (names[d.company_id], d.currency)
        late = d.state in OVERDUE_STATES and d.due_date is not None and d.due_date < today
        days = (today - d.due_date).days if late else None
        figures[key]["open"] += owed
        figures[key]["overdue"] += owed if late else 0
        figures[key].setdefault(_bucket(days), Decimal(0))
        figures[key][_bucket(days)] += owed
    by_id = {d.id: d for d in documents}
    for payment in session.query(Payment).all():
        if start <= payment.paid_on < end:
            d = by_id[payment.document_id]
            figures[(names[d.company_id], d.currency)]["paid"] += payment.amount
    return {
        key: {name: round_money(value, key[1]) for name, value in values.items()}
        for key, values in figures.items()
    }


def _got(rows):
    got = {}
    for r in rows:
        values = {"open": r.open_balance, "overdue": r.overdue_balance, "paid": r.paid_this_month}
        values.update({k: v for k, v in r.ageing.items() if v})
        got[(r.company, r.currency)] = values
    return got


def test_sums_and_buckets_match_the_rows(any_session):
    seed(any_session, companies=12, documents=400, today=TODAY)
    result = summary(any_session, TODAY, page_size=None)
    expected = _expected(any_session, TODAY)
    assert _got(result.rows) == {
        k: {n: v for n, v in e.items() if v or n in ("open", "overdue", "paid")}
        for k, e in expected.items()
    }
    # every bucket holds money in this data set, and the buckets add up to the open balance
    assert all(sum(t.ageing.values()) == t.open_balance for t in result.totals)
    assert all(all(t.ageing.values()) for t in result.totals)
    for currency in ("JPY", "USD"):
        total = next(t for t in result.totals if t.currency == currency)
        rows = [r for r in result.rows if r.currency == currency]
        assert total.open_balance == sum(r.open_balance for r in rows)
        assert total.overdue_balance == sum(r.overdue_balance for r in rows)
        assert total.paid_this_month == sum(r.paid_this_month for r in rows) > 0
    assert result.count == len(result.rows) == len(expected)


def test_statements_fixed_whatever_the_rows(any_session):
    seed(any_session, companies=5, documents=20, today=TODAY, prefix="S")
    with counting() as small:
        summary(any_session, TODAY)
    seed(any_session, companies=60, documents=1500, today=TODAY, prefix="L")
    with counting() as large:
        result = summary(any_session, TODAY)
    assert len(small) == len(large) == 1  # the page and the totals in one statement
    assert len(result.rows) == 50 and result.count > 50


@pytest.mark.parametrize(
    "sort, key",
    [
        ("company", lambda r: (r.company, r.currency)),
        ("open", lambda r: r.open_balance),
        ("overdue", lambda r: r.overdue_balance),
        ("oldest_due", lambda r: r.oldest_due),
    ],
)
def test_pages_in_each_sort_add_up_to_the_whole(any_session, sort, key):
    seed(any_session, companies=30, documents=300, today=TODAY)
    whole = summary(any_session, TODAY, page_size=None)
    for descending in (False, True):
        rows = []
        for page in range(4):
            rows += summary(
                any_session, TODAY, page=page, page_size=8, sort=sort, descending=descending
            ).rows
        assert len(rows) == whole.count
        assert {(r.company, r.currency) for r in rows} == {
            (r.company, r.currency) for r in whole.rows
        }
        values = [key(r) for r in rows if key(r) is not None]
        assert values == sorted(values, reverse=descending)


def test_page_shows_buckets_and_sorts(admin_client, db_session):
    seed(db_session, companies=60, documents=600, today=today_tokyo())
    admin_client.get("/lang/en")
    page = admin_client.get("/receivables/?sort=overdue&desc=1&psize=20").get_data(as_text=True)
    assert page.count('class="receivable-row') == 20
    count = summary(db_session).count
    assert 40 < count <= 60
    assert "31–60 days" in page and "Over 90 days" in page and "Page 1 of 3" in page
    assert 'rel="next"' in page and "sort=oldest_due" in page
    last = admin_client.get("/receivables/?sort=overdue&desc=1&psize=20&page=2")
    last = last.get_data(as_text=True)
    assert last.count('class="receivable-row') == count - 40 and 'rel="next"' not in last
