"""Shared pieces of the wholesale tests: a customer's billing setting and an order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.documents import LegalEntity
from app.models.orders import BillingSetting
from app.services.billing import orders
from app.services.documents.lifecycle import today_tokyo
from tests.conftest import LiveServer, wipe_crm
from tests.factories import make_sample


def monthly(company, closing_day=31, pay_months=1, pay_day=31) -> BillingSetting:
    setting = BillingSetting(
        company=company,
        mode="monthly",
        closing_day=closing_day,
        pay_months=pay_months,
        pay_day=pay_day,
        currency="JPY",
    )
    db.session.add(setting)
    db.session.commit()
    return setting


def make_order(company, *quantities, user=None, days_ago=60, price="1000"):
    """An order of ``company`` with one line per quantity, dated ``days_ago``."""
    lines = [
        {"name": f"商品{i}", "unit_price": Decimal(price), "quantity": Decimal(q)}
        for i, q in enumerate(quantities, start=1)
    ]
    return orders.create_order(
        company, lines, user, order_date=today_tokyo() - dt.timedelta(days=days_ago)
    )


@pytest.fixture()
def wholesale(db_session, sample, entity, users):
    """Sakura billed per shipment, Acme by a month-end closing (月末締め翌月末払い)."""
    monthly(sample["acme"])
    return {"sakura": sample["sakura"], "acme": sample["acme"], "users": users}


@pytest.fixture(params=["postgresql", "sqlite"])
def world(request):
    """The app over HTTP with the sample CRM, an issuer and Acme billed monthly, on
    PostgreSQL, then on SQLite: (server, session, sample)."""
    app = request.getfixturevalue("app" if request.param == "postgresql" else "sqlite_app")
    with app.app_context():
        session = db.session
        sample = make_sample(session)
        session.add(LegalEntity(name="株式会社レンケイ", tax_rounding="down"))
        session.add(BillingSetting(company=sample["acme"], mode="monthly", closing_day=31))
        session.commit()
        with LiveServer(app) as server:
            yield server, session, sample
        session.rollback()
        wipe_crm(session)
