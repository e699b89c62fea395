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


def balance_of(document=Document):
    """What is still owed on each row of ``document`` (an invoice): total − payments −
    issued credit notes, as correlated subqueries (a CSV's balance column)."""
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
        .where(Payment.document_id == document.id)
        .scalar_subquery()
    )
    credit = aliased(Document)
    credited = (
        sa.select(sa.func.coalesce(sa.func.sum(credit.total), 0))
        .where(
            credit.source_id == document.id,
            credit.kind == "credit_note",
            credit.state.in_(_ISSUED),
        )
        .scalar_subquery()
    )
    return sa.type_coerce(document.total - paid - credited, sa.Numeric(18, 4))


def display_state_of(document=Document, today: dt.date | None = None):
    """The state as the list shows it: "overdue" for a sent or partly paid invoice past
    its due date (Tokyo), else the stored state."""
    return sa.case((overdue_condition(today), "overdue"), else_=document.state)


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


def _bucket_of(due, today: dt.date):
    """The ageing bucket's index (0 current … 4 over 90 days) of a due date, compared as
    dates (the same on every database, no date arithmetic in SQL)."""
    whens = [(sa.or_(due.is_(None), due >= today), 0)]
    for index, (_name, _first, last) in enumerate(BUCKETS[1:-1], start=1):
        whens.append((due >= today - dt.timedelta(days=last), index))
    return sa.case(*whens, else_=len(BUCKETS) - 1)


def _by_bucket(today: dt.date):
    """Per company, currency and ageing bucket: the open invoices with money owed (their
    balance, number, oldest due date); and per company and currency (bucket NULL) the
    payments received this month. Each part is grouped where its rows are read, so only
    the groups (thousands, not the invoices) are put together."""
    start, end = month_bounds(today)
    # What settled each invoice: its payments and its issued credit notes, summed in one
    # grouping (one hash join to the invoices instead of two).
    credit = aliased(Document)
    settling = sa.union_all(
        sa.select(Payment.document_id.label("invoice_id"), Payment.amount.label("amount")),
        sa.select(credit.source_id, credit.total).where(
            credit.kind == "credit_note", credit.state.in_(_ISSUED), credit.source_id.isnot(None)
        ),
    ).subquery("settling")
    settled = (
        sa.select(settling.c.invoice_id, sa.func.sum(settling.c.amount).label("settled"))
        .group_by(settling.c.invoice_id)
        .subquery("settled")
    )
    balance = Document.total - sa.func.coalesce(settled.c.settled, 0)
    # Only a sent or partly paid invoice ages; a disputed one stays "current".
    due = sa.case((Document.state.in_(OVERDUE_STATES), Document.due_date))
    owed_rows = (
        sa.select(
            Document.company_id.label("company_id"),
            Document.currency.label("currency"),
            _bucket_of(due, today).label("bucket"),
            balance.label("balance"),
            Document.due_date.label("due_date"),
        )
        .outerjoin(settled, settled.c.invoice_id == Document.id)
        .where(open_condition(), balance > 0)
        .subquery("owed_rows")
    )
    zero = sa.literal(0, sa.Numeric(18, 4))
    owed = sa.select(
        owed_rows.c.company_id,
        owed_rows.c.currency,
        owed_rows.c.bucket,
        sa.func.sum(owed_rows.c.balance).label("balance"),
        sa.func.count().label("invoices"),
        sa.func.min(owed_rows.c.due_date).label("oldest_due"),
        zero.label("paid_now"),
    ).group_by(owed_rows.c.company_id, owed_rows.c.currency, owed_rows.c.bucket)
    # This month's payments are few: their invoice's company and currency are looked up
    # by its key per payment (a join would read every document to find them).
    paid_to = aliased(Document)

    def of_invoice(column):
        return sa.select(column).where(paid_to.id == Payment.document_id).scalar_subquery()

    company, currency = of_invoice(paid_to.company_id), of_invoice(paid_to.currency)
    received = (
        sa.select(
            company,
            currency,
            sa.null(),
            sa.null(),
            sa.literal(0),
            sa.null(),
            sa.func.sum(Payment.amount),
        )
        .where(Payment.paid_on >= start, Payment.paid_on < end)
        .group_by(company, currency)
    )
    return sa.union_all(owed, received).subquery("by_bucket")


