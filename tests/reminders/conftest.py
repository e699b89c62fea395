"""Fixtures for reminder tests: the documents' fixtures (issuer, sample CRM, users, a
real SMTP sink on loopback) and sent invoices with a due date."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.documents import approvals, issuing, lifecycle
from tests.documents.conftest import entity, line, mail, sample, sink, users  # noqa: F401

DUE = dt.date(2026, 12, 10)


def at_tokyo(day: dt.date, hour: int = 10) -> dt.datetime:
    """A naive UTC moment that is ``hour`` o'clock on ``day`` in Tokyo."""
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=9)


def on(days: int, due: dt.date = DUE) -> dt.datetime:
    """10:00 in Tokyo, ``days`` after ``due``."""
    return at_tokyo(due + dt.timedelta(days=days))


def make_invoice(company, people, session, due=DUE, email="keiri@sakura.example", price="100000"):
    """A sent invoice of ``company``, due on ``due``, mailed to ``email``."""
    invoice = issuing.new_document(
        "invoice",
        company,
        lines=[line(price=price)],
        recipient_email=email,
        due_date=due,
        issue_date=due - dt.timedelta(days=30),
    )
    approvals.submit(invoice, people["accounting"])
    lifecycle.move(invoice, "sent")
    session.commit()
    return invoice


@pytest.fixture()
def invoice(db_session, sample, entity, users):  # noqa: F811
    return make_invoice(sample["sakura"], users, db_session)
