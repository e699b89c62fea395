"""The demo's subscription: two invoices made by the run, usage billed, a change waiting."""

from __future__ import annotations

import pytest

from app.models.documents import Document
from app.models.subscriptions import SubscriptionChange, SubscriptionPeriod, SubscriptionUsage
from app.services.demo_subscriptions import load_demo_subscriptions
from app.services.sync.clock import business_today

pytestmark = pytest.mark.usefixtures("english")


def test_demo_subscription(db_session, sample, entity):
    counts = load_demo_subscriptions(db_session, business_today())
    assert counts["subscription_invoices"] == 2
    rows = db_session.query(SubscriptionPeriod).order_by(SubscriptionPeriod.period_start).all()
    assert len(rows) == 2 and all(r.document_id for r in rows)
    second = db_session.get(Document, rows[1].document_id)
    assert any(line.name.startswith("Usage: ") for line in second.lines)
    assert (
        db_session.query(SubscriptionUsage).filter(SubscriptionUsage.document_id.is_(None)).count()
        == 0
    )
    assert db_session.query(SubscriptionChange).filter_by(settled_at=None).count() == 1
    assert load_demo_subscriptions(db_session, business_today()) == {}
