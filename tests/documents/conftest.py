"""Fixtures for document tests: a legal entity, the sample CRM and the demo users."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.mail.sink import start_sink
from app.models.documents import ApprovalRule, LegalEntity
from tests.factories import make_sample

# A registration number whose check digit is right (T + 法人番号 of a real-shaped entity).
VALID_T = "T5835678256246"


@pytest.fixture()
def sample(db_session):
    return make_sample(db_session)


@pytest.fixture()
def entity(db_session):
    entity = LegalEntity(
        name="株式会社レンケイ",
        name_en="Renkei K.K.",
        registration_number=VALID_T,
        address="東京都千代田区丸の内1-1-1",
        tax_rounding="down",
    )
    db_session.add(entity)
    db_session.commit()
    return entity


@pytest.fixture()
def users(db_session):
    """The demo users by login (admin, sales, accounting, approver, readonly)."""
    from flask import current_app

    sm = current_app.appbuilder.sm
    return {
        name: sm.find_user(username=name)
        for name in ("admin", "sales", "accounting", "approver", "readonly")
    }


@pytest.fixture()
def rules(db_session):
    """The usual approval rules: JPY total ≥ ¥1,000,000; any discount above 20 %."""
    made = [
        ApprovalRule(name="高額", currency="JPY", min_amount=Decimal(1_000_000)),
        ApprovalRule(name="値引き", max_discount_percent=Decimal(20)),
    ]
    db_session.add_all(made)
    db_session.commit()
    return made


def line(name="導入支援", price="100000", qty="1", rate="standard_10", discount="0"):
    """A line dict for issuing.new_document."""
    return {
        "name": name,
        "unit_price": Decimal(price),
        "quantity": Decimal(qty),
        "tax_rate": rate,
        "discount_percent": Decimal(discount),
    }


@pytest.fixture(scope="module")
def sink():
    """A local SMTP sink on a free loopback port, for the module."""
    server = start_sink(0)
    yield server
    server.stop()


@pytest.fixture()
def mail(app, sink):
    """The app mails the sink over plain SMTP on loopback; settings restored afterwards."""
    keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_SSL", "SMTP_USERNAME", "MAIL_FROM")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=sink.port,
        SMTP_STARTTLS=False,
        SMTP_SSL=False,
        SMTP_USERNAME="",
        MAIL_FROM="株式会社レンケイ 経理部 <billing@renkei.example>",
    )
    sink.clear()
    yield sink
    sink.clear()
    app.config.update(saved)
