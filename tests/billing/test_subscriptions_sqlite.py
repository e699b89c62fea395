"""The billing run on both databases (the demo runs on SQLite): once per period, a credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models.crm import Company
from app.models.documents import Document, LegalEntity
from app.services.billing import run as billing
from app.services.billing import subscriptions
from tests.billing.conftest import plan_line

pytestmark = pytest.mark.usefixtures("english")

D = dt.date


def test_run_and_credit_on_both_databases(any_session):
    session = any_session
    session.add(LegalEntity(name="株式会社レンケイ", tax_rounding="half_up"))
    company = Company(code="C-SUB", name="株式会社サブスク")
    session.add(company)
    session.commit()
    subscription = subscriptions.create(
        company, [plan_line(price="31000")], start_date=D(2028, 1, 31)
    )
    assert billing.run(today=D(2028, 2, 29)) == {"billed": 2}
    assert billing.run(today=D(2028, 2, 29)) == {}
    subscriptions.cancel(subscription, at_once=True, today=D(2028, 3, 15))
    session.expire_all()
    (note,) = session.query(Document).filter_by(kind="credit_note").all()
    # Feb 29 .. Mar 30 is 31 days; Mar 15 .. Mar 30 is 16: 31,000 × 16 / 31
    assert note.lines[0].unit_price == Decimal(16000)
    assert billing.run(today=D(2028, 5, 1)) == {}
