"""The finance home page's figures: what waits for a person today and how money moves.

Every figure is one aggregated SQL statement (the page costs the same with ten invoices
or a hundred thousand); the view decides who sees which (rights) and turns them into
links. Dates are Tokyo's (``lifecycle.today_tokyo``), as for "overdue" everywhere.

Other features add their own "waiting" counts through ``WAITING_SOURCES`` (the reminders
feature registers "reminders due" there) without this module importing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.models.documents import ApprovalRequest, Document, Payment
from app.models.sync import SyncRun
from app.services.documents.lifecycle import OVERDUE_STATES, today_tokyo
from app.services.documents.receivables import month_bounds, open_condition
from app.services.money import round_money

# Overdue ages in days (inclusive bounds); the last has no upper bound.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
NOT_DUE = "not_due"
WEEKS_SHOWN = 8
FAILED_SYNC_DAYS = 7
_ISSUED = ("sent", "partially_paid", "paid")  # credit notes that count against an invoice


@dataclass
class Figure:
    """A count and an amount in one currency."""

    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass
class WaitingSource:
    """A count some feature adds to "what waits for me".

    ``count(session, user, today)`` answers an int (one aggregated statement), ``url()``
    the list behind it, ``right`` the (permission, resource) a reader needs to see it.
    """

    key: str
    label: object
    count: Callable
    url: Callable[[], str]
    right: tuple[str, str]


# Filled by the features that have something waiting (reminders due, …) at wiring time.
WAITING_SOURCES: list[WaitingSource] = []


@dataclass
class Ageing:
    """Open receivables per age bucket and currency: bucket → currency → Figure."""

    buckets: dict[str, dict[str, Figure]] = field(default_factory=dict)

    def figure(self, bucket: str, currency: str) -> Figure:
        return self.buckets.get(bucket, {}).get(currency, Figure())

    def currencies(self) -> list[str]:
        found = {c for per in self.buckets.values() for c in per}
        return sorted(found, key=lambda c: (c != "JPY", c))

    def overdue_count(self) -> int:
        return sum(f.count for b, per in self.buckets.items() if b != NOT_DUE for f in per.values())


def age_bounds(bucket: str, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """The due dates (earliest, latest; inclusive) of invoices ``bucket`` days overdue."""
    for key, low, high in AGE_BUCKETS:
        if key == bucket:
            earliest = today - dt.timedelta(days=high) if high is not None else None
            return earliest, today - dt.timedelta(days=low)
    raise KeyError(bucket)


def approvals_waiting(session, user) -> int:
    """Open approval requests someone else asked for (one's own is never decided by one)."""
    query = sa.select(sa.func.count(ApprovalRequest.id)).where(ApprovalRequest.decision.is_(None))
    user_id = getattr(user, "id", None)
    if user_id is not None:
        query = query.where(
            sa.or_(
                ApprovalRequest.requested_by_id.is_(None),
                ApprovalRequest.requested_by_id != user_id,
            )
        )
    return session.execute(query).scalar_one()


def _bucket_case(today: dt.date):
    overdue = sa.and_(Document.state.in_(OVERDUE_STATES), Document.due_date < today)
    whens = []
    for key, _low, high in AGE_BUCKETS:
        if high is None:
            whens.append((overdue, key))
        else:
            whens.append(
                (sa.and_(overdue, Document.due_date >= today - dt.timedelta(days=high)), key)
            )
    return sa.case(*whens, else_=NOT_DUE)


def ageing(session, today: dt.date | None = None) -> Ageing:
    """Open invoices (balance = total − payments − issued credit notes) by overdue age."""
    today = today or today_tokyo()
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
    bucket = _bucket_case(today).label("bucket")
    rows = session.execute(
        sa.select(bucket, Document.currency, sa.func.count(Document.id), sa.func.sum(balance))
        .outerjoin(paid, paid.c.document_id == Document.id)
        .outerjoin(credited, credited.c.source_id == Document.id)
        .where(open_condition())
        .group_by(bucket, Document.currency)
    ).all()
    result = Ageing()
    for key, currency, count, amount in rows:
        result.buckets.setdefault(key, {})[currency] = Figure(
            count, round_money(Decimal(amount or 0), currency)
        )
    return result


def failed_syncs(session, today: dt.date | None = None) -> int:
    """Sync runs that failed in the last FAILED_SYNC_DAYS days."""
    return session.execute(
        sa.select(sa.func.count(SyncRun.id)).where(
            SyncRun.status == "failed", SyncRun.queued_at >= failed_since(today)
        )
    ).scalar_one()


def failed_since(today: dt.date | None = None) -> dt.datetime:
    """The start (naive UTC, as stored) of the window of failed runs counted."""
    day = (today or today_tokyo()) - dt.timedelta(days=FAILED_SYNC_DAYS)
    return dt.datetime.combine(day, dt.time()) - dt.timedelta(hours=9)  # Tokyo midnight


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def payments_by_week(
    session, today: dt.date | None = None, weeks: int = WEEKS_SHOWN
) -> tuple[list[dt.date], dict[str, list[Decimal]]]:
    """Cash collected per week (Monday–Sunday, the last ``weeks`` weeks) per currency."""
    today = today or today_tokyo()
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    starts = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    rows = session.execute(
        sa.select(Payment.paid_on, Document.currency, sa.func.sum(Payment.amount))
        .join(Document, Document.id == Payment.document_id)
        .where(Payment.paid_on >= first, Payment.paid_on <= today)
        .group_by(Payment.paid_on, Document.currency)
    ).all()
    per: dict[str, list[Decimal]] = {}
    for paid_on, currency, amount in rows:
        index = (week_start(paid_on) - first).days // 7
        values = per.setdefault(currency, [Decimal(0)] * weeks)
        values[index] += Decimal(amount)
    for currency, values in per.items():
        per[currency] = [round_money(v, currency) for v in values]
    return starts, per


def payments_this_month(session, today: dt.date | None = None) -> dict[str, Figure]:
    """Payments received this month (Tokyo): count and amount per currency."""
    start, end = month_bounds(today or today_tokyo())
    rows = session.execute(
        sa.select(Document.currency, sa.func.count(Payment.id), sa.func.sum(Payment.amount))
        .join(Document, Document.id == Payment.document_id)
        .where(Payment.paid_on >= start, Payment.paid_on < end)
        .group_by(Document.currency)
    ).all()
    return {
        currency: Figure(count, round_money(Decimal(amount or 0), currency))
        for currency, count, amount in rows
    }