def _grouped(by_bucket):
    """Per company and currency, the columns named as ReceivableRow's fields: the few
    rows per company of ``by_bucket`` spread into columns."""
    late = by_bucket.c.bucket > 0

    def total(column, condition=None):
        value = column if condition is None else sa.case((condition, column))
        return sa.func.coalesce(sa.func.sum(value), 0)

    columns = [
        total(by_bucket.c.balance).label("open_balance"),
        total(by_bucket.c.balance, late).label("overdue_balance"),
        total(by_bucket.c.paid_now).label("paid_this_month"),
        total(by_bucket.c.invoices).label("open_invoices"),
        total(by_bucket.c.invoices, late).label("overdue_invoices"),
        sa.func.min(by_bucket.c.oldest_due).label("oldest_due"),
    ]
    for index, (name, _first, _last) in enumerate(BUCKETS):
        columns.append(total(by_bucket.c.balance, by_bucket.c.bucket == index).label(name))
    return (
        sa.select(by_bucket.c.company_id, by_bucket.c.currency, *columns)
        .group_by(by_bucket.c.company_id, by_bucket.c.currency)
        .cte("grouped")
    )


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


def _totals_figures(figures) -> list:
    """The per-currency totals of the grouped ``figures`` columns, in their order."""
    return [
        (sa.func.min(c) if c.name == "oldest_due" else sa.func.sum(c)).label(c.name)
        for c in figures
    ]


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
    currency, and the totals per currency of every company: ONE statement whatever the
    number of invoices. The database groups the invoices once (a CTE), numbers the
    groups in the asked order, and returns the page's groups and the totals together.

    ``sort``: company, open, overdue or oldest_due; ``page_size=None``: every row."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    today = today or today_tokyo()
    grouped = _grouped(_by_bucket(today))
    order = {
        "company": Company.name,
        "open": grouped.c.open_balance,
        "overdue": grouped.c.overdue_balance,
        "oldest_due": grouped.c.oldest_due,
    }[sort]
    order = order.desc() if descending else order.asc()
    if sort == "oldest_due":  # companies with nothing due last, whichever the direction
        order = order.nulls_last()
    figures = [c for c in grouped.c if c.name not in ("company_id", "currency")]
    numbered = (
        sa.select(
            grouped.c.company_id,
            Company.name.label("company"),
            grouped.c.currency,
            *figures,
            sa.func.row_number()
            .over(order_by=(order, Company.name, grouped.c.currency, grouped.c.company_id))
            .label("position"),
            sa.literal(0).label("rows"),
        )
        .join(Company, Company.id == grouped.c.company_id)
        .subquery("numbered")
    )
    shown = sa.select(numbered)
    if page_size:
        first = max(page, 0) * page_size
        shown = shown.where(numbered.c.position > first, numbered.c.position <= first + page_size)
    totals = sa.select(
        sa.null().label("company_id"),
        sa.null().label("company"),
        grouped.c.currency,
        *_totals_figures(figures),
        sa.null().label("position"),
        sa.func.count().label("rows"),
    ).group_by(grouped.c.currency)
    both = sa.union_all(shown, totals).subquery("both")
    query = sa.select(both).order_by(both.c.company_id.is_(None), both.c.position, both.c.currency)
    rows, sums, count = [], [], 0
    for record in session.execute(query):
        if record.company_id is None:  # a currency's totals, and its number of rows
            sums.append(_row(record))
            count += record.rows
        else:
            rows.append(_row(record, record.company_id, record.company))
    return Receivables(
        rows=rows,
        totals=sums,
        month_start=month_bounds(today)[0],
        count=count,
        page=page,
        page_size=page_size or len(rows),
        sort=sort,
        descending=descending,
    )
