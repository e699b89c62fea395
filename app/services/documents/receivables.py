"""Receivables: what customers still owe, per company and currency, and the list filters
that select open and overdue invoices the same way the summary counts them.

A balance is total − payments − issued credit notes (as payments.balance), computed here
in SQL for every open invoice at once.
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


@dataclass
class Receivables:
    """The summary: rows per company and currency, and totals per currency."""

    rows: list[ReceivableRow] = field(default_factory=list)
    totals: list[ReceivableRow] = field(default_factory=list)
    month_start: dt.date | None = None


def _open_balances(session, today: dt.date):
    paid = (
        sa.select(Payment.document_id, sa.func.sum(Payment.amount).label("paid"))
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
    query = (
        sa.select(
            Document.company_id,
            Company.name,
            Document.currency,
            balance.label("balance"),
            overdue_condition(today).label("overdue"),
        )
        .join(Company, Company.id == Document.company_id)
        .outerjoin(paid, paid.c.document_id == Document.id)
        .outerjoin(credited, credited.c.source_id == Document.id)
        .where(open_condition())
    )
    return session.execute(query).all()


def _paid_in(session, start: dt.date, end: dt.date):
    query = (
        sa.select(
            Document.company_id,
            Company.name,
            Document.currency,
            sa.func.sum(Payment.amount),
        )
        .join(Document, Document.id == Payment.document_id)
        .join(Company, Company.id == Document.company_id)
        .where(Payment.paid_on >= start, Payment.paid_on < end)
        .group_by(Document.company_id, Company.name, Document.currency)
    )
    return session.execute(query).all()


def summary(session, today: dt.date | None = None) -> Receivables:
    """Open and overdue balances and payments received this month, per company and currency."""
    today = today or today_tokyo()
    start, end = month_bounds(today)
    rows: dict[tuple[int, str], ReceivableRow] = {}

    def row(company_id, name, currency) -> ReceivableRow:
        return rows.setdefault((company_id, currency), ReceivableRow(company_id, name, currency))

    for company_id, name, currency, balance, overdue in _open_balances(session, today):
        balance = Decimal(balance)
        if balance <= 0:
            continue
        target = row(company_id, name, currency)
        target.open_balance += balance
        target.open_invoices += 1
        if overdue:
            target.overdue_balance += balance
            target.overdue_invoices += 1
    for company_id, name, currency, amount in _paid_in(session, start, end):
        row(company_id, name, currency).paid_this_month += Decimal(amount)

    totals: dict[str, ReceivableRow] = {}
    for item in rows.values():
        for name in ("open_balance", "overdue_balance", "paid_this_month"):
            setattr(item, name, round_money(getattr(item, name), item.currency))
        total = totals.setdefault(item.currency, ReceivableRow(0, "", item.currency))
        total.open_balance += item.open_balance
        total.overdue_balance += item.overdue_balance
        total.paid_this_month += item.paid_this_month
        total.open_invoices += item.open_invoices
        total.overdue_invoices += item.overdue_invoices
    ordered = sorted(rows.values(), key=lambda r: (r.company, r.currency))
    return Receivables(ordered, [totals[c] for c in sorted(totals)], start)
