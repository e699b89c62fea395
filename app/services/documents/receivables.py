"""Receivables: what customers still owe, per company and currency, and the list filters
that select open and overdue invoices the same way the summary counts them.

A balance is total − payments − issued credit notes (as payments.balance), computed here
in SQL for every open invoice at once; the database groups the balances per company and
currency (with the ageing buckets in Tokyo days) and returns one page of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.models.crm import Company
from app.models.documents import DOCUMENT_STATES, Document, Payment
from app.services.documents.lifecycle import OPEN_STATES, OVERDUE_STATES, today_tokyo
from app.services.money import round_money

# Credit notes count against their invoice once issued (as payments.credited).
_ISSUED = ("sent", "partially_paid", "paid")


def open_condition():
    """An invoice that is still owed money (sent, partially paid or disputed)."""
    return sa.and_(Document.kind == "invoice", Document.state.in_(OPEN_STATES))


def overdue_condition(today: dt.date | None = None):
    """A sent or partially paid invoice whose due date (in Tokyo) has passed."""
    return sa.and_(
        Document.kind == "invoice",
        Document.state.in_(OVERDUE_STATES),
        Document.due_date < (today or today_tokyo()),
    )


def state_condition(value: str, today: dt.date | None = None):
    """The list filter on state: a stored state, or "open" / "overdue" (derived)."""
    if value == "overdue":
        return overdue_condition(today)
    if value == "open":
        return open_condition()
    if value in DOCUMENT_STATES:
        return Document.state == value
    return sa.false()


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of ``today``'s month and of the next one."""
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


#: The ageing buckets: days overdue (Tokyo dates), first and last day of each.
BUCKETS = (
    ("current", None, 0),
    ("days_1_30", 1, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("days_over_90", 91, None),
)
#: What the summary may be sorted by: name → the grouped column.
SORTS = ("company", "open", "overdue", "oldest_due")
DEFAULT_PAGE_SIZE = 50


@dataclass
class ReceivableRow:
    """One company in one currency: what is open, what of it is overdue, what came in."""

    company_id: int
    company: str
    currency: str
    open_balance: Decimal = Decimal(0)
    overdue_balance: Decimal = Decimal(0)
    paid_this_month: Decimal = Decimal(0)
    open_invoices: int = 0
    overdue_invoices: int = 0
    oldest_due: dt.date | None = None
    #: bucket name → open balance in it (current, days_1_30 … days_over_90)
    ageing: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Receivables:
    """One page of the summary: rows per company and currency, totals per currency (of
    every company, not only the page's), and how many rows there are in all."""

    rows: list[ReceivableRow] = field(default_factory=list)
    totals: list[ReceivableRow] = field(default_factory=list)
    month_start: dt.date | None = None
    count: int = 0
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "company"
    descending: bool = False


def _bucket_condition(due, today: dt.date, first: int | None, last: int | None):
    """Due ``first``…``last`` days before ``today`` (bounds as dates: the same on every
    database, no date arithmetic in SQL)."""
    if first is None:  # current: not yet due, or no due date
        return sa.or_(due.is_(None), due >= today)
    parts = [due <= today - dt.timedelta(days=first)]
    if last is not None:
        parts.append(due >= today - dt.timedelta(days=last))
    return sa.and_(*parts)


def _entries(today: dt.date):
    """One row per open invoice with money owed (its balance, due date, whether it can
    be overdue) and one per payment received this month: the rows the summary groups."""
    start, end = month_bounds(today)
    paid = (
        sa.select(Payment.document_id, sa.func.sum(Payment.amount).label("paid"))
        .join(Document, Document.id == Payment.document_id)
        .where(open_condition())
        .group_by(Payment.document_id)
        .subquery()
    )
    credit = aliased(Document)
    credited = (
        sa.select(credit.source_id, sa.func.sum(credit.total).label("credited"))
        .where(credit.kind == "credit_note", credit.state.in_(_ISSUED))
        .group_by(credit.source_id)
        .subquery()
    )
    balance = (
        Document.total - sa.func.coalesce(paid.c.paid, 0) - sa.func.coalesce(credited.c.credited, 0)
    )
    zero = sa.literal(0, sa.Numeric(18, 4))
    owed = (
        sa.select(
            Document.company_id.label("company_id"),
            Document.currency.label("currency"),
            balance.label("balance"),
            sa.case((Document.state.in_(OVERDUE_STATES), Document.due_date)).label("due"),
            Document.due_date.label("due_date"),
            zero.label("paid_now"),
        )
        .outerjoin(paid, paid.c.document_id == Document.id)
        .outerjoin(credited, credited.c.source_id == Document.id)
        .where(open_condition(), balance > 0)
    )
    received = (
        sa.select(
            Document.company_id,
            Document.currency,
            sa.null(),
            sa.null(),
            sa.null(),
            Payment.amount,
        )
        .join(Document, Document.id == Payment.document_id)
        .where(Payment.paid_on >= start, Payment.paid_on < end)
    )
    return sa.union_all(owed, received).subquery("entries")


def _figures(entries, today: dt.date) -> list:
    """The grouped columns, named as ReceivableRow's fields."""
    owed = entries.c.balance.isnot(None)
    overdue = entries.c.due < today

    def sum_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, entries.c.balance))), 0)

    def count_if(condition):
        return sa.func.count(sa.case((condition, 1)))

    columns = [
        sa.func.coalesce(sa.func.sum(entries.c.balance), 0).label("open_balance"),
        sum_if(overdue).label("overdue_balance"),
        sa.func.coalesce(sa.func.sum(entries.c.paid_now), 0).label("paid_this_month"),
        count_if(owed).label("open_invoices"),
        count_if(overdue).label("overdue_invoices"),
        sa.func.min(entries.c.due_date).label("oldest_due"),
    ]
    for name, first, last in BUCKETS:
        columns.append(
            sum_if(sa.and_(owed, _bucket_condition(entries.c.due, today, first, last))).label(name)
        )
    return columns


