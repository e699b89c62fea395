"""Fixtures for billing tests: the documents' fixtures (issuer, sample CRM, users)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.crm import Deal
from tests.billing.orders_fixtures import wholesale, world  # noqa: F401
from tests.documents.conftest import entity, sample, users  # noqa: F401


@pytest.fixture()
def deal(db_session, sample, entity):  # noqa: F811
    """A JPY deal of ¥1,000,000 (net) for さくら商事."""
    made = Deal(
        title="基幹システム開発",
        company=sample["sakura"],
        stage="won",
        currency="JPY",
        amount=Decimal(1_000_000),
    )
    db_session.add(made)
    db_session.commit()
    return made
