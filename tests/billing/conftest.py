"""Fixtures for billing tests: the documents' fixtures (issuer, sample CRM, users)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models.crm import Deal
from app.services.billing import subscriptions
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


def plan_line(name="Renkei Cloud", price="10000", qty="1", rate="standard_10") -> dict:
    return {"name": name, "unit_price": Decimal(price), "quantity": Decimal(qty), "tax_rate": rate}


def at_tokyo(day: dt.date, hour: int = 10) -> dt.datetime:
    """A naive UTC moment that is ``hour`` o'clock on ``day`` in Tokyo."""
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=9)


@pytest.fixture()
def english(request):
    """Services' sentences in English (the default locale is Japanese once translated)."""
    if "db_session" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db_session")
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture()
def make_subscription(db_session, sample, entity):  # noqa: F811
    def make(start=dt.date(2027, 1, 31), lines=None, **fields):
        return subscriptions.create(
            sample["sakura"], lines or [plan_line()], start_date=start, **fields
        )

    return make