def _row(record, company_id=0, company="") -> ReceivableRow:
    currency = record.currency
    row = ReceivableRow(
        company_id,
        company,
        currency,
        round_money(Decimal(record.open_balance), currency),
        round_money(Decimal(record.overdue_balance), currency),
        round_money(Decimal(record.paid_this_month), currency),
        record.open_invoices,
        record.overdue_invoices,
        record.oldest_due,
    )
    row.ageing = {
        name: round_money(Decimal(getattr(record, name)), currency) for name, _f, _l in BUCKETS
    }
    return row


def summary(
    session,
    today: dt.date | None = None,
    *,
    page: int = 0,
    page_size: int | None = DEFAULT_PAGE_SIZE,
    sort: str = "company",
    descending: bool = False,
) -> Receivables:
    """One page of open, overdue (with its ageing) and paid-this-month per company and
    currency, grouped by the database: two statements whatever the number of invoices
    (the page with the number of rows in all, and the totals per currency).

    ``sort``: company, open, overdue or oldest_due; ``page_size=None``: every row."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    today = today or today_tokyo()
    entries = _entries(today)
    figures = _figures(entries, today)
    grouped = (
        sa.select(entries.c.company_id, entries.c.currency, *figures)
        .group_by(entries.c.company_id, entries.c.currency)
        .subquery("grouped")
    )
    order = {
        "company": Company.name,
        "open": grouped.c.open_balance,
        "overdue": grouped.c.overdue_balance,
        "oldest_due": grouped.c.oldest_due,
    }[sort]
    order = order.desc() if descending else order.asc()
    if sort == "oldest_due":  # companies with nothing due last, whichever the direction
        order = order.nulls_last()
    query = (
        sa.select(grouped, Company.name.label("company"), sa.func.count().over().label("rows"))
        .join(Company, Company.id == grouped.c.company_id)
        .order_by(order, Company.name, grouped.c.currency, grouped.c.company_id)
    )
    if page_size:
        query = query.limit(page_size).offset(max(page, 0) * page_size)
    records = session.execute(query).all()
    totals_query = (
        sa.select(entries.c.currency, *figures)
        .group_by(entries.c.currency)
        .order_by(entries.c.currency)
    )
    totals = [_row(record) for record in session.execute(totals_query).all()]
    return Receivables(
        rows=[_row(r, r.company_id, r.company) for r in records],
        totals=totals,
        month_start=month_bounds(today)[0],
        count=records[0].rows if records else 0,
        page=page,
        page_size=page_size or len(records),
        sort=sort,
        descending=descending,
    )
