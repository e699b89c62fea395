"""Fixtures of the contract tests: a won JPY deal to invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.crm import Deal


@pytest.fixture()
def jpy_deal(db_session, sample):
    """A JPY deal without lines: invoiced as its title and contract amount."""
    deal = Deal(
        title="保守サポート 2026",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    return deal
