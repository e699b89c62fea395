"""Receivables rows written in bulk (Core inserts, no flush rules): companies, invoices
in every state with payments and issued credit notes, spread over the ageing buckets.
Used by the receivables benchmark and its tests; the figures are deterministic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from app.models.crm import Company
from app.models.documents import Document, LegalEntity, Payment

STATES = ("draft", "sent", "partially_paid", "paid", "disputed", "void", "sent", "approved")
BATCH = 5_000


def _insert(session, table, rows) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(table.insert(), rows[start : start + BATCH])


def seed(session, companies: int, documents: int, today: dt.date, prefix: str = "R") -> None:
    """``companies`` companies and ``documents`` invoices (one in ten with a credit note,
    issued or draft), partly paid this month and before; committed."""
    entity = session.execute(
        LegalEntity.__table__.insert().values(name=f"{prefix} 発行元", number_prefix=f"{prefix}-"),
    ).inserted_primary_key[0]
    _insert(
        session,
        Company.__table__,
        [
            {"code": f"{prefix}{n:06d}", "name": f"株式会社{prefix}{(n * 7919) % companies:06d}"}
            for n in range(companies)
        ],
    )
    company_ids = [
        row.id
        for row in session.execute(
            sa.select(Company.id).where(Company.code.like(f"{prefix}%")).order_by(Company.code)
        )
    ]
    invoices = []
    for n in range(documents):
        company = n % companies
        usd = company % 7 == 3
        total = Decimal(1000 + (n * 37) % 99_000) + (Decimal("0.55") if usd else 0)
        invoices.append(
            {
                "kind": "invoice",
                "number": f"{prefix}-{n:07d}",
                "state": STATES[n % len(STATES)],
                "legal_entity_id": entity,
                "company_id": company_ids[company],
                "recipient_name": "御中",
                "currency": "USD" if usd else "JPY",
                "issue_date": today - dt.timedelta(days=150),
                "due_date": None if n % 23 == 0 else today + dt.timedelta(days=40 - (n * 13) % 200),
                "subtotal": total,
                "tax": 0,
                "total": total,
            }
        )
    _insert(session, Document.__table__, invoices)
    rows = session.execute(
        sa.select(Document.id, Document.total, Document.state, Document.company_id)
        .where(Document.number.like(f"{prefix}-%"), Document.kind == "invoice")
        .order_by(Document.id)
    ).all()
    payments, credits = [], []
    month_start = today.replace(day=1)
    for n, row in enumerate(rows):
        if row.state in ("partially_paid", "paid", "sent") and n % 3 == 0:
            part = (row.total / 3).quantize(Decimal(1))  # whole yen: no rounding in sums
            paid_on = today if n % 2 else month_start - dt.timedelta(days=3)
            payments.append({"document_id": row.id, "paid_on": paid_on, "amount": part})
        if n % 10 == 4:
            credits.append(
                {
                    "kind": "credit_note",
                    "number": f"{prefix}-C{n:07d}",
                    "state": "sent" if n % 20 == 4 else "draft",
                    "legal_entity_id": entity,
                    "company_id": row.company_id,
                    "recipient_name": "御中",
                    "source_id": row.id,
                    "currency": "JPY",
                    "issue_date": today,
                    "subtotal": row.total / 10,
                    "tax": 0,
                    "total": (row.total / 10).quantize(Decimal(1)),
                }
            )
    _insert(session, Payment.__table__, payments)
    _insert(session, Document.__table__, credits)
    session.commit()
